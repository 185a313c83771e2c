//! BLOCK on XREAD and XREADGROUP: who is served, in which order, what releases a blocked reader (an append, DEL
//! of the topic, XGROUP DESTROY, its timeout), and what is never lost or left behind.
//!
//! Expected values come from redis-cli on 7.0.15: a blocked `redis-cli` in the background, then the command
//! that releases it. The checks on the real clock give a spawned reader 200 ms to block before they act (a
//! blocked reader is not observable through the trait), and bound every wait with a timeout of 10 s.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, Entry, EntryId, Error, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, ReadCursor,
    ReadGroupOptions, ReadOptions, ReadReply, Topic,
};
use tokio::task::JoinHandle;

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// A reader blocked on a group is served by the next append.
pub async fn blocking_read_is_served_by_an_append(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("blocking")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let reader = spawn_group_read(&backend, &topic, "c", ReadGroupOptions::new().block(LONG_BLOCK));
    // Let the reader block before appending; a backend that misses the wake-up fails below.
    tokio::time::sleep(LET_BLOCK).await;
    backend
        .append(&topic, fields(1), &AppendOptions::new().id(id(1, 0)))
        .await?;
    expect_served(
        reader,
        GroupEntry::id,
        &topic,
        &["1-0"],
        "XREADGROUP BLOCK, then XADD k 1-0",
    )
    .await
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

/// XREAD with `$` waits for entries appended after it blocked and returns only those:
/// `XADD k 1-0 n old`; `XREAD BLOCK 0 STREAMS k $` in the background; `XADD k 1-1 n new` → the reader gets
/// `k 1-1 n new`, not the older entry.
pub async fn plain_read_is_served_by_an_append(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("plain-served")?;
    add(backend.as_ref(), &topic, "1-0", pairs(&[("n", "old")])).await?;
    let cursors = vec![(topic.clone(), ReadCursor::New)];
    let reader = spawn_read(&backend, cursors, ReadOptions::new().block(LONG_BLOCK));
    tokio::time::sleep(LET_BLOCK).await;
    ensure!(
        !reader.is_finished(),
        "XREAD BLOCK … STREAMS k $ returned before anything was appended"
    );
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "new")])).await?;
    expect_served(reader, entry_id, &topic, &["1-1"], "XREAD BLOCK … $, then XADD k 1-1").await
}

/// A read blocked on several topics answers with the one that got entries, alone:
/// `XREAD BLOCK 0 STREAMS a b $ $` in the background; `XADD b 1-1 n x` → the reader gets `b 1-1` only.
pub async fn read_over_several_topics_answers_with_the_topic_that_got_entries(
    backend: Arc<dyn Backend>,
) -> CheckResult {
    let (a, b) = (topic("several-a")?, topic("several-b")?);
    let cursors = vec![(a, ReadCursor::New), (b.clone(), ReadCursor::New)];
    let reader = spawn_read(&backend, cursors, ReadOptions::new().block(Duration::ZERO));
    tokio::time::sleep(LET_BLOCK).await;
    add(backend.as_ref(), &b, "1-1", pairs(&[("n", "x")])).await?;
    expect_served(
        reader,
        entry_id,
        &b,
        &["1-1"],
        "XREAD BLOCK 0 STREAMS a b $ $, then XADD b 1-1",
    )
    .await
}

/// XREAD with `$` on a topic that does not exist waits for it: `XREAD BLOCK 0 STREAMS missing $` in the
/// background; `XADD missing 1-1 n v` → the reader gets `missing 1-1`.
pub async fn plain_read_on_a_missing_topic_is_served_by_the_first_append(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("missing-served")?;
    let cursors = vec![(topic.clone(), ReadCursor::New)];
    let reader = spawn_read(&backend, cursors, ReadOptions::new().block(Duration::ZERO));
    tokio::time::sleep(LET_BLOCK).await;
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "v")])).await?;
    expect_served(
        reader,
        entry_id,
        &topic,
        &["1-1"],
        "XREAD BLOCK 0 STREAMS missing $, then XADD",
    )
    .await
}

