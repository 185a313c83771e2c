//! A Redis server for tests: this crate's, and any other crate's that runs Redis-backed tests (conformance).
//!
//! Tests must not need a Redis someone else set up, nor touch one someone else uses. So [`TestRedis::start`]
//! spawns a private `redis-server` found on `PATH` (no persistence, a temporary directory, a unix socket and
//! no TCP port, so parallel tests never race for a port) and kills it on drop. [`TestRedis::start_aof`] starts
//! one that persists every write (append-only file, fsync always), for tests across a server restart. When `BUS_REDIS_URL` is set it
//! uses that server instead, with a unique key prefix per test whose keys are deleted on drop.
//!
//! With no server available the test prints a loud `SKIP` line and returns, unless `BUS_REQUIRE_REDIS=1`, which
//! makes it fail (CI sets it, so a missing server can never pass silently).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bus_core::Result;

use crate::{RedisBackend, RedisOptions};

mod cluster;
pub use cluster::TestCluster;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A Redis server reserved for one test.
#[derive(Debug)]
pub struct TestRedis {
    url: String,
    prefix: String,
    child: Option<Child>,
    dir: Option<PathBuf>,
    /// Whether the private server persists every write to an append-only file (see [`TestRedis::start_aof`]).
    aof: bool,
    /// [`TestRedis::exact_node_trimming`], asked once.
    exact_nodes: std::sync::OnceLock<bool>,
    /// Key prefixes handed out by [`TestRedis::fresh_backend`].
    cases: AtomicU64,
}

impl TestRedis {
    /// A server for the test `name`, or `None` (after printing a loud SKIP line) when there is none.
    ///
    /// Fails the test instead of skipping when `BUS_REQUIRE_REDIS=1`.
    pub fn start(name: &str) -> Option<TestRedis> {
        match Self::try_start() {
            Ok(server) => Some(server),
            Err(reason) => unavailable(name, "no Redis server", &reason),
        }
    }

