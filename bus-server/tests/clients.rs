//! Real clients against `bus serve` (in process): redis-py (RESP2 and RESP3) and redis-cli (commands on its
//! command line and on stdin, and raw inline commands through `--pipe`), each compared with a real Redis where
//! the output is deterministic. Skipped loudly when the client is missing, unless `BUS_REQUIRE_REDIS=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use bus_server::ServerConfig;
use common::{RealRedis, bus, skip};

/// The seed's redis-py usage: publish with XADD, read back with XRANGE and XREAD, in both protocols.
const REDIS_PY: &str = r#"
import json, sys
import redis

port = int(sys.argv[1])
out = {}
for protocol in (2, 3):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True, protocol=protocol)
    assert r.ping() is True
    key = f"chat:py{protocol}"
    first = r.xadd(key, {"id": "8b7a6c1e-0000-4000-8000-000000000001", "payload": json.dumps({"content": "hi"})})
    second = r.xadd(key, {"id": "8b7a6c1e-0000-4000-8000-000000000002", "payload": json.dumps({"content": "yo"})})
    entries = r.xrange(key, "-", "+")
    assert [e[0] for e in entries] == [first, second], entries
    assert json.loads(entries[0][1]["payload"]) == {"content": "hi"}
    read = r.xread({key: "0"}, count=1)
    out[str(protocol)] = {
        "len": r.xlen(key),
        "fields": entries[1][1],
        "read": read if protocol == 2 else {k: v for k, v in read.items()},
        "type": r.type(key),
        "exists": r.exists(key, "nokey"),
        "info_version": r.info("server")["redis_version"],
        "name": (r.client_setname("py"), r.client_getname()),
    }
    try:
        r.execute_command("NOSUCH", "x")
        out[str(protocol)]["unknown"] = None
    except redis.ResponseError as err:
        out[str(protocol)]["unknown"] = str(err)
    pipe = r.pipeline(transaction=True)
    pipe.xadd(key, {"f": "v"}, id="9999999999999-1")
    pipe.xlen(key)
    out[str(protocol)]["transaction"] = pipe.execute()
    r.delete(key)
print(json.dumps(out))
"#;

fn python_has_redis() -> bool {
    Command::new("python3")
        .args(["-c", "import redis"])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_connects_publishes_and_reads() {
    if !python_has_redis() {
        skip(
            "redis_py_connects_publishes_and_reads",
            "python3 with the redis package (pip install redis)",
        );
        return;
    }
    let server = bus(ServerConfig::new()).await;
    let port = server.local_addr().unwrap().port().to_string();
    let output =
        tokio::task::spawn_blocking(move || Command::new("python3").args(["-c", REDIS_PY, &port]).output().unwrap())
            .await
            .unwrap();
    assert!(
        output.status.success(),
        "redis-py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for protocol in ["2", "3"] {
        let run = &result[protocol];
        assert_eq!(run["len"], 2, "{run}");
        assert_eq!(run["fields"]["id"], "8b7a6c1e-0000-4000-8000-000000000002");
        assert_eq!(run["type"], "stream");
        assert_eq!(run["exists"], 1);
        assert_eq!(run["info_version"], "7.0.15");
        assert_eq!(run["name"], serde_json::json!([true, "py"]));
        assert_eq!(
            run["unknown"],
            "unknown command 'NOSUCH', with args beginning with: 'x' "
        );
        assert_eq!(run["transaction"], serde_json::json!(["9999999999999-1", 3]));
    }
    let read = &result["2"]["read"];
    assert_eq!(read[0][0], "chat:py2", "{read}");
    assert_eq!(read[0][1].as_array().unwrap().len(), 1);
    let read = &result["3"]["read"];
    assert_eq!(read["chat:py3"][0].as_array().unwrap().len(), 1, "{read}");
    server.shutdown().await;
}

fn redis_cli(args: &[&str], stdin: Option<&[u8]>) -> Option<Output> {
    let mut child = Command::new("redis-cli")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cli_sees_what_it_sees_on_redis() {
    if redis_cli(&["--version"], None).is_none() {
        skip("redis_cli_sees_what_it_sees_on_redis", "redis-cli is not installed");
        return;
    }
    let Some(redis) = RealRedis::start("redis_cli_sees_what_it_sees_on_redis", &[]) else {
        return;
    };
    let server = bus(ServerConfig::new()).await;
    let port = server.local_addr().unwrap().port().to_string();
    let socket = redis.socket.display().to_string();
    let script = b"XADD s 1-1 name \"first entry\"\nXADD s 2-1 name second\nXRANGE s - +\nXLEN s\nNOSUCH a\nTYPE s\nHELLO 3\nXRANGE s - + COUNT 1\nCONFIG GET maxclients\n";
    let targets: [&[&str]; 2] = [&["-p", &port], &["-s", &socket]];
    let mut outputs = Vec::new();
    for target in targets {
        let (target, mode) = (target.to_vec(), ["--no-raw"]);
        let output = tokio::task::spawn_blocking({
            let target: Vec<String> = target.iter().map(|s| (*s).to_owned()).collect();
            move || {
                let mut args: Vec<&str> = target.iter().map(String::as_str).collect();
                args.extend(mode);
                let piped = redis_cli(&args, Some(script)).unwrap();
                args.extend(["XREVRANGE", "s", "+", "-"]);
                let single = redis_cli(&args, None).unwrap();
                (piped, single)
            }
        })
        .await
        .unwrap();
        outputs.push(output);
    }
    // The client id (in HELLO's reply) is the only line that may differ.
    let text = |output: &Output| {
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.lines()
            .filter(|line| !line.contains("\"id\" =>"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(text(&outputs[0].0), text(&outputs[1].0), "redis-cli on stdin");
    assert_eq!(text(&outputs[0].1), text(&outputs[1].1), "redis-cli with a command");
    assert!(text(&outputs[0].0).contains("first entry"));
    // Inline commands, sent raw through --pipe.
    let inline = b"XADD s 3-1 name \"third one\"\r\nPING\r\nXLEN s\r\n";
    let piped = tokio::task::spawn_blocking(move || redis_cli(&["-p", &port, "--pipe"], Some(inline)).unwrap())
        .await
        .unwrap();
    let report = text(&piped);
    assert!(report.contains("errors: 0, replies: 3"), "{report}");
    let mut conn = common::Raw::tcp(&server).await;
    assert_eq!(conn.cmd(&["XLEN", "s"]).await, b":3\r\n");
    server.shutdown().await;
}