/// On paused time, a blocked read that gets nothing answers nil after exactly its block, XREAD and XREADGROUP
/// alike: `XADD k 1-1 n x`; `XREAD BLOCK 100 STREAMS k $` → nil after 100 ms; `XGROUP CREATE k g $`;
/// `XREADGROUP GROUP g c BLOCK 250 STREAMS k >` → nil after 250 ms. "Exactly" is as exact as tokio's timer: the
/// read takes as long as a tokio sleep of the block does (100 ms, or 101 ms when the clock was paused between two
/// ticks of tokio's 1 ms timer).
pub async fn timed_out_reads_answer_nil_after_exactly_their_block(backend: Arc<dyn Backend>) -> CheckResult {
    let _clock = PausedClock::start()?;
    let topic = topic("nil-exact")?;
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "x")])).await?;
    let block = 100 * MS;
    let exact = timer_span(block).await;
    ensure!(
        exact == block || exact == block + MS,
        "a tokio sleep of {block:?} took {exact:?} on paused time"
    );
    let start = tokio::time::Instant::now();
    let options = ReadOptions::new().block(block);
    let reply = backend.read(&[(topic.clone(), ReadCursor::New)], &options).await?;
    ensure_eq!(reply, ReadReply::TimedOut, "XREAD BLOCK 100 with nothing appended");
    ensure_eq!(start.elapsed(), exact, "time XREAD BLOCK 100 took to answer nil");
    group_at_end(backend.as_ref(), &topic).await?;
    let block = 250 * MS;
    let exact = timer_span(block).await;
    let start = tokio::time::Instant::now();
    let options = ReadGroupOptions::new().block(block);
    let reply = backend
        .read_group("g", "c", &[(topic, GroupCursor::New)], &options)
        .await?;
    ensure_eq!(reply, ReadReply::TimedOut, "XREADGROUP BLOCK 250 with nothing appended");
    ensure_eq!(start.elapsed(), exact, "time XREADGROUP BLOCK 250 took to answer nil");
    Ok(())
}

/// On paused time, `BLOCK 0` never times out: `XREAD BLOCK 0 STREAMS k $` is still blocked 24 hours later, and
/// `XADD k 1-1 n x` then serves it with `k 1-1`.
pub async fn block_zero_waits_forever(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let topic = topic("block-zero")?;
    let cursors = vec![(topic.clone(), ReadCursor::New)];
    let reader = spawn_read(&backend, cursors, ReadOptions::new().block(Duration::ZERO));
    settle().await;
    clock.advance(Duration::from_secs(24 * 3600)).await;
    settle().await;
    ensure!(
        !reader.is_finished(),
        "XREAD BLOCK 0 returned within 24 hours with nothing appended"
    );
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "x")])).await?;
    expect_served(
        reader,
        entry_id,
        &topic,
        &["1-1"],
        "XREAD BLOCK 0, then XADD k 1-1 after 24 hours",
    )
    .await
}

/// Readers blocked on a group are served first come, first served, one append each: c1 then c2 block with
/// `XREADGROUP GROUP g cN COUNT 1 BLOCK 0 STREAMS k >`; `XADD k 5-1 n a` → c1 gets 5-1 and c2 keeps waiting;
/// `XADD k 6-1 n b` → c2 gets 6-1; `XINFO CONSUMERS k g` → c1 pending 1, c2 pending 1.
pub async fn blocked_group_readers_are_served_in_arrival_order(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("arrival-order")?;
    group_at_end(backend.as_ref(), &topic).await?;
    let options = ReadGroupOptions::new().count(1).block(Duration::ZERO);
    let c1 = spawn_group_read(&backend, &topic, "c1", options);
    tokio::time::sleep(LET_BLOCK).await;
    let c2 = spawn_group_read(&backend, &topic, "c2", options);
    tokio::time::sleep(LET_BLOCK).await;
    add(backend.as_ref(), &topic, "5-1", pairs(&[("n", "a")])).await?;
    tokio::time::sleep(LET_BLOCK).await;
    ensure!(
        !c2.is_finished(),
        "the reader blocked second returned after one append, which serves the reader blocked first"
    );
    expect_served(
        c1,
        GroupEntry::id,
        &topic,
        &["5-1"],
        "c1 (blocked first), then XADD k 5-1",
    )
    .await?;
    add(backend.as_ref(), &topic, "6-1", pairs(&[("n", "b")])).await?;
    expect_served(
        c2,
        GroupEntry::id,
        &topic,
        &["6-1"],
        "c2 (blocked second), then XADD k 6-1",
    )
    .await?;
    ensure_eq!(
        consumer_pending(backend.as_ref(), &topic).await?,
        vec![("c1".to_owned(), 1), ("c2".to_owned(), 1)],
        "XINFO CONSUMERS: (name, pending)"
    );
    Ok(())
}

