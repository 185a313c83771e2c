//! `bus bench`: the bus's backends against baselines doing the same work, in one process and one run, with no
//! criterion and no cargo. The `bus` binary's `bench` subcommand is [`run`]; [`bench()`] is the same run as a
//! library call returning the [`Report`].
//!
//! # What it measures
//!
//! Every case sets a bus operation against a baseline doing the same per-message work (a fresh v4 UUID and the
//! same 64-byte JSON payload serialized with `serde_json`, as in `bus-memory/benches/memory.rs` and
//! `bus-redis/benches/redis.rs`). The cases are the table [`CASES`]:
//!
//! | operation | memory backend | `tokio::sync::mpsc` baseline | bus-redis | raw `redis` crate |
//! | --- | --- | --- | --- | --- |
//! | publish | `publish` | unbounded `send` | `publish` (plain) | `XADD` |
//! | publish batched (100) | `publish_batch` | `send` of the 100 as one `Vec` | `publish_batch` (plain) | pipeline of 100 `XADD` |
//! | group read + ack (COUNT 100) | `read_group` `>` + `ack` | 100 × `recv` | `read_group` + `ack` | `XREADGROUP` + `XACK` |
//! | publish (indexed) | | | `publish` (default mode) | `EVALSHA` of the same script |
//! | publish batched (indexed) | | | `publish_batch` (default) | 100 `EVALSHA` in one `MULTI/EXEC` |
//! | publish → blocked consumer | `read_group` BLOCK woken by `publish` | `recv` woken by `send` | same, plain | `XREADGROUP BLOCK` woken by `XADD` |
//!
//! Plus `redis-benchmark -c 1 -P {1,100} XADD …` (same fields, same server) when it is on `PATH`, as the
//! ceiling of the plain publishes.
//!
//! Fairness: the baseline and the bus arm of a case run interleaved, in [`ROUNDS`] rounds each, after an untimed
//! warm-up, so a change of machine load hits both. Each round of the memory arms gets a fresh channel or
//! backend, and the Redis arms have their keys deleted afterwards, outside the timed region. Group reads are
//! timed on entries appended beforehand (untimed, the same way for both arms). In the wakeup cases the consumer
//! is a spawned task (on the runtime's worker thread), the message is generated before the clock starts, and the
//! producer waits 2 ms after the consumer says it is about to block, so every sample includes waking a parked
//! task. Percentiles are nearest-rank over every sample (message, batch, cycle or wakeup). The ratio is bus ÷
//! baseline throughput (higher is better), or bus ÷ baseline p50 for the wakeup cases (lower is better).
//!
//! # Running it
//!
//! ```sh
//! cargo build --release -p bus-cli
//! target/release/bus bench                                   # the memory cases, about 4 s
//! target/release/bus bench --redis-url redis+unix:///tmp/r.sock --messages 5000 --json
//! target/release/bus bench --serve          # redis-benchmark on `bus serve` and redis-server, see [`serve`]
//! ```
//!
//! Figures from a debug build are about 10× too low: it says so on stderr, and in the report
//! ([`Report::debug_build`]). Redis keys go under a unique `bus-bench:<pid>:<nanos>:` prefix and are deleted
//! at the end. `--json` prints [`Report`] as one JSON document:
//!
//! ```json
//! {"messages": 50000, "rounds": 5, "batch": 100, "latency_samples": 500, "per_message_work": "…",
//!  "debug_build": false, "redis": "redis+unix:///tmp/r.sock",
//!  "rows": [{"case": "memory.publish", "backend": "memory", "op": "publish", "per": "message",
//!            "bus": {"arm": "memory publish", "messages": 50000, "samples": 50000,
//!                    "throughput": 710000.0, "p50_us": 1.05, "p99_us": 4.29},
//!            "baseline": {"arm": "mpsc unbounded send", "…": "…"},
//!            "ratio": 0.6, "ratio_of": "throughput"}, "…"],
//!  "redis_benchmark": [{"pipeline": 1, "requests": 50000, "rps": 41000.0, "p50_ms": 0.023, "p99_ms": 0.039,
//!                       "bus_case": "redis.publish", "bus_op": "publish", "bus_ratio": 0.6}, "…"]}
//! ```
//!
//! `redis` and `redis_benchmark` are `null` without a Redis server; `redis_benchmark` is `{"skipped": reason}`
//! when it could not run; `throughput` is `null` in the wakeup rows.
//!
//! # As a library
//!
//! ```
//! let runtime = tokio::runtime::Runtime::new()?;
//! let args = bus_bench::BenchArgs { messages: 200, redis_url: None, json: false, serve: false };
//! let report = runtime.block_on(bus_bench::bench("memory://", &args))?;
//! assert_eq!(report.rows.len(), 4); // the memory cases
//! assert!(report.rows.iter().all(|row| row.ratio > 0.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bus_arms;
mod cases;
mod measure;
mod memory;
mod progress;
mod raw_redis;
mod redis_benchmark;
mod redis_side;
mod report;
mod runner;
pub mod serve;
mod work;

use std::io::Write;
use std::process::ExitCode;

use bus::BackendKind;
use tokio::runtime::Runtime;

pub use cases::{Arm, CASES, Case, Count, Mode, Op, Side, case};
pub use measure::{ROUNDS, Stats};
pub use redis_benchmark::{BenchmarkRun, RedisBenchmark};
pub use report::{Report, Row};
pub use work::BATCH;

use progress::Progress;
use redis_side::RedisSide;
use runner::Arms;
use work::{Fallible, PER_MESSAGE_WORK, bus_err};

