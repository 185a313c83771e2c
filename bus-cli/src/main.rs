//! `bus`: redis-cli for the bus. Every operation of the bus on any backend (`--url`, default `BUS_URL`, else
//! `memory://`), one line of JSON per command on stdout.
//!
//! - **Errors**: every error, of every command (`tail --follow` and `bus shell` included), is one line
//!   `{"error":{"kind":…,"message":…}}` on stdout; a one-shot command then exits 1. `tail --follow` goes on after
//!   an error it can wait out (the server restarting), and marks that line with `"retrying":true`.
//! - **Payloads**: `publish` and `publish-batch` take a payload as JSON text, or `-` to read it from stdin, or
//!   `@PATH` to read it from a file (for large payloads and pipes); a payload that is not JSON is refused with
//!   `not valid JSON: …`.
//! - **`memory://`**: each invocation gets a new, empty in-process bus, so a one-shot command that writes says on
//!   stderr that nothing it wrote outlives it (`bus shell` keeps one bus for a session; `bus serve` keeps one
//!   for any number of clients).
//! - `bus shell` reads commands from stdin (an interactive prompt on a terminal); `exit` or `quit` ends it, and a
//!   session read from a pipe exits 1 when any of its commands failed. `bus bench` runs the benchmark report
//!   (memory backend against `tokio::sync::mpsc`, and bus-redis against raw `redis` calls with a Redis URL).
//!   `bus serve` runs the memory backend behind the Redis protocol (crate `bus-server`).
//!
//! The commands and their syntax are `bus_command::Command`'s: the same clap definitions parse the command
//! line, the shell's lines, and produce `--help`.

mod payload;
mod serve;
mod shell;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use bus_command::commands::Tail;
use bus_command::{Command, DEFAULT_TAIL, Follow, ParseError, error_json};
use clap::{Parser, Subcommand};
use serde_json::Value;

/// redis-cli for the bus: every operation on any backend, with JSON output.
#[derive(Debug, Parser)]
#[command(name = "bus", version, about, long_about = None)]
struct Cli {
    /// The backend: memory://, redis://[user:password@]host[:port][/db], rediss://…, redis+unix:///path.
    #[arg(
        long,
        global = true,
        env = "BUS_URL",
        hide_env_values = true,
        default_value = "memory://"
    )]
    url: String,
    /// How long connecting to Redis may take in all, retries included, in milliseconds (default 5000).
    /// Failures no retry can fix (a wrong password, a database out of range, TLS on one side only, not a
    /// Redis server, a bad URL, an unknown host) fail at once whatever it is.
    #[arg(
        long,
        global = true,
        value_name = "MS",
        env = "BUS_CONNECT_TIMEOUT",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    connect_timeout: Option<u64>,
    #[command(subcommand)]
    command: Top,
}

impl Cli {
    /// The Redis options the global flags ask for.
    fn redis_options(&self) -> bus::RedisOptions {
        let options = bus::RedisOptions::new();
        match self.connect_timeout {
            Some(ms) => options.connect_timeout(Duration::from_millis(ms)),
            None => options,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Top {
    #[command(flatten)]
    Bus(Command),
    /// Read commands from stdin, one per line (shell-style quoting, `#` comments, `sleep MS`, `exit`), printing
    /// one JSON line per command; an interactive prompt with history and `help` on a terminal. Read from a pipe,
    /// it exits 1 when any command failed.
    Shell,
    /// Benchmark the memory backend against a tokio mpsc baseline and, with a Redis URL (`--url` or
    /// `--redis-url`), bus-redis against raw `redis` crate calls and `redis-benchmark`: publish, batched
    /// publish, group read + ack, publish-to-blocked-consumer latency. Prints a table (or `--json`). Run a
    /// release build: a debug build's figures are about 10× too low (it warns on stderr).
    Bench(bus_bench::BenchArgs),
    /// Serve the memory backend over the Redis protocol (RESP2/RESP3), so any Redis client, in any language,
    /// runs against the emulator: `redis-cli -p 6379`, redis-py, node-redis, redis-rs. Prints one JSON line
    /// once listening; stops on Ctrl-C. Binds 127.0.0.1 unless --bind (which then needs --requirepass).
    #[command(after_help = serve::AFTER_HELP)]
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let parsed = ParseError::from_clap(&err);
            if parsed.is_help() {
                err.exit();
            }
            print_line(&parsed.to_json());
            return ExitCode::FAILURE;
        }
    };
    // `bus serve` runs on one thread with a FIFO scheduler, as Redis serves its clients: commands that two
    // clients send one after the other run in that order (the multi-thread scheduler runs the connection woken
    // last first, from its LIFO slot, which could run them reversed).
    let mut builder = if matches!(cli.command, Top::Serve(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(1);
        builder
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            print_line(&bus_command::error_parts_json(
                "backend",
                &format!("cannot start tokio: {err}"),
            ));
            return ExitCode::FAILURE;
        }
    };
    let options = cli.redis_options();
    match cli.command {
        Top::Shell => shell::run(&runtime, &cli.url, &options),
        Top::Bench(args) => bus_bench::run(&runtime, &cli.url, &args),
        Top::Serve(args) => serve::run(&runtime, &args),
        Top::Bus(command) => run_one(&runtime, &cli.url, &options, command),
    }
}

/// Prints one JSON line on stdout; false when stdout is gone.
pub(crate) fn print_line(value: &Value) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}").and_then(|()| out.flush()).is_ok()
}

