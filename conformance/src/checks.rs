//! The named checks: one behaviour each, on a fresh backend, with expected values taken from Redis 7.0.
//!
//! Each check uses explicit entry ids where the outcome would otherwise depend on the clock, so it asserts exact
//! values on every backend, including a real server.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, AutoClaimOptions, Backend, Bus, ClaimOptions, ConsumerDelete, EntryId, Fields, GroupCreateOptions,
    GroupCursor, GroupEntry, GroupStart, Message, PendingQuery, RangeBound, ReadGroupOptions, Topic,
};

use crate::{Capabilities, CheckResult, Failure, ensure, ensure_eq};

/// The capabilities a check needs.
pub fn needs(check: &str) -> Capabilities {
    match check {
        "blocking_read_is_served_by_an_append" | "consumer_recovers_entries_of_a_dropped_read" => {
            Capabilities::none().blocking_reads(true)
        }
        _ => Capabilities::none(),
    }
}

fn topic(name: &str) -> Result<Topic, Failure> {
    Topic::new(format!("conformance:{name}")).map_err(Failure::from)
}

fn id(ms: u64, seq: u64) -> EntryId {
    EntryId::new(ms, seq)
}

fn fields(n: u64) -> Fields {
    Fields::from_pairs([("n", n.to_string())])
}

/// Appends entries `1-0 ..= n-0`.
async fn fill(backend: &dyn Backend, topic: &Topic, n: u64) -> CheckResult {
    for i in 1..=n {
        backend
            .append(topic, fields(i), &AppendOptions::new().id(id(i, 0)))
            .await?;
    }
    Ok(())
}

/// Creates `g` at 0 and reads everything with consumer `c` (`>`), returning the delivered ids.
async fn deliver_all(backend: &dyn Backend, topic: &Topic, consumer: &str) -> Result<Vec<EntryId>, Failure> {
    let reply = backend
        .read_group(
            "g",
            consumer,
            &[(topic.clone(), GroupCursor::New)],
            &ReadGroupOptions::new(),
        )
        .await?;
    Ok(reply
        .into_iter()
        .flatten()
        .flat_map(|t| t.entries)
        .map(|e| e.id())
        .collect())
}

/// The consumer's pending history after `after` (XREADGROUP with an id).
async fn history(backend: &dyn Backend, topic: &Topic, after: EntryId) -> Result<Vec<GroupEntry>, Failure> {
    let cursors = [(topic.clone(), GroupCursor::History(after))];
    let reply = backend.read_group("g", "c", &cursors, &ReadGroupOptions::new()).await?;
    Ok(reply.into_iter().flatten().flat_map(|t| t.entries).collect())
}

async fn group_at_zero(backend: &dyn Backend, topic: &Topic) -> CheckResult {
    let options = GroupCreateOptions::new().mkstream();
    backend
        .group_create(topic, "g", GroupStart::Id(EntryId::MIN), &options)
        .await?;
    Ok(())
}

/// Publishing a message whose UUID the topic holds appends nothing and returns the existing entry.
pub async fn publish_is_idempotent(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("idempotent")?;
    let message = Message::from_json(bus_core::Uuid::new_v4(), r#"{"n":1}"#)?;
    let first = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    let again = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    let (Some(first), Some(again)) = (first, again) else {
        return Err(Failure("publish without NOMKSTREAM returned None".into()));
    };
    ensure!(
        !first.duplicate && again.duplicate,
        "duplicate flags were {first:?} then {again:?}"
    );
    ensure_eq!(
        again.entry_id,
        first.entry_id,
        "a duplicate publish returns the existing entry"
    );
    ensure_eq!(
        backend.len(&topic).await?,
        1,
        "length after publishing one message twice"
    );
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(first.entry_id),
        "lookup of the UUID"
    );
    Ok(())
}

