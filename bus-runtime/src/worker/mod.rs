//! [`Worker`]: runs an async handler over a consumer group with at-least-once delivery that survives crashes.
//!
//! At-least-once only holds if someone re-reads pending entries after a crash, takes over the entries of dead
//! consumers, retries failures without hot loops and parks poison messages. One [`Worker::run`] call does all of
//! it for one consumer of one group:
//!
//! - **Recovery first.** Reads go through the cancel-safe [`Consumer`](bus_core::Consumer), which starts by
//!   replaying this consumer's own pending entries (what a previous incarnation left unacknowledged) before new
//!   ones.
//! - **Bounded concurrency.** At most `concurrency` handlers run at once, each in its own task; a read asks for
//!   exactly as many entries as there are free slots, so nothing waits in a local queue.
//! - **Ack after success only.** A handler returning `Ok` gets its entry acknowledged; an `Err` or a panic (caught
//!   by the [`CatchPanicLayer`](crate::handler::CatchPanicLayer) the worker puts around every handler) leaves the
//!   entry pending. A handler is a closure or any `tower::Service` stack ([`crate::handler`]).
//! - **Permanent failures.** An error holding a [`Permanent`](crate::Permanent) (a payload that does not decode
//!   under a [`JsonLayer`](crate::JsonLayer) is one) dead-letters the entry right after that delivery, with
//!   reason `permanent`, instead of retrying it.
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

// The public types live here; a run's state and main loop in `run`, a handler task's lifecycle in `task`, the
// routing of delivered entries (handler, dead letter, ack) in `route`, and the periodic passes in `maintenance`.
mod maintenance;
mod route;
mod run;
mod task;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use bus_core::{Bus, EntryId, Error, Message, Result, Topic};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tower::Service;

use crate::config::WorkerConfig;
use crate::dead_letter::dead_letter_topic;
use crate::handler::{self, BoxError, HandlerFn};
use run::Run;

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
    /// Entries published to the dead-letter topic and acknowledged (out of deliveries, malformed, or failed
    /// permanently).
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
    /// `Ok` acknowledges the entry; an error leaves it pending for a retry, unless it is a
    /// [`Permanent`](crate::Permanent) (then it is dead-lettered at once). This is
    /// [`run_service`](Worker::run_service) with the closure as the only service.
    ///
    /// Dropping this future is a crash: running handlers are aborted and nothing more is acknowledged; every
    /// unacknowledged entry stays pending and is recovered as described in the module docs.
    pub async fn run<H, Fut, E>(self, handler: H, shutdown: impl Future<Output = ()> + Send) -> Result<WorkerReport>
    where
        H: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        self.run_service(HandlerFn(Arc::new(handler)), shutdown).await
    }

    /// Runs a handler stack, any [`tower::Service`] of [`Delivery`] (see [`crate::handler`] for the bus's layers
    /// and their order), until `shutdown` completes; otherwise as [`run`](Worker::run). Its response is
    /// discarded: `Ok` acknowledges the entry.
    pub async fn run_service<S>(self, service: S, shutdown: impl Future<Output = ()> + Send) -> Result<WorkerReport>
    where
        S: Service<Delivery> + Send + 'static,
        S::Response: Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let handler = handler::erase(service);
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
        self.spawn_service(HandlerFn(Arc::new(handler)))
    }

    /// [`spawn`](Worker::spawn) for a handler stack (see [`run_service`](Worker::run_service)).
    pub fn spawn_service<S>(self, service: S) -> WorkerHandle
    where
        S: Service<Delivery> + Send + 'static,
        S::Response: Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run_service(service, async move {
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
