//! What every connection of one server shares: the databases, the clients, the users, the settings, the
//! statistics, and the lock that makes EXEC atomic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bus_core::Clock;
use bus_memory::MemoryBackend;
use tokio::sync::RwLock;

use crate::auth::Users;
use crate::clients::Clients;
use crate::config::ServerConfig;
use crate::settings::Settings;

/// The number of databases (`SELECT 0` to `SELECT 15`).
pub const DATABASES: usize = 16;

/// Counters of `INFO stats`.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) connections_received: AtomicU64,
    pub(crate) commands_processed: AtomicU64,
    pub(crate) rejected_connections: AtomicU64,
    pub(crate) error_replies: AtomicU64,
    /// Error replies by their code (the first word: `ERR`, `NOGROUP`, …), for `INFO errorstats`.
    pub(crate) error_codes: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// Per command (full name, `xgroup|create`), for `INFO commandstats`.
    pub(crate) commands: std::sync::Mutex<std::collections::BTreeMap<String, CommandStat>>,
}

/// One command's line of `INFO commandstats`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CommandStat {
    pub(crate) calls: u64,
    pub(crate) usec: u64,
    /// Refused before running (arity, authentication).
    pub(crate) rejected: u64,
    /// Ran and answered an error.
    pub(crate) failed: u64,
}

impl Stats {
    /// Counts an error reply (`total_error_replies`, and its code's `errorstat_<CODE>`).
    pub(crate) fn count_error(&self, text: &[u8]) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let code = text.split(|&b| b == b' ').next().unwrap_or_default();
        let code = String::from_utf8_lossy(code).into_owned();
        *self.error_codes_locked().entry(code).or_insert(0) += 1;
    }

    /// Counts a reply if it is an error.
    pub(crate) fn count_reply(&self, reply: &crate::resp::Reply) {
        if let crate::resp::Reply::Error(text) = reply {
            self.count_error(text);
        }
    }

    /// Records a command's run (`rejected`: refused before running; otherwise it ran for `usec` and `failed`
    /// or not).
    pub(crate) fn count_call(&self, name: &str, usec: u64, rejected: bool, failed: bool) {
        let mut commands = self.commands_locked();
        let stat = commands.entry(name.to_owned()).or_default();
        if rejected {
            stat.rejected += 1;
            return;
        }
        stat.calls += 1;
        stat.usec = stat.usec.saturating_add(usec);
        stat.failed += u64::from(failed);
    }

    /// The commands counted so far, by name.
    pub(crate) fn commands_locked(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, CommandStat>> {
        self.commands.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The error codes counted so far, by name.
    pub(crate) fn error_codes_locked(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, u64>> {
        self.error_codes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a command run (`total_commands_processed`).
    pub(crate) fn count_command(&self) {
        self.commands_processed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an accepted connection, or a refused one.
    pub(crate) fn count_connection(&self, accepted: bool) {
        let counter = if accepted {
            &self.connections_received
        } else {
            &self.rejected_connections
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Zeroes every counter (`CONFIG RESETSTAT`).
    pub(crate) fn reset(&self) {
        for counter in [
            &self.connections_received,
            &self.commands_processed,
            &self.rejected_connections,
            &self.error_replies,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        self.error_codes_locked().clear();
        self.commands_locked().clear();
    }

    /// A counter's value.
    pub(crate) fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The server's state.
#[derive(Debug)]
pub(crate) struct Shared {
    /// One memory backend per database, all on one clock.
    pub(crate) databases: Vec<MemoryBackend>,
    /// The databases' clock (key deadlines are computed on it).
    pub(crate) clock: Clock,
    /// Held shared by every command while it runs, exclusively by EXEC (and FLUSHALL/FLUSHDB), so a
    /// transaction is atomic with respect to other clients.
    pub(crate) exec_lock: RwLock<()>,
    pub(crate) clients: Clients,
    pub(crate) users: Users,
    pub(crate) settings: Settings,
    pub(crate) stats: Stats,
    pub(crate) started: Instant,
    /// 40 hex characters, new for every server, as Redis's `run_id`.
    pub(crate) run_id: String,
}

impl Shared {
    pub(crate) fn new(config: &ServerConfig) -> Shared {
        let clock = if config.controllable_clock {
            // Starts at the wall-clock time, so ids look like Redis's, then moves only by BUS.CLOCK ADVANCE.
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            Clock::manual(u64::try_from(now).unwrap_or(u64::MAX))
        } else {
            Clock::new()
        };
        Shared {
            databases: (0..DATABASES)
                .map(|_| MemoryBackend::with_clock(clock.clone()))
                .collect(),
            clock,
            exec_lock: RwLock::new(()),
            clients: Clients::new(),
            users: Users::new(config),
            settings: Settings::new(config),
            stats: Stats::default(),
            started: Instant::now(),
            run_id: run_id(),
        }
    }

    /// Gives every database the node layout of the settings (at start, and after CONFIG SET changed it).
    pub(crate) fn apply_node_layout(&self) -> bus_core::Result<()> {
        let layout = self.settings.node_layout();
        self.databases.iter().try_for_each(|db| db.set_node_layout(layout))
    }

    /// Whether the extension commands exist (`BUS.CLOCK`): only with the controllable clock.
    pub(crate) fn extensions(&self) -> bool {
        self.clock.is_manual()
    }

    /// Database `index` (checked by SELECT, so always in range; 0 otherwise).
    pub(crate) fn db(&self, index: usize) -> &MemoryBackend {
        let index = if index < self.databases.len() { index } else { 0 };
        &self.databases[index]
    }
}

/// A run id that differs between servers: hashed from the time and the process, as nothing here needs it to be
/// unpredictable.
fn run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut id = String::with_capacity(40);
    for part in 0..3u8 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_u8(part);
        id.push_str(&format!("{:016x}", hasher.finish()));
    }
    id.truncate(40);
    id
}
