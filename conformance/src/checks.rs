//! The named checks: one behaviour each, on a fresh backend, with expected values taken from Redis 7.0.
//!
//! Each check uses explicit entry ids where the outcome would otherwise depend on the clock, so it asserts exact
//! values on every backend, including a real server.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, AutoClaimOptions, Backend, Bus, ClaimOptions, ConsumerDelete, EntryId, Fields, GroupCreateOptions,
    GroupCursor, GroupEntry, GroupStart, Message, PendingQuery, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions,
    ReadReply, Topic,
};

use crate::{Capabilities, CheckResult, Failure, ensure, ensure_eq};

/// The capabilities a check needs.
pub fn needs(check: &str) -> Capabilities {
    match check {
        "blocking_read_is_served_by_an_append"
        | "consumer_recovers_entries_of_a_dropped_read"
        | "block_timeouts_hold_with_margins" => Capabilities::none().blocking_reads(true),
        "idle_times_are_exact" => Capabilities::none().controllable_clock(true),
        "block_timeouts_are_exact" | "blocked_read_at_its_deadline_loses_nothing" => {
            Capabilities::none().blocking_reads(true).controllable_clock(true)
        }
        "expiry_releases_blocked_group_readers" => Capabilities::none().blocking_reads(true).controllable_clock(true),
        _ => Capabilities::none(),
    }
}

/// A check's future.
pub type CheckFuture = std::pin::Pin<Box<dyn std::future::Future<Output = CheckResult> + Send>>;

/// A named check, callable through a function pointer.
pub type Check = fn(Arc<dyn Backend>) -> CheckFuture;

