//! XREADGROUP: new entries (`>`), a consumer's history, NOACK, several topics in one read, and what a read
//! creates or refuses.

use std::sync::Arc;

use bus_core::{
    Backend, EntryId, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, PendingQuery, ReadGroupOptions,
    ReadReply, Topic,
};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// `XREADGROUP GROUP g <consumer> … STREAMS k <cursor>`: the entries of the one topic read.
async fn read(
    backend: &dyn Backend,
    topic: &Topic,
    consumer: &str,
    cursor: GroupCursor,
    options: ReadGroupOptions,
) -> Result<Vec<GroupEntry>, Failure> {
    let reply = backend
        .read_group("g", consumer, &[(topic.clone(), cursor)], &options)
        .await?;
    Ok(reply.into_entries().collect())
}

/// Group `g` at 0 (MKSTREAM) before four entries `1-1 … 4-1`; c1 reads three (`COUNT 3 >` → 1-1 2-1 3-1); then
/// `XDEL k 2-1`.
async fn three_read_one_deleted(backend: &dyn Backend, name: &str) -> Result<Topic, Failure> {
    let t = topic(name)?;
    group_at_zero(backend, &t).await?;
    add_numbered(backend, &t, 4).await?;
    let first = read(backend, &t, "c1", GroupCursor::New, ReadGroupOptions::new().count(3)).await?;
    ensure_eq!(
        group_ids(&first),
        vec!["1-1", "2-1", "3-1"],
        "XREADGROUP … c1 COUNT 3 >"
    );
    backend.delete(&t, &[id(2, 1)]).await?;
    Ok(t)
}

/// Three entries; c1 reads them all (`>`) and then its history (`0`, delivery counts 2); `XGROUP SETID k g 0`;
/// c2 reads `COUNT 2 >`.
async fn rewound(backend: &dyn Backend, name: &str) -> Result<Topic, Failure> {
    let t = numbered_with_group(backend, name, 3).await?;
    read(backend, &t, "c1", GroupCursor::New, ReadGroupOptions::new()).await?;
    let all = GroupCursor::History(EntryId::MIN);
    read(backend, &t, "c1", all, ReadGroupOptions::new()).await?;
    backend
        .group_set_id(&t, "g", GroupStart::Id(EntryId::MIN), None)
        .await?;
    let got = read(backend, &t, "c2", GroupCursor::New, ReadGroupOptions::new().count(2)).await?;
    ensure_eq!(
        group_ids(&got),
        vec!["1-1", "2-1"],
        "XREADGROUP … c2 COUNT 2 > after the rewind"
    );
    Ok(t)
}

/// `XGROUP CREATE k g $ MKSTREAM`: a group on a new, empty topic.
async fn empty_group(backend: &dyn Backend, name: &str) -> Result<Topic, Failure> {
    let t = topic(name)?;
    let mk = GroupCreateOptions::new().mkstream();
    backend.group_create(&t, "g", GroupStart::Last, &mk).await?;
    Ok(t)
}

/// The consumers count of each group of the topic (XINFO GROUPS).
async fn consumer_counts(backend: &dyn Backend, topic: &Topic) -> Result<Vec<u64>, Failure> {
    Ok(backend.groups_info(topic).await?.iter().map(|g| g.consumers).collect())
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

/// A history read counts a delivery for each pending entry it returns, except those deleted from the stream
/// (returned with nil fields).
///
/// redis-cli: `XGROUP CREATE k g 0 MKSTREAM`; 4 entries; `XREADGROUP GROUP g c1 COUNT 3 STREAMS k >` → 1-1 2-1 3-1;
/// `XDEL k 2-1`; `XREADGROUP GROUP g c1 STREAMS k 1-1` → 2-1 (nil fields), 3-1; `XPENDING k g - + 100` → 1-1 c1 1,
/// 2-1 c1 1, 3-1 c1 2.
pub async fn history_does_not_count_deliveries_of_deleted_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = three_read_one_deleted(b, "history-counts").await?;
    let after_first = GroupCursor::History(id(1, 1));
    let history = read(b, &t, "c1", after_first, ReadGroupOptions::new()).await?;
    ensure_eq!(
        group_ids(&history),
        vec!["2-1(deleted)", "3-1"],
        "XREADGROUP … c1 STREAMS k 1-1"
    );
    ensure_eq!(
        pending_rows(b, &t, &PendingQuery::all(100)).await?,
        vec![row("1-1", "c1", 1), row("2-1", "c1", 1), row("3-1", "c1", 2)],
        "XPENDING (id, consumer, delivery count) after the history read"
    );
    Ok(())
}

