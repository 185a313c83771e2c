//! [`WorkerConfig`]: every knob of a [`Worker`](crate::Worker), with documented defaults.

use std::time::Duration;

use bus_core::{EntryId, GroupStart, Topic};

use crate::backoff::Backoff;

/// Settings of a [`Worker`](crate::Worker), built with chained setters from [`WorkerConfig::new`].
///
/// ```
/// use std::time::Duration;
/// use bus_runtime::{Backoff, WorkerConfig};
/// let config = WorkerConfig::new()
///     .concurrency(4)
///     .max_deliveries(3)
///     .retry_backoff(Backoff::new(Duration::from_millis(500), Duration::from_secs(30)))
///     .claim_idle(Duration::from_secs(120));
/// assert_eq!(config.keep_alive_interval, Some(Duration::from_secs(15)));
/// ```
///
/// Keep `keep_alive_interval` well below `claim_idle` (or a long handler's entry looks abandoned and another
/// worker takes it), and `retry_backoff.max` below `claim_idle` (or other workers retry a failed entry before its
/// owner's backoff is over).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// Handlers running at once; the worker reads only as many entries as it has free slots. Default 8 (0 is
    /// raised to 1).
    pub concurrency: usize,
    /// The longest a read blocks. A read never blocks past the next retry scan or autoclaim, so those run on
    /// time whatever this is. Default 1 s.
    pub read_block: Duration,
    /// Deliveries after which a still-failing entry is dead-lettered instead of retried. Default 5 (0 is raised
    /// to 1).
    pub max_deliveries: u64,
    /// Idle time a failed entry must reach before its next delivery: `initial * 2^(deliveries-1)`, capped.
    /// Default 1 s doubling up to 60 s.
    pub retry_backoff: Backoff,
    /// How often the worker scans its own pending entries for due retries. Default 1 s.
    pub retry_scan_interval: Duration,
    /// Idle time after which another consumer's pending entry counts as abandoned and is autoclaimed.
    /// Default 5 min.
    pub claim_idle: Duration,
    /// How often the worker autoclaims abandoned entries, deletes idle consumers (see
    /// `consumer_cleanup_idle`) and samples the pending/lag gauges. Default 30 s.
    pub claim_interval: Duration,
    /// How often a running handler's entry is claimed again (JUSTID, to this consumer) to reset its idle time;
    /// `None` disables the keep-alive. Default 15 s, a wide margin under the default `claim_idle` of 5 min.
    pub keep_alive_interval: Option<Duration>,
    /// How long a graceful shutdown waits for running handlers before abandoning them. Default 30 s.
    pub shutdown_timeout: Duration,
    /// Waits between attempts after retryable backend errors. Default 100 ms doubling up to 10 s.
    pub error_backoff: Backoff,
    /// Creates the group at this position when it does not exist (with the topic); `None` requires it to exist.
    /// Default `Some(GroupStart::Id(EntryId::MIN))`: a new group delivers the whole topic.
    pub create_group: Option<GroupStart>,
    /// Where dead letters go; `None` means [`dead_letter_topic`](crate::dead_letter_topic)
    /// (`dead:{topic}:{group}`). Default `None`.
    pub dead_letter_topic: Option<Topic>,
    /// Pending entries examined per retry scan. Default 100.
    pub scan_count: u64,
    /// Other consumers of the group idle at least this long and owning nothing are deleted (each with one atomic
    /// conditional delete, so an entry delivered to one meanwhile is never dropped with it), at every
    /// `claim_interval`; `None` keeps every consumer. Consumers that died owning entries lose them to autoclaim
    /// first and are deleted once empty. Default 1 hour.
    pub consumer_cleanup_idle: Option<Duration>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 8,
            read_block: Duration::from_secs(1),
            max_deliveries: 5,
            retry_backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
            retry_scan_interval: Duration::from_secs(1),
            claim_idle: Duration::from_secs(300),
            claim_interval: Duration::from_secs(30),
            keep_alive_interval: Some(Duration::from_secs(15)),
            shutdown_timeout: Duration::from_secs(30),
            error_backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(10)),
            create_group: Some(GroupStart::Id(EntryId::MIN)),
            dead_letter_topic: None,
            scan_count: 100,
            consumer_cleanup_idle: Some(Duration::from_secs(3600)),
        }
    }
}

impl WorkerConfig {
    /// The defaults.
    pub fn new() -> WorkerConfig {
        WorkerConfig::default()
    }

    /// Handlers running at once.
    pub fn concurrency(mut self, concurrency: usize) -> WorkerConfig {
        self.concurrency = concurrency;
        self
    }

    /// The longest a read blocks.
    pub fn read_block(mut self, block: Duration) -> WorkerConfig {
        self.read_block = block;
        self
    }

    /// Deliveries before dead-lettering.
    pub fn max_deliveries(mut self, max: u64) -> WorkerConfig {
        self.max_deliveries = max;
        self
    }

    /// Backoff between deliveries of a failed entry.
    pub fn retry_backoff(mut self, backoff: Backoff) -> WorkerConfig {
        self.retry_backoff = backoff;
        self
    }

    /// How often due retries are looked for.
    pub fn retry_scan_interval(mut self, interval: Duration) -> WorkerConfig {
        self.retry_scan_interval = interval;
        self
    }

    /// Idle time after which entries of other consumers are autoclaimed.
    pub fn claim_idle(mut self, idle: Duration) -> WorkerConfig {
        self.claim_idle = idle;
        self
    }

    /// How often autoclaim runs.
    pub fn claim_interval(mut self, interval: Duration) -> WorkerConfig {
        self.claim_interval = interval;
        self
    }

    /// Keep-alive period of running handlers (`None`: off).
    pub fn keep_alive_interval(mut self, interval: Option<Duration>) -> WorkerConfig {
        self.keep_alive_interval = interval;
        self
    }

    /// Grace period of a graceful shutdown.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> WorkerConfig {
        self.shutdown_timeout = timeout;
        self
    }

    /// Backoff after retryable backend errors.
    pub fn error_backoff(mut self, backoff: Backoff) -> WorkerConfig {
        self.error_backoff = backoff;
        self
    }

    /// Group creation at start (`None`: the group must exist).
    pub fn create_group(mut self, start: Option<GroupStart>) -> WorkerConfig {
        self.create_group = start;
        self
    }

    /// An explicit dead-letter topic.
    pub fn dead_letter_topic(mut self, topic: Topic) -> WorkerConfig {
        self.dead_letter_topic = Some(topic);
        self
    }

    /// Pending entries examined per retry scan.
    pub fn scan_count(mut self, count: u64) -> WorkerConfig {
        self.scan_count = count;
        self
    }

    /// Deletes other consumers idle this long and owning nothing (`None`: never).
    pub fn consumer_cleanup_idle(mut self, idle: Option<Duration>) -> WorkerConfig {
        self.consumer_cleanup_idle = idle;
        self
    }
}
