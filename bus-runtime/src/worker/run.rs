//! The state of one [`Worker::run`](super::Worker::run) and its main loop.
//!
//! The loop is the one place that decides what the worker does next: create its group when it owns it, wait
//! while paused, run the periodic passes that are due (see `maintenance`), read as many entries as there are
//! free slots, and at shutdown drain the running handlers. It also sorts errors: a vanished group is created
//! again, a retryable error is waited out with the backoff, any other one ends the run.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bus_core::options::MAX_REDIS_INTEGER;
use bus_core::{Consumer, EntryId, Error, PendingEntry, PendingQuery, RangeBound, Received, Result, Topic};
use tokio::sync::watch;
use tokio::task::{Id, JoinSet};
use tokio::time::{Instant, sleep, sleep_until};

use super::task::{Outcome, TaskCtx};
use super::{Worker, WorkerReport};
use crate::config::WorkerConfig;
use crate::handler::DynHandler;
use crate::observe::{self, GroupLabels};

enum Step {
    Continue,
    Shutdown,
}

/// The state of one `Worker::run`.
pub(super) struct Run {
    pub(super) ctx: Arc<TaskCtx>,
    pub(super) config: WorkerConfig,
    pub(super) dead_letter: Topic,
    pub(super) handler: DynHandler,
    pub(super) consumer: Consumer,
    pub(super) tasks: JoinSet<Outcome>,
    pub(super) task_entries: HashMap<Id, EntryId>,
    pub(super) in_flight: HashSet<EntryId>,
    /// The last error of entries awaiting a retry, for their dead letter.
    pub(super) failures: BTreeMap<EntryId, String>,
    /// Entries whose handler failed permanently, with their delivery count, to dead-letter at the next step.
    pub(super) permanent: Vec<(EntryId, u64)>,
    /// Set while a read may return a replay of this consumer's history (at start, after a failed read): the
    /// delivery counts of such a batch are looked up instead of assumed to be 1.
    pub(super) maybe_replay: bool,
    pub(super) group_ready: bool,
    pub(super) claim_cursor: EntryId,
    pub(super) report: WorkerReport,
    pub(super) pause: Option<watch::Receiver<bool>>,
}

impl Run {
    pub(super) fn new(worker: Worker, handler: DynHandler, dead_letter: Topic) -> Run {
        let Worker {
            bus,
            topic,
            group,
            consumer,
            mut config,
            pause,
        } = worker;
        config.concurrency = config.concurrency.max(1);
        config.max_deliveries = config.max_deliveries.max(1);
        config.read_block = config.read_block.max(Duration::from_millis(1));
        config.scan_count = config.scan_count.max(1);
        let labels = GroupLabels::new(&topic, &group);
        let group_consumer = bus.consumer(topic.clone(), group.clone(), consumer.clone());
        Run {
            ctx: Arc::new(TaskCtx {
                bus,
                topic,
                group,
                consumer,
                keep_alive: config.keep_alive_interval.filter(|d| !d.is_zero()),
                error_backoff: config.error_backoff,
                labels,
            }),
            group_ready: config.create_group.is_none(),
            config,
            dead_letter,
            handler,
            consumer: group_consumer,
            tasks: JoinSet::new(),
            task_entries: HashMap::new(),
            in_flight: HashSet::new(),
            failures: BTreeMap::new(),
            permanent: Vec::new(),
            maybe_replay: true,
            claim_cursor: EntryId::MIN,
            report: WorkerReport::default(),
            pause,
        }
    }

