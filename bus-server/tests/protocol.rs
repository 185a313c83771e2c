//! The protocol and the limits against a real Redis: malformed input gets Redis's error and the connection is
//! closed; inline commands; pipelining; unauthenticated limits; bulk, client and query buffer limits; the
//! loopback rule; the unix socket; shutdown.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use bus_server::{Server, ServerConfig, ServerError};
use common::{Pair, Raw, bus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_gets_the_error_then_the_connection_closes() {
    let cases: [&[u8]; 9] = [
        b"*x\r\n",
        b"*2147483648\r\n",
        b"*1\r\nx\r\n",
        b"*1\r\n$x\r\n",
        b"*1\r\n$-1\r\n",
        b"*1\r\n$536870913\r\n",
        b"PING \"a\r\n",
        b"PING 'a'b\r\n",
        b"*1\r\n$4\r\nPING\r\n*1\r\n:1\r\n",
    ];
    for input in cases {
        let Some(mut pair) = Pair::start("malformed_input").await else {
            return;
        };
        pair.check_raw(input).await;
        if input.starts_with(b"*1\r\n$4\r\nPING") {
            // The PONG came first; then the error of the second request.
            let expected = pair.redis_conn.reply().await;
            assert_eq!(pair.bus_conn.reply().await, expected);
            assert!(expected.starts_with(b"-ERR Protocol error: expected '$', got ':'"));
        }
        assert!(pair.redis_conn.closed().await);
        assert!(pair.bus_conn.closed().await, "{:?}", String::from_utf8_lossy(input));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_long_headers_and_inline_lines_are_refused() {
    for prefix in [&b""[..], b"*", b"*1\r\n$"] {
        let Some(mut pair) = Pair::start("too_long_headers").await else {
            return;
        };
        let mut input = prefix.to_vec();
        input.extend(std::iter::repeat_n(b'1', 70 * 1024));
        pair.check_raw(&input).await;
        assert!(pair.bus_conn.closed().await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_commands_and_quirks() {
    let Some(mut pair) = Pair::start("inline_commands").await else {
        return;
    };
    for input in [
        &b"PING\r\n"[..],
        b"ECHO \"a\\x41\\n\"\n",
        b"ECHO 'it\\'s'\r\n",
        b"\r\n\r\nPING\r\n",
        b"*-5\r\nPING\r\n",
        b"*0\r\nPING\r\n",
        b"*1\r\n$4\r\nPINGxx",
        b"XADD s 1-1 \"field one\" \"\"\r\n",
        b"XRANGE s - +\r\n",
    ] {
        pair.check_raw(input).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_replies_come_in_order() {
    let Some(mut pair) = Pair::start("pipelined_replies").await else {
        return;
    };
    let mut pipeline = Vec::new();
    for i in 1..=100 {
        let id = format!("{i}-1");
        pipeline.extend(common::encode(&[b"XADD", b"s", id.as_bytes(), b"f", b"v"]));
        pipeline.extend(common::encode(&[b"XLEN", b"s"]));
    }
    pipeline.extend(b"NOSUCH\r\nPING\r\n");
    pair.redis_conn.send(&pipeline).await;
    pair.bus_conn.send(&pipeline).await;
    for _ in 0..202 {
        let expected = pair.redis_conn.reply().await;
        assert_eq!(pair.bus_conn.reply().await, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_clients_are_limited() {
    for input in [&b"*11\r\n"[..], b"*10\r\n$16385\r\n"] {
        let Some(mut pair) = Pair::start_with(
            "unauthenticated_limits",
            ServerConfig::new().requirepass("pw"),
            &["--requirepass", "pw"],
        )
        .await
        else {
            return;
        };
        pair.check_raw(input).await;
        assert!(pair.bus_conn.closed().await);
    }
    // Authenticated, the same lengths are fine.
    let server = bus(ServerConfig::new().requirepass("pw")).await;
    let mut conn = Raw::tcp(&server).await;
    assert_eq!(conn.cmd(&["AUTH", "pw"]).await, b"+OK\r\n");
    let args: Vec<&str> = ["EXISTS"].into_iter().chain(std::iter::repeat_n("k", 11)).collect();
    assert_eq!(conn.cmd(&args).await, b":0\r\n");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_limit_is_proto_max_bulk_len() {
    let server = bus(ServerConfig::new().max_bulk_len(1024)).await;
    let mut conn = Raw::tcp(&server).await;
    conn.send(b"*2\r\n$4\r\nECHO\r\n$1025\r\n").await;
    assert_eq!(conn.reply().await, b"-ERR Protocol error: invalid bulk length\r\n");
    assert!(conn.closed().await);
    let mut conn = Raw::tcp(&server).await;
    let exactly = "x".repeat(1024);
    assert!(conn.cmd(&["ECHO", &exactly]).await.starts_with(b"$1024\r\n"));
    // CONFIG SET changes it for the next request.
    assert_eq!(
        conn.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "2mb"]).await,
        b"+OK\r\n"
    );
    assert!(conn.cmd(&["ECHO", &"y".repeat(4096)]).await.starts_with(b"$4096\r\n"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_clients_refuses_with_redis_error() {
    let server = bus(ServerConfig::new().max_clients(2)).await;
    let mut first = Raw::tcp(&server).await;
    let _second = Raw::tcp(&server).await;
    assert_eq!(first.cmd(&["PING"]).await, b"+PONG\r\n");
    let mut third = Raw::tcp(&server).await;
    assert_eq!(third.reply().await, b"-ERR max number of clients reached\r\n");
    assert!(third.closed().await);
    drop(first);
    // Once a client leaves there is room again.
    let mut again = None;
    for _ in 0..100 {
        let mut conn = Raw::tcp(&server).await;
        if conn.cmd(&["PING"]).await == b"+PONG\r\n" {
            again = Some(conn);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut again = again.expect("a slot frees when a client leaves");
    let info = String::from_utf8(again.cmd(&["INFO", "stats"]).await).unwrap();
    assert!(!info.contains("rejected_connections:0\r\n"), "{info}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_buffer_limit_disconnects_without_a_reply() {
    let server = bus(ServerConfig::new().query_buffer_limit(64 * 1024)).await;
    let mut conn = Raw::tcp(&server).await;
    // A bulk announced within proto-max-bulk-len, whose bytes outgrow the query buffer.
    conn.send(b"*2\r\n$4\r\nECHO\r\n$200000\r\n").await;
    conn.send(&vec![b'x'; 100 * 1024]).await;
    assert!(conn.closed().await);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_requests_are_dropped() {
    let server = bus(ServerConfig::new()).await;
    let mut conn = Raw::tcp(&server).await;
    conn.send(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(conn.closed().await);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_address_needs_a_password() {
    let any: std::net::SocketAddr = "0.0.0.0:0".parse().unwrap();
    let refused = Server::bind(ServerConfig::new().bind(any)).await.unwrap_err();
    assert!(matches!(refused, ServerError::Unprotected { .. }));
    assert!(refused.to_string().contains("no password is set"), "{refused}");
    let protected = Server::bind(ServerConfig::new().bind(any).requirepass("pw"))
        .await
        .unwrap();
    protected.shutdown().await;
    assert!(matches!(
        Server::bind(ServerConfig::new().no_tcp()).await.unwrap_err(),
        ServerError::NoListener
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_and_shutdown() {
    let dir = std::env::temp_dir().join(format!("bus-server-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bus.sock");
    std::fs::write(&path, b"stale").unwrap();
    let server = Server::bind(ServerConfig::new().no_tcp().unix_socket(&path))
        .await
        .unwrap();
    assert_eq!(server.local_addr(), None);
    assert_eq!(server.socket_path(), Some(path.as_path()));
    let mut conn = Raw::unix(&path).await;
    assert_eq!(conn.cmd(&["XADD", "s", "1-1", "f", "v"]).await, b"$3\r\n1-1\r\n");
    let info = String::from_utf8(conn.cmd(&["CLIENT", "INFO"]).await).unwrap();
    assert!(
        info.contains("flags=U") && info.contains(&format!("addr={}:0", path.display())),
        "{info}"
    );
    server.shutdown().await;
    assert!(conn.closed().await);
    assert!(!path.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_at_once() {
    let server = bus(ServerConfig::new()).await;
    let addr = server.local_addr().unwrap();
    let mut tasks = Vec::new();
    for client in 0..20 {
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (read, mut write) = stream.into_split();
            use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
            let mut lines = tokio::io::BufReader::new(read);
            for i in 1..=50 {
                let command = format!("XADD s{client} {i}-1 f v\r\n");
                write.write_all(command.as_bytes()).await.unwrap();
                let mut header = String::new();
                lines.read_line(&mut header).await.unwrap();
                let mut id = String::new();
                lines.read_line(&mut id).await.unwrap();
                assert_eq!(id, format!("{i}-1\r\n"));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut conn = Raw::tcp(&server).await;
    assert_eq!(conn.cmd(&["DBSIZE"]).await, b":20\r\n");
    server.shutdown().await;
}
