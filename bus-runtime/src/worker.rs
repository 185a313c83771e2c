//! [`Worker`]: runs an async handler over a consumer group with at-least-once delivery that survives crashes.
//!
//! At-least-once only holds if someone re-reads pending entries after a crash, takes over the entries of dead
//! consumers, retries failures without hot loops and parks poison messages. One [`Worker::run`] call does all of
//! it for one consumer of one group:
//!
//! - **Recovery first.** Reads go through the cancel-safe [`Consumer`], which starts by replaying this
//!   consumer's own pending entries (what a previous incarnation left unacknowledged) before new ones.
//! - **Bounded concurrency.** At most `concurrency` handlers run at once, each in its own task; a read asks for
//!   exactly as many entries as there are free slots, so nothing waits in a local queue.
//! - **Ack after success only.** A handler returning `Ok` gets its entry acknowledged; an `Err` or a panic (caught
//!   with `catch_unwind`) leaves the entry pending.
//! - **Retries driven by the server's state.** Every `retry_scan_interval` the worker lists its own pending
//!   entries with their idle time and delivery count (XPENDING … IDLE) and claims back (XCLAIM, with the backoff
//!   as min-idle so a concurrent claim wins cleanly) those idle for at least the backoff their delivery count
//!   calls for. Nothing is re-read in a loop, and the schedule survives a restart because it lives in the group.
//! - **Dead letters.** An entry that has been delivered `max_deliveries` times and failed again is published to the
//!   dead-letter topic (see [`crate::dead_letter`]) under its original UUID, then acknowledged; a malformed entry
//!   goes there on first sight, and a pending entry deleted from the stream is simply acknowledged.
//! - **Autoclaim.** Every `claim_interval` the worker takes over (XAUTOCLAIM) entries idle longer than
//!   `claim_idle`, i.e. entries of consumers that died, as many as it has free slots.
//! - **Idle-consumer cleanup.** At the same interval, right after the autoclaim, other consumers of the group
//!   idle at least `consumer_cleanup_idle` and owning nothing are deleted, each with
//!   [`Backend::consumer_delete_if_idle`](bus_core::Backend::consumer_delete_if_idle), which checks and deletes
//!   in one atomic step: a consumer that received an entry since it was listed is kept, so no entry is dropped
//!   with it. A consumer that died owning entries is deleted only once autoclaim has taken them all.
//! - **Keep-alive.** While a handler runs, its entry is claimed again with JUSTID by this consumer every
//!   `keep_alive_interval` (min-idle 0, so the delivery count is unchanged and only the idle time is reset): a
//!   handler running longer than `claim_idle` is not taken over by another worker.
//! - **Graceful shutdown.** When the shutdown future completes the worker stops reading and claiming, waits up to
//!   `shutdown_timeout` for running handlers (each acks its own entry when it succeeds), then aborts those still
//!   running. Their entries stay pending for this consumer: a restart with the same consumer name replays them
//!   first, and otherwise another worker autoclaims them after `claim_idle`.
//!
//! Delivery counts are the group's: a `>` read counts 1, and each replay, retry claim or autoclaim adds one. An
//! autoclaim can take this worker's own entry if it sat idle past `claim_idle` (the keep-alive is off or the
//! worker stalled); a running handler is not started twice for it, but its delivery count grows.
//!
//! Caveats, all bounded by at-least-once and handled with [`RecentUuids`](crate::RecentUuids) or an idempotent
//! handler: a handler may run again for an entry whose ack was lost (crash or error right after it succeeded);
//! if a worker stalls for longer than `claim_idle` (so its keep-alive did not run) another worker may take the
//! entry and both may run it, and the stalled worker's next keep-alive takes it back.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Display};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bus_core::options::MAX_REDIS_INTEGER;
use bus_core::{
    AutoClaimOptions, Bus, ClaimOptions, Claimed, Consumer, ConsumerDelete, Entry, EntryId, Error, Message,
    PendingEntry, PendingQuery, RangeBound, Received, Result, Topic,
};
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::{oneshot, watch};
use tokio::task::{Id, JoinError, JoinHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior, sleep, sleep_until};
use tracing::Instrument;

