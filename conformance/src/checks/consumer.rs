//! The `Bus` and `Consumer` handles of bus-core, on any backend: idempotent publishing and its UUID index,
//! `tail`, `read_after` with each [`Cursor`] and the gaps it reports, `ensure_group`, and consumer reads that
//! never strand an entry.
//!
//! Messages are published at explicit ids (`1-1`, `2-1`, …) wherever an assertion names an id, so the expected
//! values hold on every backend whatever its clock.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, Bus, Cursor, EntryId, Error, GroupStart, Message, PendingQuery, Received, Topic, Trim, Uuid,
};
use serde_json::json;

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

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
        let early = tokio::time::timeout(LET_BLOCK, &mut read).await;
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

/// A `Consumer` reads under the name it was made with (XREADGROUP's consumer argument), in its group, and says
/// so: what it moved is pending for that consumer, and its accessors report topic, group and name.
pub async fn a_consumer_reads_under_its_own_name(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("named-consumer")?;
    let bus = Bus::from_arc(backend.clone());
    bus.ensure_group(&topic, "g", GroupStart::Id(EntryId::MIN)).await?;
    backend
        .append(&topic, fields(1), &AppendOptions::new().id(id(1, 0)))
        .await?;
    let mut consumer = bus.consumer(topic.clone(), "g", "c1");
    ensure_eq!(consumer.topic(), &topic, "the consumer's topic");
    ensure_eq!(consumer.group(), "g", "the consumer's group");
    ensure_eq!(consumer.name(), "c1", "the consumer's name");
    let read = consumer.read(10, None).await?;
    ensure_eq!(read.len(), 1, "the consumer reads the one entry");
    let consumers = backend.consumers_info(&topic, "g").await?;
    let owners: Vec<(String, u64)> = consumers.into_iter().map(|c| (c.name, c.pending)).collect();
    ensure_eq!(
        owners,
        vec![("c1".to_owned(), 1)],
        "the entry is pending for the consumer named c1"
    );
    Ok(())
}

/// Publishes `n` messages with payloads `{"i":0}`, `{"i":1}`, … at ids `1-1`, `2-1`, …; their UUIDs.
async fn publish_n(bus: &Bus, topic: &Topic, n: u64) -> Result<Vec<Uuid>, Failure> {
    let mut uuids = Vec::new();
    for i in 0..n {
        let message = Message::new(&json!({ "i": i }))?;
        let options = AppendOptions::new().id(id(i + 1, 1));
        let published = bus.publish_message_with(topic, &message, &options).await?;
        ensure!(!published.duplicate, "publishing fresh message {i} answered duplicate");
        ensure_eq!(published.entry_id, id(i + 1, 1), "entry id of message {i}");
        uuids.push(message.id());
    }
    Ok(uuids)
}

/// The entry ids of what the bus handed out, as text.
fn received_ids(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.entry_id().to_string()).collect()
}

/// `Bus::publish_message` is idempotent: publishing the same message twice appends it once (XLEN 1, XINFO
/// STREAM entries-added 1) and the second publish returns the first entry, flagged `duplicate`; `Bus::lookup`
/// finds the entry by the message's UUID.
pub async fn bus_publishes_a_message_once(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("bus-once")?;
    let bus = Bus::from_arc(backend.clone());
    let message = Message::new(&json!({"content": "hello"}))?;
    let first = bus.publish_message(&topic, &message).await?;
    ensure!(!first.duplicate, "the first publish of a message answered duplicate");
    let again = bus.publish_message(&topic, &message).await?;
    ensure!(
        again.duplicate,
        "publishing the same message again was not flagged duplicate"
    );
    ensure_eq!(again.entry_id, first.entry_id, "entry id of the duplicate publish");
    ensure_eq!(backend.len(&topic).await?, 1, "XLEN after publishing one message twice");
    ensure_eq!(
        backend.stream_info(&topic).await?.entries_added,
        1,
        "entries-added after publishing one message twice"
    );
    ensure_eq!(
        bus.lookup(&topic, message.id()).await?,
        Some(first.entry_id),
        "lookup of the message's UUID"
    );
    Ok(())
}

