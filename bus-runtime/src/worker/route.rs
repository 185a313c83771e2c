//! Where a delivered entry goes: to a handler, to the dead-letter topic, or straight to an ack.
//!
//! Reads, retry claims and autoclaims all hand their entries to `Run::accept`, so the same rules apply whatever
//! brought an entry back: an entry still being handled is skipped, one that has used up its `max_deliveries` or
//! is malformed is parked in the dead-letter topic and acknowledged, and one deleted from the topic while pending
//! is simply acknowledged.

use bus_core::{Entry, EntryId, Message, PendingEntry, RangeBound, Received, Result};

use super::run::Run;
use crate::dead_letter::{DeadLetter, DeadLetterReason, malformed_uuid};
use crate::observe;

impl Run {
    /// Routes one delivered entry: to a handler, to the dead-letter topic, or straight to an ack.
    pub(super) async fn accept(&mut self, item: Received, delivery_count: u64) -> Result<()> {
        match item {
            Received::Message { entry_id, message } => {
                if self.in_flight.contains(&entry_id) {
                    // A history replay of an entry whose handler is still running.
                    return Ok(());
                }
                if delivery_count > self.config.max_deliveries {
                    let reason = DeadLetterReason::MaxDeliveries;
                    let letter = self.letter_for_message(reason, entry_id, &message, delivery_count)?;
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
                self.ack_done(entry_id).await
            }
        }
    }

    /// The dead letter of a message, with the last failure remembered for it.
    fn letter_for_message(
        &self,
        reason: DeadLetterReason,
        entry_id: EntryId,
        message: &Message,
        delivery_count: u64,
    ) -> Result<DeadLetter> {
        let last_error = self.failures.get(&entry_id).cloned();
        Ok(DeadLetter {
            reason,
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
        self.ack_done(entry_id).await?;
        self.report.dead_lettered += 1;
        self.ctx
            .labels
            .count_with(observe::DEAD_LETTERED, ("reason", letter.reason.as_str()), 1);
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

    /// Acknowledges an entry that is done with without a handler (parked or deleted), forgetting its last error.
    async fn ack_done(&mut self, entry_id: EntryId) -> Result<()> {
        self.ctx
            .bus
            .backend()
            .ack(&self.ctx.topic, &self.ctx.group, &[entry_id])
            .await?;
        self.failures.remove(&entry_id);
        Ok(())
    }

    /// Dead-letters a pending entry that used up its deliveries (or acks it if it was deleted meanwhile).
    pub(super) async fn park_pending(&mut self, pending: &PendingEntry) -> Result<()> {
        self.park_entry(pending.id, pending.delivery_count, DeadLetterReason::MaxDeliveries)
            .await
    }

    /// Dead-letters the entries whose handler failed permanently, each removed from the queue once parked (so
    /// a backend error leaves the rest for the next step).
    pub(super) async fn park_permanent(&mut self) -> Result<()> {
        while let Some(&(entry_id, delivery_count)) = self.permanent.last() {
            self.park_entry(entry_id, delivery_count, DeadLetterReason::Permanent)
                .await?;
            self.permanent.pop();
        }
        Ok(())
    }

    /// Dead-letters a pending entry, read again by its id, for `reason` (or acks it if it was deleted meanwhile).
    async fn park_entry(&mut self, id: EntryId, delivery_count: u64, reason: DeadLetterReason) -> Result<()> {
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
                let letter = self.letter_for_message(reason, entry_id, &message, delivery_count)?;
                self.park(entry_id, message.id(), letter).await
            }
            other => self.accept(other, delivery_count).await,
        }
    }
}