use crate::config::WorkerConfig;
use crate::dead_letter::{DeadLetter, DeadLetterReason, dead_letter_topic, malformed_uuid};
use crate::observe::{self, GroupLabels};

/// At most this many failure messages are remembered for dead letters; the oldest entries' are dropped first.
const MAX_REMEMBERED_FAILURES: usize = 10_000;
/// Attempts at acknowledging a successful entry before leaving it pending (it is then retried, a duplicate).
const ACK_ATTEMPTS: u64 = 5;

/// One message handed to a handler.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The topic read.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// The consumer (this worker).
    pub consumer: String,
    /// The entry id, which is acknowledged when the handler succeeds.
    pub entry_id: EntryId,
    /// The message; its UUID is the idempotency key.
    pub message: Message,
    /// How many times the entry has been delivered, this delivery included (1 the first time).
    pub delivery_count: u64,
}

/// What a worker did, returned when it stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerReport {
    /// Handler calls started.
    pub delivered: u64,
    /// Entries acknowledged after their handler succeeded.
    pub acked: u64,
    /// Handler calls that failed (error or panic).
    pub failed: u64,
    /// Failed entries claimed back for another delivery.
    pub retried: u64,
    /// Entries published to the dead-letter topic and acknowledged.
    pub dead_lettered: u64,
    /// Entries autoclaimed from idle consumers.
    pub claimed: u64,
    /// Handlers still running at the end of the shutdown grace period, aborted; their entries stay pending.
    pub abandoned: u64,
    /// Idle consumers owning nothing that cleanup deleted.
    pub consumers_removed: u64,
}

/// A worker for one consumer of one group; see the [module docs](self).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> bus_core::Result<()> {
/// use bus_runtime::{Delivery, Worker, WorkerConfig};
///
/// let bus = bus_memory::MemoryBackend::new().bus();
/// let topic = bus_core::Topic::chat_agent("DevAgent")?;
/// bus.publish(&topic, &serde_json::json!({"content": "hi"})).await?;
///
/// let worker = Worker::new(bus.clone(), topic.clone(), "agents", "agent-1", WorkerConfig::new());
/// let handle = worker.spawn(|delivery: Delivery| async move {
///     println!("{} says {}", delivery.message.id(), delivery.message.payload());
///     Ok::<(), std::convert::Infallible>(())
/// });
/// tokio::time::sleep(std::time::Duration::from_secs(2)).await;
/// let report = handle.shutdown().await?;
/// assert_eq!(report.acked, 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Worker {
    bus: Bus,
    topic: Topic,
    group: String,
    consumer: String,
    config: WorkerConfig,
    pause: Option<watch::Receiver<bool>>,
}

type DynHandler = Arc<dyn Fn(Delivery) -> BoxFuture<'static, std::result::Result<(), String>> + Send + Sync>;

impl Worker {
    /// A worker for consumer `consumer` of `group` on `topic`. Consumer names must be unique among the live
    /// workers of a group; reusing a dead worker's name makes the new one recover its pending entries first.
    pub fn new(
        bus: Bus,
        topic: Topic,
        group: impl Into<String>,
        consumer: impl Into<String>,
        config: WorkerConfig,
    ) -> Worker {
        Worker {
            bus,
            topic,
            group: group.into(),
            consumer: consumer.into(),
            config,
            pause: None,
        }
    }

    /// Pauses the worker while `paused` holds `true`: it reads, retries and claims nothing (new entries stay
    /// unread, failed ones pending), lets running handlers finish, and resumes where it stopped when the value
    /// turns `false`. Used by [`Agent`](crate::Agent) for pause/resume control messages.
    ///
    /// A blocking read in progress when the pause arrives is abandoned and replayed after the resume. On a
    /// server backend the abandoned read can still receive one batch before the server releases it; those
    /// entries are pending for this consumer and are handled after the resume (or, if this replica stops
    /// first, when it restarts under the same name, or by another worker's autoclaim after `claim_idle`).
    pub fn paused_by(mut self, paused: watch::Receiver<bool>) -> Worker {
        self.pause = Some(paused);
        self
    }

