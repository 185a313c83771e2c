//! The differential harness: the same commands sent to `bus serve` (in process) and to a private real
//! `redis-server` 7.0.15, their raw replies compared byte for byte (the real server is the expected value).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "each test file uses part of the helpers, which fail the test by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bus_server::{Server, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Whether a missing runtime must fail the test (`BUS_REQUIRE_REDIS=1`).
pub fn required() -> bool {
    std::env::var("BUS_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// Skips the test loudly, or fails it when runtimes are required.
pub fn skip(test: &str, reason: &str) {
    if required() {
        panic!("BUS_REQUIRE_REDIS=1 but {test} cannot run: {reason}");
    }
    eprintln!("\n**********\nSKIP {test}: {reason}\n**********\n");
}

/// A private redis-server on a unix socket in a temporary directory, killed on drop.
pub struct RealRedis {
    child: Child,
    dir: PathBuf,
    pub socket: PathBuf,
}

impl RealRedis {
    /// Starts one with these extra arguments (`["--requirepass", "pw"]`), or `None` after a loud SKIP.
    pub fn start(test: &str, extra: &[&str]) -> Option<RealRedis> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bus-server-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("redis.sock");
        let spawned = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(&socket)
            .arg("--dir")
            .arg(&dir)
            // Nodes of 100 entries whatever their size, as bus-memory lays them out.
            .args(["--stream-node-max-bytes", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(err) => {
                skip(test, &format!("cannot run redis-server: {err}"));
                return None;
            }
        };
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(RealRedis { child, dir, socket })
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server on a free loopback port.
pub async fn bus(config: ServerConfig) -> Server {
    Server::bind(config.port(0)).await.unwrap()
}

/// A connection that reads whole replies, raw.
pub struct Raw {
    reader: BufReader<Box<dyn AsyncRead + Unpin + Send>>,
    writer: Box<dyn AsyncWrite + Unpin + Send>,
}

impl Raw {
    pub async fn tcp(server: &Server) -> Raw {
        let stream = tokio::net::TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        let (read, write) = stream.into_split();
        Raw {
            reader: BufReader::new(Box::new(read)),
            writer: Box::new(write),
        }
    }

    pub async fn unix(path: &Path) -> Raw {
        // The socket file appears at bind(), a moment before the server listens.
        let mut attempts = 0;
        let stream = loop {
            match tokio::net::UnixStream::connect(path).await {
                Ok(stream) => break stream,
                Err(err) if attempts < 200 => {
                    attempts += 1;
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(err) => panic!("cannot connect to {}: {err}", path.display()),
            }
        };
        let (read, write) = stream.into_split();
        Raw {
            reader: BufReader::new(Box::new(read)),
            writer: Box::new(write),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    /// Sends a command as a multibulk.
    pub async fn send_command(&mut self, args: &[&[u8]]) {
        self.send(&encode(args)).await;
    }

    /// Sends a command and reads its reply.
    pub async fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_command(&args).await;
        self.reply().await
    }

    async fn line(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        loop {
            let byte = tokio::time::timeout(Duration::from_secs(10), self.reader.read_u8())
                .await
                .expect("timed out waiting for a reply")
                .expect("connection closed before a whole reply");
            line.push(byte);
            if line.ends_with(b"\r\n") {
                return line;
            }
        }
    }

    /// One whole reply, raw (RESP2 or RESP3).
    pub fn reply(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<u8>> + Send + '_>> {
        Box::pin(async move {
            let mut out = self.line().await;
            let number: i64 = std::str::from_utf8(&out[1..out.len() - 2])
                .unwrap_or("0")
                .parse()
                .unwrap_or(0);
            match out[0] {
                b'$' | b'=' | b'!' if number >= 0 => {
                    let mut body = vec![0u8; usize::try_from(number).unwrap() + 2];
                    self.reader.read_exact(&mut body).await.unwrap();
                    out.extend(body);
                }
                b'*' | b'~' | b'>' if number > 0 => {
                    for _ in 0..number {
                        out.extend(self.reply().await);
                    }
                }
                b'%' | b'|' if number > 0 => {
                    for _ in 0..number * 2 {
                        out.extend(self.reply().await);
                    }
                    if out[0] == b'|' {
                        out.extend(self.reply().await);
                    }
                }
                _ => {}
            }
            out
        })
    }

    /// Whether the server closed the connection (reads until then, within a few seconds).
    pub async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        // A reset (the server closed with our bytes unread) is a close too.
        tokio::time::timeout(Duration::from_secs(5), self.reader.read_to_end(&mut rest))
            .await
            .is_ok()
    }
}

/// A multibulk.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend(format!("${}\r\n", arg.len()).into_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// `bus serve` and a real Redis, side by side, with one connection to each.
pub struct Pair {
    pub server: Server,
    pub redis: RealRedis,
    pub bus_conn: Raw,
    pub redis_conn: Raw,
}

impl Pair {
    /// Both servers with default settings, or `None` (after a SKIP) without redis-server.
    pub async fn start(test: &str) -> Option<Pair> {
        Pair::start_with(test, ServerConfig::new(), &[]).await
    }

    /// Both servers, configured alike by the caller; both lay out stream nodes by 100 entries whatever their
    /// size (`stream-node-max-bytes 0`, as [`RealRedis::start`] starts Redis).
    pub async fn start_with(test: &str, config: ServerConfig, redis_args: &[&str]) -> Option<Pair> {
        let redis = RealRedis::start(test, redis_args)?;
        let server = bus(config.node_layout(bus_server::NodeLayout::HUNDRED_ENTRIES)).await;
        let bus_conn = Raw::tcp(&server).await;
        let redis_conn = Raw::unix(&redis.socket).await;
        Some(Pair {
            server,
            redis,
            bus_conn,
            redis_conn,
        })
    }

    /// New connections to both.
    pub async fn connect(&self) -> (Raw, Raw) {
        (Raw::tcp(&self.server).await, Raw::unix(&self.redis.socket).await)
    }

    /// Sends a command to both and asserts the raw replies are equal; returns the reply.
    pub async fn check(&mut self, args: &[&str]) -> Vec<u8> {
        let expected = self.redis_conn.cmd(args).await;
        let actual = self.bus_conn.cmd(args).await;
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "reply to {args:?} differs from Redis's"
        );
        actual
    }

    /// Checks every command in order.
    pub async fn script(&mut self, commands: &[&[&str]]) {
        for args in commands {
            self.check(args).await;
        }
    }

    /// Sends raw bytes to both and compares what comes back (one reply each) and whether both then close.
    pub async fn check_raw(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.redis_conn.send(bytes).await;
        self.bus_conn.send(bytes).await;
        let expected = self.redis_conn.reply().await;
        let actual = self.bus_conn.reply().await;
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "reply to {:?} differs from Redis's",
            String::from_utf8_lossy(bytes)
        );
        actual
    }
}

/// Both protocols: each script runs once as sent (RESP2) and once after `HELLO 3`.
pub const PROTOCOLS: [&str; 2] = ["2", "3"];

/// Switches both connections of a pair to a protocol, comparing HELLO's replies with the client id masked.
pub async fn hello(pair: &mut Pair, protocol: &str) {
    let expected = pair.redis_conn.cmd(&["HELLO", protocol]).await;
    let actual = pair.bus_conn.cmd(&["HELLO", protocol]).await;
    assert_eq!(mask_id(&actual), mask_id(&expected));
}

/// HELLO's reply with the value of `id` replaced.
pub fn mask_id(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply).into_owned();
    match text.find("$2\r\nid\r\n:") {
        Some(at) => {
            let start = at + "$2\r\nid\r\n:".len();
            let end = start + text[start..].find("\r\n").unwrap_or(0);
            format!("{}<id>{}", &text[..start], &text[end..])
        }
        None => text,
    }
}

/// The bulk strings of a reply, as a set (for replies in no particular order: KEYS, SCAN).
pub fn bulk_set(reply: Vec<u8>) -> std::collections::BTreeSet<String> {
    let text = String::from_utf8(reply).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    lines
        .windows(2)
        .filter(|pair| pair[0].starts_with('$'))
        .map(|pair| pair[1].to_owned())
        .collect()
}

/// Waits until INFO reports this many blocked clients.
pub async fn wait_blocked(conn: &mut Raw, count: usize) {
    for _ in 0..500 {
        let info = String::from_utf8(conn.cmd(&["INFO", "clients"]).await).unwrap();
        if info.contains(&format!("blocked_clients:{count}\r\n")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never saw {count} blocked clients");
}

impl Pair {
    /// Sends a blocking command on a reader of each server and waits until both servers count one blocked client.
    pub async fn block_both(&mut self, bus_reader: &mut Raw, redis_reader: &mut Raw, args: &[&[u8]]) {
        for reader in [bus_reader, redis_reader] {
            reader.send_command(args).await;
        }
        wait_blocked(&mut self.bus_conn, 1).await;
        wait_blocked(&mut self.redis_conn, 1).await;
    }
}

/// `XREAD BLOCK 0 STREAMS s $`.
pub const XREAD_S: &[&[u8]] = &[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"];

/// The id in a `CLIENT ID` reply.
pub fn client_id(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).trim_start_matches(':').trim().to_owned()
}