/// When a UUID is held by several entries (an append repeated it) and a trim removes the oldest, publishing it
/// again finds the surviving holder instead of appending a third copy.
pub async fn publish_finds_a_later_holder_after_a_trim(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("later-holder")?;
    let message = Message::from_json(bus_core::Uuid::new_v4(), r#"{"n":1}"#)?;
    let first = AppendOptions::new().id(id(1, 0));
    backend.publish(&topic, &message, &first).await?;
    let repeat = message.to_fields();
    backend
        .append(&topic, repeat, &AppendOptions::new().id(id(8, 0)))
        .await?;
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(id(1, 0)),
        "the oldest holder wins"
    );
    backend.trim(&topic, &bus_core::Trim::minid(id(8, 0))).await?;
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(id(8, 0)),
        "lookup after the trim"
    );
    let again = backend
        .publish(&topic, &message, &AppendOptions::new().id(id(16, 0)))
        .await?;
    let Some(again) = again else {
        return Err(Failure("publish without NOMKSTREAM returned None".into()));
    };
    ensure!(
        again.duplicate,
        "publish after the trim appended a new copy at {}",
        again.entry_id
    );
    ensure_eq!(again.entry_id, id(8, 0), "the surviving holder");
    ensure_eq!(backend.len(&topic).await?, 1, "length");
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

/// Explicit ids must exceed the last id, with Redis's messages.
pub async fn append_rejects_ids_not_above_the_top(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("append-ids")?;
    fill(backend.as_ref(), &topic, 2).await?;
    let err = backend
        .append(&topic, fields(0), &AppendOptions::new().id(id(2, 0)))
        .await;
    let Err(err) = err else {
        return Err(Failure("appending an id equal to the top succeeded".into()));
    };
    ensure_eq!(
        err.to_string(),
        "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        "error for an id equal to the top"
    );
    let auto_seq = backend
        .append(
            &topic,
            fields(0),
            &AppendOptions::new().id(bus_core::AppendId::AutoSeq(2)),
        )
        .await?;
    ensure_eq!(auto_seq, Some(id(2, 1)), "`2-*` after 2-0");
    ensure_eq!(backend.len(&topic).await?, 3, "a rejected append adds nothing");
    Ok(())
}

/// `(` bounds exclude their id in both directions.
pub async fn range_honours_exclusive_bounds(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("ranges")?;
    fill(backend.as_ref(), &topic, 5).await?;
    let forward = backend
        .range(
            &topic,
            RangeBound::Exclusive(id(1, 0)),
            RangeBound::Exclusive(id(4, 0)),
            None,
        )
        .await?;
    let forward: Vec<EntryId> = forward.iter().map(|e| e.id).collect();
    ensure_eq!(forward, vec![id(2, 0), id(3, 0)], "XRANGE (1-0 (4-0");
    let backward = backend
        .rev_range(&topic, RangeBound::MAX, RangeBound::Exclusive(id(3, 0)), Some(1))
        .await?;
    let backward: Vec<EntryId> = backward.iter().map(|e| e.id).collect();
    ensure_eq!(backward, vec![id(5, 0)], "XREVRANGE + (3-0 COUNT 1");
    Ok(())
}

/// Deleting the last entry keeps the last generated id, and the max deleted id is recorded.
pub async fn last_id_survives_deletes(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("last-id")?;
    fill(backend.as_ref(), &topic, 3).await?;
    ensure_eq!(
        backend.delete(&topic, &[id(3, 0), id(9, 0)]).await?,
        1,
        "XDEL of one present and one absent id"
    );
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(
        info.last_generated_id,
        id(3, 0),
        "last generated id after deleting the last entry"
    );
    ensure_eq!(info.max_deleted_entry_id, id(3, 0), "max deleted entry id");
    ensure_eq!(info.length, 2, "length");
    let next = backend
        .append(
            &topic,
            fields(4),
            &AppendOptions::new().id(bus_core::AppendId::AutoSeq(3)),
        )
        .await?;
    ensure_eq!(next, Some(id(3, 1)), "`3-*` continues after the deleted 3-0");
    Ok(())
}

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