    /// Runs `handler` over the group until `shutdown` completes, then shuts down gracefully (see the module docs)
    /// and returns what it did. Returns an error only for a non-retryable backend error (missing group, invalid
    /// dead-letter topic name, …), after the same graceful drain; retryable errors are waited out with
    /// `error_backoff`.
    ///
    /// Dropping this future is a crash: running handlers are aborted and nothing more is acknowledged; every
    /// unacknowledged entry stays pending and is recovered as described in the module docs.
    pub async fn run<H, Fut, E>(self, handler: H, shutdown: impl Future<Output = ()> + Send) -> Result<WorkerReport>
    where
        H: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let handler: DynHandler = Arc::new(move |delivery| {
            let work = handler(delivery);
            async move { work.await.map_err(|err| err.to_string()) }.boxed()
        });
        let dead_letter = match &self.config.dead_letter_topic {
            Some(topic) => topic.clone(),
            None => dead_letter_topic(&self.topic, &self.group)?,
        };
        let mut shutdown = std::pin::pin!(shutdown);
        let mut run = Run::new(self, handler, dead_letter);
        let outcome = run.main_loop(shutdown.as_mut()).await;
        run.drain().await;
        if let Err(err) = &outcome {
            tracing::error!(error = %err, topic = %run.ctx.topic, group = %run.ctx.group, "worker stopped on an error");
        }
        outcome.map(|()| run.report)
    }

    /// Runs the worker in a new tokio task; the handle shuts it down gracefully or aborts it. Dropping the handle
    /// without calling either also shuts the worker down gracefully.
    pub fn spawn<H, Fut, E>(self, handler: H) -> WorkerHandle
    where
        H: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run(handler, async move {
            // A dropped sender means the handle was dropped: stop as well.
            let _ = stopped.await;
        }));
        WorkerHandle { stop: Some(stop), task }
    }
}

/// A worker running in its own task.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<WorkerReport>>,
}

impl WorkerHandle {
    /// Asks the worker to stop gracefully and waits for its report.
    pub async fn shutdown(mut self) -> Result<WorkerReport> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.map_err(|err| Error::Backend {
            message: format!("worker task failed: {err}"),
            retryable: false,
        })?
    }

    /// Kills the worker at once, like a crash: running handlers are aborted and nothing more is acknowledged.
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the worker task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// What a delivery task reports to the worker.
enum Outcome {
    Acked,
    Failed(String),
    /// The ack failed (already logged): the entry stays pending and is delivered again.
    AckFailed,
}

/// What delivery tasks need, shared.
struct TaskCtx {
    bus: Bus,
    topic: Topic,
    group: String,
    consumer: String,
    keep_alive: Option<Duration>,
    error_backoff: crate::Backoff,
    labels: GroupLabels,
}

impl fmt::Debug for TaskCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskCtx")
            .field("topic", &self.topic)
            .field("group", &self.group)
            .field("consumer", &self.consumer)
            .finish_non_exhaustive()
    }
}

impl TaskCtx {
    /// Claims the entry again for this consumer, which resets its idle time without counting a delivery.
    async fn keep_alive(&self, entry_id: EntryId) {
        let options = ClaimOptions::new().just_id();
        let claimed = self
            .bus
            .backend()
            .claim(
                &self.topic,
                &self.group,
                &self.consumer,
                Duration::ZERO,
                &[entry_id],
                &options,
            )
            .await;
        match claimed {
            Ok(claimed) if claimed.is_empty() => {
                tracing::debug!("keep-alive: the entry is no longer pending (acknowledged or deleted elsewhere)");
            }
            Ok(_) => tracing::trace!("keep-alive: idle time reset"),
            Err(err) => tracing::warn!(error = %err, "keep-alive claim failed"),
        }
    }

