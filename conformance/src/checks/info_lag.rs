//! XINFO STREAM/GROUPS/CONSUMERS: lengths, last ids, entries-read and lag (with Redis's nil cases), consumer idle
//! times and the errors. Expected answers come from redis-cli on Redis 7.0.15.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, ClaimOptions, EntryId, GroupCreateOptions, GroupCursor, GroupStart, ReadGroupOptions, Topic,
};

use super::support::*;
use crate::{CheckResult, Failure, ensure_eq};

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

/// `XREADGROUP GROUP <group> <consumer> [COUNT n] STREAMS k >`.
async fn read_new(
    backend: &dyn Backend,
    topic: &Topic,
    group: &str,
    consumer: &str,
    count: Option<u64>,
) -> CheckResult {
    let mut options = ReadGroupOptions::new();
    options.count = count;
    backend
        .read_group(group, consumer, &[(topic.clone(), GroupCursor::New)], &options)
        .await?;
    Ok(())
}

/// A group's `(last-delivered-id, entries-read, lag)` as XINFO GROUPS shows them (nil is `None`).
type Lag = (String, Option<i64>, Option<i64>);

fn lag(last: &str, read: Option<i64>, lag: Option<i64>) -> Lag {
    (last.to_owned(), read, lag)
}

/// `(last-delivered-id, entries-read, lag)` per group, in XINFO GROUPS order.
async fn lags(backend: &dyn Backend, topic: &Topic) -> Result<Vec<Lag>, Failure> {
    let groups = backend.groups_info(topic).await?;
    Ok(groups
        .into_iter()
        .map(|g| (g.last_delivered_id.to_string(), g.entries_read, g.lag))
        .collect())
}

/// Fails unless XINFO GROUPS shows exactly these `(last-delivered-id, entries-read, lag)`, in order.
async fn ensure_lags(backend: &dyn Backend, topic: &Topic, want: &[Lag], what: &str) -> CheckResult {
    ensure_eq!(lags(backend, topic).await?, want.to_vec(), "XINFO GROUPS {what}");
    Ok(())
}

/// The first group's `(last-delivered-id, entries-read, lag)`.
async fn first_lag(backend: &dyn Backend, topic: &Topic) -> Result<Lag, Failure> {
    let lags = lags(backend, topic).await?;
    lags.into_iter()
        .next()
        .ok_or_else(|| Failure("XINFO GROUPS lists no group".into()))
}

/// XINFO CONSUMERS as `(name, pending, idle)` rows.
async fn consumer_rows(backend: &dyn Backend, topic: &Topic) -> Result<Vec<(String, u64, Duration)>, Failure> {
    let consumers = backend.consumers_info(topic, "g").await?;
    Ok(consumers.into_iter().map(|c| (c.name, c.pending, c.idle)).collect())
}

