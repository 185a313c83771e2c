//! One handler's lifecycle, from the slot it takes to the outcome the worker records.
//!
//! The worker spawns each delivery into its join set (`Run::dispatch`). The task calls the handler (whose stack
//! catches panics: see `handler::erase`), keeps the entry claimed for this consumer while the handler runs (the keep-alive), and acknowledges
//! the entry when the handler succeeds, retrying a failed ack a few times. Back in the worker, `Run::finished`
//! frees the slot and counts the outcome, remembering a failure's message for a later dead letter, and queues a
//! permanent failure for dead-lettering by the main loop. Handlers
//! run in their own tasks so that a slow or panicking one never stalls the loop or the other handlers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bus_core::{Bus, ClaimOptions, EntryId, Message, Topic};
use tokio::task::{Id, JoinError};
use tokio::time::{Instant, MissedTickBehavior, sleep};
use tracing::Instrument;

use super::Delivery;
use super::run::Run;
use crate::handler::{DynHandler, is_permanent};
use crate::observe::{self, GroupLabels};

/// At most this many failure messages are remembered for dead letters; the oldest entries' are dropped first.
const MAX_REMEMBERED_FAILURES: usize = 10_000;
/// Attempts at acknowledging a successful entry before leaving it pending (it is then retried, a duplicate).
const ACK_ATTEMPTS: u64 = 5;

/// What a delivery task reports to the worker.
pub(super) enum Outcome {
    Acked,
    Failed(String),
    /// A [`Permanent`](crate::Permanent) failure: dead-letter the entry now.
    Permanent {
        error: String,
        delivery_count: u64,
    },
    /// The ack failed (already logged): the entry stays pending and is delivered again.
    AckFailed,
}

/// What delivery tasks need, shared.
pub(super) struct TaskCtx {
    pub(super) bus: Bus,
    pub(super) topic: Topic,
    pub(super) group: String,
    pub(super) consumer: String,
    pub(super) keep_alive: Option<Duration>,
    pub(super) error_backoff: crate::Backoff,
    pub(super) labels: GroupLabels,
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
    let span = observe::worker_delivery_span(&delivery);
    async move {
        let (entry_id, delivery_count) = (delivery.entry_id, delivery.delivery_count);
        let mut work = std::pin::pin!(handler(delivery));
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
            Ok(()) => ctx.ack(entry_id).await,
            Err(err) if is_permanent(&*err) => {
                tracing::warn!(error = %err, "handler failed permanently; the entry is dead-lettered");
                Outcome::Permanent {
                    error: err.to_string(),
                    delivery_count,
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "handler failed; the entry stays pending for a retry");
                Outcome::Failed(err.to_string())
            }
        }
    }
    .instrument(span)
    .await
}

impl Run {
    /// Hands an entry to the handler in a new task, which takes one of the `concurrency` slots.
    pub(super) fn dispatch(&mut self, entry_id: EntryId, message: Message, delivery_count: u64) {
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

    /// Records a handler task that ended (or was aborted): frees its slot and counts its outcome.
    pub(super) fn finished(&mut self, done: std::result::Result<(Id, Outcome), JoinError>) {
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
            Ok(Outcome::Permanent { error, delivery_count }) => {
                self.report.failed += 1;
                self.ctx.labels.count(observe::FAILED, 1);
                if let Some(entry_id) = entry_id {
                    // Remembered like any failure, so a replay skips it; parked by the main loop's next step.
                    self.remember_failure(entry_id, error);
                    self.permanent.push((entry_id, delivery_count));
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
}
