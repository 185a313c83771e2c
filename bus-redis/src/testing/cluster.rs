//! A local Redis Cluster for tests: six `redis-server` processes (three masters, three replicas) on free
//! loopback ports, started once per test binary.
//!
//! [`TestCluster::shared`] starts it on first use and hands every later caller the same one: a cluster takes
//! seconds to form, so a test binary pays that once, and its tests keep apart by key prefix (as on the single
//! server). The nodes run with `cluster-node-timeout 1000` (a failover takes two to three seconds),
//! `cluster-require-full-coverage no` (a dead master stops only its own slots), `repl-diskless-sync-delay 0`
//! (a replica syncs at once), no persistence, and the stream node layout of bus-memory (as the single-server
//! harness). It is formed with `redis-cli --cluster create`, and ready once every node reports
//! `cluster_state:ok` over all 16384 slots and six known nodes, and every replica's link to its master is up.
//! A formation is given 20 s (it takes about two); one that stalls is torn down and made again on new ports,
//! up to three times.
//!
//! [`kill_master`](TestCluster::kill_master) SIGKILLs one master (a crash) and
//! [`restart`](TestCluster::restart) starts it again on its port and directory, where it rejoins as a replica
//! of whoever took over. The processes are stopped by PID: when the cluster is dropped, and, since a shared
//! cluster lives in a static that is never dropped, by a watchdog process (`sh`) that waits for the test
//! binary to exit, then kills exactly the PIDs it was given and removes the nodes' directories.
//!
//! `BUS_REDIS_CLUSTER_URL` (`redis+cluster://host:port[,host:port…]`) uses an existing cluster instead (which
//! cannot be killed or restarted). With no `redis-server` (or `redis-cli`) on `PATH` the caller gets `None`
//! after a loud SKIP line, or a failure under `BUS_REQUIRE_REDIS=1`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bus_core::Result;

use crate::{RedisBackend, RedisOptions};

/// How long healing the cluster (after a restart) may take before the harness gives up.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// How long one attempt at forming the cluster may take (it takes about two seconds).
const FORM_WITHIN: Duration = Duration::from_secs(20);

/// One node process.
#[derive(Debug)]
struct Node {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// A Redis Cluster reserved for a test binary.
#[derive(Debug)]
pub struct TestCluster {
    url: String,
    nodes: Mutex<Vec<Node>>,
    /// Key prefixes handed out by [`TestCluster::fresh_backend`].
    cases: std::sync::atomic::AtomicU64,
    /// The watchdog that kills the nodes when the test binary exits.
    watchdog: Mutex<Option<Child>>,
}

impl TestCluster {
    /// The test binary's cluster, started on the first call (or `BUS_REDIS_CLUSTER_URL`'s), or `None` after a
    /// loud SKIP line when there is none (a failure under `BUS_REQUIRE_REDIS=1`).
    pub fn shared(name: &str) -> Option<Arc<TestCluster>> {
        static SHARED: OnceLock<std::result::Result<Arc<TestCluster>, String>> = OnceLock::new();
        match SHARED.get_or_init(|| TestCluster::start().map(Arc::new)) {
            Ok(cluster) => Some(Arc::clone(cluster)),
            Err(reason) => super::unavailable(name, "no Redis Cluster", reason),
        }
    }