/// COUNT limits a history read too.
///
/// redis-cli: as in `history_does_not_count_deliveries_of_deleted_entries`, then
/// `XREADGROUP GROUP g c1 COUNT 1 STREAMS k 0` → 1-1.
pub async fn history_honours_count(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = three_read_one_deleted(b, "history-count").await?;
    let all = GroupCursor::History(EntryId::MIN);
    let one = read(b, &t, "c1", all, ReadGroupOptions::new().count(1)).await?;
    ensure_eq!(group_ids(&one), vec!["1-1"], "XREADGROUP … c1 COUNT 1 STREAMS k 0");
    Ok(())
}

/// A history read returns only the reading consumer's pending entries.
///
/// redis-cli: as in `history_does_not_count_deliveries_of_deleted_entries`, then
/// `XREADGROUP GROUP g c2 STREAMS k 0` → k with no entries.
pub async fn history_is_per_consumer(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = three_read_one_deleted(b, "history-own").await?;
    let all = GroupCursor::History(EntryId::MIN);
    let other = read(b, &t, "c2", all, ReadGroupOptions::new()).await?;
    ensure_eq!(group_ids(&other), Vec::<String>::new(), "XREADGROUP … c2 STREAMS k 0");
    Ok(())
}

/// The largest id as a cursor reads new entries, as `>` does (Redis stands `>` for that id internally), and moves
/// the group.
///
/// redis-cli: as in `history_does_not_count_deliveries_of_deleted_entries`, then
/// `XREADGROUP GROUP g c1 STREAMS k 18446744073709551615-18446744073709551615` → 4-1; `XINFO GROUPS k` →
/// consumers 1, pending 4, last-delivered-id 4-1, entries-read 4, lag 0.
pub async fn history_from_the_maximum_id_reads_new_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = three_read_one_deleted(b, "history-max").await?;
    let got = read(b, &t, "c1", GroupCursor::History(EntryId::MAX), ReadGroupOptions::new()).await?;
    ensure_eq!(group_ids(&got), vec!["4-1"], "XREADGROUP … c1 STREAMS k <max id>");
    let info: Vec<_> = b
        .groups_info(&t)
        .await?
        .into_iter()
        .map(|g| (g.consumers, g.pending, g.last_delivered_id, g.entries_read, g.lag))
        .collect();
    ensure_eq!(
        info,
        vec![(1, 4, id(4, 1), Some(4), Some(0))],
        "XINFO GROUPS (consumers, pending, last-delivered-id, entries-read, lag)"
    );
    Ok(())
}

/// A `>` read with nothing to deliver answers nil and does not create the consumer.
///
/// redis-cli: `XGROUP CREATE k g $ MKSTREAM`; `XREADGROUP GROUP g c0 STREAMS k >` → nil; `XINFO GROUPS k` →
/// consumers 0.
pub async fn new_read_with_nothing_new_creates_no_consumer(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = empty_group(b, "c").await?;
    let reply = b
        .read_group("g", "c0", &[(t.clone(), GroupCursor::New)], &ReadGroupOptions::new())
        .await?;
    ensure_eq!(
        reply,
        ReadReply::Topics(vec![]),
        "XREADGROUP … c0 STREAMS k > on an empty topic"
    );
    ensure_eq!(
        consumer_counts(b, &t).await?,
        vec![0],
        "XINFO GROUPS consumers after the empty read"
    );
    Ok(())
}

/// A history read answers every topic it was given, even with no entries, and creates the consumer.
///
/// redis-cli: `XGROUP CREATE k g $ MKSTREAM`; `XREADGROUP GROUP g c0 STREAMS k 0` → [k, []]; `XINFO GROUPS k` →
/// consumers 1.
pub async fn history_read_creates_the_consumer_and_answers_every_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = empty_group(b, "c").await?;
    let cursors = [(t.clone(), GroupCursor::History(EntryId::MIN))];
    let reply = b.read_group("g", "c0", &cursors, &ReadGroupOptions::new()).await?;
    ensure_eq!(
        reply_ids(&reply, GroupEntry::id),
        Some(vec![(t.to_string(), vec![])]),
        "XREADGROUP … c0 STREAMS k 0 on an empty topic"
    );
    ensure_eq!(
        consumer_counts(b, &t).await?,
        vec![1],
        "XINFO GROUPS consumers after the history read"
    );
    Ok(())
}