    async fn ack(&self, entry_id: EntryId) -> Outcome {
        let mut attempt = 0;
        loop {
            match self.bus.backend().ack(&self.topic, &self.group, &[entry_id]).await {
                Ok(_) => {
                    self.labels.count(observe::ACKED, 1);
                    return Outcome::Acked;
                }
                Err(err) if err.is_retryable() && attempt + 1 < ACK_ATTEMPTS => {
                    attempt += 1;
                    sleep(self.error_backoff.delay(attempt)).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "ack failed; the entry stays pending and will be delivered again");
                    return Outcome::AckFailed;
                }
            }
        }
    }
}

async fn run_delivery(ctx: Arc<TaskCtx>, handler: DynHandler, delivery: Delivery) -> Outcome {
    let span = tracing::info_span!(
        "bus.delivery",
        topic = %delivery.topic,
        group = %delivery.group,
        consumer = %delivery.consumer,
        entry_id = %delivery.entry_id,
        uuid = %delivery.message.id(),
        delivery_count = delivery.delivery_count,
    );
    async move {
        let entry_id = delivery.entry_id;
        // The call itself runs inside the guarded future, so a handler that panics before returning its
        // future is caught too.
        let work = AssertUnwindSafe(async move { handler(delivery).await }).catch_unwind();
        let mut work = std::pin::pin!(work);
        let result = match ctx.keep_alive {
            None => work.await,
            Some(period) => {
                let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
                ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        result = &mut work => break result,
                        _ = ticker.tick() => ctx.keep_alive(entry_id).await,
                    }
                }
            }
        };
        match result {
            Ok(Ok(())) => ctx.ack(entry_id).await,
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "handler failed; the entry stays pending for a retry");
                Outcome::Failed(err)
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_owned());
                tracing::warn!(panic = %message, "handler panicked; the entry stays pending for a retry");
                Outcome::Failed(format!("handler panicked: {message}"))
            }
        }
    }
    .instrument(span)
    .await
}

enum Step {
    Continue,
    Shutdown,
}

/// The state of one `Worker::run`.
struct Run {
    ctx: Arc<TaskCtx>,
    config: WorkerConfig,
    dead_letter: Topic,
    handler: DynHandler,
    consumer: Consumer,
    tasks: JoinSet<Outcome>,
    task_entries: HashMap<Id, EntryId>,
    in_flight: HashSet<EntryId>,
    /// The last error of entries awaiting a retry, for their dead letter.
    failures: BTreeMap<EntryId, String>,
    /// Set while a read may return a replay of this consumer's history (at start, after a failed read): the
    /// delivery counts of such a batch are looked up instead of assumed to be 1.
    maybe_replay: bool,
    group_ready: bool,
    claim_cursor: EntryId,
    report: WorkerReport,
    pause: Option<watch::Receiver<bool>>,
}