/// Every check, by name, in the order the macro's tests list them; run one with [`crate::run_check`] and
/// [`needs`].
pub fn all() -> Vec<(&'static str, Check)> {
    let checks: Vec<(&'static str, Check)> = crate::__with_check_names!(__check_registry!());
    checks
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
    Ok(reply.into_entries().map(|e| e.id()).collect())
}

/// The consumer's pending history after `after` (XREADGROUP with an id).
async fn history(backend: &dyn Backend, topic: &Topic, after: EntryId) -> Result<Vec<GroupEntry>, Failure> {
    let cursors = [(topic.clone(), GroupCursor::History(after))];
    let reply = backend.read_group("g", "c", &cursors, &ReadGroupOptions::new()).await?;
    Ok(reply.into_entries().collect())
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

/// PEXPIRE/PTTL: a deadline survives writes, and a topic past it is gone with everything it held.
pub async fn topics_expire_after_their_ttl(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("expiring")?;
    let hour = Duration::from_secs(3600);
    ensure!(
        !backend.expire_topic(&topic, hour).await?,
        "expiring a missing topic reported success"
    );
    let message = Message::from_json(bus_core::Uuid::new_v4(), "1")?;
    backend.publish(&topic, &message, &AppendOptions::new()).await?;
    ensure_eq!(backend.topic_ttl(&topic).await?, None, "a new topic has no deadline");
    ensure!(backend.expire_topic(&topic, hour).await?, "expiring an existing topic");
    backend.append(&topic, fields(2), &AppendOptions::new()).await?;
    let ttl = backend.topic_ttl(&topic).await?;
    ensure!(
        ttl.is_some_and(|ttl| ttl <= hour && ttl > hour - Duration::from_secs(60)),
        "the deadline survives a write: {ttl:?}"
    );
    ensure!(
        backend.expire_topic(&topic, Duration::ZERO).await?,
        "a zero TTL on an existing topic"
    );
    ensure_eq!(backend.len(&topic).await?, 0, "length after expiry");
    ensure_eq!(backend.lookup(&topic, message.id()).await?, None, "lookup after expiry");
    ensure_eq!(backend.topic_ttl(&topic).await?, None, "TTL of an expired topic");
    ensure!(
        backend.stream_info(&topic).await.is_err(),
        "an expired topic still has stream info"
    );
    let again = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    ensure!(
        again.is_some_and(|p| !p.duplicate),
        "publishing into the expired topic starts afresh: {again:?}"
    );
    ensure_eq!(
        backend.topic_ttl(&topic).await?,
        None,
        "a topic created anew has no deadline"
    );
    Ok(())
}

/// A group reader blocked on a topic is released with `UNBLOCKED` when the topic expires (paused time).
pub async fn expiry_releases_blocked_group_readers(backend: Arc<dyn Backend>) -> CheckResult {
    tokio::time::pause();
    let topic = topic("expiring-blocked")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    backend.expire_topic(&topic, Duration::from_secs(10)).await?;
    let reader = {
        let backend = backend.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let options = ReadGroupOptions::new().block(Duration::ZERO);
            backend
                .read_group("g", "c", &[(topic, GroupCursor::New)], &options)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(9_999)).await;
    ensure!(!reader.is_finished(), "the reader was released before the deadline");
    tokio::time::sleep(Duration::from_millis(2)).await;
    let result = tokio::time::timeout(Duration::from_secs(1), reader)
        .await
        .map_err(|_| Failure("the blocked reader was not released by the expiry".into()))?
        .map_err(|err| Failure(format!("reader task failed: {err}")))?;
    let Err(err) = result else {
        return Err(Failure(format!("the reader got {result:?} instead of UNBLOCKED")));
    };
    ensure_eq!(
        err.to_string(),
        "UNBLOCKED the stream key no longer exists",
        "error of the released reader"
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
    let ids: Vec<EntryId> = reply.into_entries().map(|e| e.id()).collect();
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

/// XREAD after a cursor returns exactly the entries with greater ids: not the cursor's own entry, not one less.
pub async fn read_after_a_cursor_is_exclusive(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("read-after")?;
    fill(backend.as_ref(), &topic, 3).await?;
    for (after, want) in [
        (EntryId::MIN, vec![id(1, 0), id(2, 0), id(3, 0)]),
        (id(1, 0), vec![id(2, 0), id(3, 0)]),
        (id(1, 5), vec![id(2, 0), id(3, 0)]),
        (id(2, 0), vec![id(3, 0)]),
        (id(3, 0), vec![]),
    ] {
        let reply = backend
            .read(&[(topic.clone(), ReadCursor::After(after))], &ReadOptions::new())
            .await?;
        ensure!(
            !reply.is_timed_out(),
            "non-blocking XREAD after {after} answered a timeout"
        );
        let got: Vec<EntryId> = reply.into_entries().map(|e| e.id).collect();
        ensure_eq!(got, want, "XREAD STREAMS {topic} {after}");
    }
    Ok(())
}

/// Tokio's clock, paused for the rest of a check and resumed when this is dropped (unless it was paused before).
struct PausedClock {
    resume: bool,
}

impl PausedClock {
    /// Pauses tokio's clock. Needs a current-thread runtime, which `#[tokio::test]` is.
    fn start() -> Result<PausedClock, Failure> {
        let flavor = tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor());
        if !matches!(flavor, Ok(tokio::runtime::RuntimeFlavor::CurrentThread)) {
            return Err(Failure(
                "checks on paused time need a current-thread tokio runtime (`#[tokio::test]`)".into(),
            ));
        }
        // Paused already (`start_paused`)? Then the clock does not move while the thread sleeps.
        let before = tokio::time::Instant::now();
        std::thread::sleep(Duration::from_millis(1));
        let resume = tokio::time::Instant::now() != before;
        if resume {
            tokio::time::pause();
        }
        Ok(PausedClock { resume })
    }

    /// Moves the clock forward by exactly `by` (firing the timers that are due).
    async fn advance(&self, by: Duration) {
        tokio::time::advance(by).await;
    }

    /// Moves the clock forward by exactly `by` without yielding: timers due at the new time have not fired yet
    /// when this returns, so what the caller does next happens before them, at the same instant.
    async fn advance_before_timers(&self, by: Duration) {
        let mut advance = std::pin::pin!(tokio::time::advance(by));
        // The first poll moves the clock and then yields; we do not wait for the yield.
        std::future::poll_fn(|cx| {
            let _ = advance.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
    }
}

impl Drop for PausedClock {
    fn drop(&mut self) {
        if self.resume {
            tokio::time::resume();
        }
    }
}

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

/// The pending entry's idle time and owner, from XPENDING.
async fn pending_of(backend: &dyn Backend, topic: &Topic, entry: EntryId) -> Result<(Duration, String), Failure> {
    let query = PendingQuery::new(RangeBound::Inclusive(entry), RangeBound::Inclusive(entry), 1);
    let pending = backend.pending(topic, "g", &query).await?;
    let Some(p) = pending.first() else {
        return Err(Failure(format!("{entry} is not pending")));
    };
    Ok((p.idle, p.consumer.clone()))
}

async fn consumer_idle(backend: &dyn Backend, topic: &Topic, consumer: &str) -> Result<Duration, Failure> {
    let consumers = backend.consumers_info(topic, "g").await?;
    let Some(info) = consumers.iter().find(|c| c.name == consumer) else {
        return Err(Failure(format!("XINFO CONSUMERS does not list {consumer}")));
    };
    Ok(info.idle)
}

/// Reads one new entry (`>` COUNT 1) for the consumer.
async fn deliver_one(backend: &dyn Backend, topic: &Topic, consumer: &str) -> Result<Vec<EntryId>, Failure> {
    let reply = backend
        .read_group(
            "g",
            consumer,
            &[(topic.clone(), GroupCursor::New)],
            &ReadGroupOptions::new().count(1),
        )
        .await?;
    Ok(reply.into_entries().map(|e| e.id()).collect())
}

/// On paused time, idle times are exact to the millisecond: XPENDING's idle and its IDLE filter, XCLAIM's and
/// XAUTOCLAIM's min-idle (an entry idle for exactly min-idle qualifies, one millisecond less does not, as in
/// Redis's `this_idle < minidle` test), and XINFO CONSUMERS's idle.
pub async fn idle_times_are_exact(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let b = backend.as_ref();
    let topic = topic("idle-exact")?;
    fill(b, &topic, 2).await?;
    group_at_zero(b, &topic).await?;
    ensure_eq!(deliver_one(b, &topic, "c1").await?, vec![id(1, 0)], "first delivery");
    clock.advance(999 * MS).await;

    let (idle, _) = pending_of(b, &topic, id(1, 0)).await?;
    ensure_eq!(idle, 999 * MS, "XPENDING idle 999 ms after the delivery");
    ensure_eq!(
        consumer_idle(b, &topic, "c1").await?,
        999 * MS,
        "XINFO CONSUMERS idle 999 ms after c1's read"
    );
    let filtered = b.pending(&topic, "g", &PendingQuery::all(10).min_idle(SECOND)).await?;
    ensure!(
        filtered.is_empty(),
        "XPENDING IDLE 1000 listed an entry idle for 999 ms: {filtered:?}"
    );
    let claimed = b
        .claim(&topic, "g", "c2", SECOND, &[id(1, 0)], &ClaimOptions::new())
        .await?;
    ensure!(
        claimed.is_empty(),
        "XCLAIM min-idle 1000 claimed an entry idle for 999 ms: {claimed:?}"
    );
    ensure_eq!(
        pending_of(b, &topic, id(1, 0)).await?,
        (999 * MS, "c1".to_owned()),
        "a refused XCLAIM changes neither idle nor owner"
    );

    clock.advance(MS).await;
    let filtered: Vec<EntryId> = b
        .pending(&topic, "g", &PendingQuery::all(10).min_idle(SECOND))
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    ensure_eq!(filtered, vec![id(1, 0)], "XPENDING IDLE 1000 at exactly 1000 ms");
    let claimed = b
        .claim(&topic, "g", "c2", SECOND, &[id(1, 0)], &ClaimOptions::new())
        .await?;
    ensure_eq!(claimed.ids(), vec![id(1, 0)], "XCLAIM min-idle 1000 at exactly 1000 ms");
    ensure_eq!(
        pending_of(b, &topic, id(1, 0)).await?,
        (Duration::ZERO, "c2".to_owned()),
        "idle and owner right after the claim"
    );

    // XAUTOCLAIM: 2-0 delivered to c1 now, scanned at 499 and at 500 ms with min-idle 500.
    ensure_eq!(deliver_one(b, &topic, "c1").await?, vec![id(2, 0)], "second delivery");
    let half = 500 * MS;
    clock.advance(499 * MS).await;
    let options = AutoClaimOptions::new().count(10);
    let early = b.auto_claim(&topic, "g", "c3", half, RangeBound::MIN, &options).await?;
    ensure!(
        early.claimed.is_empty(),
        "XAUTOCLAIM min-idle 500 claimed entries idle for at most 499 ms: {early:?}"
    );
    clock.advance(MS).await;
    let due = b.auto_claim(&topic, "g", "c3", half, RangeBound::MIN, &options).await?;
    // 1-0's idle restarted with c2's claim, at the same instant as 2-0's delivery.
    ensure_eq!(
        due.claimed.ids(),
        vec![id(1, 0), id(2, 0)],
        "XAUTOCLAIM min-idle 500 at exactly 500 ms"
    );
    ensure_eq!(
        pending_of(b, &topic, id(2, 0)).await?,
        (Duration::ZERO, "c3".to_owned()),
        "idle and owner right after the autoclaim"
    );

    // A consumer created now is idle from now; c1 has not read since 2-0's delivery 500 ms ago.
    b.consumer_create(&topic, "g", "c4").await?;
    clock.advance(1234 * MS).await;
    ensure_eq!(
        consumer_idle(b, &topic, "c4").await?,
        1234 * MS,
        "XINFO CONSUMERS idle of a consumer created 1234 ms ago"
    );
    ensure_eq!(
        consumer_idle(b, &topic, "c1").await?,
        1734 * MS,
        "XINFO CONSUMERS idle of c1, last read 1734 ms ago"
    );
    Ok(())
}

/// The ids and pending state around a blocked group read that ended: whatever the read returned must be exactly
/// what it moved into the consumer's pending list; what it did not return stays undelivered.
async fn blocked_read_kept_everything(
    backend: &dyn Backend,
    topic: &Topic,
    returned: Option<Vec<EntryId>>,
    appended: &[EntryId],
) -> CheckResult {
    let pending: Vec<EntryId> = backend
        .pending(topic, "g", &PendingQuery::all(100))
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    let returned = returned.unwrap_or_default();
    ensure_eq!(
        pending,
        returned,
        "pending entries after the blocked read (it returned {returned:?})"
    );
    let rest = deliver_all(backend, topic, "other").await?;
    let mut all = returned.clone();
    all.extend(rest);
    ensure_eq!(
        all,
        appended.to_vec(),
        "entries the blocked read returned plus those a later `>` read gets"
    );
    Ok(())
}

type BlockedRead = tokio::task::JoinHandle<(bus_core::Result<Option<Vec<EntryId>>>, Duration)>;

/// Spawns `XREADGROUP GROUP g c BLOCK <block> STREAMS <topic> >`, returning its ids (or `None` on timeout) and
/// how long it took.
fn spawn_blocked_read(backend: &Arc<dyn Backend>, topic: &Topic, block: Duration) -> BlockedRead {
    let backend = backend.clone();
    let topic = topic.clone();
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let options = ReadGroupOptions::new().block(block);
        let reply = backend
            .read_group("g", "c", &[(topic, GroupCursor::New)], &options)
            .await
            .map(|reply| match reply {
                ReadReply::TimedOut => None,
                reply => Some(reply.into_entries().map(|e| e.id()).collect()),
            });
        (reply, start.elapsed())
    })
}

async fn join(reader: BlockedRead) -> Result<(Option<Vec<EntryId>>, Duration), Failure> {
    let (reply, elapsed) = reader
        .await
        .map_err(|err| Failure(format!("reader task failed: {err}")))?;
    Ok((reply?, elapsed))
}

/// Lets spawned tasks run until they block, without moving a paused clock.
async fn settle() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

/// On paused time, a blocked read that gets nothing returns `None` when its block expires, not before; XREAD and
/// XREADGROUP alike. "When" is exact to tokio's timer tick: a timer fires on the first whole millisecond (counted
/// from the runtime's start) at or after its deadline, so the read ends between `block` and `block + 1 ms`.
pub async fn block_timeouts_are_exact(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let topic = topic("block-exact")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let block = SECOND;
    let reader = spawn_blocked_read(&backend, &topic, block);
    let plain = {
        let backend = backend.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let options = ReadOptions::new().block(block);
            let reply = backend.read(&[(topic, ReadCursor::New)], &options).await;
            (reply.map(|r| r.is_timed_out()), start.elapsed())
        })
    };
    settle().await;
    clock.advance(block - MS).await;
    settle().await;
    ensure!(
        !reader.is_finished() && !plain.is_finished(),
        "a read blocked for 1000 ms returned after 999 ms"
    );
    let (reply, elapsed) = join(reader).await?;
    ensure_eq!(reply, None, "XREADGROUP BLOCK 1000 with nothing appended");
    ensure!(
        elapsed >= block && elapsed <= block + MS,
        "XREADGROUP BLOCK 1000 timed out after {elapsed:?}"
    );
    let (timed_out, elapsed) = plain
        .await
        .map_err(|err| Failure(format!("reader task failed: {err}")))?;
    ensure!(timed_out?, "XREAD BLOCK 1000 with nothing appended returned entries");
    ensure!(
        elapsed >= block && elapsed <= block + MS,
        "XREAD BLOCK 1000 timed out after {elapsed:?}"
    );
    Ok(())
}

/// On paused time, an entry appended 1 ms before a blocked reader's deadline, or at the very instant of it
/// (before the timeout fires), is either returned by the read or left undelivered, never moved into the
/// reader's pending list behind a `None`.
pub async fn blocked_read_at_its_deadline_loses_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let topic = topic("block-deadline")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let block = SECOND;
    let mut appended = Vec::new();
    for (round, early) in [(1u64, MS), (2, Duration::ZERO)] {
        let reader = spawn_blocked_read(&backend, &topic, block);
        settle().await;
        clock.advance(block - MS).await;
        settle().await;
        clock.advance_before_timers(MS - early).await;
        backend
            .append(&topic, fields(round), &AppendOptions::new().id(id(round, 0)))
            .await?;
        appended.push(id(round, 0));
        let (reply, elapsed) = join(reader).await?;
        ensure!(
            elapsed >= block - early && elapsed <= block + MS,
            "round {round}: the read ended {elapsed:?} after it started, appended to after {:?}",
            block - early
        );
        if early > Duration::ZERO {
            ensure_eq!(
                reply,
                Some(vec![id(round, 0)]),
                "round {round}: the read served 1 ms before its deadline"
            );
        }
        blocked_read_kept_everything(backend.as_ref(), &topic, reply.clone(), &appended[appended.len() - 1..])
            .await
            .map_err(|Failure(e)| Failure(format!("round {round}: {e}")))?;
        // Settle what this round delivered so the next starts from an empty pending list.
        let delivered: Vec<EntryId> = appended.clone();
        backend.ack(&topic, "g", &delivered).await?;
    }
    Ok(())
}