/// NOACK delivers and moves the group but adds nothing to the pending list; the consumer is still created.
///
/// redis-cli: 3 entries; `XGROUP CREATE k g 0`; `XREADGROUP GROUP g c1 COUNT 1 NOACK STREAMS k >` → 1-1;
/// `XPENDING k g` → 0; `XINFO GROUPS k` → consumers 1, pending 0, last-delivered-id 1-1, entries-read 1, lag 2;
/// `XINFO CONSUMERS k g` → c1 pending 0.
pub async fn noack_delivers_without_pending_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "n", 3).await?;
    let options = ReadGroupOptions::new().count(1).no_ack();
    let got = read(b, &t, "c1", GroupCursor::New, options).await?;
    ensure_eq!(group_ids(&got), vec!["1-1"], "XREADGROUP … c1 COUNT 1 NOACK >");
    ensure_eq!(b.pending_summary(&t, "g").await?.count, 0, "XPENDING count after NOACK");
    let info: Vec<_> = b
        .groups_info(&t)
        .await?
        .into_iter()
        .map(|g| (g.consumers, g.pending, g.last_delivered_id, g.entries_read, g.lag))
        .collect();
    ensure_eq!(
        info,
        vec![(1, 0, id(1, 1), Some(1), Some(2))],
        "XINFO GROUPS (consumers, pending, last-delivered-id, entries-read, lag)"
    );
    let consumers: Vec<_> = b
        .consumers_info(&t, "g")
        .await?
        .into_iter()
        .map(|c| (c.name, c.pending))
        .collect();
    ensure_eq!(consumers, vec![("c1".to_owned(), 0)], "XINFO CONSUMERS (name, pending)");
    Ok(())
}

/// After a SETID rewind, `>` delivers pending entries again: they move to the reader with a delivery count of 1,
/// and leave the previous owner's history.
///
/// redis-cli: 3 entries; `XGROUP CREATE k g 0`; `XREADGROUP GROUP g c1 STREAMS k >`; `XREADGROUP GROUP g c1
/// STREAMS k 0`; `XGROUP SETID k g 0`; `XREADGROUP GROUP g c2 COUNT 2 STREAMS k >` → 1-1 2-1; `XPENDING k g - +
/// 100` → 1-1 c2 1, 2-1 c2 1, 3-1 c1 2; `XPENDING k g` → 3 1-1 3-1 [c1 1, c2 2]; `XREADGROUP GROUP g c1 STREAMS k
/// 0` → 3-1.
pub async fn new_read_after_a_rewind_reassigns_pending_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = rewound(b, "rewind").await?;
    ensure_eq!(
        pending_rows(b, &t, &PendingQuery::all(100)).await?,
        vec![row("1-1", "c2", 1), row("2-1", "c2", 1), row("3-1", "c1", 2)],
        "XPENDING (id, consumer, delivery count) after the rewound read"
    );
    let summary = b.pending_summary(&t, "g").await?;
    ensure_eq!(
        (summary.count, summary.min, summary.max),
        (3, Some(id(1, 1)), Some(id(3, 1))),
        "XPENDING summary (count, min, max)"
    );
    ensure_eq!(
        summary.consumers,
        vec![("c1".to_owned(), 1), ("c2".to_owned(), 2)],
        "XPENDING summary consumers"
    );
    let history = read(b, &t, "c1", GroupCursor::History(EntryId::MIN), ReadGroupOptions::new()).await?;
    ensure_eq!(group_ids(&history), vec!["3-1"], "c1's history after the reassignment");
    Ok(())
}

/// A `>` read after a rewind moves the group forward again and counts what it read.
///
/// redis-cli: as in `new_read_after_a_rewind_reassigns_pending_entries`, then `XINFO GROUPS k` →
/// last-delivered-id 2-1, entries-read 2, lag 1.
pub async fn new_read_after_a_rewind_advances_the_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = rewound(b, "rewind-group").await?;
    let info: Vec<_> = b
        .groups_info(&t)
        .await?
        .into_iter()
        .map(|g| (g.last_delivered_id, g.entries_read, g.lag))
        .collect();
    ensure_eq!(
        info,
        vec![(id(2, 1), Some(2), Some(1))],
        "XINFO GROUPS (last-delivered-id, entries-read, lag) after the rewound read"
    );
    Ok(())
}

