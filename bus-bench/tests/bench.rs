//! The bench as a library: every case runs and reports positive figures, on memory and on a private Redis, and
//! the JSON document has the keys later work records. Never its speed.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test that calls them"
)]

use bus_bench::{BenchArgs, Count, RedisBenchmark, Report, Stats, bench, case};
use bus_redis::testing::TestRedis;
use serde_json::Value;

/// Every case the bench must make, in report order.
const MEMORY_CASES: &[&str] = &[
    "memory.publish",
    "memory.publish_batched",
    "memory.group_read_ack",
    "memory.wakeup",
];
const REDIS_CASES: &[&str] = &[
    "redis.publish",
    "redis.publish_batched",
    "redis.group_read_ack",
    "redis.publish_indexed",
    "redis.publish_batched_indexed",
    "redis.wakeup",
];

fn args(messages: u64, redis_url: Option<&str>) -> BenchArgs {
    BenchArgs {
        messages,
        redis_url: redis_url.map(str::to_owned),
        json: false,
        serve: false,
    }
}

async fn run(url: &str, args: &BenchArgs) -> Report {
    bench(url, args)
        .await
        .unwrap_or_else(|err| panic!("bench failed: {err}"))
}

fn positive(value: f64, what: &str) {
    assert!(value.is_finite() && value > 0.0, "{what} = {value}");
}

fn check_arm(stats: &Stats, name: &str, throughput: bool, report: &Report) {
    assert_eq!(stats.arm, name);
    assert!(stats.samples > 0, "{name}: no samples");
    positive(stats.p50_us, &format!("{name} p50"));
    assert!(
        stats.p99_us >= stats.p50_us,
        "{name}: p99 {} < p50 {}",
        stats.p99_us,
        stats.p50_us
    );
    if throughput {
        assert_eq!(stats.messages, report.messages, "{name}");
        positive(stats.throughput.unwrap_or_default(), &format!("{name} throughput"));
    } else {
        assert_eq!(stats.messages, report.latency_samples, "{name}");
        assert_eq!(stats.throughput, None, "{name}");
    }
}

/// The rows are exactly `ids`, in order, each with both arms measured and a positive ratio.
fn check_rows(report: &Report, ids: &[&str]) {
    let got: Vec<&str> = report.rows.iter().map(|row| row.case).collect();
    assert_eq!(got, ids);
    for row in &report.rows {
        let case = case(row.case).unwrap();
        assert_eq!((row.backend, row.op, row.per), (case.side.name(), case.op, case.per));
        let throughput = case.count == Count::Messages;
        check_arm(&row.bus, case.bus.1, throughput, report);
        check_arm(&row.baseline, case.baseline.1, throughput, report);
        assert_eq!(
            row.ratio_of,
            if throughput { "throughput" } else { "p50" },
            "{}",
            row.case
        );
        positive(row.ratio, &format!("{} ratio", row.case));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn on_memory_every_memory_case_runs() {
    let report = run("memory://", &args(500, None)).await;
    assert_eq!((report.messages, report.rounds, report.batch), (500, 5, 100));
    assert_eq!(report.latency_samples, 20);
    assert_eq!(report.debug_build, cfg!(debug_assertions));
    assert_eq!((&report.redis, &report.redis_benchmark), (&None, &None));
    check_rows(&report, MEMORY_CASES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn on_redis_every_case_runs_and_nothing_is_left_behind() {
    let Some(server) = TestRedis::start("on_redis_every_case_runs_and_nothing_is_left_behind") else {
        return;
    };
    let report = run("memory://", &args(300, Some(server.url()))).await;
    assert_eq!(report.redis.as_deref(), Some(bus::redact_url(server.url()).as_str()));
    check_rows(&report, &[MEMORY_CASES, REDIS_CASES].concat());
    match report.redis_benchmark.unwrap() {
        RedisBenchmark::Runs(runs) => {
            let got: Vec<(u64, &str)> = runs.iter().map(|run| (run.pipeline, run.bus_case)).collect();
            assert_eq!(got, [(1, "redis.publish"), (100, "redis.publish_batched")]);
            for run in &runs {
                assert_eq!(run.requests, report.messages);
                positive(run.rps, "redis-benchmark rps");
                positive(run.bus_ratio.unwrap_or_default(), "bus ÷ redis-benchmark");
            }
        }
        // No redis-benchmark on PATH, or a run too short to time: reported, not failed.
        RedisBenchmark::Skipped { skipped } => assert!(!skipped.is_empty()),
    }
    let mut conn = server.raw().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("bus-bench:*").query(&mut conn).unwrap();
    assert!(keys.is_empty(), "keys left behind: {keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_json_document_has_every_key() {
    let report = run("memory://", &args(100, None)).await;
    let json = report.to_json();
    let keys = |value: &Value| -> Vec<String> { value.as_object().unwrap().keys().cloned().collect() };
    let mut top = keys(&json);
    top.sort();
    assert_eq!(
        top,
        [
            "batch",
            "debug_build",
            "latency_samples",
            "messages",
            "per_message_work",
            "redis",
            "redis_benchmark",
            "rounds",
            "rows"
        ]
    );
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), MEMORY_CASES.len());
    for (row, typed) in rows.iter().zip(&report.rows) {
        let mut row_keys = keys(row);
        row_keys.sort();
        assert_eq!(
            row_keys,
            ["backend", "baseline", "bus", "case", "op", "per", "ratio", "ratio_of"]
        );
        for side in ["bus", "baseline"] {
            let mut arm_keys = keys(&row[side]);
            arm_keys.sort();
            assert_eq!(
                arm_keys,
                ["arm", "messages", "p50_us", "p99_us", "samples", "throughput"]
            );
        }
        assert_eq!(row["ratio"].as_f64(), Some(typed.ratio));
        assert_eq!(row["bus"]["throughput"].as_f64(), typed.bus.throughput);
        assert_eq!(row["baseline"]["p50_us"].as_f64(), Some(typed.baseline.p50_us));
        assert_eq!(row["case"], typed.case);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn bad_options_are_errors() {
    let err = bench("memory://", &args(0, None)).await.unwrap_err();
    assert_eq!(err.to_string(), "--messages must be at least 1");
    let err = bench("memory://", &args(100, Some("memory://"))).await.unwrap_err();
    assert!(err.to_string().starts_with("--redis-url must be"), "{err}");
    assert!(bench("kafka://x", &args(100, None)).await.is_err());
}