/// A reader blocked on a group is not a consumer of it until it is served: `XREADGROUP GROUP g c BLOCK 0
/// STREAMS k >` in the background; `XINFO CONSUMERS k g` → empty; `XADD k 1-1 n a` → c gets 1-1;
/// `XINFO CONSUMERS k g` → c pending 1.
pub async fn blocked_group_readers_are_not_consumers_until_served(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("blocked-not-consumer")?;
    group_at_end(backend.as_ref(), &topic).await?;
    let reader = spawn_group_read(&backend, &topic, "c", ReadGroupOptions::new().block(Duration::ZERO));
    tokio::time::sleep(LET_BLOCK).await;
    ensure_eq!(
        consumer_pending(backend.as_ref(), &topic).await?,
        vec![],
        "XINFO CONSUMERS while the only reader is blocked"
    );
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "a")])).await?;
    expect_served(
        reader,
        GroupEntry::id,
        &topic,
        &["1-1"],
        "XREADGROUP BLOCK 0, then XADD k 1-1",
    )
    .await?;
    ensure_eq!(
        consumer_pending(backend.as_ref(), &topic).await?,
        vec![("c".to_owned(), 1)],
        "XINFO CONSUMERS after the reader was served: (name, pending)"
    );
    Ok(())
}

/// XGROUP DESTROY fails the group's blocked readers: `XGROUP CREATE k g $ MKSTREAM`;
/// `XREADGROUP GROUP g c BLOCK 0 STREAMS k >` in the background; `XGROUP DESTROY k g` → 1, and the reader gets
/// `NOGROUP the consumer group this client was blocked on no longer exists`.
pub async fn destroying_the_group_fails_its_blocked_readers_with_nogroup(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("destroy-blocked")?;
    group_at_end(backend.as_ref(), &topic).await?;
    let reader = spawn_group_read(&backend, &topic, "c", ReadGroupOptions::new().block(Duration::ZERO));
    tokio::time::sleep(LET_BLOCK).await;
    ensure!(
        backend.group_destroy(&topic, "g").await?,
        "XGROUP DESTROY of an existing group answered 0"
    );
    let what = "XREADGROUP BLOCK 0 on a destroyed group";
    let err = expect_err(released(reader, what).await?, what)?;
    ensure!(
        matches!(err, Error::NoGroup { .. }),
        "{what} failed with {err:?}; Redis answers NOGROUP"
    );
    ensure_eq!(
        err.to_string(),
        "NOGROUP the consumer group this client was blocked on no longer exists".to_owned(),
        "error of {what}"
    );
    Ok(())
}

/// DEL of the topic fails its blocked group readers: `XGROUP CREATE k g $ MKSTREAM`;
/// `XREADGROUP GROUP g c BLOCK 0 STREAMS k >` in the background; `DEL k` → 1, and the reader gets
/// `UNBLOCKED the stream key no longer exists`; the key stays deleted (`EXISTS k` → 0).
pub async fn deleting_the_topic_fails_blocked_group_readers_with_unblocked(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("delete-blocked")?;
    group_at_end(backend.as_ref(), &topic).await?;
    let reader = spawn_group_read(&backend, &topic, "c", ReadGroupOptions::new().block(Duration::ZERO));
    tokio::time::sleep(LET_BLOCK).await;
    ensure!(backend.drop_topic(&topic).await?, "DEL of an existing topic answered 0");
    let what = "XREADGROUP BLOCK 0 on a deleted topic";
    let err = expect_err(released(reader, what).await?, what)?;
    ensure!(
        matches!(err, Error::TopicDeleted { .. }),
        "{what} failed with {err:?}; Redis answers UNBLOCKED"
    );
    ensure_eq!(
        err.to_string(),
        "UNBLOCKED the stream key no longer exists".to_owned(),
        "error of {what}"
    );
    ensure!(
        !exists(backend.as_ref(), &topic).await?,
        "the topic exists again after its blocked group reader was failed"
    );
    Ok(())
}

