//! The `Bus` and `Consumer` handles of bus-core, on any backend.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{AppendOptions, Backend, Bus, EntryId, GroupStart};

use super::support::*;
use crate::{CheckResult, ensure, ensure_eq};

/// Dropping a `Consumer::read` after the server moved entries to the consumer strands nothing.
pub async fn consumer_recovers_entries_of_a_dropped_read(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("cancel-safe")?;
    let bus = Bus::from_arc(backend.clone());
    bus.ensure_group(&topic, "g", GroupStart::Id(EntryId::MIN)).await?;
    let mut consumer = bus.consumer(topic.clone(), "g", "c");
    // Nothing to read yet, so the read blocks. While it is blocked (polled, then no longer polled) an append is
    // delivered to it by the backend; the read is then dropped before anyone sees its reply.
    {
        let read = consumer.read(10, Some(Duration::from_secs(30)));
        tokio::pin!(read);
        let early = tokio::time::timeout(Duration::from_millis(200), &mut read).await;
        ensure!(
            early.is_err(),
            "the read returned before anything was appended: {early:?}"
        );
        backend
            .append(&topic, fields(1), &AppendOptions::new().id(id(1, 0)))
            .await?;
    }
    let pending = backend.pending_summary(&topic, "g").await?;
    ensure_eq!(
        pending.count,
        1,
        "the entry is pending for the consumer after the dropped read"
    );
    let replayed = consumer.read(10, None).await?;
    let ids: Vec<EntryId> = replayed.iter().map(|r| r.entry_id()).collect();
    ensure_eq!(ids, vec![id(1, 0)], "the next read replays the stranded entry");
    Ok(())
}