impl Run {
    fn new(worker: Worker, handler: DynHandler, dead_letter: Topic) -> Run {
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
            maybe_replay: true,
            claim_cursor: EntryId::MIN,
            report: WorkerReport::default(),
            pause,
        }
    }

    async fn main_loop(&mut self, mut shutdown: Pin<&mut (impl Future<Output = ()> + Send)>) -> Result<()> {
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

    fn free_slots(&self) -> usize {
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
    async fn delivery_counts(&self, start: EntryId, end: EntryId) -> Result<HashMap<EntryId, u64>> {
        let query = PendingQuery::new(
            RangeBound::Inclusive(start),
            RangeBound::Inclusive(end),
            MAX_REDIS_INTEGER,
        )
        .consumer(self.ctx.consumer.clone());
        let pending = self
            .ctx
            .bus
            .backend()
            .pending(&self.ctx.topic, &self.ctx.group, &query)
            .await?;
        Ok(pending.into_iter().map(|p| (p.id, p.delivery_count)).collect())
    }

    /// Routes one delivered entry: to a handler, to the dead-letter topic, or straight to an ack.
    async fn accept(&mut self, item: Received, delivery_count: u64) -> Result<()> {
        match item {
            Received::Message { entry_id, message } => {
                if self.in_flight.contains(&entry_id) {
                    // A history replay of an entry whose handler is still running.
                    return Ok(());
                }
                if delivery_count > self.config.max_deliveries {
                    let last_error = self.failures.get(&entry_id).cloned();
                    let letter = self.letter_for_message(entry_id, &message, last_error, delivery_count)?;
                    return self.park(entry_id, message.id(), letter).await;
                }
                self.dispatch(entry_id, message, delivery_count);
                Ok(())
            }
            Received::Malformed {
                entry_id,
                fields,
                reason,
            } => {
                let letter = DeadLetter {
                    reason: DeadLetterReason::Malformed,
                    topic: self.ctx.topic.to_string(),
                    group: self.ctx.group.clone(),
                    entry_id,
                    uuid: None,
                    payload: None,
                    fields: Some(DeadLetter::lossy_fields(&fields)),
                    last_error: Some(reason.to_string()),
                    delivery_count,
                };
                let uuid = malformed_uuid(&self.ctx.topic, &self.ctx.group, entry_id);
                self.park(entry_id, uuid, letter).await
            }
            Received::Deleted { entry_id } => {
                tracing::debug!(%entry_id, "pending entry was deleted from the topic; acknowledging it");
                self.ctx
                    .bus
                    .backend()
                    .ack(&self.ctx.topic, &self.ctx.group, &[entry_id])
                    .await?;
                self.failures.remove(&entry_id);
                Ok(())
            }
        }
    }

    fn letter_for_message(
        &self,
        entry_id: EntryId,
        message: &Message,
        last_error: Option<String>,
        delivery_count: u64,
    ) -> Result<DeadLetter> {
        Ok(DeadLetter {
            reason: DeadLetterReason::MaxDeliveries,
            topic: self.ctx.topic.to_string(),
            group: self.ctx.group.clone(),
            entry_id,
            uuid: Some(message.id()),
            payload: Some(serde_json::from_str(message.payload())?),
            fields: None,
            last_error,
            delivery_count,
        })
    }

    /// Publishes a dead letter under `uuid` (idempotent: a retry after a crash finds the first one), then acks.
    async fn park(&mut self, entry_id: EntryId, uuid: uuid::Uuid, letter: DeadLetter) -> Result<()> {
        let message = Message::from_json(uuid, serde_json::to_string(&letter)?)?;
        let published = self.ctx.bus.publish_message(&self.dead_letter, &message).await?;
        self.ctx
            .bus
            .backend()
            .ack(&self.ctx.topic, &self.ctx.group, &[entry_id])
            .await?;
        self.failures.remove(&entry_id);
        self.report.dead_lettered += 1;
        self.ctx.labels.count(observe::DEAD_LETTERED, 1);
        tracing::warn!(
            topic = %self.ctx.topic,
            group = %self.ctx.group,
            %entry_id,
            %uuid,
            reason = ?letter.reason,
            delivery_count = letter.delivery_count,
            dead_letter_topic = %self.dead_letter,
            dead_letter_entry = %published.entry_id,
            already_there = published.duplicate,
            "entry dead-lettered"
        );
        Ok(())
    }

    fn dispatch(&mut self, entry_id: EntryId, message: Message, delivery_count: u64) {
        let delivery = Delivery {
            topic: self.ctx.topic.clone(),
            group: self.ctx.group.clone(),
            consumer: self.ctx.consumer.clone(),
            entry_id,
            message,
            delivery_count,
        };
        self.in_flight.insert(entry_id);
        let task = self
            .tasks
            .spawn(run_delivery(Arc::clone(&self.ctx), Arc::clone(&self.handler), delivery));
        self.task_entries.insert(task.id(), entry_id);
        self.report.delivered += 1;
        self.ctx.labels.count(observe::DELIVERED, 1);
        self.ctx.labels.gauge(observe::IN_FLIGHT, self.tasks.len() as f64);
    }

    fn finished(&mut self, done: std::result::Result<(Id, Outcome), JoinError>) {
        let (task, outcome) = match done {
            Ok((task, outcome)) => (task, Ok(outcome)),
            Err(err) => (err.id(), Err(err)),
        };
        let entry_id = self.task_entries.remove(&task);
        if let Some(entry_id) = entry_id {
            self.in_flight.remove(&entry_id);
        }
        self.ctx.labels.gauge(observe::IN_FLIGHT, self.tasks.len() as f64);
        match outcome {
            Ok(Outcome::Acked) => {
                self.report.acked += 1;
                if let Some(entry_id) = entry_id {
                    self.failures.remove(&entry_id);
                }
            }
            Ok(Outcome::Failed(error)) => {
                self.report.failed += 1;
                self.ctx.labels.count(observe::FAILED, 1);
                if let Some(entry_id) = entry_id {
                    self.remember_failure(entry_id, error);
                }
            }
            Ok(Outcome::AckFailed) => {}
            Err(err) if err.is_cancelled() => self.report.abandoned += 1,
            Err(err) => {
                self.report.failed += 1;
                self.ctx.labels.count(observe::FAILED, 1);
                if let Some(entry_id) = entry_id {
                    self.remember_failure(entry_id, format!("handler task failed: {err}"));
                }
            }
        }
    }

    fn remember_failure(&mut self, entry_id: EntryId, error: String) {
        self.failures.insert(entry_id, error);
        while self.failures.len() > MAX_REMEMBERED_FAILURES {
            self.failures.pop_first();
        }
    }

    /// Claims back this consumer's failed entries whose backoff is over, and parks those out of deliveries.
    async fn retry_scan(&mut self) -> Result<()> {
        let backoff = self.config.retry_backoff;
        let in_flight = u64::try_from(self.in_flight.len()).unwrap_or(u64::MAX);
        let query = PendingQuery::all(self.config.scan_count.saturating_add(in_flight))
            .consumer(self.ctx.consumer.clone())
            .min_idle(backoff.initial);
        let pending = self
            .ctx
            .bus
            .backend()
            .pending(&self.ctx.topic, &self.ctx.group, &query)
            .await?;
        let free = self.free_slots();
        let mut due: Vec<PendingEntry> = Vec::new();
        let mut exhausted: Vec<PendingEntry> = Vec::new();
        for entry in pending {
            if self.in_flight.contains(&entry.id) || entry.idle < backoff.delay(entry.delivery_count) {
                continue;
            }
            if entry.delivery_count >= self.config.max_deliveries {
                exhausted.push(entry);
            } else if due.len() < free {
                due.push(entry);
            }
        }
        for entry in exhausted {
            self.park_pending(&entry).await?;
        }
        let Some(min_idle) = due.iter().map(|e| backoff.delay(e.delivery_count)).min() else {
            return Ok(());
        };
        let counts: HashMap<EntryId, u64> = due.iter().map(|e| (e.id, e.delivery_count)).collect();
        let ids: Vec<EntryId> = due.iter().map(|e| e.id).collect();
        let claimed = self
            .ctx
            .bus
            .backend()
            .claim(
                &self.ctx.topic,
                &self.ctx.group,
                &self.ctx.consumer,
                min_idle,
                &ids,
                &ClaimOptions::new(),
            )
            .await?;
        let Claimed::Entries(entries) = claimed else {
            return Ok(());
        };
        for entry in entries {
            let count = counts.get(&entry.id).map_or(1, |c| c.saturating_add(1));
            self.report.retried += 1;
            self.ctx.labels.count(observe::RETRIED, 1);
            tracing::debug!(entry_id = %entry.id, delivery_count = count, "retrying a failed entry");
            self.accept(Received::from_entry(entry), count).await?;
        }
        Ok(())
    }

    /// Dead-letters a pending entry that used up its deliveries (or acks it if it was deleted meanwhile).
    async fn park_pending(&mut self, pending: &PendingEntry) -> Result<()> {
        let id = pending.id;
        let bound = RangeBound::Inclusive(id);
        let found: Vec<Entry> = self
            .ctx
            .bus
            .backend()
            .range(&self.ctx.topic, bound, bound, Some(1))
            .await?;
        let received = match found.into_iter().next() {
            Some(entry) => Received::from_entry(entry),
            None => Received::Deleted { entry_id: id },
        };
        match received {
            Received::Message { entry_id, message } => {
                let last_error = self.failures.get(&entry_id).cloned();
                let letter = self.letter_for_message(entry_id, &message, last_error, pending.delivery_count)?;
                self.park(entry_id, message.id(), letter).await
            }
            other => self.accept(other, pending.delivery_count).await,
        }
    }

    /// Takes over entries idle past `claim_idle` (their consumer is presumed dead), as many as there are free slots.
    async fn auto_claim(&mut self) -> Result<()> {
        let free = self.free_slots();
        if free == 0 {
            return Ok(());
        }
        let options = AutoClaimOptions::new().count(u64::try_from(free).unwrap_or(1));
        let result = self
            .ctx
            .bus
            .backend()
            .auto_claim(
                &self.ctx.topic,
                &self.ctx.group,
                &self.ctx.consumer,
                self.config.claim_idle,
                RangeBound::Inclusive(self.claim_cursor),
                &options,
            )
            .await?;
        self.claim_cursor = result.next;
        if !result.deleted.is_empty() {
            tracing::debug!(
                count = result.deleted.len(),
                "autoclaim dropped pending entries deleted from the topic"
            );
        }
        let Claimed::Entries(entries) = result.claimed else {
            return Ok(());
        };
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Ok(());
        };
        let counts = self.delivery_counts(first.id, last.id).await?;
        let claimed = u64::try_from(entries.len()).unwrap_or(u64::MAX);
        self.report.claimed += claimed;
        self.ctx.labels.count(observe::CLAIMED, claimed);
        tracing::info!(count = claimed, "autoclaimed entries of idle consumers");
        for entry in entries {
            let count = counts.get(&entry.id).copied().unwrap_or(1);
            self.accept(Received::from_entry(entry), count).await?;
        }
        Ok(())
    }

    /// Deletes other consumers idle past `consumer_cleanup_idle` that own nothing. The listing only picks
    /// candidates; each delete re-checks atomically, so a consumer that received entries since is kept.
    async fn remove_idle_consumers(&mut self) -> Result<()> {
        let Some(limit) = self.config.consumer_cleanup_idle else {
            return Ok(());
        };
        let backend = self.ctx.bus.backend();
        let consumers = backend.consumers_info(&self.ctx.topic, &self.ctx.group).await?;
        let candidates = consumers
            .into_iter()
            .filter(|c| c.name != self.ctx.consumer && c.pending == 0 && c.idle >= limit);
        for candidate in candidates {
            let outcome = backend
                .consumer_delete_if_idle(&self.ctx.topic, &self.ctx.group, &candidate.name, limit)
                .await?;
            if outcome == ConsumerDelete::Deleted {
                tracing::info!(consumer = %candidate.name, idle = ?candidate.idle, "deleted an idle consumer");
                self.report.consumers_removed += 1;
                self.ctx.labels.count(observe::CONSUMERS_REMOVED, 1);
            }
        }
        Ok(())
    }

    async fn sample_gauges(&self) -> Result<()> {
        let groups = self.ctx.bus.backend().groups_info(&self.ctx.topic).await?;
        if let Some(info) = groups.into_iter().find(|g| g.name == self.ctx.group) {
            self.ctx.labels.gauge(observe::PENDING, info.pending as f64);
            if let Some(lag) = info.lag {
                self.ctx.labels.gauge(observe::LAG, lag as f64);
            }
        }
        Ok(())
    }

    /// Waits for running handlers up to the grace period, then aborts the rest (their entries stay pending).
    async fn drain(&mut self) {
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