    pub(super) async fn main_loop(&mut self, mut shutdown: Pin<&mut (impl Future<Output = ()> + Send)>) -> Result<()> {
        let start = Instant::now();
        let mut next_retry = start + self.config.retry_scan_interval;
        let mut next_claim = start + self.config.claim_interval;
        let mut errors = 0u64;
        loop {
            while let Some(done) = self.tasks.try_join_next_with_id() {
                self.finished(done);
            }
            match self.step(shutdown.as_mut(), &mut next_retry, &mut next_claim).await {
                Ok(Step::Continue) => errors = 0,
                Ok(Step::Shutdown) => return Ok(()),
                // The topic was deleted or expired (a retention policy's idle TTL can expire an inbox that is
                // merely quiet), or the group destroyed: a worker that owns its group creates it again and goes on,
                // instead of stopping for good. Whatever the topic held is gone with it; nothing pending survives.
                Err(err) if self.config.create_group.is_some() && group_vanished(&err) => {
                    tracing::warn!(error = %err, "the worker's group is gone; creating it again");
                    self.ctx.labels.count(observe::GROUPS_RECREATED, 1);
                    self.group_ready = false;
                    errors = 0;
                }
                Err(err) if err.is_retryable() => {
                    errors = errors.saturating_add(1);
                    let delay = self.config.error_backoff.delay(errors);
                    tracing::warn!(error = %err, attempt = errors, ?delay, "worker backend error; retrying");
                    self.ctx.labels.count(observe::BACKEND_RETRIES, 1);
                    tokio::select! {
                        biased;
                        () = shutdown.as_mut() => return Ok(()),
                        () = sleep(delay) => {}
                    }
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// While paused: only let running handlers finish, until resumed or shut down.
    async fn wait_paused(
        &mut self,
        mut shutdown: Pin<&mut (impl Future<Output = ()> + Send)>,
        pause: &mut watch::Receiver<bool>,
    ) -> Step {
        tokio::select! {
            biased;
            () = shutdown.as_mut() => return Step::Shutdown,
            Some(done) = self.tasks.join_next_with_id() => self.finished(done),
            changed = pause.changed() => {
                if changed.is_err() {
                    // The controller is gone while paused: stay paused until shut down.
                    shutdown.as_mut().await;
                    return Step::Shutdown;
                }
            }
        }
        Step::Continue
    }

    pub(super) fn free_slots(&self) -> usize {
        self.config.concurrency.saturating_sub(self.tasks.len())
    }

    async fn step(
        &mut self,
        mut shutdown: Pin<&mut (impl Future<Output = ()> + Send)>,
        next_retry: &mut Instant,
        next_claim: &mut Instant,
    ) -> Result<Step> {
        if !self.group_ready {
            if let Some(start) = self.config.create_group {
                self.ctx
                    .bus
                    .ensure_group(&self.ctx.topic, &self.ctx.group, start)
                    .await?;
            }
            self.group_ready = true;
        }
        // Before the pause and the retry scan: a permanent failure is parked, never retried or left waiting.
        self.park_permanent().await?;
        if let Some(mut pause) = self.pause.take() {
            let paused = *pause.borrow_and_update();
            let step = if paused {
                Some(self.wait_paused(shutdown.as_mut(), &mut pause).await)
            } else {
                None
            };
            self.pause = Some(pause);
            if let Some(step) = step {
                return Ok(step);
            }
        }
        if Instant::now() >= *next_retry {
            self.retry_scan().await?;
            *next_retry = Instant::now() + self.config.retry_scan_interval;
        }
        if Instant::now() >= *next_claim {
            self.auto_claim().await?;
            self.remove_idle_consumers().await?;
            self.sample_gauges().await?;
            *next_claim = Instant::now() + self.config.claim_interval;
        }
        let next_due = (*next_retry).min(*next_claim);
        let free = self.free_slots();
        if free == 0 {
            tokio::select! {
                biased;
                () = shutdown.as_mut() => return Ok(Step::Shutdown),
                Some(done) = self.tasks.join_next_with_id() => self.finished(done),
                () = sleep_until(next_due) => {}
            }
            return Ok(Step::Continue);
        }
        let block = next_due
            .saturating_duration_since(Instant::now())
            .min(self.config.read_block)
            .max(Duration::from_millis(1));
        let count = u64::try_from(free).unwrap_or(u64::MAX);
        // Cancel-safe: a read dropped here (shutdown, pause) leaves its entries pending for this consumer.
        let (consumer, pause) = (&mut self.consumer, &mut self.pause);
        let paused = async {
            match pause {
                Some(pause) => drop(pause.wait_for(|paused| *paused).await),
                None => std::future::pending().await,
            }
        };
        let read = tokio::select! {
            biased;
            () = shutdown.as_mut() => return Ok(Step::Shutdown),
            () = paused => None,
            read = consumer.read(count, Some(block)) => Some(read),
        };
        let paused_now = self.pause.as_ref().is_some_and(|pause| *pause.borrow());
        let Some(read) = read.filter(|_| !paused_now) else {
            // Paused during the read: whatever it moved to this consumer is replayed after the resume.
            self.consumer.replay_pending();
            self.maybe_replay = true;
            return Ok(Step::Continue);
        };
        let received = read.inspect_err(|_| self.maybe_replay = true)?;
        self.handle_read(received).await?;
        Ok(Step::Continue)
    }

    async fn handle_read(&mut self, received: Vec<Received>) -> Result<()> {
        let (Some(first), Some(last)) = (received.first(), received.last()) else {
            // An empty answer means the consumer's history is exhausted and a `>` read timed out.
            self.maybe_replay = false;
            return Ok(());
        };
        let counts = if self.maybe_replay {
            let counts = self.delivery_counts(first.entry_id(), last.entry_id()).await?;
            // A `>` read delivers for the first time; a history replay has delivered each entry before.
            if received
                .iter()
                .all(|r| counts.get(&r.entry_id()).is_none_or(|&c| c <= 1))
            {
                self.maybe_replay = false;
            }
            counts
        } else {
            HashMap::new()
        };
        for item in received {
            let id = item.entry_id();
            if self.failures.contains_key(&id) && matches!(item, Received::Message { .. }) {
                // Only a history replay returns an entry that failed here before: leave it to the retry scan, so
                // its backoff holds.
                continue;
            }
            let count = counts.get(&id).copied().unwrap_or(1);
            self.accept(item, count).await?;
        }
        Ok(())
    }

    /// The delivery counts of this consumer's pending entries from `start` to `end`.
    pub(super) async fn delivery_counts(&self, start: EntryId, end: EntryId) -> Result<HashMap<EntryId, u64>> {
        let query = PendingQuery::new(
            RangeBound::Inclusive(start),
            RangeBound::Inclusive(end),
            MAX_REDIS_INTEGER,
        );
        let pending = self.own_pending(query).await?;
        Ok(pending.into_iter().map(|p| (p.id, p.delivery_count)).collect())
    }

    /// The pending entries `query` selects among this consumer's.
    pub(super) async fn own_pending(&self, query: PendingQuery) -> Result<Vec<PendingEntry>> {
        let query = query.consumer(self.ctx.consumer.clone());
        self.ctx
            .bus
            .backend()
            .pending(&self.ctx.topic, &self.ctx.group, &query)
            .await
    }

    /// Waits for running handlers up to the grace period, then aborts the rest (their entries stay pending).
    pub(super) async fn drain(&mut self) {
        let deadline = Instant::now() + self.config.shutdown_timeout;
        loop {
            tokio::select! {
                done = self.tasks.join_next_with_id() => match done {
                    Some(done) => self.finished(done),
                    None => return,
                },
                () = sleep_until(deadline) => break,
            }
        }
        let running = self.tasks.len();
        tracing::warn!(
            running,
            "shutdown grace period over; aborting running handlers (their entries stay pending)"
        );
        self.tasks.abort_all();
        while let Some(done) = self.tasks.join_next_with_id().await {
            self.finished(done);
        }
    }
}

/// Whether an error says the worker's topic or group no longer exists (as opposed to a failure to reach it).
fn group_vanished(err: &Error) -> bool {
    matches!(err, Error::TopicDeleted { .. } | Error::NoGroup { .. })
}
