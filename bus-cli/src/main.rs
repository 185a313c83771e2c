//! `bus`: redis-cli for the bus. Every operation of the bus on any backend (`--url`, default `BUS_URL`, else
//! `memory://`), one line of JSON per command; errors print `{"error":{"kind":…,"message":…}}` and exit 1.
//! `bus shell` reads commands from stdin (an interactive prompt on a terminal). `bus bench` runs the benchmark
//! report (memory backend against `tokio::sync::mpsc`, and bus-redis against raw `redis` calls with a Redis URL).
//! `bus serve` runs the memory backend behind the Redis protocol (crate `bus-server`).
//!
//! The commands and their syntax are [`bus_command::Command`]'s: the same clap definitions parse the command
//! line, the shell's lines, and produce `--help`.

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
    #[command(subcommand)]
    command: Top,
}

#[derive(Debug, Subcommand)]
enum Top {
    #[command(flatten)]
    Bus(Command),
    /// Read commands from stdin, one per line (shell-style quoting, `#` comments, `sleep MS`), printing one JSON
    /// line per command; an interactive prompt with history and `help` on a terminal.
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
    match cli.command {
        Top::Shell => shell::run(&runtime, &cli.url),
        Top::Bench(args) => bus_bench::run(&runtime, &cli.url, &args),
        Top::Serve(args) => serve::run(&runtime, &args),
        Top::Bus(command) => run_one(&runtime, &cli.url, &command),
    }
}

/// Prints one JSON line on stdout; false when stdout is gone.
pub(crate) fn print_line(value: &Value) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}").and_then(|()| out.flush()).is_ok()
}

fn run_one(runtime: &tokio::runtime::Runtime, url: &str, command: &Command) -> ExitCode {
    let bus = match runtime.block_on(bus::connect(url)) {
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
    }) = command
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
            ExitCode::SUCCESS
        }
        Err(err) => {
            print_line(&error_json(&err));
            ExitCode::FAILURE
        }
    }
}

/// How long one read of `tail --follow` blocks.
const FOLLOW_BLOCK: Duration = Duration::from_secs(5);

/// `tail --follow`: one line per entry until interrupted (or stdout closes). Retryable errors (the server going
/// away) are reported on stderr and retried from the same position; others print the error line and exit 1.
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
                let _ = writeln!(std::io::stderr(), "{} (retrying)", error_json(&err));
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(err) => {
                print_line(&error_json(&err));
                return ExitCode::FAILURE;
            }
        }
    }
}