    /// Starts a private cluster (or uses `BUS_REDIS_CLUSTER_URL`); the error says why that failed.
    pub fn start() -> std::result::Result<TestCluster, String> {
        if let Ok(url) = std::env::var("BUS_REDIS_CLUSTER_URL") {
            return Ok(TestCluster {
                url,
                nodes: Mutex::new(Vec::new()),
                cases: std::sync::atomic::AtomicU64::new(0),
                watchdog: Mutex::new(None),
            });
        }
        let base = std::env::temp_dir().join(format!("bus-redis-cluster-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        // A formation can stall (a node that never learns of the others, seen once in many runs on this
        // machine); each attempt is bounded, and a stalled one is torn down and made again on new ports.
        let mut failures = Vec::new();
        for attempt in 0..3 {
            match Self::form(&base.join(format!("attempt{attempt}"))) {
                Ok(cluster) => return Ok(cluster),
                Err(reason) => failures.push(reason),
            }
        }
        Err(failures.join("; then "))
    }

    /// Starts six nodes with their directories under `base` and forms the cluster, within [`FORM_WITHIN`].
    fn form(base: &std::path::Path) -> std::result::Result<TestCluster, String> {
        let mut nodes = Vec::new();
        for (i, port) in free_ports(6)?.into_iter().enumerate() {
            let dir = base.join(format!("node{i}"));
            std::fs::create_dir_all(&dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
            nodes.push(Node {
                port,
                dir: dir.clone(),
                child: Some(spawn(port, &dir)?),
            });
        }
        let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
        let cluster = TestCluster {
            url: format!(
                "redis+cluster://{}",
                ports
                    .iter()
                    .map(|p| format!("127.0.0.1:{p}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            nodes: Mutex::new(nodes),
            cases: std::sync::atomic::AtomicU64::new(0),
            watchdog: Mutex::new(None),
        };
        // From here on, dropping `cluster` (on any error) stops the nodes and removes `base`.
        cluster.arm_watchdog()?;
        for port in &ports {
            wait_until(&format!("node {port} answering"), FORM_WITHIN, || ping(*port))?;
        }
        let mut create = Command::new("redis-cli");
        create.args(["--cluster", "create"]);
        for port in &ports {
            create.arg(format!("127.0.0.1:{port}"));
        }
        let mut child = create
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| format!("cannot run redis-cli from PATH: {err}"))?;
        let mut status = None;
        let waited = wait_until("redis-cli --cluster create", FORM_WITHIN, || {
            status = child.try_wait().ok().flatten();
            status.is_some()
        });
        if waited.is_err() {
            let _ = child.kill();
            let _ = child.wait();
        }
        waited?;
        if !status.is_some_and(|s| s.success()) {
            return Err(format!("redis-cli --cluster create failed ({status:?})"));
        }
        cluster.wait_healthy_within(FORM_WITHIN)?;
        Ok(cluster)
    }

    /// The `redis+cluster://` URL of all the nodes.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the harness started the nodes (and so can kill and restart them); false on
    /// `BUS_REDIS_CLUSTER_URL`.
    pub fn is_private(&self) -> bool {
        !self.lock().is_empty()
    }

    /// A backend on the cluster under a key prefix (`cluster<pid>:case<n>:`) no other call got.
    pub async fn fresh_backend(&self) -> Result<RedisBackend> {
        let case = self.cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let prefix = format!("cluster{}:case{case}:", std::process::id());
        RedisBackend::connect(&self.url, RedisOptions::new().key_prefix(prefix)).await
    }

    /// The ports of the masters, as the nodes report them now.
    pub fn masters(&self) -> std::result::Result<Vec<u16>, String> {
        let ports = self.running_ports();
        for port in ports {
            if let Ok(nodes) = cluster_nodes(port) {
                return Ok(nodes
                    .lines()
                    .filter(|line| line.contains("master") && !line.contains("fail"))
                    .filter_map(node_port)
                    .collect());
            }
        }
        Err("no node answers CLUSTER NODES".into())
    }

    /// The port of the master serving `key`'s slot now.
    pub fn master_of(&self, key: &str) -> std::result::Result<u16, String> {
        let port = *self.masters()?.first().ok_or("no master")?;
        let mut conn = connection(port).map_err(|err| err.to_string())?;
        let slot: i64 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut conn)
            .map_err(|err| err.to_string())?;
        let slots: Vec<redis::Value> = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query(&mut conn)
            .map_err(|err| err.to_string())?;
        for range in slots {
            let redis::Value::Array(parts) = range else { continue };
            let (Some(redis::Value::Int(start)), Some(redis::Value::Int(end)), Some(redis::Value::Array(master))) =
                (parts.first(), parts.get(1), parts.get(2))
            else {
                continue;
            };
            if (*start..=*end).contains(&slot)
                && let Some(redis::Value::Int(port)) = master.get(1)
            {
                return u16::try_from(*port).map_err(|err| err.to_string());
            }
        }
        Err(format!("no master serves slot {slot}"))
    }

    /// How many clients are blocked (in a blocking read) on the node at `port` now.
    pub fn blocked_clients(&self, port: u16) -> std::result::Result<u64, String> {
        let text = info(port, "INFO", Some("clients")).map_err(|err| err.to_string())?;
        text.lines()
            .find_map(|line| line.strip_prefix("blocked_clients:"))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| "INFO clients has no blocked_clients".into())
    }

    /// Kills a master (SIGKILL, as a crash) and returns its port, for [`restart`](Self::restart).
    pub fn kill_master(&self) -> std::result::Result<u16, String> {
        let port = *self.masters()?.first().ok_or("no master")?;
        self.kill(port)?;
        Ok(port)
    }

    /// Kills the node on `port` (SIGKILL) and waits for it to exit.
    pub fn kill(&self, port: u16) -> std::result::Result<(), String> {
        let mut nodes = self.lock();
        let node = nodes
            .iter_mut()
            .find(|n| n.port == port)
            .ok_or("not a node of this harness")?;
        let mut child = node.child.take().ok_or("node not running")?;
        child.kill().map_err(|err| format!("cannot kill node {port}: {err}"))?;
        child.wait().map_err(|err| format!("cannot reap node {port}: {err}"))?;
        Ok(())
    }

    /// Starts the node on `port` again (it rejoins as a replica) and waits until the cluster is healthy.
    pub fn restart(&self, port: u16) -> std::result::Result<(), String> {
        {
            let mut nodes = self.lock();
            let node = nodes
                .iter_mut()
                .find(|n| n.port == port)
                .ok_or("not a node of this harness")?;
            if node.child.is_none() {
                node.child = Some(spawn(port, &node.dir)?);
            }
        }
        self.arm_watchdog()?;
        self.wait_healthy()
    }

    /// Waits until every running node sees the cluster ok over all slots and all six nodes, and every
    /// replica's link is up.
    pub fn wait_healthy(&self) -> std::result::Result<(), String> {
        self.wait_healthy_within(READY_WITHIN)
    }

    fn wait_healthy_within(&self, within: Duration) -> std::result::Result<(), String> {
        let ports = self.running_ports();
        wait_until("cluster_state:ok on every node, replicas in sync", within, || {
            ports.iter().all(|port| {
                let ok = info(*port, "CLUSTER", None).is_ok_and(|text| {
                    text.contains("cluster_state:ok")
                        && text.contains("cluster_slots_ok:16384")
                        && text.contains("cluster_known_nodes:6")
                });
                let synced = info(*port, "INFO", Some("replication"))
                    .is_ok_and(|text| text.contains("role:master") || text.contains("master_link_status:up"));
                ok && synced
            })
        })
    }

    /// The ports of the nodes running now.
    fn running_ports(&self) -> Vec<u16> {
        self.lock()
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.port)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Node>> {
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// (Re)starts the watchdog with the PIDs running now: it kills them once this process is gone.
    fn arm_watchdog(&self) -> std::result::Result<(), String> {
        let pids: Vec<String> = self
            .lock()
            .iter()
            .filter_map(|n| n.child.as_ref().map(|c| c.id().to_string()))
            .collect();
        // The nodes' directories are `<base>/attempt<n>/node<i>`: the whole base goes.
        let base = self
            .lock()
            .first()
            .and_then(|n| n.dir.parent().and_then(std::path::Path::parent).map(PathBuf::from));
        let cleanup = base.map_or_else(String::new, |base| format!("; rm -rf '{}'", base.display()));
        let script = format!(
            "while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; kill -9 {pids} 2>/dev/null{cleanup}",
            parent = std::process::id(),
            pids = pids.join(" ")
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| format!("cannot start the watchdog (sh): {err}"))?;
        let previous = self
            .watchdog
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(watchdog);
        if let Some(mut previous) = previous {
            let _ = previous.kill();
            let _ = previous.wait();
        }
        Ok(())
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let base = self.lock().first().and_then(|n| n.dir.parent().map(PathBuf::from));
        for node in self.lock().iter_mut() {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if let Some(mut watchdog) = self.watchdog.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if let Some(base) = base {
            let _ = std::fs::remove_dir_all(&base);
            // The attempts' parent, once no attempt is left in it.
            if let Some(parent) = base.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

/// `count` free loopback ports whose cluster bus port (+10000) is free too.
fn free_ports(count: usize) -> std::result::Result<Vec<u16>, String> {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..200 {
        if ports.len() == count {
            break;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|err| err.to_string())?;
        let port = listener.local_addr().map_err(|err| err.to_string())?.port();
        let Some(bus_port) = port.checked_add(10_000) else {
            continue;
        };
        if let Ok(bus) = std::net::TcpListener::bind(("127.0.0.1", bus_port)) {
            ports.push(port);
            held.push((listener, bus));
        }
    }
    if ports.len() < count {
        return Err("could not find free ports for the cluster".into());
    }
    Ok(ports)
}

fn spawn(port: u16, dir: &std::path::Path) -> std::result::Result<Child, String> {
    let mut command = Command::new("redis-server");
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
        .args([
            "--cluster-node-timeout",
            "1000",
            "--cluster-require-full-coverage",
            "no",
        ])
        .args(["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"])
        .args(["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"])
        .args(["--stream-node-max-bytes", "0"])
        .arg("--dir")
        .arg(dir);
    super::spawn_logged(command, dir)
}

fn connection(port: u16) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
    client.get_connection_with_timeout(Duration::from_millis(500))
}

fn ping(port: u16) -> bool {
    connection(port).is_ok_and(|mut conn| redis::cmd("PING").query::<String>(&mut conn).is_ok())
}

/// `CLUSTER INFO` or `INFO <section>` of one node.
fn info(port: u16, command: &str, section: Option<&str>) -> redis::RedisResult<String> {
    let mut conn = connection(port)?;
    let mut cmd = redis::cmd(command);
    match section {
        Some(section) => cmd.arg(section),
        None => cmd.arg("INFO"),
    };
    cmd.query(&mut conn)
}

fn cluster_nodes(port: u16) -> redis::RedisResult<String> {
    redis::cmd("CLUSTER").arg("NODES").query(&mut connection(port)?)
}

/// The port of a `CLUSTER NODES` line (`<id> 127.0.0.1:7000@17000 …`).
fn node_port(line: &str) -> Option<u16> {
    let address = line.split_whitespace().nth(1)?;
    let host_port = address.split('@').next()?;
    host_port.rsplit(':').next()?.parse().ok()
}

fn wait_until(what: &str, within: Duration, mut ready: impl FnMut() -> bool) -> std::result::Result<(), String> {
    let started = Instant::now();
    while started.elapsed() < within {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("timed out after {within:?} waiting for {what}"))
}
