//! `INFO [section …]`: the server's description in Redis's sections and format (`# Section`, then
//! `field:value` lines, sections separated by an empty line). Clients read `redis_version`, ioredis `loading`,
//! and Redis's test suite `blocked_clients`.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler};
use crate::keyspace;
use crate::resp::Reply;
use crate::shared::{Shared, Stats};

/// The Redis version this server answers as.
pub(crate) const REDIS_VERSION: &str = "7.0.15";

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "info",
    -1,
    &["loading", "stale"],
    &["@slow", "@dangerous"],
    doc("Describes the server.", "1.0.0", "server", "O(1)"),
    handler!(run),
)
.tips(&[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
]);

/// The sections `INFO` and `INFO default` print, in order.
const DEFAULT: [&str; 11] = [
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let mut wanted: Vec<&str> = Vec::new();
    if args.len() == 1 {
        wanted.extend(DEFAULT);
    }
    for arg in &args[1..] {
        let arg = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match arg.as_str() {
            "default" => wanted.extend(DEFAULT),
            "all" | "everything" => {
                wanted.extend(DEFAULT);
                wanted.push("commandstats");
            }
            "commandstats" => wanted.push("commandstats"),
            other => {
                if let Some(section) = DEFAULT.iter().find(|section| **section == other) {
                    wanted.push(section);
                }
            }
        }
    }
    let mut sections = Vec::new();
    // Redis prints commandstats after stats, but only when asked for it.
    let mut order: Vec<&str> = Vec::with_capacity(DEFAULT.len() + 1);
    for section in DEFAULT {
        order.push(section);
        if section == "stats" {
            order.push("commandstats");
        }
    }
    order.retain(|section| wanted.contains(section));
    for section in order {
        sections.push(render(&client.shared, section).await);
    }
    Ok(Reply::Verbatim(Bytes::from(sections.join("\r\n"))))
}

async fn render(shared: &Shared, section: &str) -> String {
    let fields: Vec<(String, String)> = match section {
        "server" => server(shared),
        "clients" => clients(shared),
        "memory" => vec![
            field("used_memory", 0),
            field("maxmemory", 0),
            field("maxmemory_policy", "noeviction"),
        ],
        "persistence" => vec![
            field("loading", 0),
            field("async_loading", 0),
            field("rdb_bgsave_in_progress", 0),
            field("aof_enabled", 0),
            field("aof_rewrite_in_progress", 0),
        ],
        "stats" => stats(shared),
        "replication" => vec![field("role", "master"), field("connected_slaves", 0)],
        "cpu" => vec![field("used_cpu_sys", "0.000000"), field("used_cpu_user", "0.000000")],
        "cluster" => vec![field("cluster_enabled", 0)],
        "keyspace" => keyspace_lines(shared).await,
        "commandstats" => command_lines(shared),
        "errorstats" => shared
            .stats
            .error_codes_locked()
            .iter()
            .map(|(code, count)| field(&format!("errorstat_{code}"), format!("count={count}")))
            .collect(),
        _ => Vec::new(),
    };
    let title = match section {
        "cpu" => "CPU".to_owned(),
        other => format!("{}{}", other[..1].to_ascii_uppercase(), &other[1..]),
    };
    let mut text = format!("# {title}\r\n");
    for (name, value) in fields {
        text.push_str(&format!("{name}:{value}\r\n"));
    }
    text
}

fn command_lines(shared: &Shared) -> Vec<(String, String)> {
    let commands = shared.stats.commands_locked();
    commands
        .iter()
        .map(|(name, stat)| {
            #[allow(clippy::cast_precision_loss, reason = "a per-call average printed with two decimals")]
            let per_call = if stat.calls == 0 {
                0.0
            } else {
                stat.usec as f64 / stat.calls as f64
            };
            field(
                &format!("cmdstat_{name}"),
                format!(
                    "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                    stat.calls, stat.usec, stat.rejected, stat.failed
                ),
            )
        })
        .collect()
}

fn field(name: &str, value: impl ToString) -> (String, String) {
    (name.to_owned(), value.to_string())
}

fn server(shared: &Shared) -> Vec<(String, String)> {
    let uptime = shared.started.elapsed().as_secs();
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    let executable = std::env::current_exe().map_or_else(|_| String::new(), |path| path.display().to_string());
    vec![
        field("redis_version", REDIS_VERSION),
        field("redis_git_sha1", "00000000"),
        field("redis_git_dirty", 0),
        field("redis_build_id", "0"),
        field("redis_mode", "standalone"),
        field("os", format!("{} {}", std::env::consts::OS, std::env::consts::ARCH)),
        field("arch_bits", usize::BITS),
        field("multiplexing_api", "tokio"),
        field("process_id", std::process::id()),
        field("process_supervised", "no"),
        field("run_id", &shared.run_id),
        field("tcp_port", shared.settings.get("port").unwrap_or_default()),
        field("server_time_usec", now_us),
        field("uptime_in_seconds", uptime),
        field("uptime_in_days", uptime / 86_400),
        field("hz", shared.settings.get("hz").unwrap_or_default()),
        field("configured_hz", shared.settings.get("hz").unwrap_or_default()),
        field("executable", executable),
        field("config_file", ""),
        field("io_threads_active", 0),
        // Not Redis's: tells a client it talks to the emulator.
        field("bus_version", env!("CARGO_PKG_VERSION")),
    ]
}

fn clients(shared: &Shared) -> Vec<(String, String)> {
    vec![
        field("connected_clients", shared.clients.count()),
        field("cluster_connections", 0),
        field("maxclients", shared.settings.max_clients()),
        field("client_recent_max_input_buffer", 0),
        field("client_recent_max_output_buffer", 0),
        field("blocked_clients", shared.clients.blocked_count()),
        field("tracking_clients", 0),
        field("clients_in_timeout_table", 0),
    ]
}

fn stats(shared: &Shared) -> Vec<(String, String)> {
    let stats = &shared.stats;
    vec![
        field("total_connections_received", Stats::read(&stats.connections_received)),
        field("total_commands_processed", Stats::read(&stats.commands_processed)),
        field("instantaneous_ops_per_sec", 0),
        field("rejected_connections", Stats::read(&stats.rejected_connections)),
        field("expired_keys", 0),
        field("evicted_keys", 0),
        field("keyspace_hits", 0),
        field("keyspace_misses", 0),
        field("pubsub_channels", 0),
        field("pubsub_patterns", 0),
        field("total_error_replies", Stats::read(&stats.error_replies)),
    ]
}

async fn keyspace_lines(shared: &Shared) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for (index, db) in shared.databases.iter().enumerate() {
        let (keys, expires, average) = keyspace::summary(db);
        if keys > 0 {
            lines.push(field(
                &format!("db{index}"),
                format!("keys={keys},expires={expires},avg_ttl={average}"),
            ));
        }
    }
    lines
}