/// XCLAIM moves an entry to the claimer and increments its delivery count; JUSTID does not.
pub async fn claim_transfers_ownership(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("claim")?;
    fill(backend.as_ref(), &topic, 2).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c1").await?;
    let claimed = backend
        .claim(&topic, "g", "c2", Duration::ZERO, &[id(1, 0)], &ClaimOptions::new())
        .await?;
    ensure_eq!(claimed.ids(), vec![id(1, 0)], "claimed ids");
    let just_id = ClaimOptions::new().just_id();
    backend
        .claim(&topic, "g", "c2", Duration::ZERO, &[id(2, 0)], &just_id)
        .await?;
    let pending = backend.pending(&topic, "g", &PendingQuery::all(10)).await?;
    let owners: Vec<(&str, u64)> = pending
        .iter()
        .map(|p| (p.consumer.as_str(), p.delivery_count))
        .collect();
    ensure_eq!(
        owners,
        vec![("c2", 2), ("c2", 1)],
        "owners and delivery counts after the claims"
    );
    Ok(())
}

/// XAUTOCLAIM drops pending entries that no longer exist and reports their ids.
pub async fn autoclaim_drops_deleted_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("autoclaim")?;
    fill(backend.as_ref(), &topic, 3).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c1").await?;
    backend.delete(&topic, &[id(2, 0)]).await?;
    let options = AutoClaimOptions::new().count(10);
    let result = backend
        .auto_claim(&topic, "g", "c2", Duration::ZERO, RangeBound::MIN, &options)
        .await?;
    ensure_eq!(result.claimed.ids(), vec![id(1, 0), id(3, 0)], "claimed");
    ensure_eq!(result.deleted, vec![id(2, 0)], "deleted");
    ensure_eq!(result.next, EntryId::MIN, "cursor at the end");
    ensure_eq!(
        backend.pending_summary(&topic, "g").await?.count,
        2,
        "the deleted entry left the pending list"
    );
    Ok(())
}

/// The group lag counts entries not yet delivered.
pub async fn lag_counts_undelivered_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("lag")?;
    fill(backend.as_ref(), &topic, 4).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let options = ReadGroupOptions::new().count(1);
    backend
        .read_group("g", "c", &[(topic.clone(), GroupCursor::New)], &options)
        .await?;
    let groups = backend.groups_info(&topic).await?;
    let Some(group) = groups.first() else {
        return Err(Failure("XINFO GROUPS lists no group".into()));
    };
    ensure_eq!(group.entries_read, Some(1), "entries-read after one delivery");
    ensure_eq!(group.lag, Some(3), "lag after one of four delivered");
    Ok(())
}

/// A reader blocked on a group is served by the next append.
pub async fn blocking_read_is_served_by_an_append(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("blocking")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let reader = {
        let backend = backend.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let options = ReadGroupOptions::new().block(Duration::from_secs(30));
            backend
                .read_group("g", "c", &[(topic, GroupCursor::New)], &options)
                .await
        })
    };
    // Let the reader block before appending; a backend that misses the wake-up fails below.
    tokio::time::sleep(Duration::from_millis(200)).await;
    backend
        .append(&topic, fields(1), &AppendOptions::new().id(id(1, 0)))
        .await?;
    let reply = tokio::time::timeout(Duration::from_secs(20), reader)
        .await
        .map_err(|_| Failure("the blocked reader was not served".into()))?
        .map_err(|err| Failure(format!("reader task failed: {err}")))??;
    let ids: Vec<EntryId> = reply
        .into_iter()
        .flatten()
        .flat_map(|t| t.entries)
        .map(|e| e.id())
        .collect();
    ensure_eq!(ids, vec![id(1, 0)], "entries handed to the blocked reader");
    Ok(())
}

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
