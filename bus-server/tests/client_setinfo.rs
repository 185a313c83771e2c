//! `CLIENT SETINFO`, which Redis 7.0.15 does not have: the server answers exactly as 7.0.15 does (an unknown
//! subcommand), and a client that sends it at connect time and ignores the error (redis-py 5 and later,
//! node-redis 4.7 and later) still connects. redis-py runs against `bus serve` and a real Redis alike; skipped
//! loudly without python3's `redis` package, unless `BUS_REQUIRE_REDIS=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use std::process::Command;

use bus_server::ServerConfig;
use common::{PROTOCOLS, Pair, RealRedis, bus, hello, skip};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_setinfo_is_an_unknown_subcommand_as_on_7_0_15() {
    let Some(mut pair) = Pair::start("client_setinfo_is_unknown").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["CLIENT", "SETINFO", "lib-name", "x"],
            &["CLIENT", "SETINFO", "LIB-VER", "1.2.3"],
            &["CLIENT", "setinfo"],
            &["MULTI"],
            &["CLIENT", "SETINFO", "lib-name", "x"],
            &["PING"],
            &["EXEC"],
            &["PING"],
        ])
        .await;
    }
}

/// Connects as redis-py does by default (it sends CLIENT SETINFO LIB-NAME and LIB-VER, ignoring their
/// errors), in both protocols, and reports what it could do and what the server counted.
const REDIS_PY: &str = r#"
import json, sys
import redis

out = {}
def connect(protocol):
    if sys.argv[1] == "tcp":
        return redis.Redis(host="127.0.0.1", port=int(sys.argv[2]), protocol=protocol, decode_responses=True)
    return redis.Redis(unix_socket_path=sys.argv[2], protocol=protocol, decode_responses=True)

for protocol in (2, 3):
    r = connect(protocol)
    r.config_resetstat()
    run = {"ping": r.ping(), "set": r.set("k", "v"), "get": r.get("k")}
    try:
        r.client_setinfo("lib-name", "mine")
        run["setinfo"] = "accepted"
    except redis.ResponseError as err:
        run["setinfo"] = str(err)
    run["errors"] = r.info("stats")["total_error_replies"]
    # A new connection: its CLIENT SETINFO at connect time fails, and it works all the same.
    fresh = connect(protocol)
    run["fresh"] = fresh.get("k")
    run["errors_after_connect"] = fresh.info("stats")["total_error_replies"]
    fresh.close()
    r.delete("k")
    r.close()
    out[str(protocol)] = run
print(json.dumps(out, sort_keys=True))
"#;

fn run_redis_py(target: &'static str, address: String) -> std::process::Output {
    Command::new("python3")
        .args(["-c", REDIS_PY, target, &address])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_py_connects_although_client_setinfo_fails() {
    let has_redis_py = Command::new("python3")
        .args(["-c", "import redis"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_redis_py {
        skip(
            "redis_py_connects_although_client_setinfo_fails",
            "python3 with the redis package (pip install redis)",
        );
        return;
    }
    let Some(redis) = RealRedis::start("redis_py_connects_although_client_setinfo_fails", &[]) else {
        return;
    };
    // Compared on unix sockets: over TCP, redis-py's RESP3 handshake sends one more command that 7.0.15 refuses
    // (on Redis as here), so the error counts depend on the transport; TCP is checked on its own.
    let bus_socket = std::env::temp_dir().join(format!("bus-server-setinfo-{}.sock", std::process::id()));
    let server = bus(ServerConfig::new().unix_socket(&bus_socket)).await;
    let port = server.local_addr().unwrap().port().to_string();
    let (bus_path, redis_path) = (bus_socket.display().to_string(), redis.socket.display().to_string());
    let bus_unix = tokio::task::spawn_blocking(move || run_redis_py("unix", bus_path))
        .await
        .unwrap();
    let redis_unix = tokio::task::spawn_blocking(move || run_redis_py("unix", redis_path))
        .await
        .unwrap();
    let bus_tcp = tokio::task::spawn_blocking(move || run_redis_py("tcp", port))
        .await
        .unwrap();
    for output in [&bus_unix, &redis_unix, &bus_tcp] {
        assert!(
            output.status.success(),
            "redis-py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        text(&bus_unix),
        text(&redis_unix),
        "redis-py sees the same on bus serve as on Redis 7.0.15"
    );
    for output in [&bus_unix, &bus_tcp] {
        let result: serde_json::Value = serde_json::from_str(&text(output)).unwrap();
        for protocol in ["2", "3"] {
            let run = &result[protocol];
            assert_eq!((&run["get"], &run["fresh"]), (&"v".into(), &"v".into()), "{result}");
            assert_eq!(run["setinfo"], "unknown subcommand 'SETINFO'. Try CLIENT HELP.");
            assert!(run["errors_after_connect"].as_u64().unwrap() >= 3, "{result}");
        }
    }
    server.shutdown().await;
}