/// Idle times on a real clock, with wide margins: right after a delivery an entry is far from idle for an hour,
/// and after sleeping 50 ms it is idle at least 40 ms (XPENDING, XCLAIM and XAUTOCLAIM min-idle, XINFO CONSUMERS).
pub async fn idle_times_hold_with_margins(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let topic = topic("idle-margins")?;
    let hour = Duration::from_secs(3600);
    let floor = 40 * MS;
    fill(b, &topic, 2).await?;
    group_at_zero(b, &topic).await?;
    deliver_all(b, &topic, "c1").await?;
    let claimed = b
        .claim(&topic, "g", "c2", hour, &[id(1, 0)], &ClaimOptions::new())
        .await?;
    ensure!(
        claimed.is_empty(),
        "XCLAIM min-idle 1h claimed a fresh entry: {claimed:?}"
    );
    let auto = b
        .auto_claim(&topic, "g", "c2", hour, RangeBound::MIN, &AutoClaimOptions::new())
        .await?;
    ensure!(
        auto.claimed.is_empty(),
        "XAUTOCLAIM min-idle 1h claimed a fresh entry: {auto:?}"
    );
    tokio::time::sleep(50 * MS).await;
    let (idle, owner) = pending_of(b, &topic, id(1, 0)).await?;
    ensure!(
        idle >= floor && idle < hour && owner == "c1",
        "XPENDING 50 ms after the delivery: idle {idle:?}, owner {owner}"
    );
    let idle = consumer_idle(b, &topic, "c1").await?;
    ensure!(
        idle >= floor && idle < hour,
        "XINFO CONSUMERS idle of c1 50 ms after its read: {idle:?}"
    );
    let claimed = b
        .claim(&topic, "g", "c2", floor, &[id(1, 0)], &ClaimOptions::new())
        .await?;
    ensure_eq!(claimed.ids(), vec![id(1, 0)], "XCLAIM min-idle 40 ms after 50 ms");
    let options = AutoClaimOptions::new().count(10);
    let auto = b
        .auto_claim(&topic, "g", "c3", floor, RangeBound::MIN, &options)
        .await?;
    ensure_eq!(
        auto.claimed.ids(),
        vec![id(2, 0)],
        "XAUTOCLAIM min-idle 40 ms after 50 ms (1-0 was just claimed)"
    );
    Ok(())
}

/// Block timeouts on a real clock, with wide margins: a read blocked for 100 ms with nothing appended returns
/// `None` after at least 90 ms and well within 10 s; one racing an append at its deadline returns the entry or
/// leaves it undelivered.
pub async fn block_timeouts_hold_with_margins(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("block-margins")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let block = 100 * MS;
    let (reply, elapsed) = join(spawn_blocked_read(&backend, &topic, block)).await?;
    ensure_eq!(reply, None, "XREADGROUP BLOCK 100 with nothing appended");
    ensure!(
        elapsed >= 90 * MS && elapsed < Duration::from_secs(10),
        "XREADGROUP BLOCK 100 timed out after {elapsed:?}"
    );
    let reader = spawn_blocked_read(&backend, &topic, block);
    tokio::time::sleep(block).await;
    backend
        .append(&topic, fields(1), &AppendOptions::new().id(id(1, 0)))
        .await?;
    let (reply, _) = join(reader).await?;
    blocked_read_kept_everything(backend.as_ref(), &topic, reply, &[id(1, 0)]).await
}
