//! The periodic passes of the main loop: the retry scan, and at each claim interval the autoclaim, the
//! idle-consumer cleanup and the gauges.
//!
//! Each pass reads the group's state on the server (pending entries with their idle times and delivery counts,
//! the consumers, the group's lag) instead of keeping timers per entry, so the schedule survives a restart and
//! several workers of one group share it without talking to each other.

use std::collections::HashMap;

use bus_core::{
    AutoClaimOptions, ClaimOptions, Claimed, ConsumerDelete, EntryId, PendingEntry, PendingQuery, RangeBound, Received,
    Result,
};

use super::run::Run;
use crate::observe;

impl Run {
    /// Claims back this consumer's failed entries whose backoff is over, and parks those out of deliveries.
    pub(super) async fn retry_scan(&mut self) -> Result<()> {
        let backoff = self.config.retry_backoff;
        let in_flight = u64::try_from(self.in_flight.len()).unwrap_or(u64::MAX);
        let query = PendingQuery::all(self.config.scan_count.saturating_add(in_flight)).min_idle(backoff.initial);
        let pending = self.own_pending(query).await?;
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

    /// Takes over entries idle past `claim_idle` (their consumer is presumed dead), as many as there are free slots.
    pub(super) async fn auto_claim(&mut self) -> Result<()> {
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
    pub(super) async fn remove_idle_consumers(&mut self) -> Result<()> {
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

    pub(super) async fn sample_gauges(&self) -> Result<()> {
        let groups = self.ctx.bus.backend().groups_info(&self.ctx.topic).await?;
        if let Some(info) = groups.into_iter().find(|g| g.name == self.ctx.group) {
            self.ctx.labels.gauge(observe::PENDING, info.pending as f64);
            if let Some(lag) = info.lag {
                self.ctx.labels.gauge(observe::LAG, lag as f64);
            }
        }
        Ok(())
    }
}
