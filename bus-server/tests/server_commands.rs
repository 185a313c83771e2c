//! Server commands against a real Redis: COMMAND, CONFIG, INFO, FUNCTION FLUSH, DEBUG, MULTI/EXEC/DISCARD/WATCH.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use common::{PROTOCOLS, Pair, hello};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_info_matches_redis_for_every_command() {
    let Some(mut pair) = Pair::start("command_info_matches_redis").await else {
        return;
    };
    let simple = [
        "ping",
        "echo",
        "quit",
        "hello",
        "auth",
        "select",
        "info",
        "flushall",
        "flushdb",
        "dbsize",
        "del",
        "unlink",
        "exists",
        "type",
        "expire",
        "pexpire",
        "ttl",
        "pttl",
        "persist",
        "keys",
        "scan",
        "multi",
        "exec",
        "discard",
        "watch",
        "unwatch",
        "debug",
        "xadd",
        "xlen",
        "xrange",
        "xrevrange",
        "xdel",
        "xtrim",
        "rename",
        "renamenx",
        "time",
        "setex",
        "psetex",
        "expireat",
        "pexpireat",
        "expiretime",
        "pexpiretime",
        "set",
        "get",
        "incr",
        "append",
        "lpush",
        "rpush",
        "lpop",
        "rpop",
        "lrange",
        "llen",
        "sadd",
        "srem",
        "smembers",
        "scard",
        "sismember",
        "hset",
        "hget",
        "hgetall",
        "hlen",
        "hdel",
    ];
    let subcommands = [
        "client|id",
        "client|setname",
        "client|getname",
        "client|info",
        "client|list",
        "client|unblock",
        "client|help",
        "config|get",
        "config|set",
        "config|resetstat",
        "config|help",
        "command|count",
        "command|info",
        "command|docs",
        "function|flush",
    ];
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        for name in simple.iter().chain(subcommands.iter()) {
            pair.check(&["COMMAND", "INFO", name]).await;
        }
        pair.check(&["COMMAND", "INFO", "nosuch", "PING"]).await;
        pair.check(&["COMMAND", "DOCS", "nosuch"]).await;
        pair.check(&["COMMAND", "COUNT", "x"]).await;
        pair.check(&["COMMAND", "FOO"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_lists_and_documents_the_table() {
    let Some(server) = Some(common::bus(bus_server::ServerConfig::new()).await) else {
        return;
    };
    let mut conn = common::Raw::tcp(&server).await;
    let count = String::from_utf8(conn.cmd(&["COMMAND", "COUNT"]).await).unwrap();
    let count: usize = count.trim_start_matches(':').trim().parse().unwrap();
    let all = String::from_utf8(conn.cmd(&["COMMAND"]).await).unwrap();
    assert!(all.starts_with(&format!("*{count}\r\n")), "{}", &all[..20]);
    let docs = String::from_utf8(conn.cmd(&["COMMAND", "DOCS", "xadd", "client"]).await).unwrap();
    assert!(docs.starts_with("*4\r\n$4\r\nxadd\r\n"), "{docs}");
    assert!(docs.contains("$6\r\nstream\r\n") && docs.contains("client|setname"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_get_and_set() {
    let Some(mut pair) = Pair::start("config_get_and_set").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        for name in [
            "maxclients",
            "stream-node-max-entries",
            "stream-node-max-bytes",
            "databases",
            "appendonly",
            "save",
            "timeout",
            "maxmemory-policy",
            "proto-max-bulk-len",
            "client-query-buffer-limit",
            "enable-debug-command",
            "appendfsync",
            "tls-port",
            "nosuch",
        ] {
            pair.check(&["CONFIG", "GET", name]).await;
        }
        pair.script(&[
            &["CONFIG", "SET", "stream-node-max-entries", "10"],
            &["CONFIG", "GET", "stream-node-max-entries"],
            &["CONFIG", "SET", "stream-node-max-entries", "100"],
            &["CONFIG", "SET", "stream-node-max-bytes", "1kb"],
            &["CONFIG", "GET", "stream-node-max-bytes"],
            &["CONFIG", "SET", "stream-node-max-bytes", "0"],
            &["CONFIG", "SET", "foo", "1"],
            &["CONFIG", "SET", "maxclients", "abc"],
            &["CONFIG", "SET", "stream-node-max-entries", "-1"],
            &["CONFIG", "SET", "appendonly", "maybe"],
            &["CONFIG", "SET", "maxmemory-policy", "foo"],
            &["CONFIG", "SET", "databases", "3"],
            &["CONFIG", "SET", "maxclients"],
            &["CONFIG", "SET", "maxclients", "10", "hz"],
            &["CONFIG", "SET", "hz", "11", "hz", "12"],
            &["CONFIG", "SET", "hz", "20", "foo", "1"],
            &["CONFIG", "GET", "hz"],
            &["CONFIG", "SET", "hz", "20", "timeout", "5"],
            &["CONFIG", "GET", "hz"],
            &["CONFIG", "GET", "timeout"],
            &["CONFIG", "SET", "hz", "10", "timeout", "0"],
            &["CONFIG", "GET"],
            &["CONFIG", "RESETSTAT"],
            &["CONFIG", "RESETSTAT", "x"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_get_patterns() {
    let Some(mut pair) = Pair::start("config_get_patterns").await else {
        return;
    };
    let text = String::from_utf8(
        pair.bus_conn
            .cmd(&["CONFIG", "GET", "stream-node-*", "MAXCLIENTS"])
            .await,
    )
    .unwrap();
    assert!(text.starts_with("*6\r\n"), "{text}");
    for name in ["stream-node-max-entries", "stream-node-max-bytes", "maxclients"] {
        assert!(text.contains(name), "{name} in {text}");
    }
    let real = String::from_utf8(
        pair.redis_conn
            .cmd(&["CONFIG", "GET", "stream-node-*", "MAXCLIENTS"])
            .await,
    )
    .unwrap();
    assert!(real.starts_with("*6\r\n"), "{real}");
}

/// The `name:value` lines of an INFO reply, by section.
fn sections(reply: &[u8]) -> Vec<(String, Vec<String>)> {
    let text = String::from_utf8_lossy(reply).into_owned();
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.split("\r\n") {
        if let Some(title) = line.strip_prefix("# ") {
            sections.push((title.to_owned(), Vec::new()));
        } else if let (Some((name, _)), Some(section)) = (line.split_once(':'), sections.last_mut()) {
            section.1.push(name.to_owned());
        }
    }
    sections
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_sections_as_redis_formats_them() {
    let Some(mut pair) = Pair::start("info_sections").await else {
        return;
    };
    pair.script(&[
        &["INFO", "keyspace"],
        &["XADD", "s", "1-1", "f", "v"],
        &["SELECT", "3"],
        &["XADD", "t", "1-1", "f", "v"],
        &["XADD", "u", "1-1", "f", "v"],
        &["INFO", "nosuch"],
    ])
    .await;
    let keyspace = String::from_utf8(pair.bus_conn.cmd(&["INFO", "keyspace"]).await).unwrap();
    assert!(
        keyspace.contains("db0:keys=1,expires=0,avg_ttl=0\r\ndb3:keys=2,expires=0,avg_ttl=0\r\n"),
        "{keyspace}"
    );
    let expected = sections(&pair.redis_conn.cmd(&["INFO"]).await);
    let actual = sections(&pair.bus_conn.cmd(&["INFO"]).await);
    let titles = |s: &[(String, Vec<String>)]| s.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&actual), titles(&expected));
    for (title, fields) in &actual {
        let real = &expected.iter().find(|(t, _)| t == title).unwrap().1;
        if matches!(title.as_str(), "Clients" | "Keyspace") {
            assert_eq!(fields, real, "INFO {title}");
        }
        for field in fields.iter().filter(|f| *f != "bus_version") {
            assert!(
                real.contains(field) || title == "Keyspace",
                "{field} is not in Redis's {title}"
            );
        }
    }
    let clients = String::from_utf8(pair.bus_conn.cmd(&["INFO", "clients", "stats"]).await).unwrap();
    assert!(clients.starts_with('$') && clients.contains("# Clients\r\n") && clients.contains("\r\n\r\n# Stats\r\n"));
    assert!(clients.contains("blocked_clients:0\r\n") && clients.contains("connected_clients:1\r\n"));
    hello(&mut pair, "3").await;
    let verbatim = pair.bus_conn.cmd(&["INFO", "server"]).await;
    assert!(
        verbatim.starts_with(b"=")
            && String::from_utf8_lossy(&verbatim).contains("txt:# Server\r\nredis_version:7.0.15")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_flush_and_debug() {
    let Some(mut pair) = Pair::start("function_flush_and_debug").await else {
        return;
    };
    pair.script(&[
        &["FUNCTION", "FLUSH"],
        &["FUNCTION", "FLUSH", "async"],
        &["FUNCTION", "FLUSH", "x"],
        &["FUNCTION", "FLUSH", "sync", "x"],
        &["FUNCTION", "foo"],
        &["FUNCTION"],
        &["DEBUG", "help"],
        &["DEBUG", "sleep", "0"],
        &["DEBUG"],
        &["TIME", "x"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions() {
    let Some(mut pair) = Pair::start("transactions").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["EXEC"],
            &["DISCARD"],
            &["MULTI"],
            &["MULTI"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XLEN", "s"],
            &["WATCH", "s"],
            &["EXEC"],
            &["MULTI"],
            &["XADD", "s", "2-1", "f", "v"],
            &["NOSUCH"],
            &["XLEN", "s"],
            &["EXEC"],
            &["XLEN", "s"],
            &["MULTI"],
            &["XLEN"],
            &["EXEC"],
            &["MULTI"],
            &["XADD", "s", "3-1", "f", "v"],
            &["DISCARD"],
            &["XLEN", "s"],
            &["UNWATCH"],
            &["MULTI"],
            &["EXEC"],
            &["MULTI"],
            &["PING"],
            &["SELECT", "2"],
            &["XLEN", "s"],
            &["EXEC"],
            &["XLEN", "s"],
            &["DEL", "s"],
            &["SELECT", "0"],
            &["DEL", "s"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_is_atomic_with_respect_to_other_clients() {
    let server = common::bus(bus_server::ServerConfig::new()).await;
    let mut writer = common::Raw::tcp(&server).await;
    let mut reader = common::Raw::tcp(&server).await;
    writer.cmd(&["MULTI"]).await;
    for i in 1..=200 {
        writer.cmd(&["XADD", "s", &format!("{i}-0"), "f", "v"]).await;
    }
    // While EXEC runs, every XLEN sees none or all of the transaction's entries.
    let exec = tokio::spawn(async move { writer.cmd(&["EXEC"]).await });
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen.push(reader.cmd(&["XLEN", "s"]).await);
    }
    let reply = exec.await.unwrap();
    assert!(reply.starts_with(b"*200\r\n"));
    for len in seen {
        assert!(
            len == b":0\r\n" || len == b":200\r\n",
            "{}",
            String::from_utf8_lossy(&len)
        );
    }
    server.shutdown().await;
}