    /// Starts a private server, or uses `BUS_REDIS_URL`; the error says why neither worked.
    pub fn try_start() -> std::result::Result<TestRedis, String> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        if let Ok(url) = std::env::var("BUS_REDIS_URL") {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            return Ok(TestRedis {
                url,
                prefix: format!("bus-test:{}:{n}:{nanos}:", std::process::id()),
                child: None,
                dir: None,
                aof: false,
                exact_nodes: std::sync::OnceLock::new(),
                cases: AtomicU64::new(0),
            });
        }
        Self::try_start_private(false)
    }

    /// A private server that persists every write before answering (`--appendonly yes --appendfsync always`,
    /// in its temporary directory), so [`stop`](Self::stop) (a SIGKILL) followed by [`restart`](Self::restart)
    /// loses nothing it acknowledged: for tests across a Redis restart. Ignores `BUS_REDIS_URL` (a shared
    /// server can be neither killed nor restarted); `None` after a loud SKIP line when `redis-server` cannot be
    /// started (a failure instead under `BUS_REQUIRE_REDIS=1`).
    pub fn start_aof(name: &str) -> Option<TestRedis> {
        match Self::try_start_private(true) {
            Ok(server) => Some(server),
            Err(reason) => unavailable(name, "no private redis-server with persistence", &reason),
        }
    }

    /// Starts a private server (with the append-only file when `aof`), never using `BUS_REDIS_URL`.
    fn try_start_private(aof: bool) -> std::result::Result<TestRedis, String> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bus-redis-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        let socket = dir.join("redis.sock");
        let child = spawn(&dir, &socket, aof).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })?;
        let mut server = TestRedis {
            url: format!("redis+unix://{}", socket.display()),
            prefix: String::new(),
            child: Some(child),
            dir: Some(dir),
            aof,
            exact_nodes: std::sync::OnceLock::new(),
            cases: AtomicU64::new(0),
        };
        server.wait_ready(&socket)?;
        Ok(server)
    }

    fn wait_ready(&mut self, socket: &Path) -> std::result::Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "redis-server exited at start ({status}); see its log in {:?}",
                    self.dir
                ));
            }
            if socket.exists()
                && let Ok(client) = redis::Client::open(self.url.as_str())
                && let Ok(mut conn) = client.get_connection()
                && redis::cmd("PING").query::<String>(&mut conn).is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer within 10 s".into())
    }

    /// Whether this is a private server the harness started (and so can [`stop`](Self::stop),
    /// [`restart`](Self::restart), [`pause`](Self::pause) and [`resume`](Self::resume)); false on
    /// `BUS_REDIS_URL`.
    pub fn is_private(&self) -> bool {
        self.dir.is_some()
    }

    /// Kills the private server (SIGKILL, as a crash would) and waits for it to exit. Its socket path stays,
    /// so connecting is refused until [`restart`](Self::restart).
    pub fn stop(&mut self) -> std::result::Result<(), String> {
        let mut child = self.child.take().ok_or("no private server running")?;
        child.kill().map_err(|err| format!("cannot kill redis-server: {err}"))?;
        child.wait().map_err(|err| format!("cannot reap redis-server: {err}"))?;
        Ok(())
    }

    /// Starts the private server again on the same socket and directory and waits until it answers (and, with
    /// the append-only file, has loaded it). Empty unless it was started with [`start_aof`](Self::start_aof),
    /// which reloads every acknowledged write.
    pub fn restart(&mut self) -> std::result::Result<(), String> {
        if self.child.is_some() {
            self.stop()?;
        }
        let dir = self.dir.clone().ok_or("not a private server")?;
        let socket = dir.join("redis.sock");
        self.child = Some(spawn(&dir, &socket, self.aof)?);
        self.wait_ready(&socket)
    }

    /// Freezes the private server (SIGSTOP): connections stay open but nothing is answered.
    pub fn pause(&self) -> std::result::Result<(), String> {
        self.signal("-STOP")
    }

    /// Lets a [`pause`](Self::pause)d server run again (SIGCONT).
    pub fn resume(&self) -> std::result::Result<(), String> {
        self.signal("-CONT")
    }

    fn signal(&self, signal: &str) -> std::result::Result<(), String> {
        let child = self.child.as_ref().ok_or("no private server running")?;
        let status = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .map_err(|err| format!("cannot run kill: {err}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill {signal} {} failed: {status}", child.id()))
        }
    }

    /// The URL to connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The key prefix tests must use: empty on a private server, unique on a shared one.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A backend on this server with the test's key prefix.
    pub async fn backend(&self) -> Result<RedisBackend> {
        self.backend_with(RedisOptions::new()).await
    }

    /// A backend with these options; the test's key prefix is put in front of theirs.
    pub async fn backend_with(&self, options: RedisOptions) -> Result<RedisBackend> {
        let prefix = format!("{}{}", self.prefix, options.key_prefix);
        RedisBackend::connect(&self.url, options.key_prefix(prefix)).await
    }

    /// A backend under a key prefix (`case<n>:`) no other call on this server got, so tests sharing the server (the
    /// cases of a property, the checks of a suite) never see each other's keys.
    pub async fn fresh_backend(&self) -> Result<RedisBackend> {
        let case = self.cases.fetch_add(1, Ordering::Relaxed);
        self.backend_with(RedisOptions::new().key_prefix(format!("case{case}:")))
            .await
    }

    /// A plain synchronous connection, for tests that write like a foreign client (`redis-cli`).
    pub fn raw(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.url.as_str())?.get_connection()
    }

    /// Whether the server lays out stream nodes as bus-memory does (`stream-node-max-bytes 0` and
    /// `stream-node-max-entries 100`, true of every private server), so that approximate trims can be certified
    /// exactly (the conformance suite's `exact_node_trimming`). Asked of the server, so a `BUS_REDIS_URL` server
    /// counts only when it is configured so.
    pub fn exact_node_trimming(&self) -> bool {
        *self.exact_nodes.get_or_init(|| {
            let Ok(mut conn) = self.raw() else {
                return false;
            };
            let mut config = |name: &str| -> Option<String> {
                let pair: Vec<String> = redis::cmd("CONFIG").arg("GET").arg(name).query(&mut conn).ok()?;
                pair.into_iter().nth(1)
            };
            config("stream-node-max-bytes").as_deref() == Some("0")
                && config("stream-node-max-entries").as_deref() == Some("100")
        })
    }
}

