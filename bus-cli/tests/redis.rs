//! The `bus` binary end to end on Redis: the shell scenario, single commands across processes, `tail --follow`,
//! the shell surviving a server restart, and interop with a redis-py producer and consumer (the README's wire format).
//!
//! Each test starts a private `redis-server` (or uses `BUS_REDIS_URL`); without one it is skipped loudly, and
//! with `BUS_REQUIRE_REDIS=1` it fails instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test that calls them"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bus_redis::testing::TestRedis;
use common::{U1, bus, check_session, run, scenario};
use serde_json::{Value, json};

#[test]
fn a_shell_session_runs_the_whole_scenario_on_redis() {
    let Some(server) = TestRedis::start("a_shell_session_runs_the_whole_scenario_on_redis") else {
        return;
    };
    check_session(server.url(), &scenario(&format!("{}chat:1", server.prefix())));
}

#[test]
fn single_commands_share_the_server() {
    let Some(server) = TestRedis::start("single_commands_share_the_server") else {
        return;
    };
    let url = server.url();
    let t = format!("{}chat:2", server.prefix());
    let (code, lines) = run(url, &["publish", &t, r#"{"n":1}"#, "--id", U1]);
    assert_eq!(code, 0, "{lines:?}");
    let entry_id = lines[0]["entry_id"].as_str().unwrap().to_owned();
    assert_eq!(run(url, &["lookup", &t, U1]), (0, vec![json!(entry_id)]));
    let (code, lines) = run(url, &["publish", &t, r#"{"n":1}"#, "--id", U1]);
    assert_eq!((code, &lines[0]["duplicate"]), (0, &json!(true)));
    assert_eq!(run(url, &["len", &t]), (0, vec![json!(1)]));
    let (code, lines) = run(url, &["group-create", &t, "g", "$", "--entries-read", "x"]);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["error"]["kind"], "invalid_argument");
}

/// Lines of a child's stdout, as they come.
fn line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

fn next_json(lines: &mpsc::Receiver<String>, within: Duration) -> Value {
    let line = lines.recv_timeout(within).expect("a line of output in time");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}"))
}

#[test]
fn tail_follow_prints_one_line_per_entry() {
    let Some(server) = TestRedis::start("tail_follow_prints_one_line_per_entry") else {
        return;
    };
    let url = server.url();
    let t = format!("{}stream:1", server.prefix());
    for n in 1..=2 {
        let (code, _) = run(
            url,
            &[
                "publish",
                &t,
                &format!(r#"{{"n":{n}}}"#),
                "--entry-id",
                &format!("{n}-0"),
            ],
        );
        assert_eq!(code, 0);
    }
    let mut child = bus()
        .args(["--url", url, "tail", &t, "--count", "1", "--follow"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = line_reader(&mut child);
    let first = next_json(&lines, Duration::from_secs(10));
    assert_eq!(
        (&first["entry_id"], &first["payload"]),
        (&json!("2-0"), &json!({"n": 2}))
    );
    let (code, _) = run(url, &["append", &t, "foreign", "yes", "--entry-id", "3-0"]);
    assert_eq!(code, 0);
    let (code, _) = run(url, &["publish", &t, r#"{"n":4}"#, "--entry-id", "4-0"]);
    assert_eq!(code, 0);
    let third = next_json(&lines, Duration::from_secs(10));
    assert_eq!(third["entry_id"], "3-0");
    assert_eq!(third["malformed"], "missing field 'id'");
    let fourth = next_json(&lines, Duration::from_secs(10));
    assert_eq!(
        (&fourth["entry_id"], &fourth["payload"]),
        (&json!("4-0"), &json!({"n": 4}))
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// A redis-server of this test's own, on a unix socket it can be stopped and started again on.
struct OwnServer {
    dir: PathBuf,
    socket: PathBuf,
    child: Option<Child>,
}

impl OwnServer {
    /// `None` (after a loud SKIP) when there is no `redis-server`, unless `BUS_REQUIRE_REDIS=1`.
    fn start(name: &str) -> Option<OwnServer> {
        let dir = std::env::temp_dir().join(format!("bus-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = OwnServer {
            socket: dir.join("s.sock"),
            dir,
            child: None,
        };
        match server.up() {
            Ok(()) => Some(server),
            Err(reason) => {
                assert!(
                    std::env::var("BUS_REQUIRE_REDIS").map_or(true, |v| v != "1"),
                    "BUS_REQUIRE_REDIS=1 but no redis-server for {name}: {reason}"
                );
                let _ = writeln!(std::io::stderr(), "\n**********\nSKIP {name}: {reason}\n**********\n");
                None
            }
        }
    }

    fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    fn up(&mut self) -> Result<(), String> {
        let child = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(&self.socket)
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run redis-server from PATH: {e}"))?;
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if ping(&self.socket) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer within 10 s".into())
    }

    fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ping(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

#[test]
fn the_shell_survives_a_server_restart() {
    let Some(mut server) = OwnServer::start("restart") else {
        return;
    };
    let mut child = bus()
        .args(["--url", &server.url(), "shell"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let lines = line_reader(&mut child);
    let mut send = |line: &str| {
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        next_json(&lines, Duration::from_secs(30))
    };
    assert_eq!(send(r#"publish chat:r '{"n":1}' --entry-id 1-0"#)["entry_id"], "1-0");
    assert_eq!(send("len chat:r"), json!(1));

    server.down();
    for _ in 0..2 {
        let reply = send("len chat:r");
        let kind = reply["error"]["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("an error while down: {reply}"));
        assert!(matches!(kind, "connection" | "timeout" | "backend"), "{reply}");
    }
    assert_eq!(send("sleep 10"), json!(null));

    server.up().unwrap();
    // The backend reconnects by itself; the shell just keeps executing (a first command may still fail).
    let started = Instant::now();
    let published = loop {
        let reply = send(r#"publish chat:r '{"n":2}' --entry-id 2-0"#);
        if reply.get("error").is_none() {
            break reply;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no recovery after the restart: {reply}"
        );
        send("sleep 200");
    };
    assert_eq!(published["entry_id"], "2-0");
    // The new server started empty (no persistence).
    assert_eq!(send("len chat:r"), json!(1));
    drop(stdin);
    // Commands failed while the server was down, so the piped session reports failure.
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn tail_follow_reports_what_it_waits_out_as_json_on_stdout() {
    let Some(mut server) = OwnServer::start("follow-restart") else {
        return;
    };
    let url = server.url();
    let mut child = bus()
        .args(["--url", &url, "tail", "chat:f", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = line_reader(&mut child);
    // Once an entry published now is printed, the follow is connected and reading: take the server away.
    let (code, _) = run(&url, &["publish", "chat:f", r#"{"n":0}"#, "--entry-id", "1-0"]);
    assert_eq!(code, 0);
    assert_eq!(next_json(&lines, Duration::from_secs(30))["entry_id"], "1-0");
    server.down();
    let reply = next_json(&lines, Duration::from_secs(30));
    assert_eq!(reply["retrying"], json!(true), "{reply}");
    let error = reply["error"].as_object().unwrap();
    assert!(error["kind"].is_string() && error["message"].is_string(), "{reply}");
    server.up().unwrap();
    // Once the server is back, new entries are printed; error lines may come before them.
    let started = Instant::now();
    let entry = loop {
        let _ = run(&url, &["publish", "chat:f", r#"{"n":1}"#, "--entry-id", "5-0"]);
        let line = next_json(&lines, Duration::from_secs(30));
        if line.get("error").is_none() {
            break line;
        }
        assert_eq!(line["retrying"], json!(true), "{line}");
        assert!(started.elapsed() < Duration::from_secs(20), "no recovery: {line}");
    };
    assert_eq!(
        (&entry["entry_id"], &entry["payload"]),
        (&json!("5-0"), &json!({"n": 1}))
    );
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "nothing on stderr");
}

#[test]
fn block_values_redis_refuses_are_refused_on_redis_too() {
    let Some(server) = TestRedis::start("block_values_redis_refuses_are_refused_on_redis_too") else {
        return;
    };
    let t = format!("{}chat:block", server.prefix());
    let out_of_range =
        json!({"error": {"kind": "invalid_argument", "message": "ERR timeout is not an integer or out of range"}});
    for block in ["18446744073709551615", "9223372036854775808"] {
        assert_eq!(
            run(server.url(), &["read", &t, "$", "--block", block]),
            (1, vec![out_of_range.clone()])
        );
        assert_eq!(
            run(server.url(), &["read-group", "g", "c", &t, ">", "--block", block]),
            (1, vec![out_of_range.clone()])
        );
    }
}

#[test]
fn a_payload_from_stdin_reaches_redis_as_given() {
    let Some(server) = TestRedis::start("a_payload_from_stdin_reaches_redis_as_given") else {
        return;
    };
    let t = format!("{}chat:stdin", server.prefix());
    let big = format!(r#"{{"text":"{}"}}"#, "y".repeat(200_000));
    let mut child = bus()
        .args(["--url", server.url(), "publish", &t, "-", "--entry-id", "1-0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{big}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "no memory:// note on Redis"
    );
    // Stored as the text given, less the line end.
    let mut conn = server.raw().unwrap();
    let entries: Vec<(String, Vec<(String, String)>)> =
        redis::cmd("XRANGE").arg(&t).arg("-").arg("+").query(&mut conn).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].1[1], ("payload".to_owned(), big));
}

/// The redis-py example of the design notes (the README's "Topics and the wire format"), split in its producer half and its reader half (tail read, then group read and
/// ack), printing what it did as JSON.
const SEED_PY: &str = r#"
import json, sys, uuid, redis

url, topic, mode = sys.argv[1], sys.argv[2], sys.argv[3]
r = redis.Redis.from_url(url, decode_responses=True)

if mode == "produce":
    # Append with canonical UUID + JSON payload
    bus_id = str(uuid.uuid4())
    entry_id = r.xadd(topic, {"id": bus_id, "payload": json.dumps({"content": "hello"})})
    print(json.dumps({"entry_id": entry_id, "id": bus_id}))
else:
    # Tail read last 10 entries (no group)
    entries = r.xrevrange(topic, "+", "-", count=10) or []
    entries.reverse()
    tail = [{"entry_id": e, "id": f.get("id"), "payload": json.loads(f.get("payload", "{}"))} for e, f in entries]
    # Consumer group read + ack
    group, consumer = "g1", "c1"
    try:
        r.xgroup_create(topic, group, id="0", mkstream=True)
    except Exception as e:
        if "BUSYGROUP" not in str(e):
            raise
    resp = r.xreadgroup(groupname=group, consumername=consumer, streams={topic: ">"}, count=10, block=0)
    acked = []
    for _, items in (resp or []):
        for entry_id, fields in items:
            r.xack(topic, group, entry_id)
            acked.append(entry_id)
    print(json.dumps({"tail": tail, "acked": acked}))
"#;

/// python3 with the redis module, or why not.
fn python() -> Result<(), String> {
    let output = Command::new("python3")
        .args(["-c", "import redis"])
        .output()
        .map_err(|e| format!("no python3: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "python3 has no `redis` module (pip install redis): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn seed_py(url: &str, topic: &str, mode: &str) -> Value {
    // redis-py spells a unix socket URL `unix://`.
    let url = url.replacen("redis+unix://", "unix://", 1);
    let output = Command::new("python3")
        .args(["-c", SEED_PY, &url, topic, mode])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the redis-py snippet failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn redis_py_and_bus_read_each_others_entries() {
    let Some(server) = TestRedis::start("redis_py_and_bus_read_each_others_entries") else {
        return;
    };
    if let Err(reason) = python() {
        let _ = writeln!(
            std::io::stderr(),
            "\n**********\nSKIP redis_py_and_bus_read_each_others_entries: {reason}\n**********\n"
        );
        return;
    }
    let url = server.url();
    let t = format!("{}chat:example", server.prefix());

    // redis-py produces, bus reads.
    let produced = seed_py(url, &t, "produce");
    let (entry_id, uuid) = (produced["entry_id"].as_str().unwrap(), produced["id"].as_str().unwrap());
    let (code, lines) = run(url, &["range", &t, "-", "+"]);
    assert_eq!(code, 0);
    assert_eq!(
        lines[0],
        json!([{"entry_id": entry_id, "id": uuid, "payload": {"content": "hello"}}])
    );
    assert_eq!(run(url, &["lookup", &t, uuid]), (0, vec![json!(entry_id)]));
    let (_, lines) = run(url, &["publish", &t, r#"{"content":"again"}"#, "--id", uuid]);
    assert_eq!(
        (&lines[0]["entry_id"], &lines[0]["duplicate"]),
        (&json!(entry_id), &json!(true))
    );

    // bus publishes, redis-py reads (tail, then group read and ack).
    let (code, lines) = run(url, &["publish", &t, r#"{"content":"from bus","n":[1,2]}"#]);
    assert_eq!(code, 0);
    let published = lines[0].clone();
    let read = seed_py(url, &t, "read");
    assert_eq!(
        read["tail"],
        json!([
            {"entry_id": entry_id, "id": uuid, "payload": {"content": "hello"}},
            {"entry_id": published["entry_id"], "id": published["id"], "payload": {"content": "from bus", "n": [1, 2]}},
        ])
    );
    assert_eq!(read["acked"], json!([entry_id, published["entry_id"]]));
    // … and bus sees redis-py's group and acks.
    let (_, lines) = run(url, &["pending-summary", &t, "g1"]);
    assert_eq!(lines[0], json!({"count": 0, "min": null, "max": null, "consumers": {}}));
    let (_, lines) = run(url, &["groups-info", &t]);
    assert_eq!(lines[0][0]["entries_read"], 2);
}