/// DEL does not end a plain XREAD: the reader keeps waiting and is served when the topic comes back.
/// `XADD k 1-1 n v`; `XREAD BLOCK 0 STREAMS k $` in the background; `DEL k` → the reader still waits;
/// `XADD k 1-2 n w` → the reader gets `k 1-2`.
pub async fn plain_reader_keeps_waiting_across_a_deletion(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("plain-across-delete")?;
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "v")])).await?;
    let cursors = vec![(topic.clone(), ReadCursor::New)];
    let reader = spawn_read(&backend, cursors, ReadOptions::new().block(Duration::ZERO));
    tokio::time::sleep(LET_BLOCK).await;
    ensure!(backend.drop_topic(&topic).await?, "DEL of an existing topic answered 0");
    tokio::time::sleep(LET_BLOCK).await;
    ensure!(
        !reader.is_finished(),
        "XREAD BLOCK 0 returned when its topic was deleted; Redis keeps it waiting"
    );
    add(backend.as_ref(), &topic, "1-2", pairs(&[("n", "w")])).await?;
    expect_served(
        reader,
        entry_id,
        &topic,
        &["1-2"],
        "XREAD BLOCK 0 across DEL k, then XADD k 1-2",
    )
    .await
}

/// A group read whose block expired is served nothing later: `XGROUP CREATE k g $ MKSTREAM`;
/// `XREADGROUP GROUP g c BLOCK 10 STREAMS k >` → nil; `XADD k 1-1 n v` → `XPENDING k g` counts 0 and
/// `XINFO GROUPS k` shows last-delivered-id 0-0.
pub async fn timed_out_group_read_is_not_served_later(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("timed-out-unserved")?;
    group_at_end(backend.as_ref(), &topic).await?;
    let options = ReadGroupOptions::new().block(10 * MS);
    let reply = backend
        .read_group("g", "c", &[(topic.clone(), GroupCursor::New)], &options)
        .await?;
    ensure_eq!(reply, ReadReply::TimedOut, "XREADGROUP BLOCK 10 with nothing appended");
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "v")])).await?;
    nothing_delivered(backend.as_ref(), &topic, "after the timed-out read").await
}

/// A group read whose future was dropped while it was blocked is served nothing later, as Redis serves nothing
/// to a blocked client that went away (`CLIENT UNBLOCK`, or its connection closed): `XGROUP CREATE k g $
/// MKSTREAM`; `XREADGROUP GROUP g c BLOCK 0 STREAMS k >` in the background, then abandoned; `XADD k 1-1 n v` →
/// `XPENDING k g` counts 0 and `XINFO GROUPS k` shows last-delivered-id 0-0.
pub async fn dropped_group_read_is_not_served_later(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("dropped-unserved")?;
    group_at_end(backend.as_ref(), &topic).await?;
    let reader = spawn_group_read(&backend, &topic, "c", ReadGroupOptions::new().block(Duration::ZERO));
    tokio::time::sleep(LET_BLOCK).await;
    reader.abort();
    let _ = reader.await;
    // A server backend releases the abandoned command asynchronously; give it the time a reader gets to block.
    tokio::time::sleep(LET_BLOCK).await;
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "v")])).await?;
    nothing_delivered(backend.as_ref(), &topic, "after the dropped read").await
}

/// A finite block far longer than any check waits, for reads that must be served rather than time out.
const LONG_BLOCK: Duration = Duration::from_secs(60);

fn entry_id(entry: &Entry) -> EntryId {
    entry.id
}

/// How long a tokio sleep of `span` takes on the paused clock from now: `span`, or `span + 1 ms` when the
/// clock was paused between two ticks of tokio's 1 ms timer wheel (a timer fires on the first whole tick at or
/// after its deadline, and paused time only moves by whole ticks, so the offset stays for the whole check).
async fn timer_span(span: Duration) -> Duration {
    let start = tokio::time::Instant::now();
    tokio::time::sleep(span).await;
    start.elapsed()
}

/// Creates group `g` at `$` (MKSTREAM): only entries appended from now on are new for it.
async fn group_at_end(backend: &dyn Backend, topic: &Topic) -> CheckResult {
    let options = GroupCreateOptions::new().mkstream();
    backend.group_create(topic, "g", GroupStart::Last, &options).await?;
    Ok(())
}

/// Spawns `XREAD [options] STREAMS <cursors>`.
fn spawn_read(
    backend: &Arc<dyn Backend>,
    cursors: Vec<(Topic, ReadCursor)>,
    options: ReadOptions,
) -> JoinHandle<bus_core::Result<ReadReply<Entry>>> {
    let backend = backend.clone();
    tokio::spawn(async move { backend.read(&cursors, &options).await })
}