/// 5 entries `1-1 … 5-1`; groups g and h at 0 (`XGROUP CREATE k g 0`, `XGROUP CREATE k h 0`); h reads 2
/// (`XREADGROUP GROUP h c COUNT 2 STREAMS k >`).
async fn two_groups(backend: &dyn Backend) -> Result<Topic, Failure> {
    let topic = topic("lags")?;
    add_numbered(backend, &topic, 5).await?;
    for group in ["g", "h"] {
        backend
            .group_create(&topic, group, GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
            .await?;
    }
    read_new(backend, &topic, "h", "c", Some(2)).await?;
    Ok(topic)
}

/// [`two_groups`], then `XDEL k 3-1`; g reads 1, then the rest; h reads the rest.
async fn both_groups_read_across_a_deletion(backend: &dyn Backend) -> Result<Topic, Failure> {
    let topic = two_groups(backend).await?;
    backend.delete(&topic, &[id(3, 1)]).await?;
    read_new(backend, &topic, "g", "c", Some(1)).await?;
    read_new(backend, &topic, "g", "c", None).await?;
    read_new(backend, &topic, "h", "c", None).await?;
    Ok(topic)
}

/// [`both_groups_read_across_a_deletion`], then `XADD k 6-1 n 6` and `XGROUP SETID k g 0 ENTRIESREAD 0`.
async fn append_then_reset_g(backend: &dyn Backend) -> Result<Topic, Failure> {
    let topic = both_groups_read_across_a_deletion(backend).await?;
    add(backend, &topic, "6-1", fields(6)).await?;
    backend
        .group_set_id(&topic, "g", GroupStart::Id(EntryId::MIN), Some(0))
        .await?;
    Ok(topic)
}

/// Without deletions the lag is known: a group that never read has entries-read nil and lag = length.
/// redis-cli: 5 entries, groups g and h at 0, h reads 2; XINFO GROUPS: g last-delivered-id 0-0 entries-read nil
/// lag 5; h 2-1 entries-read 2 lag 3.
pub async fn lag_is_known_without_deletions(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = two_groups(backend.as_ref()).await?;
    ensure_lags(
        backend.as_ref(),
        &topic,
        &[lag("0-0", None, Some(5)), lag("2-1", Some(2), Some(3))],
        "after h read 2",
    )
    .await
}

/// A deletion after a group's position makes its lag unknown (nil), also after it reads on but not to the end.
/// redis-cli: 5 entries, groups g and h at 0, h reads 2; `XDEL k 3-1` → g 0-0 nil nil; h 2-1 2 nil; g reads 1 →
/// g 1-1 nil nil.
pub async fn a_deletion_in_the_middle_makes_lag_unknown(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = two_groups(backend.as_ref()).await?;
    backend.delete(&topic, &[id(3, 1)]).await?;
    ensure_lags(
        backend.as_ref(),
        &topic,
        &[lag("0-0", None, None), lag("2-1", Some(2), None)],
        "after XDEL k 3-1",
    )
    .await?;
    read_new(backend.as_ref(), &topic, "g", "c", Some(1)).await?;
    let g = first_lag(backend.as_ref(), &topic).await?;
    ensure_eq!(g, lag("1-1", None, None), "group g after reading 1");
    Ok(())
}

/// A group that reaches the end knows its lag again (0), with Redis's counters: g, which read from the start,
/// counts entries-added; h's counter went on from 2 across the hole. redis-cli: after `XDEL k 3-1`, g reads 1
/// then the rest, h reads the rest; XINFO GROUPS: g 5-1 entries-read 5 lag 0; h 5-1 entries-read 4 lag 1.
pub async fn reaching_the_end_makes_lag_known_again(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = both_groups_read_across_a_deletion(backend.as_ref()).await?;
    ensure_lags(
        backend.as_ref(),
        &topic,
        &[lag("5-1", Some(5), Some(0)), lag("5-1", Some(4), Some(1))],
        "after both groups read to the end",
    )
    .await
}

/// An append adds one to the known lag of every group. redis-cli: the groups at the end as above; `XADD k 6-1 n 6`
/// → g 5-1 entries-read 5 lag 1; h 5-1 entries-read 4 lag 2.
pub async fn an_append_adds_to_every_known_lag(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = both_groups_read_across_a_deletion(backend.as_ref()).await?;
    add(backend.as_ref(), &topic, "6-1", fields(6)).await?;
    ensure_lags(
        backend.as_ref(),
        &topic,
        &[lag("5-1", Some(5), Some(1)), lag("5-1", Some(4), Some(2))],
        "after XADD k 6-1",
    )
    .await
}

/// SETID with ENTRIESREAD sets the counter as given; with the deletion after the new position the lag is nil.
/// redis-cli: as above, then `XGROUP SETID k g 0 ENTRIESREAD 0` → g 0-0 entries-read 0 lag nil.
pub async fn setid_with_entriesread_sets_the_counter(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = append_then_reset_g(backend.as_ref()).await?;
    ensure_eq!(
        first_lag(backend.as_ref(), &topic).await?,
        lag("0-0", Some(0), None),
        "group g after XGROUP SETID k g 0 ENTRIESREAD 0"
    );
    Ok(())
}

/// XINFO STREAM counts every entry ever added and records the largest deleted id. redis-cli: as above (5-1 … with
/// 3-1 deleted, 6-1 added, SETID of g); XINFO STREAM: length 5, last-generated-id 6-1, max-deleted-entry-id 3-1,
/// entries-added 6, groups 2, first-entry 1-1, last-entry 6-1.
pub async fn stream_info_counts_added_entries_and_the_largest_deleted_id(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = append_then_reset_g(backend.as_ref()).await?;
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(
        (
            info.length,
            info.last_generated_id,
            info.max_deleted_entry_id,
            info.entries_added,
            info.groups
        ),
        (5, id(6, 1), id(3, 1), 6, 2),
        "XINFO STREAM (length, last-generated-id, max-deleted-entry-id, entries-added, groups)"
    );
    ensure_eq!(info.first_entry.map(|e| e.id), Some(id(1, 1)), "first-entry");
    ensure_eq!(info.last_entry.map(|e| e.id), Some(id(6, 1)), "last-entry");
    Ok(())
}

/// An ENTRIESREAD above the entries added gives a negative lag, as Redis computes it (signed). redis-cli:
/// `XADD k 1-0 a 1`; `XGROUP CREATE k g 0 ENTRIESREAD 12`; XINFO GROUPS → g 0-0 entries-read 12 lag -11.
pub async fn entriesread_above_the_entries_added_gives_a_negative_lag(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("negative-lag")?;
    let b = backend.as_ref();
    add(b, &topic, "1-0", pairs(&[("a", "1")])).await?;
    let options = GroupCreateOptions::new().entries_read(12);
    b.group_create(&topic, "g", GroupStart::Id(EntryId::MIN), &options)
        .await?;
    ensure_lags(
        b,
        &topic,
        &[lag("0-0", Some(12), Some(-11))],
        "after XGROUP CREATE k g 0 ENTRIESREAD 12",
    )
    .await
}

/// Entries-read wraps past `i64::MAX` as Redis's signed counter does, and the lag with it. redis-cli:
/// `XADD k 1-0 a 1`, `XADD k 2-0 a 1`; `XGROUP CREATE k g 0 ENTRIESREAD 9223372036854775807`;
/// `XREADGROUP GROUP g c COUNT 1 STREAMS k >` → 1-0; XINFO GROUPS → g 1-0 entries-read -9223372036854775808 lag
/// -9223372036854775806; the same read again → 2-0; XINFO GROUPS → g 2-0 entries-read -9223372036854775807 lag
/// -9223372036854775807.
pub async fn entries_read_wraps_past_the_largest_integer(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("wrapped-entries-read")?;
    let b = backend.as_ref();
    for at in ["1-0", "2-0"] {
        add(b, &topic, at, pairs(&[("a", "1")])).await?;
    }
    let options = GroupCreateOptions::new().entries_read(i64::MAX as u64);
    b.group_create(&topic, "g", GroupStart::Id(EntryId::MIN), &options)
        .await?;
    read_new(b, &topic, "g", "c", Some(1)).await?;
    let first = [lag("1-0", Some(i64::MIN), Some(-9_223_372_036_854_775_806))];
    ensure_lags(b, &topic, &first, "after the first delivery past i64::MAX").await?;
    read_new(b, &topic, "g", "c", Some(1)).await?;
    let second = [lag("2-0", Some(i64::MIN + 1), Some(i64::MIN + 1))];
    ensure_lags(b, &topic, &second, "after the second delivery").await
}

/// `XGROUP CREATE k g $ MKSTREAM` on a missing key.
async fn group_on_a_new_empty_stream(backend: &dyn Backend) -> Result<Topic, Failure> {
    let topic = topic("empty-lag")?;
    backend
        .group_create(&topic, "g", GroupStart::Last, &GroupCreateOptions::new().mkstream())
        .await?;
    Ok(topic)
}

/// The group of a stream created empty has lag 0. redis-cli: `XGROUP CREATE k g $ MKSTREAM`; XINFO GROUPS → g
/// 0-0 entries-read nil lag 0.
pub async fn lag_of_a_new_empty_stream_is_zero(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = group_on_a_new_empty_stream(backend.as_ref()).await?;
    ensure_lags(
        backend.as_ref(),
        &topic,
        &[lag("0-0", None, Some(0))],
        "after XGROUP CREATE k g $ MKSTREAM",
    )
    .await
}

/// A group that read everything keeps lag 0 when every entry is then deleted. redis-cli:
/// `XGROUP CREATE k g $ MKSTREAM`; `XADD k 1-1 n 1`, `XADD k 2-1 n 2`; c1 reads; `XDEL k 1-1 2-1`; XINFO GROUPS →
/// g 2-1 entries-read 2 lag 0.
pub async fn lag_of_a_read_then_emptied_stream_is_zero(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = group_on_a_new_empty_stream(backend.as_ref()).await?;
    add_numbered(backend.as_ref(), &topic, 2).await?;
    read_new(backend.as_ref(), &topic, "g", "c1", None).await?;
    backend.delete(&topic, &[id(1, 1), id(2, 1)]).await?;
    ensure_lags(
        backend.as_ref(),
        &topic,
        &[lag("2-1", Some(2), Some(0))],
        "after reading and deleting everything",
    )
    .await
}

/// Every XINFO of a missing key fails with "no such key". redis-cli: `XINFO STREAM missing`,
/// `XINFO GROUPS missing`, `XINFO CONSUMERS missing g` → ERR no such key.
pub async fn info_of_a_missing_topic_is_no_such_key(backend: Arc<dyn Backend>) -> CheckResult {
    let missing = topic("no-such-topic")?;
    let stream = backend.stream_info(&missing).await;
    expect_error_text(stream, "ERR no such key", "XINFO STREAM missing")?;
    let groups = backend.groups_info(&missing).await;
    expect_error_text(groups, "ERR no such key", "XINFO GROUPS missing")?;
    let consumers = backend.consumers_info(&missing, "g").await;
    expect_error_text(consumers, "ERR no such key", "XINFO CONSUMERS missing g")
}

/// XINFO CONSUMERS of a missing group fails with NOGROUP, naming the group and the key. redis-cli:
/// `XADD k 1-1 n 1`; `XINFO CONSUMERS k nog` → NOGROUP No such consumer group 'nog' for key name 'k'.
pub async fn consumers_of_a_missing_group_is_nogroup(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("no-group")?;
    add_numbered(backend.as_ref(), &topic, 1).await?;
    let result = backend.consumers_info(&topic, "nog").await;
    let message = format!("NOGROUP No such consumer group 'nog' for key name '{topic}'");
    expect_error_text(result, &message, "XINFO CONSUMERS k nog")
}

/// A consumer's idle time restarts when it reads or claims something, and only then: a claim that claims nothing
/// creates no consumer, and XPENDING refreshes no one. Timeline as in the redis-cli run: 5 entries, group g at 0;
/// c1 reads 2; 300 ms later c2 reads 2; 100 ms later `XCLAIM k g c3 200 1-1`; 100 ms later `XCLAIM k g c4 0 2-1`
/// and `XCLAIM k g c5 10000 3-1` (claims nothing), then `XPENDING k g`. XINFO CONSUMERS: c1 pending 0 idle 500,
/// c2 2 200, c3 1 100, c4 1 0; there is no c5.
pub async fn consumer_idle_is_refreshed_by_reads_and_claims_only(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let topic = topic("consumer-idle")?;
    add_numbered(backend.as_ref(), &topic, 5).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let ms = Duration::from_millis;
    read_new(backend.as_ref(), &topic, "g", "c1", Some(2)).await?;
    clock.advance(ms(300)).await;
    read_new(backend.as_ref(), &topic, "g", "c2", Some(2)).await?;
    clock.advance(ms(100)).await;
    let claimed = backend
        .claim(&topic, "g", "c3", ms(200), &[id(1, 1)], &ClaimOptions::new())
        .await?;
    ensure_eq!(claimed.len(), 1, "entries of XCLAIM k g c3 200 1-1");
    clock.advance(ms(100)).await;
    backend
        .claim(&topic, "g", "c4", ms(0), &[id(2, 1)], &ClaimOptions::new())
        .await?;
    let none = backend
        .claim(&topic, "g", "c5", ms(10_000), &[id(3, 1)], &ClaimOptions::new())
        .await?;
    ensure_eq!(none.len(), 0, "entries of XCLAIM k g c5 10000 3-1");
    backend.pending_summary(&topic, "g").await?;
    let consumers = consumer_rows(backend.as_ref(), &topic).await?;
    let expected: Vec<(String, u64, Duration)> = [("c1", 0, 500), ("c2", 2, 200), ("c3", 1, 100), ("c4", 1, 0)]
        .into_iter()
        .map(|(name, pending, idle)| (name.to_owned(), pending, ms(idle)))
        .collect();
    ensure_eq!(consumers, expected, "XINFO CONSUMERS (name, pending, idle)");
    Ok(())
}

/// A claim that claims nothing creates no consumer. redis-cli: 3 entries, group g at 0; c1 reads 2;
/// `XCLAIM k g c5 10000 1-1` → (empty array); XINFO CONSUMERS → only c1, pending 2.
pub async fn a_claim_that_claims_nothing_creates_no_consumer(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("no-claim")?;
    add_numbered(backend.as_ref(), &topic, 3).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    read_new(backend.as_ref(), &topic, "g", "c1", Some(2)).await?;
    let none = backend
        .claim(&topic, "g", "c5", 10 * SECOND, &[id(1, 1)], &ClaimOptions::new())
        .await?;
    ensure_eq!(none.len(), 0, "entries of XCLAIM k g c5 10000 1-1");
    let consumers: Vec<(String, u64)> = consumer_rows(backend.as_ref(), &topic)
        .await?
        .into_iter()
        .map(|(name, pending, _)| (name, pending))
        .collect();
    ensure_eq!(consumers, [("c1".to_owned(), 2)], "XINFO CONSUMERS (name, pending)");
    Ok(())
}

/// XGROUP CREATECONSUMER starts a consumer with nothing pending, idle from its creation. redis-cli:
/// `XGROUP CREATE k g $`; `XGROUP CREATECONSUMER k g c1`; 250 ms later XINFO CONSUMERS → c1 pending 0 idle 250.
pub async fn created_consumers_are_idle_from_their_creation(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let topic = topic("created-consumer")?;
    add_numbered(backend.as_ref(), &topic, 1).await?;
    backend
        .group_create(&topic, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await?;
    backend.consumer_create(&topic, "g", "c1").await?;
    clock.advance(Duration::from_millis(250)).await;
    let consumers = consumer_rows(backend.as_ref(), &topic).await?;
    ensure_eq!(
        consumers,
        [("c1".to_owned(), 0, Duration::from_millis(250))],
        "XINFO CONSUMERS (name, pending, idle) 250 ms after CREATECONSUMER"
    );
    Ok(())
}

/// XINFO STREAM shows the first and last entries with their fields (the last being the newest left, not the last
/// id generated), and counts no groups when there are none.
///
/// redis-cli: `XADD k 1-1 a 1 a 2 b ''`, `XADD k 2-1 n 2`, `XADD k 3-1 x y`; `XDEL k 3-1`; `XINFO STREAM k` →
/// groups 0, first-entry 1-1 a 1 a 2 b '', last-entry 2-1 n 2.
pub async fn stream_info_shows_the_first_and_last_entries_with_their_fields(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("info-entries")?;
    add(backend.as_ref(), &topic, "1-1", odd_fields()).await?;
    add(backend.as_ref(), &topic, "2-1", fields(2)).await?;
    add(backend.as_ref(), &topic, "3-1", pairs(&[("x", "y")])).await?;
    backend.delete(&topic, &[id(3, 1)]).await?;
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(info.groups, 0, "groups");
    ensure_eq!(
        info.first_entry,
        Some(bus_core::Entry::new(id(1, 1), odd_fields())),
        "first-entry"
    );
    ensure_eq!(
        info.last_entry,
        Some(bus_core::Entry::new(id(2, 1), fields(2))),
        "last-entry"
    );
    Ok(())
}
