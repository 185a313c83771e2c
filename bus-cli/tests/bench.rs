//! `bus bench --json` end to end: the shape of the report, on memory and on a private Redis. Never its speed.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test that calls them"
)]

mod common;

use bus_redis::testing::TestRedis;
use common::bus;
use serde_json::Value;

const MEMORY_OPS: &[&str] = &[
    "publish",
    "publish batched",
    "group read + ack",
    "publish → blocked consumer",
];
const REDIS_OPS: &[&str] = &[
    "publish",
    "publish batched",
    "group read + ack",
    "publish (indexed)",
    "publish batched (indexed)",
    "publish → blocked consumer",
];

fn bench(args: &[&str]) -> Value {
    let output = bus().arg("bench").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bus bench exited with {}: {stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON document on one line: {stdout}");
    serde_json::from_str(lines[0]).unwrap()
}

fn positive(value: &Value, what: &str) {
    let number = value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"));
    assert!(number.is_finite() && number > 0.0, "{what} = {number}");
}

/// Every row of `backend` is present once, with both arms measured and a positive ratio.
fn check_rows(report: &Value, backend: &str, expected: &[&str]) {
    let rows: Vec<&Value> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["backend"] == backend)
        .collect();
    let ops: Vec<&str> = rows.iter().map(|row| row["op"].as_str().unwrap()).collect();
    assert_eq!(ops, expected, "{backend} rows");
    for row in rows {
        let op = row["op"].as_str().unwrap();
        positive(&row["ratio"], &format!("{backend} {op} ratio"));
        let latency = op == "publish → blocked consumer";
        assert_eq!(row["ratio_of"], if latency { "p50" } else { "throughput" }, "{row}");
        for side in ["bus", "baseline"] {
            let arm = &row[side];
            assert!(arm["arm"].as_str().is_some_and(|name| !name.is_empty()), "{row}");
            positive(&arm["samples"], &format!("{backend} {op} {side} samples"));
            positive(&arm["p50_us"], &format!("{backend} {op} {side} p50"));
            positive(&arm["p99_us"], &format!("{backend} {op} {side} p99"));
            assert!(arm["p99_us"].as_f64() >= arm["p50_us"].as_f64(), "{row}");
            if latency {
                assert!(arm["throughput"].is_null(), "{row}");
            } else {
                positive(&arm["throughput"], &format!("{backend} {op} {side} throughput"));
            }
        }
    }
}

#[test]
fn bench_on_memory_reports_every_row() {
    let report = bench(&["--url", "memory://", "--messages", "500", "--json"]);
    assert_eq!(report["messages"], 500);
    assert!(report["redis"].is_null());
    assert!(report["redis_benchmark"].is_null());
    check_rows(&report, "memory", MEMORY_OPS);
    assert_eq!(report["rows"].as_array().unwrap().len(), 4);
}

#[test]
fn bench_on_redis_reports_every_row_and_cleans_up() {
    let Some(server) = TestRedis::start("bench_on_redis_reports_every_row_and_cleans_up") else {
        return;
    };
    let report = bench(&["--redis-url", server.url(), "--messages", "500", "--json"]);
    check_rows(&report, "memory", MEMORY_OPS);
    check_rows(&report, "redis", REDIS_OPS);
    match &report["redis_benchmark"] {
        Value::Array(runs) => {
            let pipelines: Vec<&Value> = runs.iter().map(|run| &run["pipeline"]).collect();
            assert_eq!(pipelines, [1, 100]);
            for run in runs {
                positive(&run["rps"], "redis-benchmark rps");
                positive(&run["bus_ratio"], "bus ÷ redis-benchmark");
            }
        }
        // No redis-benchmark on PATH (or a shared server it cannot reach): reported, not failed.
        other => assert!(other["skipped"].is_string(), "{other}"),
    }
    // Nothing left behind under the run's prefix.
    let mut conn = server.raw().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("bus-bench:*").query(&mut conn).unwrap();
    assert!(keys.is_empty(), "keys left behind: {keys:?}");
}

#[test]
fn bench_rejects_a_non_redis_redis_url() {
    let output = bus()
        .args(["bench", "--redis-url", "memory://", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["error"]["kind"], "bench");
}