/// Spawns `XREADGROUP GROUP g <consumer> [options] STREAMS <topic> >`.
fn spawn_group_read(
    backend: &Arc<dyn Backend>,
    topic: &Topic,
    consumer: &str,
    options: ReadGroupOptions,
) -> JoinHandle<bus_core::Result<ReadReply<GroupEntry>>> {
    let (backend, topic, consumer) = (backend.clone(), topic.clone(), consumer.to_owned());
    tokio::spawn(async move {
        backend
            .read_group("g", &consumer, &[(topic, GroupCursor::New)], &options)
            .await
    })
}

/// Fails unless the spawned read ends (within [`RELEASE_WITHIN`]) with exactly `ids` of `topic`.
async fn expect_served<E>(
    reader: JoinHandle<bus_core::Result<ReadReply<E>>>,
    id_of: impl Fn(&E) -> EntryId,
    topic: &Topic,
    ids: &[&str],
    what: &str,
) -> CheckResult {
    let reply = released(reader, what).await??;
    let expected = vec![(topic.to_string(), ids.iter().map(|id| id.to_string()).collect())];
    ensure_eq!(reply_ids(&reply, id_of), Some(expected), "what {what} returned");
    Ok(())
}

/// `(name, pending)` of every consumer of `g`, as XINFO CONSUMERS lists them.
async fn consumer_pending(backend: &dyn Backend, topic: &Topic) -> Result<Vec<(String, u64)>, Failure> {
    let consumers = backend.consumers_info(topic, "g").await?;
    Ok(consumers.into_iter().map(|c| (c.name, c.pending)).collect())
}

/// Fails unless group `g` has delivered nothing: no pending entries, last-delivered-id still 0-0.
async fn nothing_delivered(backend: &dyn Backend, topic: &Topic, when: &str) -> CheckResult {
    ensure_eq!(
        backend.pending_summary(topic, "g").await?.count,
        0,
        "XPENDING count {when} and an append"
    );
    let groups = backend.groups_info(topic).await?;
    let last_delivered: Vec<EntryId> = groups.iter().map(|g| g.last_delivered_id).collect();
    ensure_eq!(
        last_delivered,
        vec![EntryId::MIN],
        "last-delivered-id of XINFO GROUPS {when} and an append"
    );
    Ok(())
}

/// A plain read whose block expires with nothing appended answers nil, on a real clock with wide margins: `XREAD
/// BLOCK 100 STREAMS k $` → nil after at least 90 ms and well within 10 s.
pub async fn timed_out_plain_read_answers_nil_with_margins(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("plain-nil")?;
    add(backend.as_ref(), &topic, "1-1", pairs(&[("n", "x")])).await?;
    let start = tokio::time::Instant::now();
    let options = ReadOptions::new().block(100 * MS);
    let reply = backend.read(&[(topic, ReadCursor::New)], &options).await?;
    let elapsed = start.elapsed();
    ensure_eq!(reply, ReadReply::TimedOut, "XREAD BLOCK 100 with nothing appended");
    ensure!(
        elapsed >= 90 * MS && elapsed < Duration::from_secs(10),
        "XREAD BLOCK 100 timed out after {elapsed:?}"
    );
    Ok(())
}

/// A blocked read is served the appended entry with its fields exactly as written, XREAD and XREADGROUP alike:
/// `XREAD BLOCK 0 STREAMS k $` and `XREADGROUP GROUP g c BLOCK 0 STREAMS k >` in the background;
/// `XADD k 1-1 a 1 a 2 b ''` → both get 1-1 a 1 a 2 b ''.
pub async fn blocked_reads_are_served_entries_with_their_fields(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("served-fields")?;
    group_at_end(backend.as_ref(), &topic).await?;
    let plain = spawn_read(
        &backend,
        vec![(topic.clone(), ReadCursor::New)],
        ReadOptions::new().block(LONG_BLOCK),
    );
    let group = spawn_group_read(&backend, &topic, "c", ReadGroupOptions::new().block(LONG_BLOCK));
    tokio::time::sleep(LET_BLOCK).await;
    add(backend.as_ref(), &topic, "1-1", odd_fields()).await?;
    let entry = Entry::new(id(1, 1), odd_fields());
    let got = released(plain, "XREAD BLOCK … $").await??;
    ensure_eq!(
        got.into_entries().collect::<Vec<_>>(),
        vec![entry.clone()],
        "what XREAD BLOCK … $ returned"
    );
    let got = released(group, "XREADGROUP BLOCK … >").await??;
    ensure_eq!(
        got.into_entries().collect::<Vec<_>>(),
        vec![GroupEntry::Present(entry)],
        "what XREADGROUP BLOCK … > returned"
    );
    Ok(())
}
