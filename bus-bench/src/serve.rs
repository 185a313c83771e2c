//! `bus bench --serve`: `redis-benchmark` against `bus serve` and against a `redis-server` side by side, in one
//! run on the same machine, plus the memory one million seed-format entries take on each.
//!
//! Both servers are started here, each on a unix socket of a temporary directory: `bus serve` is this very
//! binary (`bus serve --port 0 --unixsocket …`, so run a release build), `redis-server` the one on `PATH`
//! (`--save "" --appendonly no`). The cases are the seed's publish (`XADD key * id <uuid> payload <json>`, the
//! fields the bus writes) at `-c 1 -P 1`, `-c 50 -P 1` and `-c 1 -P 16`, and a group read and its ack
//! (`XREADGROUP GROUP g c COUNT 1 STREAMS key >` over a stream of as many entries, then `XACK key g 0-<random>`
//! over their ids). Fairness: each case runs [`ROUNDS`] rounds, and in each round both servers in turn, the
//! first of them alternating, so a change of machine load hits both; the figure is the median round. Keys are
//! deleted between runs. Memory: Redis's `used_memory` and `bus serve`'s resident set (`VmRSS`), each read
//! before and after appending [`MEMORY_ENTRIES`] entries with `redis-benchmark -P 16`, divided by the entries.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::redis_benchmark::parse_csv;
use crate::work::{Fallible, uuid_and_json};

/// Rounds per case.
pub const ROUNDS: usize = 3;
/// Entries appended for the memory figure.
pub const MEMORY_ENTRIES: u64 = 1_000_000;

/// One case on both servers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServeCase {
    /// What ran, e.g. `XADD seed fields -c 1 -P 1`.
    pub case: String,
    /// Requests per run.
    pub requests: u64,
    /// Median requests per second of redis-server.
    pub redis_rps: f64,
    /// Median requests per second of `bus serve`.
    pub serve_rps: f64,
    /// `serve_rps / redis_rps` (the goal is at least 1).
    pub ratio: f64,
}

/// Memory per entry on both servers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServeMemory {
    /// Entries appended.
    pub entries: u64,
    /// Growth of Redis's `used_memory`, per entry, in bytes.
    pub redis_used_memory_per_entry: f64,
    /// Growth of Redis's `used_memory_rss`, per entry, in bytes (for reference).
    pub redis_rss_per_entry: f64,
    /// Growth of `bus serve`'s resident set, per entry, in bytes.
    pub serve_rss_per_entry: f64,
    /// `serve_rss_per_entry / redis_used_memory_per_entry` (the goal is at most 2).
    pub ratio: f64,
}

/// What `bus bench --serve` measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServeReport {
    /// Whether `bus serve` was a debug build (figures then mean little).
    pub debug_build: bool,
    /// `redis-server --version`.
    pub redis_version: String,
    /// The throughput cases.
    pub cases: Vec<ServeCase>,
    /// The memory figure.
    pub memory: ServeMemory,
}

impl ServeReport {
    /// The report as a text table.
    pub fn table(&self) -> String {
        let mut out = format!("bus serve against {}\n", self.redis_version);
        out += &format!(
            "{:<44} {:>9} {:>12} {:>12} {:>6}\n",
            "case", "requests", "redis rps", "serve rps", "ratio"
        );
        for case in &self.cases {
            out += &format!(
                "{:<44} {:>9} {:>12.0} {:>12.0} {:>6.2}\n",
                case.case, case.requests, case.redis_rps, case.serve_rps, case.ratio
            );
        }
        let memory = &self.memory;
        out += &format!(
            "memory per entry ({} entries): redis used_memory {:.1} B (rss {:.1} B), bus serve rss {:.1} B, ratio {:.2}\n",
            memory.entries,
            memory.redis_used_memory_per_entry,
            memory.redis_rss_per_entry,
            memory.serve_rss_per_entry,
            memory.ratio
        );
        out
    }
}

/// A server process of this bench, killed when dropped.
struct Process {
    child: Child,
    socket: PathBuf,
}

impl Process {
    fn pid(&self) -> Fallible<u32> {
        self.child.id().ok_or_else(|| "the server exited".to_owned())
    }
}

