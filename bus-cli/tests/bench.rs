//! `bus bench` end to end through the binary: the JSON document and the table, on memory and on a private Redis,
//! the debug-build warning and the error line. Never its speed (the library's own tests check every figure).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test that calls them"
)]

mod common;

use bus_bench::{CASES, Side};
use bus_redis::testing::TestRedis;
use common::bus;
use serde_json::Value;

/// `bus bench <args>`: its stdout and stderr, after checking it succeeded.
fn bench_output(args: &[&str]) -> (String, String) {
    let output = bus().arg("bench").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "bus bench exited with {}: {stdout}\n{stderr}",
        output.status
    );
    (stdout, stderr)
}

/// `bus bench --json <args>`: the one JSON document it printed.
fn bench_json(args: &[&str]) -> Value {
    let (stdout, _) = bench_output(&[args, &["--json"]].concat());
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

/// The rows are the cases of `sides`, in the table's order, each with both arms measured and a positive ratio.
fn check_rows(report: &Value, sides: &[Side]) {
    let rows = report["rows"].as_array().unwrap();
    let cases: Vec<_> = CASES.iter().filter(|case| sides.contains(&case.side)).collect();
    let expected: Vec<&str> = cases.iter().map(|case| case.id).collect();
    let got: Vec<&str> = rows.iter().map(|row| row["case"].as_str().unwrap()).collect();
    assert_eq!(got, expected);
    for (row, case) in rows.iter().zip(cases) {
        assert_eq!(
            (&row["backend"], &row["op"]),
            (&case.side.name().into(), &case.op.into())
        );
        positive(&row["ratio"], &format!("{} ratio", case.id));
        let latency = row["ratio_of"] == "p50";
        assert_eq!(latency, row["per"] == "wakeup", "{row}");
        for (side, name) in [("bus", case.bus.1), ("baseline", case.baseline.1)] {
            let arm = &row[side];
            assert_eq!(arm["arm"], name, "{row}");
            positive(&arm["samples"], &format!("{} {side} samples", case.id));
            positive(&arm["p50_us"], &format!("{} {side} p50", case.id));
            assert!(arm["p99_us"].as_f64() >= arm["p50_us"].as_f64(), "{row}");
            if latency {
                assert!(arm["throughput"].is_null(), "{row}");
            } else {
                positive(&arm["throughput"], &format!("{} {side} throughput", case.id));
            }
        }
    }
}

#[test]
fn bench_on_memory_prints_every_memory_case_as_json() {
    let report = bench_json(&["--url", "memory://", "--messages", "500"]);
    assert_eq!(report["messages"], 500);
    assert_eq!(report["debug_build"], cfg!(debug_assertions));
    assert!(report["redis"].is_null());
    assert!(report["redis_benchmark"].is_null());
    check_rows(&report, &[Side::Memory]);
}

#[test]
fn bench_prints_a_table_with_both_arms_of_every_case() {
    let (stdout, stderr) = bench_output(&["--messages", "100"]);
    for case in CASES.iter().filter(|case| case.side == Side::Memory) {
        let bus = stdout
            .lines()
            .find(|line| line.contains(case.bus.1))
            .unwrap_or_else(|| panic!("no line for {}: {stdout}", case.bus.1));
        assert!(bus.starts_with("memory") && bus.contains('×'), "{bus}");
        assert!(stdout.contains(&format!("baseline: {}", case.baseline.1)), "{stdout}");
    }
    // The test binary is a debug build exactly when the `bus` it runs is.
    let warned = stderr.lines().filter(|line| line.contains("debug build")).count();
    assert_eq!(warned, usize::from(cfg!(debug_assertions)), "{stderr}");
}

#[test]
fn bench_on_redis_prints_every_case_as_json() {
    let Some(server) = TestRedis::start("bench_on_redis_prints_every_case_as_json") else {
        return;
    };
    let report = bench_json(&["--redis-url", server.url(), "--messages", "300"]);
    check_rows(&report, &[Side::Memory, Side::Redis]);
    match &report["redis_benchmark"] {
        Value::Array(runs) => {
            let pipelines: Vec<&Value> = runs.iter().map(|run| &run["pipeline"]).collect();
            assert_eq!(pipelines, [1, 100]);
            for run in runs {
                positive(&run["rps"], "redis-benchmark rps");
                positive(&run["bus_ratio"], "bus ÷ redis-benchmark");
            }
        }
        // No redis-benchmark on PATH, a shared server it cannot reach, or a run too short to time: reported, not failed.
        other => assert!(other["skipped"].is_string(), "{other}"),
    }
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
    assert!(
        line["error"]["message"].as_str().unwrap().contains("--redis-url"),
        "{line}"
    );
}

#[test]
fn bench_help_says_to_build_for_release() {
    let output = bus().args(["bench", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    assert!(help.contains("debug build"), "{help}");
    for flag in ["--messages", "--redis-url", "--json"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}
