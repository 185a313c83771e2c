//! Connection commands against a real Redis: PING, ECHO, QUIT, HELLO, AUTH, SELECT, CLIENT, and the errors
//! every command shares (unknown command or subcommand, arity).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use bus_server::ServerConfig;
use common::{PROTOCOLS, Pair, hello, mask_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_echo_and_errors_in_both_protocols() {
    let Some(mut pair) = Pair::start("ping_echo_and_errors").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["PING"],
            &["ping", "hello"],
            &["PING", "a", "b"],
            &["ECHO", "x y"],
            &["ECHO"],
            &["ECHO", "a", "b"],
            &["NOSUCH"],
            &["nosuch", "a", "b c"],
            &["CLIENT", "NOSUCH", "x"],
            &["client"],
            &["CONFIG", "nosuch"],
            &["xadd", "s"],
            &["XLEN"],
            &["CLIENT", "SETINFO", "lib-name", "x"],
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_answers_like_redis() {
    let Some(mut pair) = Pair::start("hello_answers_like_redis").await else {
        return;
    };
    for args in [
        &["HELLO"][..],
        &["HELLO", "3"],
        &["HELLO", "2"],
        &["HELLO", "3", "SETNAME", "me"],
        &["HELLO", "3", "AUTH", "default", "anything"],
    ] {
        let expected = pair.redis_conn.cmd(args).await;
        let actual = pair.bus_conn.cmd(args).await;
        assert_eq!(mask_id(&actual), mask_id(&expected), "{args:?}");
    }
    pair.script(&[
        &["HELLO", "4"],
        &["HELLO", "x"],
        &["HELLO", "3", "AUTH", "a"],
        &["HELLO", "3", "FOO"],
        &["HELLO", "3", "SETNAME", "a b"],
        &["CLIENT", "GETNAME"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_replies_then_closes() {
    let Some(mut pair) = Pair::start("quit_replies_then_closes").await else {
        return;
    };
    pair.check(&["QUIT"]).await;
    assert!(pair.bus_conn.closed().await);
    assert!(pair.redis_conn.closed().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_checks_the_index() {
    let Some(mut pair) = Pair::start("select_checks_the_index").await else {
        return;
    };
    pair.script(&[
        &["SELECT", "9"],
        &["XADD", "s", "1-1", "a", "b"],
        &["SELECT", "0"],
        &["XLEN", "s"],
        &["SELECT", "9"],
        &["XLEN", "s"],
        &["SELECT", "16"],
        &["SELECT", "-1"],
        &["SELECT", "x"],
        &["SELECT", "4294967296"],
        &["SELECT", "15"],
        &["SELECT"],
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_subcommands() {
    let Some(mut pair) = Pair::start("client_subcommands").await else {
        return;
    };
    for protocol in PROTOCOLS {
        hello(&mut pair, protocol).await;
        pair.script(&[
            &["CLIENT", "GETNAME"],
            &["CLIENT", "SETNAME", "worker-1"],
            &["CLIENT", "GETNAME"],
            &["CLIENT", "SETNAME", "a b"],
            &["CLIENT", "SETNAME", "caf\u{e9}"],
            &["CLIENT", "SETNAME", ""],
            &["CLIENT", "GETNAME"],
            &["CLIENT", "SETNAME"],
            &["CLIENT", "GETNAME", "x"],
            &["CLIENT", "ID", "x"],
            &["CLIENT", "INFO", "x"],
            &["CLIENT", "UNBLOCK"],
            &["CLIENT", "UNBLOCK", "x"],
            &["CLIENT", "UNBLOCK", "1", "foo"],
            &["CLIENT", "UNBLOCK", "1", "2", "3"],
            &["CLIENT", "UNBLOCK", "999999"],
            &["CLIENT", "UNBLOCK", "999999", "ERROR"],
            &["CLIENT", "LIST", "TYPE", "foo"],
            &["CLIENT", "LIST", "ID", "x"],
            &["CLIENT", "LIST", "ID", "999999"],
            &["CLIENT", "LIST", "TYPE", "pubsub"],
            &["CLIENT", "LIST", "foo"],
            &["CLIENT", "LIST", "ID"],
        ])
        .await;
    }
}

/// The fields of a CLIENT INFO line, in order.
fn field_names(line: &str) -> Vec<String> {
    line.split_whitespace()
        .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.to_owned()))
        .collect()
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_info_and_list_describe_connections() {
    let Some(mut pair) = Pair::start("client_info_and_list").await else {
        return;
    };
    pair.check(&["CLIENT", "SETNAME", "me"]).await;
    pair.check(&["SELECT", "3"]).await;
    let expected = String::from_utf8(pair.redis_conn.cmd(&["CLIENT", "INFO"]).await).unwrap();
    let actual = String::from_utf8(pair.bus_conn.cmd(&["CLIENT", "INFO"]).await).unwrap();
    assert_eq!(field_names(&actual), field_names(&expected));
    for name in ["name", "db", "cmd", "user", "resp", "multi", "sub"] {
        assert_eq!(field(&actual, name), field(&expected, name), "{name}");
    }
    let id = String::from_utf8(pair.bus_conn.cmd(&["CLIENT", "ID"]).await).unwrap();
    let id = id.trim_start_matches(':').trim();
    assert_eq!(field(&actual, "id"), id);
    // Another connection shows in the list, with its own id, and ID filters.
    let (mut other, _) = pair.connect().await;
    other.cmd(&["CLIENT", "SETNAME", "other"]).await;
    let list = String::from_utf8(pair.bus_conn.cmd(&["CLIENT", "LIST"]).await).unwrap();
    assert_eq!(list.matches(" laddr=").count(), 2, "{list}");
    assert!(list.contains("name=other") && list.contains("name=me"));
    let only = String::from_utf8(pair.bus_conn.cmd(&["CLIENT", "LIST", "ID", id]).await).unwrap();
    assert!(only.contains("name=me") && !only.contains("name=other"), "{only}");
    // RESP3: a verbatim string.
    hello(&mut pair, "3").await;
    let verbatim = pair.bus_conn.cmd(&["CLIENT", "INFO"]).await;
    assert!(verbatim.starts_with(b"=") && String::from_utf8_lossy(&verbatim).contains("txt:id="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_with_requirepass_and_users() {
    let config = ServerConfig::new().requirepass("sekret").user("alice", "pw");
    let redis_args = [
        "--requirepass",
        "sekret",
        "--user",
        "alice",
        "on",
        ">pw",
        "~*",
        "&*",
        "+@all",
    ];
    let Some(mut pair) = Pair::start_with("auth_with_requirepass", config, &redis_args).await else {
        return;
    };
    pair.script(&[
        &["PING"],
        &["XLEN", "s"],
        &["NOSUCH"],
        &["DEBUG", "x"],
        &["CLIENT", "SETNAME"],
        &["MULTI"],
        &["HELLO", "3"],
        &["HELLO"],
        &["AUTH"],
        &["AUTH", "wrong"],
        &["AUTH", "alice", "wrong"],
        &["AUTH", "nobody", "pw"],
        &["AUTH", "a", "b", "c"],
        &["HELLO", "2", "AUTH", "default", "bad"],
        &["AUTH", "sekret"],
        &["PING"],
        &["AUTH", "alice", "pw"],
        &["PING"],
        &["AUTH", "wrong"],
        &["PING"],
    ])
    .await;
    let (mut bus, mut redis) = pair.connect().await;
    let args = ["HELLO", "3", "AUTH", "alice", "pw", "SETNAME", "a"];
    assert_eq!(mask_id(&bus.cmd(&args).await), mask_id(&redis.cmd(&args).await));
    assert_eq!(
        bus.cmd(&["CLIENT", "GETNAME"]).await,
        redis.cmd(&["CLIENT", "GETNAME"]).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_without_a_password() {
    let Some(mut pair) = Pair::start("auth_without_a_password").await else {
        return;
    };
    pair.script(&[
        &["AUTH", "x"],
        &["AUTH", "default", "anything"],
        &["AUTH", "nobody", "x"],
        &["PING"],
    ])
    .await;
}