fn run_one(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    options: &bus::RedisOptions,
    mut command: Command,
) -> ExitCode {
    if let Err(err) = payload::resolve(&mut command, payload::Stdin::Free) {
        print_line(&error_json(&err));
        return ExitCode::FAILURE;
    }
    let bus = match runtime.block_on(bus::connect_with(url, options.clone())) {
        Ok(bus) => bus,
        Err(err) => {
            print_line(&error_json(&err));
            return ExitCode::FAILURE;
        }
    };
    if let Command::Tail(Tail {
        topic,
        count,
        follow: true,
    }) = &command
    {
        return follow(
            runtime,
            &bus,
            Follow::new(topic.clone(), count.unwrap_or(DEFAULT_TAIL), FOLLOW_BLOCK),
        );
    }
    match runtime.block_on(command.run(bus.backend().as_ref())) {
        Ok(output) => {
            print_line(&output.to_json());
            if command.writes() && matches!(bus::BackendKind::of_url(url), Ok(bus::BackendKind::Memory)) {
                let _ = writeln!(std::io::stderr(), "{MEMORY_NOTE}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            print_line(&error_json(&err));
            ExitCode::FAILURE
        }
    }
}

/// What a one-shot command that wrote to `memory://` says on stderr: the next invocation starts from nothing.
const MEMORY_NOTE: &str = "bus: note: memory:// is a new, empty bus for each command, so nothing written here is \
                           kept; use --url redis://… (or BUS_URL), a `bus serve` server, or `bus shell`";

/// How long one read of `tail --follow` blocks.
const FOLLOW_BLOCK: Duration = Duration::from_secs(5);

/// `tail --follow`: one line per entry until interrupted (or stdout closes). Errors are lines of the one error
/// form on stdout: one it can wait out (the server going away) carries `"retrying":true` and is retried from the
/// same position; any other ends the command with exit 1.
fn follow(runtime: &tokio::runtime::Runtime, bus: &bus::Bus, mut follow: Follow) -> ExitCode {
    loop {
        match runtime.block_on(follow.next_batch(bus.backend().as_ref())) {
            Ok(entries) => {
                for entry in entries {
                    if !print_line(&entry) {
                        return ExitCode::SUCCESS;
                    }
                }
            }
            Err(err) if err.is_retryable() => {
                if !print_line(&retrying_json(&err)) {
                    return ExitCode::SUCCESS;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(err) => {
                print_line(&error_json(&err));
                return ExitCode::FAILURE;
            }
        }
    }
}

/// The error line of an error `tail --follow` waits out: `{"error":{…},"retrying":true}`.
fn retrying_json(err: &bus::Error) -> Value {
    let mut line = error_json(err);
    if let Value::Object(map) = &mut line {
        map.insert("retrying".to_owned(), Value::Bool(true));
    }
    line
}
