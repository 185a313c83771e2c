//! `redis-benchmark -c 1 -n N -P {1,100} XADD key * id <uuid> payload <json>` on the benched server: the same
//! fields on one connection, as the physical limit the plain publishes are set against. It resends one fixed
//! command and does no per-message work, so it is a ceiling, not a baseline, and runs after the cases rather than
//! interleaved with them.

use serde::Serialize;

use crate::progress::Progress;
use crate::raw_redis::del;
use crate::redis_side::RedisSide;
use crate::report::Row;
use crate::work::{BATCH, Fallible, uuid_and_json};

/// The pipelining of each run, and the case whose bus arm it is set against.
const RUNS: [(u64, &str); 2] = [(1, "redis.publish"), (BATCH, "redis.publish_batched")];

/// Steps of `redis-benchmark` on the progress bar.
pub(crate) const STEPS: u64 = RUNS.len() as u64;

/// What `redis-benchmark` gave: its runs, or why it did not run (not on `PATH`, a TLS URL…), which is reported
/// rather than failed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RedisBenchmark {
    /// `-P 1`, then `-P 100`.
    Runs(Vec<BenchmarkRun>),
    /// Why there are no runs.
    Skipped {
        /// The reason.
        skipped: String,
    },
}

/// One `redis-benchmark` run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchmarkRun {
    /// `-P`: commands per round trip.
    pub pipeline: u64,
    /// `-n`: commands sent.
    pub requests: u64,
    /// Requests per second, as it reports them.
    pub rps: f64,
    /// Median latency, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// The case whose bus arm runs at the same pipelining (a [`Case::id`](crate::Case::id)).
    pub bus_case: &'static str,
    /// That case's operation.
    pub bus_op: &'static str,
    /// That bus arm's throughput ÷ `rps`.
    pub bus_ratio: Option<f64>,
}

/// Runs `redis-benchmark` with `requests` commands per run, setting it against the bus arms of `rows`.
pub(crate) async fn run(progress: &Progress, side: &RedisSide, requests: u64, rows: &[Row]) -> RedisBenchmark {
    match runs(progress, side, requests, rows).await {
        Ok(runs) => RedisBenchmark::Runs(runs),
        Err(skipped) => {
            progress.step("redis-benchmark: skipped".into());
            RedisBenchmark::Skipped { skipped }
        }
    }
}