/// Once the entry holding a message is deleted (XDEL), its UUID is free again: `Bus::lookup` finds nothing, and
/// publishing the message again appends a new entry, after the deleted one.
pub async fn a_deleted_message_is_published_again(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("republish-deleted")?;
    let bus = Bus::from_arc(backend.clone());
    let message = Message::new(&json!({"content": "hello"}))?;
    let first = bus.publish_message(&topic, &message).await?;
    ensure_eq!(
        backend.delete(&topic, &[first.entry_id]).await?,
        1,
        "XDEL of the message's entry"
    );
    ensure_eq!(
        bus.lookup(&topic, message.id()).await?,
        None,
        "lookup of the UUID after its entry was deleted"
    );
    let again = bus.publish_message(&topic, &message).await?;
    ensure!(
        !again.duplicate,
        "publishing a deleted message again was flagged duplicate"
    );
    ensure!(
        again.entry_id > first.entry_id,
        "the new entry {} is not after the deleted {}",
        again.entry_id,
        first.entry_id
    );
    Ok(())
}

/// `Bus::tail(n)` returns the last n entries, oldest first: of `{"i":0}` … `{"i":4}` at 1-1 … 5-1, `tail 2` is
/// 4-1 then 5-1, the latter holding `{"i":4}`.
pub async fn tail_returns_the_last_n_oldest_first(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("tail")?;
    let bus = Bus::from_arc(backend);
    publish_n(&bus, &topic, 5).await?;
    let tail = bus.tail(&topic, 2).await?;
    ensure_eq!(received_ids(&tail), vec!["4-1", "5-1"], "tail 2 of five messages");
    let payload = tail.get(1).and_then(Received::message).map(Message::payload);
    ensure_eq!(payload, Some(r#"{"i":4}"#), "payload of the newest entry of the tail");
    Ok(())
}

/// `Bus::read_after(Cursor::Start)` returns every entry, oldest first.
pub async fn read_after_the_start_returns_every_entry(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("after-start")?;
    let bus = Bus::from_arc(backend);
    publish_n(&bus, &topic, 4).await?;
    let all = bus.read_after(&topic, Cursor::Start, None).await?;
    ensure_eq!(
        received_ids(&all),
        vec!["1-1", "2-1", "3-1", "4-1"],
        "read_after(Start) of four messages"
    );
    Ok(())
}

/// `Bus::read_after(Cursor::Entry(id))` returns what follows the entry, not the entry itself, up to the count:
/// after 2-1 of 1-1 … 4-1 comes 3-1, 4-1; after 1-1 with count 2, 2-1, 3-1.
pub async fn read_after_an_entry_returns_what_follows_it(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("after-entry")?;
    let bus = Bus::from_arc(backend);
    publish_n(&bus, &topic, 4).await?;
    let after = bus.read_after(&topic, Cursor::Entry(id(2, 1)), None).await?;
    ensure_eq!(received_ids(&after), vec!["3-1", "4-1"], "read_after(Entry 2-1)");
    let limited = bus.read_after(&topic, Cursor::Entry(id(1, 1)), Some(2)).await?;
    ensure_eq!(
        received_ids(&limited),
        vec!["2-1", "3-1"],
        "read_after(Entry 1-1, count 2)"
    );
    Ok(())
}

/// `Bus::read_after(Cursor::Message(uuid))` returns what follows the entry holding the message: after the
/// message at 2-1 with count 1 comes the message at 3-1.
pub async fn read_after_a_message_returns_what_follows_it(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("after-message")?;
    let bus = Bus::from_arc(backend);
    let uuids = publish_n(&bus, &topic, 4).await?;
    let after = bus.read_after(&topic, Cursor::Message(uuids[1]), Some(1)).await?;
    ensure_eq!(
        received_ids(&after),
        vec!["3-1"],
        "read_after(the message at 2-1, count 1)"
    );
    ensure_eq!(
        after.first().and_then(Received::message).map(Message::id),
        Some(uuids[2]),
        "UUID of the message read after the message at 2-1"
    );
    Ok(())
}

/// A message cursor the topic does not hold is a typed error: `unknown cursor: topic '<topic>' holds no entry
/// with message id <uuid>`.
pub async fn an_unknown_message_cursor_is_a_typed_error(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("unknown-cursor")?;
    let bus = Bus::from_arc(backend);
    publish_n(&bus, &topic, 1).await?;
    let stranger = Uuid::new_v4();
    let what = "read_after a UUID the topic does not hold";
    let err = expect_err(bus.read_after(&topic, Cursor::Message(stranger), None).await, what)?;
    ensure!(
        matches!(err, Error::UnknownCursor { uuid, .. } if uuid == stranger),
        "{what} failed with {err:?}"
    );
    ensure_eq!(
        err.to_string(),
        format!("unknown cursor: topic '{topic}' holds no entry with message id {stranger}"),
        "error of {what}"
    );
    Ok(())
}

/// An entry cursor deleted from the middle of the topic is no gap: everything after it is still there, so
/// reading after it returns 3-1, 4-1 when 2-1 was deleted from 1-1 … 4-1.
pub async fn read_after_a_deleted_cursor_returns_what_follows(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("after-deleted")?;
    let bus = Bus::from_arc(backend.clone());
    publish_n(&bus, &topic, 4).await?;
    ensure_eq!(backend.delete(&topic, &[id(2, 1)]).await?, 1, "XDEL 2-1");
    let after = bus.read_after(&topic, Cursor::Entry(id(2, 1)), None).await?;
    ensure_eq!(received_ids(&after), vec!["3-1", "4-1"], "read_after(the deleted 2-1)");
    Ok(())
}

/// An entry cursor before the first entry that never existed, with nothing ever removed from the topic, is no
/// gap: after 4-0 on a topic holding only 5-1 comes 5-1.
pub async fn read_after_an_id_before_the_first_entry_is_no_gap(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("before-first")?;
    let bus = Bus::from_arc(backend);
    let message = Message::new(&json!({ "i": 0 }))?;
    let options = AppendOptions::new().id(id(5, 1));
    bus.publish_message_with(&topic, &message, &options).await?;
    let after = bus.read_after(&topic, Cursor::Entry(id(4, 0)), None).await?;
    ensure_eq!(
        received_ids(&after),
        vec!["5-1"],
        "read_after(4-0) with 5-1 the only entry"
    );
    Ok(())
}

/// An entry cursor trimmed away (gone, and before the oldest entry after entries were removed) is reported as
/// a gap, since entries the reader never saw may be gone: after `XTRIM MAXLEN 1` of 1-1 … 4-1, reading after
/// 1-1 fails with `cursor 1-1 on topic '<topic>' was trimmed away (oldest entry now: 4-1)`.
pub async fn read_after_a_trimmed_cursor_reports_the_gap(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("after-trimmed")?;
    let bus = Bus::from_arc(backend.clone());
    publish_n(&bus, &topic, 4).await?;
    ensure_eq!(
        backend.trim(&topic, &Trim::maxlen(1)).await?,
        3,
        "XTRIM MAXLEN 1 of four entries"
    );
    let what = "read_after a trimmed cursor";
    let err = expect_err(bus.read_after(&topic, Cursor::Entry(id(1, 1)), None).await, what)?;
    ensure!(
        matches!(err, Error::CursorTrimmed { cursor, oldest, .. } if cursor == id(1, 1) && oldest == Some(id(4, 1))),
        "{what} failed with {err:?}"
    );
    ensure_eq!(
        err.to_string(),
        format!("cursor 1-1 on topic '{topic}' was trimmed away (oldest entry now: 4-1)"),
        "error of {what}"
    );
    Ok(())
}

/// A reader that had read up to the last id misses nothing, even once everything was trimmed: after `XTRIM
/// MAXLEN 0` of 1-1 … 4-1, reading after 4-1 returns nothing and reports no gap.
pub async fn read_after_the_last_id_misses_nothing_once_everything_is_trimmed(
    backend: Arc<dyn Backend>,
) -> CheckResult {
    let topic = topic("after-all-trimmed")?;
    let bus = Bus::from_arc(backend.clone());
    publish_n(&bus, &topic, 4).await?;
    ensure_eq!(
        backend.trim(&topic, &Trim::maxlen(0)).await?,
        4,
        "XTRIM MAXLEN 0 of four entries"
    );
    let after = bus.read_after(&topic, Cursor::Entry(id(4, 1)), None).await?;
    ensure_eq!(
        received_ids(&after),
        Vec::<String>::new(),
        "read_after(4-1) once everything was trimmed"
    );
    Ok(())
}

/// `Bus::ensure_group` creates the group once: true when it created it, false when it already existed
/// (XGROUP CREATE answering BUSYGROUP).
pub async fn ensure_group_creates_the_group_once(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("ensure-group")?;
    let bus = Bus::from_arc(backend);
    ensure!(
        bus.ensure_group(&topic, "g", GroupStart::Last).await?,
        "ensure_group of a new group answered false"
    );
    ensure!(
        !bus.ensure_group(&topic, "g", GroupStart::Last).await?,
        "ensure_group of an existing group answered true"
    );
    Ok(())
}

/// A consumer read dropped after the backend served it (its first append moved 1-1 into c1's pending list,
/// delivery count 1; the second, 2-1, stays new) is replayed by the next read, as a history read (delivery
/// count 2); then reads go on with new entries only (2-1, then nothing), and both ack.
pub async fn consumer_replays_a_dropped_read_then_reads_new_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("replay-dropped")?;
    let bus = Bus::from_arc(backend.clone());
    bus.ensure_group(&topic, "g", GroupStart::Last).await?;
    let mut consumer = bus.consumer(topic.clone(), "g", "c1");
    {
        let read = consumer.read(10, Some(Duration::ZERO));
        tokio::pin!(read);
        let early = tokio::time::timeout(LET_BLOCK, &mut read).await;
        ensure!(
            early.is_err(),
            "the read returned before anything was appended: {early:?}"
        );
        publish_n(&bus, &topic, 2).await?;
        // Dropped here, holding the batch it was served.
    }
    let pending = backend.pending(&topic, "g", &PendingQuery::all(10)).await?;
    let pending: Vec<(String, String, u64)> = pending
        .into_iter()
        .map(|p| (p.id.to_string(), p.consumer, p.delivery_count))
        .collect();
    ensure_eq!(
        pending,
        vec![("1-1".to_owned(), "c1".to_owned(), 1)],
        "XPENDING after the served read was dropped: (id, consumer, deliveries)"
    );
    let replayed = consumer.read(10, None).await?;
    ensure_eq!(received_ids(&replayed), vec!["1-1"], "the read after the dropped one");
    let pending = backend.pending(&topic, "g", &PendingQuery::all(10)).await?;
    let counts: Vec<u64> = pending.iter().map(|p| p.delivery_count).collect();
    ensure_eq!(
        counts,
        vec![2],
        "delivery count of 1-1 after its replay, a history read"
    );
    let next = consumer.read(10, None).await?;
    ensure_eq!(received_ids(&next), vec!["2-1"], "the read after the replay");
    let last = consumer.read(10, None).await?;
    ensure_eq!(received_ids(&last), Vec::<String>::new(), "a read with nothing left");
    ensure_eq!(consumer.ack(&[id(1, 1), id(2, 1)]).await?, 2, "ack of both entries");
    Ok(())
}

/// A new consumer with the name of one that went away first reads what its predecessor left pending: of 1-1 …
/// 3-1, the first `worker` reads two; a restarted `worker` reads 1-1, 2-1 again, then 3-1.
pub async fn a_new_consumer_first_picks_up_what_its_predecessor_left_pending(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("predecessor")?;
    let bus = Bus::from_arc(backend);
    bus.ensure_group(&topic, "g", GroupStart::Last).await?;
    publish_n(&bus, &topic, 3).await?;
    let mut first = bus.consumer(topic.clone(), "g", "worker");
    let got = first.read(2, None).await?;
    ensure_eq!(received_ids(&got), vec!["1-1", "2-1"], "the first worker's read of 2");
    drop(first);
    let mut restarted = bus.consumer(topic.clone(), "g", "worker");
    let again = restarted.read(10, None).await?;
    ensure_eq!(
        received_ids(&again),
        vec!["1-1", "2-1"],
        "the restarted worker's first read"
    );
    let next = restarted.read(10, None).await?;
    ensure_eq!(received_ids(&next), vec!["3-1"], "the restarted worker's second read");
    Ok(())
}

/// A pending entry deleted from the topic comes back from a consumer's replay as `Received::Deleted`, which is
/// no message; the entries around it come back as messages.
pub async fn deleted_pending_entries_come_back_as_deleted(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("deleted-pending")?;
    let bus = Bus::from_arc(backend.clone());
    bus.ensure_group(&topic, "g", GroupStart::Last).await?;
    let uuids = publish_n(&bus, &topic, 2).await?;
    let read = bus.consumer(topic.clone(), "g", "c").read(10, None).await?;
    ensure_eq!(received_ids(&read), vec!["1-1", "2-1"], "the first consumer's read");
    ensure_eq!(backend.delete(&topic, &[id(1, 1)]).await?, 1, "XDEL 1-1");
    let replayed = bus.consumer(topic.clone(), "g", "c").read(10, None).await?;
    ensure_eq!(
        replayed.first(),
        Some(&Received::Deleted { entry_id: id(1, 1) }),
        "the replay of the deleted pending entry"
    );
    ensure_eq!(
        replayed.get(1).and_then(Received::message).map(Message::id),
        Some(uuids[1]),
        "the replay of the pending entry that is still there"
    );
    if let Some(deleted) = replayed.first() {
        ensure!(
            deleted.clone().into_message(&topic).is_err(),
            "a deleted entry converted into a message"
        );
    }
    Ok(())
}

/// The UUID index is per topic: the same message published to two topics is appended to both, and `lookup`
/// finds each topic's own entry.
pub async fn a_message_id_is_deduplicated_per_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let (here, there) = (topic("per-topic-here")?, topic("per-topic-there")?);
    let bus = Bus::from_arc(backend);
    let message = Message::new(&json!({"content": "same message, two topics"}))?;
    let options = AppendOptions::new().id(id(1, 1));
    let on_here = bus.publish_message_with(&here, &message, &options).await?;
    let options = AppendOptions::new().id(id(2, 1));
    let on_there = bus.publish_message_with(&there, &message, &options).await?;
    ensure!(
        !on_here.duplicate && !on_there.duplicate,
        "a UUID is deduplicated per topic: got {on_here:?} then {on_there:?}"
    );
    ensure_eq!(
        bus.lookup(&here, message.id()).await?,
        Some(id(1, 1)),
        "lookup on the first topic"
    );
    ensure_eq!(
        bus.lookup(&there, message.id()).await?,
        Some(id(2, 1)),
        "lookup on the second topic"
    );
    Ok(())
}