/// A [`TestRedis`] started on first use and shared by everything that asks this value for it (the checks of one
/// test, the cases of a property), or `None` for all of them when there is no server (see [`TestRedis::start`]).
#[derive(Debug)]
pub struct LazyServer {
    name: &'static str,
    server: std::sync::OnceLock<Option<std::sync::Arc<TestRedis>>>,
}

impl LazyServer {
    /// A server for the test `name`, not started yet.
    pub const fn new(name: &'static str) -> LazyServer {
        LazyServer {
            name,
            server: std::sync::OnceLock::new(),
        }
    }

    /// The server, started now if this is the first call.
    pub fn get(&self) -> Option<std::sync::Arc<TestRedis>> {
        self.server
            .get_or_init(|| TestRedis::start(self.name).map(std::sync::Arc::new))
            .clone()
    }
}

/// `None` after a loud SKIP line saying `what` is missing and why, or a failure of the calling test under
/// `BUS_REQUIRE_REDIS=1` (CI sets it, so a missing server can never pass silently).
#[allow(
    clippy::panic,
    reason = "failing the calling test is this harness's job when Redis is required"
)]
pub(crate) fn unavailable<T>(name: &str, what: &str, reason: &str) -> Option<T> {
    if std::env::var("BUS_REQUIRE_REDIS").is_ok_and(|v| v == "1") {
        panic!("BUS_REQUIRE_REDIS=1 but {what} for test {name}: {reason}");
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n**********\nSKIP {name}: {what} ({reason}).\nInstall redis-server (Debian: apt-get install \
         redis-server) or set BUS_REDIS_URL / BUS_REDIS_CLUSTER_URL; set BUS_REQUIRE_REDIS=1 to fail instead.\n\
         **********\n"
    );
    None
}

fn spawn(dir: &Path, socket: &Path, aof: bool) -> std::result::Result<Child, String> {
    let mut command = Command::new("redis-server");
    command
        .arg("--save")
        .arg("")
        .arg("--appendonly")
        .arg(if aof { "yes" } else { "no" })
        .arg("--appendfsync")
        .arg(if aof { "always" } else { "everysec" })
        .arg("--dir")
        .arg(dir)
        .arg("--port")
        .arg("0")
        .arg("--unixsocket")
        .arg(socket)
        .arg("--unixsocketperm")
        .arg("700")
        .arg("--enable-debug-command")
        .arg("yes")
        // Nodes of exactly 100 entries whatever their size, as bus-memory lays them out, so approximate trims
        // (`~`) remove the same entries on both (see `TestRedis::exact_node_trimming`).
        .arg("--stream-node-max-bytes")
        .arg("0");
    spawn_logged(command, dir)
}

/// Runs a `redis-server` command line with its log in `dir` and no terminal I/O.
pub(crate) fn spawn_logged(mut command: Command, dir: &Path) -> std::result::Result<Child, String> {
    command
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| format!("cannot run redis-server from PATH: {err}"))
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if !self.prefix.is_empty() {
            let _ = delete_prefixed(&self.url, &self.prefix);
        }
    }
}

/// Deletes a test's keys on a shared server: `<prefix>*` and the index keys `{<prefix>*`.
fn delete_prefixed(url: &str, prefix: &str) -> redis::RedisResult<()> {
    let mut conn = redis::Client::open(url)?.get_connection()?;
    for pattern in [format!("{prefix}*"), format!("{{{prefix}*")] {
        let keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query(&mut conn)?;
        if !keys.is_empty() {
            redis::cmd("DEL").arg(&keys).query::<()>(&mut conn)?;
        }
    }
    Ok(())
}
