//! `bus serve`: the memory backend behind the Redis protocol (see the `bus-server` crate), until interrupted.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use bus_server::{NodeLayout, Server, ServerConfig};
use clap::Args;
use serde_json::json;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::print_line;

/// The end of `bus serve --help`: what it prints, how it stops, and how a test uses it.
pub(crate) const AFTER_HELP: &str = "\
Output: one JSON line once listening, {\"listening\":{\"tcp\":\"127.0.0.1:6379\",\"unixsocket\":null}} (the actual
port with --port 0 is not known before: use --unixsocket, or read the line). Errors (address in use, a public
--bind without --requirepass) print {\"error\":{…}} and exit 1. SIGINT or SIGTERM stop it (exit 0) and remove the
socket.

From a test in any language:
  bus serve --port 0 --unixsocket /tmp/t.sock --controllable-clock &   # wait for the listening line
  redis-cli -s /tmp/t.sock XADD chat:DevAgent '*' id 4b0d2f1e payload '{\"content\":\"hi\"}'
  redis-cli -s /tmp/t.sock BUS.CLOCK ADVANCE 30000                       # idle times, TTLs, BLOCK timeouts move 30 s
In Rust, bus_server::Server::bind(ServerConfig::new().port(0)) starts one in process (local_addr() gives the port).

Differences from Redis 7.0.15 (no scripting: EVAL/EVALSHA are unknown commands; sorted sets and other types
missing) are listed in the crate docs of bus-server.";

/// The flags of `bus serve`, named after Redis's settings.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on. Anything but a loopback address needs --requirepass.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// The TCP port; 0 disables TCP (as in Redis), for a unix socket only.
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// A unix socket to listen on too.
    #[arg(long, value_name = "PATH")]
    unixsocket: Option<PathBuf>,
    /// The default user's password (clients send AUTH <password>).
    #[arg(long, env = "BUS_REQUIREPASS", hide_env_values = true)]
    requirepass: Option<String>,
    /// A user with every permission, as NAME:PASSWORD (clients send AUTH NAME PASSWORD); repeatable.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// Connections beyond this many are refused with Redis's error.
    #[arg(long, default_value_t = 10_000)]
    maxclients: usize,
    /// The longest argument a client may send, in bytes.
    #[arg(long, default_value_t = 512 * 1024 * 1024)]
    proto_max_bulk_len: i64,
    /// A client whose unread input grows beyond this many bytes is disconnected.
    #[arg(long, default_value_t = 1024 * 1024 * 1024)]
    client_query_buffer_limit: usize,
    /// Entries a stream node takes before the next append opens another (0: no limit), as Redis's setting.
    #[arg(long, default_value_t = 100)]
    stream_node_max_entries: u64,
    /// Bytes of listpack a stream node takes before the next append opens another (0: no limit), as Redis's
    /// setting. Approximate trims remove whole nodes, so this decides what `XTRIM … ~` removes.
    #[arg(long, default_value_t = 4096)]
    stream_node_max_bytes: u64,
    /// Run on a clock that moves only when a client sends BUS.CLOCK ADVANCE <milliseconds> (BUS.CLOCK NOW reads
    /// it). Ids of XADD *, idle times, key TTLs and BLOCK timeouts all follow it, so tests in any language drive
    /// time deterministically. Without this flag BUS.CLOCK is an unknown command, as on Redis.
    #[arg(long)]
    controllable_clock: bool,
}

fn parse_user(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_owned(), password.to_owned())),
        _ => Err("expected NAME:PASSWORD".to_owned()),
    }
}

impl ServeArgs {
    fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::new()
            .max_clients(self.maxclients)
            .max_bulk_len(self.proto_max_bulk_len)
            .query_buffer_limit(self.client_query_buffer_limit)
            .controllable_clock(self.controllable_clock)
            .node_layout(NodeLayout {
                max_entries: self.stream_node_max_entries,
                max_bytes: self.stream_node_max_bytes,
            });
        config = if self.port == 0 {
            config.no_tcp()
        } else {
            config.bind(SocketAddr::new(self.bind, self.port))
        };
        if let Some(path) = &self.unixsocket {
            config = config.unix_socket(path);
        }
        if let Some(password) = &self.requirepass {
            config = config.requirepass(password);
        }
        for (name, password) in &self.users {
            config = config.user(name, password);
        }
        config
    }
}

/// Serves until Ctrl-C (or SIGTERM), printing one JSON line when listening.
pub(crate) fn run(runtime: &tokio::runtime::Runtime, args: &ServeArgs) -> ExitCode {
    runtime.block_on(async {
        // The handlers are installed before the line that tells a supervisor the server is up, so a signal
        // sent right after it is never missed.
        let signals = Signals::install();
        let server = match Server::bind(args.config()).await {
            Ok(server) => server,
            Err(err) => {
                print_line(&bus_command::error_parts_json("serve", &err.to_string()));
                return ExitCode::FAILURE;
            }
        };
        print_line(&json!({
            "listening": {
                "tcp": server.local_addr().map(|addr| addr.to_string()),
                "unixsocket": server.socket_path().map(|path| path.display().to_string()),
            }
        }));
        signals.wait().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// SIGINT and SIGTERM.
struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl Signals {
    fn install() -> Signals {
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn wait(mut self) {
        async fn next(signal: Option<&mut Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = next(self.interrupt.as_mut()) => {}
            () = next(self.terminate.as_mut()) => {}
        }
    }
}
