//! XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER and XREADGROUP: delivery, history, consumers.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{Backend, ConsumerDelete, EntryId, GroupEntry, PendingQuery};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// `>` reads hand each entry to exactly one consumer of the group.
pub async fn new_reads_deliver_each_entry_once(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("deliver-once")?;
    fill(backend.as_ref(), &topic, 3).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let first = deliver_all(backend.as_ref(), &topic, "c1").await?;
    let second = deliver_all(backend.as_ref(), &topic, "c2").await?;
    ensure_eq!(
        first,
        vec![id(1, 0), id(2, 0), id(3, 0)],
        "first consumer gets everything"
    );
    ensure!(second.is_empty(), "second consumer got {second:?}");
    let summary = backend.pending_summary(&topic, "g").await?;
    ensure_eq!(summary.consumers, vec![("c1".to_owned(), 3)], "pending per consumer");
    Ok(())
}

/// Acknowledged entries leave the pending list and are not delivered again, not even after a SETID rewind
/// (they are delivered again as new entries then, which is Redis's behaviour: check the count resets).
pub async fn acked_entries_are_never_redelivered(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("acked")?;
    fill(backend.as_ref(), &topic, 2).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c").await?;
    ensure_eq!(
        backend.ack(&topic, "g", &[id(1, 0), id(1, 0), id(7, 0)]).await?,
        1,
        "XACK counts each id once"
    );
    let history: Vec<EntryId> = history(backend.as_ref(), &topic, EntryId::MIN)
        .await?
        .iter()
        .map(|e| e.id())
        .collect();
    ensure_eq!(history, vec![id(2, 0)], "history after acking 1-0");
    ensure!(
        deliver_all(backend.as_ref(), &topic, "c").await?.is_empty(),
        "`>` redelivered an acked entry"
    );
    Ok(())
}

/// History reads return the consumer's pending entries after the id, and count a delivery each time.
pub async fn history_replays_pending_and_counts_deliveries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("history")?;
    fill(backend.as_ref(), &topic, 3).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c").await?;
    let history: Vec<EntryId> = history(backend.as_ref(), &topic, id(1, 0))
        .await?
        .iter()
        .map(|e| e.id())
        .collect();
    ensure_eq!(
        history,
        vec![id(2, 0), id(3, 0)],
        "history after 1-0 is strictly greater"
    );
    let pending = backend.pending(&topic, "g", &PendingQuery::all(10)).await?;
    let counts: Vec<u64> = pending.iter().map(|p| p.delivery_count).collect();
    ensure_eq!(counts, vec![1, 2, 2], "delivery counts after one history read");
    Ok(())
}

/// A pending entry deleted from the stream shows up in history as deleted, and can be acknowledged.
pub async fn history_reports_deleted_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("history-deleted")?;
    fill(backend.as_ref(), &topic, 2).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c").await?;
    backend.delete(&topic, &[id(1, 0)]).await?;
    let entries = history(backend.as_ref(), &topic, EntryId::MIN).await?;
    ensure!(
        matches!(entries.as_slice(), [GroupEntry::Deleted(first), GroupEntry::Present(second)] if *first == id(1, 0) && second.id == id(2, 0)),
        "history with a deleted entry: {entries:?}"
    );
    ensure_eq!(
        backend.ack(&topic, "g", &[id(1, 0)]).await?,
        1,
        "the deleted entry can be acked"
    );
    Ok(())
}

/// The conditional consumer delete removes only consumers that own nothing and were idle long enough.
pub async fn idle_consumer_delete_spares_consumers_with_pending_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("idle-consumers")?;
    fill(backend.as_ref(), &topic, 2).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "busy").await?;
    backend.consumer_create(&topic, "g", "quiet").await?;
    let hour = Duration::from_secs(3600);
    let outcome = backend
        .consumer_delete_if_idle(&topic, "g", "busy", Duration::ZERO)
        .await?;
    ensure_eq!(outcome, ConsumerDelete::HasPending(2), "a consumer owning entries");
    let outcome = backend.consumer_delete_if_idle(&topic, "g", "quiet", hour).await?;
    ensure!(
        matches!(outcome, ConsumerDelete::NotIdle(idle) if idle < hour),
        "a recent consumer: {outcome:?}"
    );
    let outcome = backend
        .consumer_delete_if_idle(&topic, "g", "quiet", Duration::ZERO)
        .await?;
    ensure_eq!(outcome, ConsumerDelete::Deleted, "an idle consumer owning nothing");
    let outcome = backend
        .consumer_delete_if_idle(&topic, "g", "quiet", Duration::ZERO)
        .await?;
    ensure_eq!(outcome, ConsumerDelete::NoSuchConsumer, "deleting it again");
    let names: Vec<String> = backend
        .consumers_info(&topic, "g")
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    ensure_eq!(names, vec!["busy".to_owned()], "consumers left");
    let missing = backend
        .consumer_delete_if_idle(&topic, "nope", "busy", Duration::ZERO)
        .await;
    let Err(err) = missing else {
        return Err(Failure("a missing group was not reported".into()));
    };
    ensure_eq!(
        err.to_string(),
        "NOGROUP No such consumer group 'nope' for key name 'conformance:idle-consumers'",
        "error for a missing group"
    );
    Ok(())
}