/// A `>` read of several topics applies COUNT to each topic and answers only the topics that had something new.
///
/// redis-cli: `XADD a 1-1 n 1`, `2-1 n 2`; `XADD b 1-1 n 1`; `XGROUP CREATE a g 0`, `XGROUP CREATE b g 0`;
/// `XREADGROUP GROUP g c COUNT 1 STREAMS a b > >` → a: 1-1, b: 1-1; the same again → a: 2-1 only.
pub async fn new_reads_over_several_topics_answer_per_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let (ta, tb) = (topic("ma")?, topic("mb")?);
    add_numbered(b, &ta, 2).await?;
    add_numbered(b, &tb, 1).await?;
    group_at_zero(b, &ta).await?;
    group_at_zero(b, &tb).await?;
    let cursors = [(ta.clone(), GroupCursor::New), (tb.clone(), GroupCursor::New)];
    let options = ReadGroupOptions::new().count(1);
    let reply = b.read_group("g", "c", &cursors, &options).await?;
    ensure_eq!(
        reply_ids(&reply, GroupEntry::id),
        Some(vec![
            (ta.to_string(), vec!["1-1".to_owned()]),
            (tb.to_string(), vec!["1-1".to_owned()]),
        ]),
        "the first XREADGROUP … COUNT 1 STREAMS a b > >"
    );
    let reply = b.read_group("g", "c", &cursors, &options).await?;
    ensure_eq!(
        reply_ids(&reply, GroupEntry::id),
        Some(vec![(ta.to_string(), vec!["2-1".to_owned()])]),
        "the second XREADGROUP … COUNT 1 STREAMS a b > >"
    );
    Ok(())
}

/// XREADGROUP on a missing key answers NOGROUP, naming the key and the group.
///
/// redis-cli: `XREADGROUP GROUP g c STREAMS missing >` → `NOGROUP No such key 'missing' or consumer group 'g' in
/// XREADGROUP with GROUP option`.
pub async fn read_group_of_a_missing_topic_is_nogroup(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("rg")?;
    expect_error_text(
        b.read_group("g", "c", &[(t.clone(), GroupCursor::New)], &ReadGroupOptions::new())
            .await,
        "NOGROUP No such key 'conformance:rg' or consumer group 'g' in XREADGROUP with GROUP option",
        "XREADGROUP on a missing key",
    )
}

/// A read of several topics fails as a whole when one of them lacks the group: NOGROUP names that topic, and
/// nothing is delivered from the others.
///
/// redis-cli: `XADD rg 1-1 n 1`, `2-1 n 2`; `XGROUP CREATE rg g 0`; `XADD rg2 1-1 n 1`;
/// `XREADGROUP GROUP g c1 STREAMS rg rg2 > >` → `NOGROUP No such key 'rg2' or consumer group 'g' in XREADGROUP
/// with GROUP option`; `XPENDING rg g` → 0.
pub async fn read_group_fails_whole_when_one_topic_lacks_the_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let (t, t2) = (topic("rg")?, topic("rg2")?);
    add_numbered(b, &t, 2).await?;
    group_at_zero(b, &t).await?;
    add_numbered(b, &t2, 1).await?;
    let cursors = [(t.clone(), GroupCursor::New), (t2, GroupCursor::New)];
    expect_error_text(
        b.read_group("g", "c1", &cursors, &ReadGroupOptions::new()).await,
        "NOGROUP No such key 'conformance:rg2' or consumer group 'g' in XREADGROUP with GROUP option",
        "XREADGROUP over a topic without the group",
    )?;
    ensure_eq!(
        b.pending_summary(&t, "g").await?.count,
        0,
        "XPENDING of the topic that has the group"
    );
    Ok(())
}

/// `$` is no group cursor: the typed cursor refuses it with Redis's message, so no read reaches the backend and
/// nothing is delivered or created.
///
/// redis-cli: `XREADGROUP GROUP g c STREAMS k $` → `ERR The $ ID is meaningless in the context of XREADGROUP: …`.
pub async fn dollar_is_refused_as_a_group_cursor(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "rg", 1).await?;
    let err = match "$".parse::<GroupCursor>() {
        Ok(cursor) => return Err(Failure(format!("`$` parsed as the group cursor {cursor:?}"))),
        Err(err) => err.to_string(),
    };
    ensure!(
        err.starts_with("ERR The $ ID is meaningless in the context of XREADGROUP"),
        "error for `$` as a group cursor: {err}"
    );
    let groups: Vec<_> = b
        .groups_info(&t)
        .await?
        .into_iter()
        .map(|g| (g.consumers, g.pending))
        .collect();
    ensure_eq!(groups, vec![(0, 0)], "XINFO GROUPS (consumers, pending)");
    Ok(())
}