/// `bus bench`'s options.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// Messages per throughput arm (publish, batched publish, group read + ack), rounded up to whole batches of
    /// 100 per round; the latency arms take one sample per 100 messages (between 20 and 500).
    #[arg(long, default_value_t = 50_000)]
    pub messages: u64,
    /// Also bench this Redis server: bus-redis against raw `redis` crate calls, and `redis-benchmark` when it is
    /// on PATH. Without it, a Redis `--url` (or `BUS_URL`) does the same. Keys go under a unique `bus-bench:`
    /// prefix and are deleted afterwards.
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Instead of the cases: `redis-benchmark` against `bus serve` (this binary, started on a private socket)
    /// and a private `redis-server` from PATH side by side (XADD of the seed's fields at `-c 1 -P 1`, `-c 50
    /// -P 1`, `-c 1 -P 16`, XREADGROUP, XACK; `--messages` requests a run), plus memory per entry for one
    /// million entries. See the `serve` module.
    #[arg(long)]
    pub serve: bool,
}

/// Why a bench could not run (bad options, an unreachable server, an arm that failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// What a debug build prints on stderr before it benches.
const DEBUG_WARNING: &str =
    "bus bench: warning: this is a debug build, so the figures are about 10× too low; build it with --release";

/// `bus bench`: runs [`bench()`] on `runtime` and prints the table (or, with `--json`, one JSON line) on stdout;
/// a failure prints the CLI's error line (`{"error":{"kind":"bench",…}}`) and exits 1. `url` is the CLI's
/// `--url`, benched too when it names Redis.
///
/// The runtime should have a worker thread: the wakeup cases' consumers run there while this thread publishes.
pub fn run(runtime: &Runtime, url: &str, args: &BenchArgs) -> ExitCode {
    if cfg!(debug_assertions) {
        let _ = writeln!(std::io::stderr(), "{DEBUG_WARNING}");
    }
    if args.serve {
        return print(
            runtime.block_on(serve::bench(args.messages)),
            args.json,
            serve::ServeReport::table,
        );
    }
    print(
        runtime.block_on(bench(url, args)).map_err(|err| err.0),
        args.json,
        Report::table,
    )
}

/// Prints a report as its table or as JSON, or the CLI's error line.
fn print<R: serde::Serialize>(report: Result<R, String>, json: bool, table: fn(&R) -> String) -> ExitCode {
    let report = match report {
        Ok(report) => report,
        Err(err) => {
            println!("{}", bus_command::error_parts_json("bench", &err));
            return ExitCode::FAILURE;
        }
    };
    let text = if json {
        format!("{}\n", serde_json::to_string(&report).unwrap_or_default())
    } else {
        table(&report)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// Runs every case (the Redis ones when `args.redis_url`, or else `url`, names a Redis server), then
/// `redis-benchmark`, and deletes what it wrote to Redis.
pub async fn bench(url: &str, args: &BenchArgs) -> Result<Report, Error> {
    bench_inner(url, args).await.map_err(Error)
}

async fn bench_inner(url: &str, args: &BenchArgs) -> Fallible<Report> {
    if args.messages == 0 {
        return Err("--messages must be at least 1".into());
    }
    let redis_url = redis_url(url, args)?;
    let sizes = measure::Sizes::of(args.messages);
    let messages = sizes.messages.per_round * ROUNDS;
    let side = match redis_url {
        Some(url) => Some(RedisSide::connect(url).await?),
        None => None,
    };
    let arms = Arms::new(side.as_ref())?;
    let benchmark_steps = if side.is_some() { redis_benchmark::STEPS } else { 0 };
    let progress = Progress::new(arms.steps() + benchmark_steps);
    let mut rows = arms.run_cases(&progress, sizes).await;
    let mut benchmark = None;
    if let Some(side) = &side {
        // Cleaned up whether or not the cases ran through.
        let cleaned = side.cleanup().await;
        if let Ok(done) = &rows {
            benchmark = Some(redis_benchmark::run(&progress, side, messages, done).await);
        }
        rows = rows.and_then(|rows| cleaned.map(|()| rows));
        side.cleanup().await?;
    }
    progress.finish();
    Ok(Report {
        messages,
        rounds: ROUNDS,
        batch: BATCH,
        latency_samples: sizes.wakeups.per_round * ROUNDS,
        per_message_work: PER_MESSAGE_WORK,
        debug_build: cfg!(debug_assertions),
        redis: redis_url.map(bus::redact_url),
        rows: rows?,
        redis_benchmark: benchmark,
    })
}

/// The Redis URL to bench, if any: `--redis-url`, else `--url` when it names Redis.
fn redis_url<'a>(url: &'a str, args: &'a BenchArgs) -> Fallible<Option<&'a str>> {
    if let Some(redis_url) = args.redis_url.as_deref() {
        return match BackendKind::of_url(redis_url).map_err(bus_err)? {
            BackendKind::Redis => Ok(Some(redis_url)),
            _ => Err("--redis-url must be a redis://, rediss:// or redis+unix:// URL".into()),
        };
    }
    match BackendKind::of_url(url).map_err(bus_err)? {
        BackendKind::Redis => Ok(Some(url)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn args(redis_url: Option<&str>) -> BenchArgs {
        BenchArgs {
            messages: 1,
            redis_url: redis_url.map(str::to_owned),
            json: false,
            serve: false,
        }
    }

    #[test]
    fn the_redis_url_comes_from_the_option_then_from_url() {
        assert_eq!(redis_url("memory://", &args(None)).unwrap(), None);
        assert_eq!(redis_url("redis://h", &args(None)).unwrap(), Some("redis://h"));
        assert_eq!(
            redis_url("redis://h", &args(Some("redis+unix:///s"))).unwrap(),
            Some("redis+unix:///s")
        );
        assert!(redis_url("memory://", &args(Some("memory://"))).is_err());
    }
}