/// Dropping a topic (DEL) forgets its UUIDs, and only its own: `lookup` there finds nothing while the other
/// topic keeps its entry, and publishing the message to the dropped topic again appends it anew.
pub async fn dropping_a_topic_forgets_its_message_ids(backend: Arc<dyn Backend>) -> CheckResult {
    let (dropped, kept) = (topic("forget-dropped")?, topic("forget-kept")?);
    let bus = Bus::from_arc(backend.clone());
    let message = Message::new(&json!({"content": "same message, two topics"}))?;
    bus.publish_message_with(&dropped, &message, &AppendOptions::new().id(id(1, 1)))
        .await?;
    bus.publish_message_with(&kept, &message, &AppendOptions::new().id(id(2, 1)))
        .await?;
    ensure!(
        backend.drop_topic(&dropped).await?,
        "DEL of an existing topic answered 0"
    );
    ensure_eq!(
        bus.lookup(&dropped, message.id()).await?,
        None,
        "lookup on the dropped topic"
    );
    ensure_eq!(
        bus.lookup(&kept, message.id()).await?,
        Some(id(2, 1)),
        "lookup on the other topic"
    );
    let again = bus.publish_message(&dropped, &message).await?;
    ensure!(
        !again.duplicate,
        "a dropped topic holds nothing to deduplicate against, yet the publish was a duplicate"
    );
    Ok(())
}