async fn runs(progress: &Progress, side: &RedisSide, requests: u64, rows: &[Row]) -> Fallible<Vec<BenchmarkRun>> {
    let target = target(side.url())?;
    let key = side.key("redis-benchmark");
    let (id, payload) = uuid_and_json()?;
    let mut runs = Vec::new();
    for (pipeline, bus_case) in RUNS {
        progress.step(format!("redis-benchmark -P {pipeline}"));
        let output = tokio::process::Command::new("redis-benchmark")
            .args(&target)
            .args([
                "-c",
                "1",
                "-n",
                &requests.to_string(),
                "-P",
                &pipeline.to_string(),
                "--csv",
            ])
            .args([
                "XADD",
                &key,
                "*",
                "id",
                &id.hyphenated().to_string(),
                "payload",
                &payload,
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .await;
        // Each run starts on an empty stream, as each round of the cases does.
        let _ = del(&mut side.conn(), std::slice::from_ref(&key)).await;
        let output = output.map_err(|err| format!("redis-benchmark not run: {err}"))?;
        if !output.status.success() {
            return Err(format!(
                "redis-benchmark failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let (rps, p50_ms, p99_ms) =
            parse_csv(&String::from_utf8_lossy(&output.stdout)).ok_or("cannot parse redis-benchmark's CSV output")?;
        // redis-benchmark divides by its elapsed whole milliseconds: a run shorter than one reports infinity.
        if !rps.is_finite() {
            return Err(format!(
                "redis-benchmark -P {pipeline} did {requests} requests too fast to time (it reports {rps} requests/s); \
                 run with more --messages"
            ));
        }
        let row = rows.iter().find(|row| row.case == bus_case);
        runs.push(BenchmarkRun {
            pipeline,
            requests,
            rps,
            p50_ms,
            p99_ms,
            bus_case,
            bus_op: row.map_or("", |row| row.op),
            bus_ratio: row
                .and_then(|row| row.bus.throughput)
                .filter(|_| rps > 0.0)
                .map(|throughput| throughput / rps),
        });
    }
    Ok(runs)
}

/// `redis-benchmark`'s arguments naming the server of `url`, or why it cannot be run against it.
fn target(url: &str) -> Fallible<Vec<String>> {
    let (scheme, rest) = url.split_once("://").ok_or("URL without a scheme")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "rediss" {
        return Err("TLS URLs are not passed to redis-benchmark".into());
    }
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut args = Vec::new();
    let mut push = |flag: &str, value: &str| args.extend([flag.to_owned(), value.to_owned()]);
    let (auth, location) = match rest.rsplit_once('@') {
        Some((auth, location)) => (Some(auth), location),
        None => (None, rest),
    };
    if scheme == "redis+unix" || scheme == "unix" {
        push("-s", location);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("db", db)) => push("--dbnum", db),
                Some(("user", user)) => push("--user", user),
                Some(("pass" | "password", pass)) => push("-a", pass),
                _ => {}
            }
        }
    } else {
        let (host_port, db) = location.split_once('/').unwrap_or((location, ""));
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() => (host, port),
            Some((_, port)) => ("127.0.0.1", port),
            None if host_port.is_empty() => ("127.0.0.1", "6379"),
            None => (host_port, "6379"),
        };
        push("-h", host);
        push("-p", port);
        if !db.is_empty() {
            push("--dbnum", db);
        }
        if let Some(auth) = auth {
            let (user, pass) = auth.split_once(':').unwrap_or(("", auth));
            if !user.is_empty() {
                push("--user", user);
            }
            if !pass.is_empty() {
                push("-a", pass);
            }
        }
    }
    if args.iter().any(|a| a == "-a") {
        args.push("--no-auth-warning".to_owned());
    }
    Ok(args)
}

/// Parses the last line of `redis-benchmark --csv`: `"test","rps","avg","min","p50","p95","p99","max"` (the test
/// name may hold commas, so the numbers are taken from the right).
pub(crate) fn parse_csv(stdout: &str) -> Option<(f64, f64, f64)> {
    let line = stdout.lines().rev().find(|line| !line.trim().is_empty())?;
    let fields: Vec<f64> = line
        .rsplitn(8, ',')
        .take(7)
        .map(|field| field.trim().trim_matches('"').parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    // Reversed: max, p99, p95, p50, min, avg, rps.
    match fields.as_slice() {
        [_max, p99, _p95, p50, _min, _avg, rps] => Some((*rps, *p50, *p99)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn csv_is_parsed_from_the_right() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\
                   \"XADD k * id x payload {\"\"kind\"\":\"\"chat\"\",\"\"content\"\":\"\"a\"\"}\",\"50200.80\",\"0.016\",\"0.008\",\"0.015\",\"0.023\",\"0.031\",\"0.503\"\n";
        assert_eq!(parse_csv(csv), Some((50200.80, 0.015, 0.031)));
        assert_eq!(parse_csv("not,csv\n"), None);
    }

    #[test]
    fn targets_name_the_server_of_the_url() {
        assert_eq!(
            target("redis+unix:///tmp/bench.sock").unwrap(),
            ["-s", "/tmp/bench.sock"]
        );
        assert_eq!(
            target("redis+unix:///tmp/s?db=3&pass=pw").unwrap(),
            ["-s", "/tmp/s", "--dbnum", "3", "-a", "pw", "--no-auth-warning"]
        );
        assert_eq!(
            target("redis://127.0.0.1:6380/2").unwrap(),
            ["-h", "127.0.0.1", "-p", "6380", "--dbnum", "2"]
        );
        assert_eq!(
            target("redis://u:pw@host").unwrap(),
            [
                "-h",
                "host",
                "-p",
                "6379",
                "--user",
                "u",
                "-a",
                "pw",
                "--no-auth-warning"
            ]
        );
        assert!(target("rediss://host").is_err());
    }

    #[test]
    fn each_run_names_a_case_of_the_table() {
        for (_, id) in RUNS {
            assert!(crate::cases::case(id).is_some(), "{id}");
        }
    }
}
