//! Real clients against an in-process `bus serve`: the seed's redis-py snippet (`clients/seed.py`, the design
//! notes' example as written, only its URL pointed at the server), `redis-cli` (its output and exit codes compared
//! with a real redis-server's), and node-redis from the npm registry (`clients/node`: publish, group read, ack).
//!
//! Each test is skipped loudly when its runtime (python3 with redis-py, redis-cli and redis-server, node with
//! `npm ci --prefix bus-server/tests/clients/node` done) is missing, and fails instead with `BUS_REQUIRE_REDIS=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use bus_server::{Server, ServerConfig};
use common::{Raw, RealRedis, bus, skip};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// The seed's snippet, unchanged; it connects to this URL, which the test replaces with the server's.
const SEED_PY: &str = include_str!("clients/seed.py");
const SEED_URL: &str = "redis://localhost:6379/0";

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Runs a program, or says why it cannot run (not installed).
async fn run(program: &str, args: &[&str], stdin: &[u8]) -> Result<Output, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run {program}: {err}"))?;
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    Ok(child.wait_with_output().await.unwrap())
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the client failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn url(server: &Server) -> String {
    format!("redis://{}/0", server.local_addr().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_redis_py_snippet_runs_unchanged() {
    const TEST: &str = "the_seed_redis_py_snippet_runs_unchanged";
    let probe = run("python3", &["-c", "import redis"], b"").await;
    if let Err(reason) = probe.and_then(|o| o.status.success().then_some(()).ok_or("no redis-py".into())) {
        return skip(TEST, &format!("python3 with redis-py (pip install redis): {reason}"));
    }
    let server = bus(ServerConfig::new()).await;
    let script = SEED_PY.replace(SEED_URL, &url(&server));
    assert_ne!(script, SEED_PY, "the snippet connects to {SEED_URL}");
    // Twice: the second run meets BUSYGROUP, tails both entries and is served only the new one.
    let first = stdout(&run("python3", &["-c", &script], b"").await.unwrap());
    let second = stdout(&run("python3", &["-c", &script], b"").await.unwrap());
    let tail = |printed: &str| -> Vec<(String, String)> {
        let lines = printed.lines().map(|line| {
            let mut words = line.splitn(3, ' ');
            let (entry_id, uuid) = (words.next().unwrap(), words.next().unwrap());
            assert_eq!(words.next(), Some("{'content': 'hello'}"), "{line}");
            (entry_id.to_owned(), uuid.to_owned())
        });
        lines.collect()
    };
    let (first, second) = (tail(&first), tail(&second));
    assert_eq!((first.len(), second.len()), (1, 2), "{first:?} {second:?}");
    assert_eq!(second[0], first[0]);
    assert_eq!(second[1].1.len(), 36, "a canonical UUID: {second:?}");
    let mut conn = Raw::tcp(&server).await;
    assert_eq!(
        conn.cmd(&["XPENDING", "chat:example", "g1"]).await,
        b"*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"
    );
    let info = String::from_utf8(conn.cmd(&["XINFO", "GROUPS", "chat:example"]).await).unwrap();
    assert!(
        info.contains("$12\r\nentries-read\r\n:2\r\n$3\r\nlag\r\n:0\r\n"),
        "{info}"
    );
    assert!(
        info.contains(&format!("${}\r\n{}\r\n", second[1].0.len(), second[1].0)),
        "{info}"
    );
    server.shutdown().await;
}

/// `redis-cli` invocations (arguments, standard input) whose output and exit code must be Redis's.
const REDIS_CLI: &[(&[&str], &str)] = &[
    (&["PING"], ""),
    (
        &[
            "XADD",
            "chat:DevAgent",
            "1-1",
            "id",
            "4b0d2f1e",
            "payload",
            r#"{"content":"hi"}"#,
        ],
        "",
    ),
    (&["XRANGE", "chat:DevAgent", "-", "+"], ""),
    (&["--no-raw", "XRANGE", "chat:DevAgent", "-", "+"], ""),
    (&["-3", "--no-raw", "XINFO", "STREAM", "chat:DevAgent"], ""),
    (&["XADD", "chat:DevAgent"], ""),
    (&["XADD", "chat:DevAgent", "1-1", "f", "v"], ""),
    (&["NOSUCH", "x"], ""),
    (&["XGROUP", "CREATE", "chat:DevAgent", "g1", "0", "MKSTREAM"], ""),
    (
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "c1",
            "COUNT",
            "10",
            "STREAMS",
            "chat:DevAgent",
            ">",
        ],
        "",
    ),
    // Commands read from standard input, one a line.
    (
        &[],
        "XLEN chat:DevAgent\nXACK chat:DevAgent g1 1-1\nXPENDING chat:DevAgent g1\n",
    ),
    // Inline commands sent as they are (`--pipe`), as a shell script would.
    (
        &["--pipe"],
        "XADD chat:DevAgent 2-1 id u2 payload {}\r\nXLEN chat:DevAgent\r\nXLEN\r\n",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cli_sees_what_it_sees_on_redis() {
    const TEST: &str = "redis_cli_sees_what_it_sees_on_redis";
    if let Err(reason) = run("redis-cli", &["--version"], b"").await {
        return skip(TEST, &reason);
    }
    let Some(redis) = RealRedis::start(TEST, &[]) else {
        return;
    };
    let socket = std::env::temp_dir().join(format!("bus-server-cli-{}.sock", std::process::id()));
    let server = bus(ServerConfig::new().unix_socket(&socket)).await;
    drop(Raw::unix(&socket).await); // listening
    let ping = run("redis-cli", &["-s", socket.to_str().unwrap(), "PING"], b"").await;
    assert_eq!(stdout(&ping.unwrap()), "PONG\n");
    for (args, stdin) in REDIS_CLI {
        let mut outputs = Vec::new();
        for target in [&redis.socket, &socket] {
            let mut all = vec!["-s", target.to_str().unwrap()];
            all.extend_from_slice(args);
            let output = run("redis-cli", &all, stdin.as_bytes()).await.unwrap();
            outputs.push((
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
            ));
        }
        assert_eq!(
            outputs[1], outputs[0],
            "redis-cli {args:?} <<< {stdin:?}: bus serve, then Redis"
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_redis_publishes_reads_with_a_group_and_acks() {
    const TEST: &str = "node_redis_publishes_reads_with_a_group_and_acks";
    let dir = clients_dir().join("node");
    if !dir.join("node_modules/redis").is_dir() {
        let install = "npm ci --prefix bus-server/tests/clients/node";
        return skip(TEST, &format!("node-redis is not installed ({install})"));
    }
    if let Err(reason) = run("node", &["--version"], b"").await {
        return skip(TEST, &reason);
    }
    let server = bus(ServerConfig::new()).await;
    let script = dir.join("client.mjs");
    let url = url(&server);
    let mut printed = Vec::new();
    for _ in 0..2 {
        let args = [script.to_str().unwrap(), &url, "chat:DevAgent"];
        let output = stdout(&run("node", &args, b"").await.unwrap());
        printed.push(serde_json::from_str::<serde_json::Value>(&output).unwrap());
    }
    for run in &printed {
        let expected = serde_json::json!({
            "entry_id": run["entry_id"],
            "id": run["id"],
            "read": [{"entry_id": run["entry_id"], "id": run["id"], "payload": {"content": "hello"}}],
            "acked": 1,
            "pending": 0,
        });
        assert_eq!(run, &expected);
    }
    let mut conn = Raw::tcp(&server).await;
    let entries = String::from_utf8(conn.cmd(&["XRANGE", "chat:DevAgent", "-", "+"]).await).unwrap();
    for run in &printed {
        let (entry, uuid) = (run["entry_id"].as_str().unwrap(), run["id"].as_str().unwrap());
        let fields = format!(
            "${}\r\n{entry}\r\n*4\r\n$2\r\nid\r\n$36\r\n{uuid}\r\n$7\r\npayload\r\n",
            entry.len()
        );
        assert!(entries.contains(&fields), "{fields:?} in {entries:?}");
    }
    server.shutdown().await;
}