/// Runs the cases and the memory figure with `requests` requests per run.
pub(crate) async fn bench(requests: u64) -> Fallible<ServeReport> {
    let dir = std::env::temp_dir().join(format!("bus-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let outcome = bench_in(&dir, requests).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn bench_in(dir: &Path, requests: u64) -> Fallible<ServeReport> {
    let redis = start_redis(dir).await?;
    let serve = start_serve(dir).await?;
    let version = Command::new("redis-server").arg("--version").output().await;
    let redis_version = version.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let (id, payload) = uuid_and_json()?;
    let id = id.hyphenated().to_string();
    let xadd = |key: &str| -> Vec<String> {
        ["XADD", key, "*", "id", &id, "payload", &payload]
            .map(str::to_owned)
            .to_vec()
    };
    let mut cases = Vec::new();
    for (clients, pipeline) in [(1, 1), (50, 1), (1, 16)] {
        let name = format!("XADD seed fields -c {clients} -P {pipeline}");
        let run = Run {
            clients,
            pipeline,
            requests,
            random: None,
            args: xadd("bench:xadd"),
        };
        cases.push(interleave(&name, &[&redis, &serve], &run, &|_| async { Ok(()) }).await?);
    }
    let read_args = [
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "COUNT",
        "1",
        "STREAMS",
        "bench:group",
        ">",
    ];
    let read = Run {
        clients: 1,
        pipeline: 1,
        requests,
        random: None,
        args: read_args.map(str::to_owned).into(),
    };
    let ack = Run {
        random: Some(requests),
        args: ["XACK", "bench:group", "g", "0-__rand_int__"].map(str::to_owned).into(),
        ..read.clone()
    };
    let fill = |socket: PathBuf| async move { fill_group(&socket, requests).await };
    cases.push(interleave("XREADGROUP COUNT 1 -c 1 -P 1", &[&redis, &serve], &read, &fill).await?);
    let fill_and_read = |socket: PathBuf| async move {
        fill_group(&socket, requests).await?;
        cli(
            &socket,
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "bench:group", ">"],
        )
        .await
        .map(drop)
    };
    cases.push(
        interleave(
            "XACK of a pending id -c 1 -P 1",
            &[&redis, &serve],
            &ack,
            &fill_and_read,
        )
        .await?,
    );
    let memory = memory(&redis, &serve, &xadd("bench:memory")).await?;
    Ok(ServeReport {
        debug_build: cfg!(debug_assertions),
        redis_version: redis_version.unwrap_or_default(),
        cases,
        memory,
    })
}

/// One `redis-benchmark` invocation.
#[derive(Clone, Debug)]
struct Run {
    clients: u64,
    pipeline: u64,
    requests: u64,
    /// `-r`: the range of `__rand_int__`.
    random: Option<u64>,
    args: Vec<String>,
}

/// Runs `run` on each server `ROUNDS` times, alternating which goes first, after `prepare` and before a FLUSHALL.
async fn interleave<F, Fut>(name: &str, servers: &[&Process; 2], run: &Run, prepare: &F) -> Fallible<ServeCase>
where
    F: Fn(PathBuf) -> Fut,
    Fut: std::future::Future<Output = Fallible<()>>,
{
    let mut rps: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        for turn in 0..2 {
            let arm = (round + turn) % 2;
            let socket = &servers[arm].socket;
            prepare(socket.clone()).await?;
            rps[arm].push(benchmark(socket, run).await?);
            cli(socket, &["FLUSHALL"]).await?;
        }
    }
    let [redis_rps, serve_rps] = rps.map(median);
    Ok(ServeCase {
        case: name.to_owned(),
        requests: run.requests,
        redis_rps,
        serve_rps,
        ratio: serve_rps / redis_rps,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

async fn benchmark(socket: &Path, run: &Run) -> Fallible<f64> {
    let mut command = Command::new("redis-benchmark");
    command
        .arg("-s")
        .arg(socket)
        .args(["-c", &run.clients.to_string(), "-P", &run.pipeline.to_string()]);
    command.args(["-n", &run.requests.to_string(), "--csv"]);
    if let Some(range) = run.random {
        command.args(["-r", &range.to_string()]);
    }
    let output = command.args(&run.args).stdin(Stdio::null()).output().await;
    let output = output.map_err(|err| format!("redis-benchmark not run: {err}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let (rps, _, _) = parse_csv(&text).ok_or_else(|| format!("cannot parse redis-benchmark's output: {text}"))?;
    if !output.status.success() || !rps.is_finite() {
        return Err(format!("redis-benchmark {:?} failed: {text}", run.args));
    }
    Ok(rps)
}

/// `redis-cli -s socket args…`, its output.
async fn cli(socket: &Path, args: &[&str]) -> Fallible<String> {
    let output = Command::new("redis-cli")
        .arg("-s")
        .arg(socket)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await;
    let output = output.map_err(|err| format!("redis-cli not run: {err}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `bench:group` with entries `0-1` … `0-n` (seed fields) and group `g` at its start, through `redis-cli --pipe`.
async fn fill_group(socket: &Path, n: u64) -> Fallible<()> {
    let (id, payload) = uuid_and_json()?;
    let resp = |args: &[&str]| {
        let mut out = format!("*{}\r\n", args.len());
        for arg in args {
            out += &format!("${}\r\n{arg}\r\n", arg.len());
        }
        out
    };
    let mut script = resp(&["XGROUP", "CREATE", "bench:group", "g", "0", "MKSTREAM"]);
    let id = id.hyphenated().to_string();
    for i in 1..=n {
        script += &resp(&["XADD", "bench:group", &format!("0-{i}"), "id", &id, "payload", &payload]);
    }
    let path = socket.with_extension("fill");
    std::fs::write(&path, script).map_err(|err| err.to_string())?;
    let file = std::fs::File::open(&path).map_err(|err| err.to_string())?;
    let output = Command::new("redis-cli")
        .arg("-s")
        .arg(socket)
        .arg("--pipe")
        .stdin(file)
        .output()
        .await;
    let output = output.map_err(|err| format!("redis-cli not run: {err}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !text.contains("errors: 0") {
        return Err(format!("filling the group stream failed: {text}"));
    }
    Ok(())
}

async fn memory(redis: &Process, serve: &Process, xadd: &[String]) -> Fallible<ServeMemory> {
    let info = |field: &'static str| async move {
        let text = cli(&redis.socket, &["INFO", "memory"]).await?;
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(field).and_then(|l| l.strip_prefix(':')));
        line.and_then(|value| value.trim().parse::<f64>().ok())
            .ok_or(format!("no {field} in INFO"))
    };
    let rss = || async { resident_bytes(serve.pid()?) };
    let run = Run {
        clients: 1,
        pipeline: 16,
        requests: MEMORY_ENTRIES,
        random: None,
        args: xadd.to_vec(),
    };
    let (used, redis_rss) = (info("used_memory").await?, info("used_memory_rss").await?);
    benchmark(&redis.socket, &run).await?;
    let per = |before: f64, after: f64| (after - before) / MEMORY_ENTRIES as f64;
    let used = per(used, info("used_memory").await?);
    let redis_rss = per(redis_rss, info("used_memory_rss").await?);
    let before = rss().await?;
    benchmark(&serve.socket, &run).await?;
    let serve_rss = per(before, rss().await?);
    for socket in [&redis.socket, &serve.socket] {
        let len = cli(socket, &["XLEN", "bench:memory"]).await?;
        if len.trim() != MEMORY_ENTRIES.to_string() {
            return Err(format!("XLEN after the memory run: {len}"));
        }
    }
    Ok(ServeMemory {
        entries: MEMORY_ENTRIES,
        redis_used_memory_per_entry: used,
        redis_rss_per_entry: redis_rss,
        serve_rss_per_entry: serve_rss,
        ratio: serve_rss / used,
    })
}

/// `VmRSS` of a process, in bytes (Linux).
fn resident_bytes(pid: u32) -> Fallible<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|err| err.to_string())?;
    let kib = status.lines().find_map(|line| line.strip_prefix("VmRSS:"));
    let kib = kib.and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.map(|kib| kib * 1024.0).ok_or_else(|| "no VmRSS".to_owned())
}

async fn start_redis(dir: &Path) -> Fallible<Process> {
    let socket = dir.join("redis.sock");
    let mut command = Command::new("redis-server");
    command
        .args(["--port", "0", "--save", "", "--appendonly", "no", "--unixsocket"])
        .arg(&socket);
    let child = command
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let child = child.map_err(|err| format!("cannot run redis-server: {err}"))?;
    wait_for(&socket).await?;
    Ok(Process { child, socket })
}

/// This binary's `serve`, waiting for its `{"listening":…}` line.
async fn start_serve(dir: &Path) -> Fallible<Process> {
    let socket = dir.join("serve.sock");
    let exe = std::env::current_exe().map_err(|err| err.to_string())?;
    let mut command = Command::new(exe);
    command.args(["serve", "--port", "0", "--unixsocket"]).arg(&socket);
    let child = command.stdout(Stdio::piped()).kill_on_drop(true).spawn();
    let mut child = child.map_err(|err| format!("cannot run bus serve: {err}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .map_err(|err| err.to_string())?;
    if !line.contains("listening") {
        return Err(format!("bus serve did not start: {line}"));
    }
    wait_for(&socket).await?;
    Ok(Process { child, socket })
}

async fn wait_for(socket: &Path) -> Fallible<()> {
    for _ in 0..500 {
        if cli(socket, &["PING"]).await.is_ok_and(|reply| reply.trim() == "PONG") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("no server on {} after 10 s", socket.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figure_of_a_case_is_its_median_round() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert!(median(Vec::new()).is_nan());
    }
}