/// XREADGROUP of no topic is refused as Redis parses it: by arity when nothing but NOACK is given
/// (`XREADGROUP GROUP g c STREAMS`, `… NOACK STREAMS` → `ERR wrong number of arguments for 'xreadgroup'
/// command`), as a syntax error once COUNT or BLOCK make the command long enough (`… COUNT 1 STREAMS` →
/// `ERR syntax error`). No consumer is created.
pub async fn read_group_of_no_topics_is_refused_as_redis_parses_it(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xreadgroup-arity")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let arity = "ERR wrong number of arguments for 'xreadgroup' command";
    let read = |options: ReadGroupOptions| {
        let backend = backend.clone();
        async move {
            let read = backend.read_group("g", "c", &[], &options);
            tokio::time::timeout(std::time::Duration::from_secs(10), read).await
        }
    };
    let timed = |what: &str| Failure(format!("XREADGROUP {what} STREAMS blocked instead of failing"));
    let plain = read(ReadGroupOptions::new()).await.map_err(|_| timed("GROUP g c"))?;
    expect_error_text(plain, arity, "XREADGROUP GROUP g c STREAMS")?;
    let no_ack = read(ReadGroupOptions::new().no_ack())
        .await
        .map_err(|_| timed("NOACK"))?;
    expect_error_text(no_ack, arity, "XREADGROUP GROUP g c NOACK STREAMS")?;
    let counted = read(ReadGroupOptions::new().count(1))
        .await
        .map_err(|_| timed("COUNT 1"))?;
    expect_error_text(counted, "ERR syntax error", "XREADGROUP GROUP g c COUNT 1 STREAMS")?;
    let blocking = ReadGroupOptions::new().block(std::time::Duration::from_millis(10));
    let blocked = read(blocking).await.map_err(|_| timed("BLOCK 10"))?;
    expect_error_text(blocked, "ERR syntax error", "XREADGROUP GROUP g c BLOCK 10 STREAMS")?;
    ensure!(
        backend.consumers_info(&topic, "g").await?.is_empty(),
        "a refused XREADGROUP created a consumer"
    );
    Ok(())
}

/// XREADGROUP's BLOCK beyond a signed 64-bit integer of milliseconds is refused before anything is delivered:
/// `XREADGROUP GROUP g c BLOCK 9223372036854775808 STREAMS k >` → `ERR timeout is not an integer or out of
/// range`; the entry stays undelivered.
pub async fn read_group_block_out_of_range_is_refused(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xreadgroup-block-range")?;
    fill(backend.as_ref(), &topic, 1).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let too_long = ReadGroupOptions::new().block(std::time::Duration::from_millis(1 << 63));
    let cursors = [(topic.clone(), GroupCursor::New)];
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        backend.read_group("g", "c", &cursors, &too_long),
    )
    .await
    .map_err(|_| Failure("XREADGROUP BLOCK 2^63 blocked instead of failing".into()))?;
    expect_error_text(
        read,
        "ERR timeout is not an integer or out of range",
        "XREADGROUP BLOCK 2^63",
    )?;
    ensure_eq!(
        deliver_all(backend.as_ref(), &topic, "c").await?,
        vec![id(1, 0)],
        "a `>` read afterwards"
    );
    Ok(())
}

/// Group reads return each entry with its fields exactly as written, new (`>`) and from history alike.
///
/// redis-cli: `XADD k 1-1 a 1 a 2 b ''`, `XADD k 2-1 x y`; `XGROUP CREATE k g 0`;
/// `XREADGROUP GROUP g c1 COUNT 1 STREAMS k >` → 1-1 a 1 a 2 b ''; `XREADGROUP GROUP g c2 STREAMS k >` → 2-1 x y;
/// `XREADGROUP GROUP g c1 STREAMS k 0` → 1-1 a 1 a 2 b ''.
pub async fn group_reads_return_entries_with_their_fields(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("group-fields")?;
    add(b, &t, "1-1", odd_fields()).await?;
    add(b, &t, "2-1", pairs(&[("x", "y")])).await?;
    group_at_zero(b, &t).await?;
    let first = GroupEntry::Present(bus_core::Entry::new(id(1, 1), odd_fields()));
    let second = GroupEntry::Present(bus_core::Entry::new(id(2, 1), pairs(&[("x", "y")])));
    let got = read(b, &t, "c1", GroupCursor::New, ReadGroupOptions::new().count(1)).await?;
    ensure_eq!(got, vec![first.clone()], "XREADGROUP GROUP g c1 COUNT 1 STREAMS k >");
    let got = read(b, &t, "c2", GroupCursor::New, ReadGroupOptions::new()).await?;
    ensure_eq!(got, vec![second], "XREADGROUP GROUP g c2 STREAMS k >");
    let history = GroupCursor::History(EntryId::MIN);
    let got = read(b, &t, "c1", history, ReadGroupOptions::new()).await?;
    ensure_eq!(got, vec![first], "XREADGROUP GROUP g c1 STREAMS k 0");
    Ok(())
}
