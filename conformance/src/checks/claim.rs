//! XCLAIM: which entries a claim takes (min-idle, FORCE, deleted entries), what it sets (owner, delivery count,
//! IDLE, TIME, RETRYCOUNT, LASTID) and what it refuses. XAUTOCLAIM is in `autoclaim`.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{Backend, ClaimOptions, Claimed, EntryId, PendingQuery, RangeBound, Topic};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// `XCLAIM k g <consumer> <min-idle> <ids…> <options>`.
async fn claim(
    backend: &dyn Backend,
    topic: &Topic,
    consumer: &str,
    min_idle: Duration,
    ids: &[EntryId],
    options: ClaimOptions,
) -> bus_core::Result<Claimed> {
    backend.claim(topic, "g", consumer, min_idle, ids, &options).await
}

/// Makes the owner's pending entry idle for two hours (`XCLAIM k g <owner> 0 <entry> IDLE 7200000 JUSTID`), so a
/// check on a real clock has an entry far older than the fresh ones.
async fn age(backend: &dyn Backend, topic: &Topic, owner: &str, entry: EntryId) -> CheckResult {
    let options = ClaimOptions::new().idle(2 * HOUR).just_id();
    let aged = claim(backend, topic, owner, Duration::ZERO, &[entry], options).await?;
    ensure_eq!(
        aged.ids(),
        vec![entry],
        "ageing {entry} with XCLAIM … IDLE 7200000 JUSTID"
    );
    Ok(())
}

/// XPENDING of one entry.
fn only(entry: EntryId) -> PendingQuery {
    PendingQuery::new(RangeBound::Inclusive(entry), RangeBound::Inclusive(entry), 1)
}

/// Fails unless XPENDING shows `entry` owned by `consumer` with `count` deliveries, delivered or claimed less
/// than an hour ago (the margin form of redis-cli's idle 0).
async fn ensure_fresh_row(
    backend: &dyn Backend,
    topic: &Topic,
    entry: EntryId,
    (consumer, count): (&str, u64),
    what: &str,
) -> CheckResult {
    ensure_eq!(
        pending_rows(backend, topic, &only(entry)).await?,
        vec![row(&entry.to_string(), consumer, count)],
        "XPENDING (id, consumer, delivery count) of {entry} {what}"
    );
    ensure_recent(backend, topic, &only(entry), what).await
}

/// The Unix time (ms) of the backend's clock, as XCLAIM's TIME counts it: `TIME 1` makes the entry idle for
/// `now - 1` ms, i.e. since the epoch (checked: more than fifty years). On a real clock the answer is a lower bound
/// of the time of any later call.
async fn backend_now_ms(backend: &dyn Backend, topic: &Topic, consumer: &str, entry: EntryId) -> Result<u64, Failure> {
    let options = ClaimOptions::new().time(1).just_id();
    claim(backend, topic, consumer, Duration::ZERO, &[entry], options).await?;
    let (idle, _) = pending_of(backend, topic, entry).await?;
    ensure!(
        idle > 50 * 365 * 24 * HOUR,
        "XCLAIM … TIME 1 made {entry} idle for only {idle:?}, not since the epoch"
    );
    let idle = u64::try_from(idle.as_millis()).map_err(|_| Failure(format!("idle time {idle:?} after TIME 1")))?;
    Ok(idle.saturating_add(1))
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

/// XCLAIM takes only the given entries idle at least min-idle, returns them with their fields and counts a
/// delivery; on paused time idle times are exact, and the claimed entry's restarts at 0.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`; about 300 ms later c2 reads `COUNT 2 >`; `XCLAIM k g c3 200 1-1 3-1`
/// → [1-1 n 1] (3-1 was delivered too recently); `XPENDING k g - + 10` → 1-1 c3 0 2, 2-1 c1 ~300 1, 3-1 c2 0 1,
/// 4-1 c2 0 1.
pub async fn claim_min_idle_selects_entries_exactly(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let b = backend.as_ref();
    let t = two_readers_300_ms_apart(b, "p", &clock).await?;
    let claimed = claim(b, &t, "c3", 200 * MS, &[id(1, 1), id(3, 1)], ClaimOptions::new()).await?;
    ensure_c3_took_only_1_1(b, &t, &claimed).await?;
    ensure_eq!(
        pending_idles(b, &t, &PendingQuery::all(10)).await?,
        vec![
            ("1-1".to_owned(), 0),
            ("2-1".to_owned(), 300),
            ("3-1".to_owned(), 0),
            ("4-1".to_owned(), 0)
        ],
        "XPENDING (id, idle ms) after the claim"
    );
    Ok(())
}

/// `claim_min_idle_selects_entries_exactly` on a real clock, with wide margins: of an entry idle for two hours
/// (aged with `IDLE`) and a fresh one, XCLAIM with min-idle of an hour takes only the old one, counts a delivery
/// and restarts its idle time.
pub async fn claim_min_idle_selects_entries_with_margins(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    age(b, &t, "c1", id(1, 1)).await?;
    let claimed = claim(b, &t, "c3", HOUR, &[id(1, 1), id(3, 1)], ClaimOptions::new()).await?;
    ensure_c3_took_only_1_1(b, &t, &claimed).await?;
    ensure_recent(b, &t, &only(id(1, 1)), "after the claim").await
}

/// The claim by c3 in the two-reader scene answered the full entry 1-1 (field `n` = 1) and nothing else, and moved
/// 1-1 to c3 with a second delivery counted.
async fn ensure_c3_took_only_1_1(b: &dyn Backend, t: &Topic, claimed: &Claimed) -> CheckResult {
    let Claimed::Entries(entries) = claimed else {
        return Err(Failure(format!("XCLAIM without JUSTID answered ids only: {claimed:?}")));
    };
    ensure_eq!(ids(entries), vec!["1-1"], "claimed entries");
    ensure_eq!(
        entries.iter().map(n_of).collect::<Vec<_>>(),
        vec!["1"],
        "field n of the claimed entry"
    );
    ensure_eq!(
        pending_rows(b, t, &PendingQuery::all(10)).await?,
        vec![
            row("1-1", "c3", 2),
            row("2-1", "c1", 1),
            row("3-1", "c2", 1),
            row("4-1", "c2", 1)
        ],
        "XPENDING (id, consumer, delivery count) after the claim"
    );
    Ok(())
}

/// With JUSTID, XCLAIM answers ids only and does not count a delivery; it still moves the entry and restarts its
/// idle time.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XCLAIM k g c3 0 2-1 JUSTID` → [2-1];
/// `XPENDING k g 2-1 2-1 1` → 2-1 c3 0 1.
pub async fn claim_justid_returns_ids_and_keeps_the_count(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    age(b, &t, "c1", id(2, 1)).await?;
    let claimed = claim(b, &t, "c3", Duration::ZERO, &[id(2, 1)], ClaimOptions::new().just_id()).await?;
    ensure_eq!(claimed, Claimed::Ids(vec![id(2, 1)]), "XCLAIM k g c3 0 2-1 JUSTID");
    ensure_fresh_row(b, &t, id(2, 1), ("c3", 1), "after the JUSTID claim").await
}

/// IDLE sets the claimed entry's idle time and RETRYCOUNT its delivery count (with or without JUSTID).
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XCLAIM k g c4 0 4-1 IDLE 5000 RETRYCOUNT 7` →
/// [4-1]; `XPENDING k g 4-1 4-1 1` → 4-1 c4 ~5000 7; `XCLAIM k g c3 0 2-1 RETRYCOUNT 9 JUSTID`; `XPENDING k g 2-1
/// 2-1 1` → 2-1 c3 0 9.
pub async fn claim_idle_and_retrycount_set_the_pending_entry(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let options = ClaimOptions::new().idle(5 * SECOND).retry_count(7);
    let claimed = claim(b, &t, "c4", Duration::ZERO, &[id(4, 1)], options).await?;
    ensure_eq!(
        claimed.ids(),
        vec![id(4, 1)],
        "XCLAIM k g c4 0 4-1 IDLE 5000 RETRYCOUNT 7"
    );
    ensure_eq!(
        pending_rows(b, &t, &only(id(4, 1))).await?,
        vec![row("4-1", "c4", 7)],
        "XPENDING k g 4-1 4-1 1"
    );
    let (idle, _) = pending_of(b, &t, id(4, 1)).await?;
    ensure!(
        idle >= 5 * SECOND && idle < 5 * SECOND + HOUR,
        "idle of 4-1 after IDLE 5000: {idle:?}"
    );
    let retry = ClaimOptions::new().retry_count(9).just_id();
    claim(b, &t, "c3", Duration::ZERO, &[id(2, 1)], retry).await?;
    ensure_fresh_row(b, &t, id(2, 1), ("c3", 9), "after RETRYCOUNT 9 JUSTID").await
}

/// TIME sets the claimed entry's last delivery to a Unix time in milliseconds; one in the future is taken as now.
/// On a real clock, with margins: TIME 1 makes the entry idle since the epoch, TIME now - 1234 about 1234 ms,
/// and after a TIME a day ahead the entry is idle from now (so 50 ms later, at least 40 ms).
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XCLAIM k g c4 0 1-1 TIME <now - 1234>
/// JUSTID`; `XPENDING k g 1-1 1-1 1` → 1-1 c4 ~1234 1; `XCLAIM k g c4 0 1-1 TIME <now + 99999> JUSTID` →
/// 1-1 c4 0 1, and 1 s later 1-1 c4 ~1000 1.
pub async fn claim_time_sets_the_last_delivery(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let now = backend_now_ms(b, &t, "c4", id(1, 1)).await?;
    let past = ClaimOptions::new().time(now - 1_234).just_id();
    claim(b, &t, "c4", Duration::ZERO, &[id(1, 1)], past).await?;
    let (idle, owner) = pending_of(b, &t, id(1, 1)).await?;
    ensure!(
        idle >= 1_234 * MS && idle < 1_234 * MS + HOUR && owner == "c4",
        "1-1 after TIME now - 1234: idle {idle:?}, owner {owner}"
    );
    let day = 24 * 3_600_000;
    let future = ClaimOptions::new().time(now + day).just_id();
    claim(b, &t, "c4", Duration::ZERO, &[id(1, 1)], future).await?;
    ensure_fresh_row(b, &t, id(1, 1), ("c4", 1), "after a TIME a day ahead").await?;
    tokio::time::sleep(50 * MS).await;
    let (idle, _) = pending_of(b, &t, id(1, 1)).await?;
    ensure!(
        idle >= 40 * MS,
        "50 ms after a TIME a day ahead, 1-1 is idle for {idle:?}: the future time was not taken as now"
    );
    Ok(())
}

/// On paused time, IDLE and TIME set idle times to the millisecond: IDLE 5000 → 5000, TIME now - 1234 → 1234,
/// TIME now + 99999 → 0 (taken as now, so 1000 ms later it is 1000), and a claim without either → 0.
///
/// redis-cli: as `claim_idle_and_retrycount_set_the_pending_entry` and `claim_time_sets_the_last_delivery`, with
/// c2 reading about 300 ms after c1.
pub async fn claim_idle_and_time_are_exact(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let b = backend.as_ref();
    let t = two_readers_300_ms_apart(b, "p", &clock).await?;
    let options = ClaimOptions::new().idle(5 * SECOND).retry_count(7);
    claim(b, &t, "c4", Duration::ZERO, &[id(4, 1)], options).await?;
    let now = backend_now_ms(b, &t, "c4", id(1, 1)).await?;
    let past = ClaimOptions::new().time(now - 1_234).just_id();
    claim(b, &t, "c4", Duration::ZERO, &[id(1, 1)], past).await?;
    ensure_eq!(
        pending_idles(b, &t, &PendingQuery::all(10)).await?,
        vec![
            ("1-1".to_owned(), 1_234),
            ("2-1".to_owned(), 300),
            ("3-1".to_owned(), 0),
            ("4-1".to_owned(), 5_000)
        ],
        "XPENDING (id, idle ms) after IDLE 5000 on 4-1 and TIME now - 1234 on 1-1"
    );
    let future = ClaimOptions::new().time(now + 99_999).just_id();
    claim(b, &t, "c4", Duration::ZERO, &[id(1, 1)], future).await?;
    let retry = ClaimOptions::new().retry_count(9).just_id();
    claim(b, &t, "c3", Duration::ZERO, &[id(2, 1)], retry).await?;
    ensure_eq!(
        pending_idles(
            b,
            &t,
            &PendingQuery::new(RangeBound::MIN, RangeBound::Inclusive(id(2, 1)), 10)
        )
        .await?,
        vec![("1-1".to_owned(), 0), ("2-1".to_owned(), 0)],
        "XPENDING (id, idle ms) after TIME now + 99999 on 1-1 and RETRYCOUNT 9 JUSTID on 2-1"
    );
    clock.advance(SECOND).await;
    ensure_eq!(
        pending_idles(b, &t, &only(id(1, 1))).await?,
        vec![("1-1".to_owned(), 1_000)],
        "XPENDING (id, idle ms) 1000 ms after TIME now + 99999"
    );
    Ok(())
}

/// FORCE claims entries of the stream that are not pending, creating their pending entries (delivery count 2, or
/// 1 with JUSTID) whatever min-idle says; without FORCE such an id is skipped.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XCLAIM k g c4 0 5-1` → empty;
/// `XCLAIM k g c4 0 5-1 FORCE` → [5-1]; `XADD k 6-1 n 6`; `XCLAIM k g c4 100000 6-1 FORCE JUSTID` → [6-1];
/// `XPENDING k g 5-1 + 10` → 5-1 c4 0 2, 6-1 c4 0 1.
pub async fn claim_force_creates_pending_entries_with_redis_counts(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let none = claim(b, &t, "c4", Duration::ZERO, &[id(5, 1)], ClaimOptions::new()).await?;
    ensure!(none.is_empty(), "XCLAIM k g c4 0 5-1 (not pending) claimed {none:?}");
    let forced = claim(b, &t, "c4", Duration::ZERO, &[id(5, 1)], ClaimOptions::new().force()).await?;
    ensure_eq!(forced.ids(), vec![id(5, 1)], "XCLAIM k g c4 0 5-1 FORCE");
    add(b, &t, "6-1", fields(6)).await?;
    let options = ClaimOptions::new().force().just_id();
    let forced = claim(b, &t, "c4", 100 * SECOND, &[id(6, 1)], options).await?;
    ensure_eq!(
        forced,
        Claimed::Ids(vec![id(6, 1)]),
        "XCLAIM k g c4 100000 6-1 FORCE JUSTID"
    );
    let query = PendingQuery::new(RangeBound::Inclusive(id(5, 1)), RangeBound::MAX, 10);
    ensure_eq!(
        pending_rows(b, &t, &query).await?,
        vec![row("5-1", "c4", 2), row("6-1", "c4", 1)],
        "XPENDING k g 5-1 + 10"
    );
    ensure_recent(b, &t, &query, "after FORCE created them").await
}

/// FORCE of an id the stream does not have claims nothing and creates no pending entry.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XCLAIM k g c4 0 9-1 FORCE` → empty;
/// `XPENDING k g` → 4.
pub async fn claim_force_skips_ids_not_in_the_stream(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let missing = claim(b, &t, "c4", Duration::ZERO, &[id(9, 1)], ClaimOptions::new().force()).await?;
    ensure!(missing.is_empty(), "XCLAIM k g c4 0 9-1 FORCE claimed {missing:?}");
    ensure_eq!(b.pending_summary(&t, "g").await?.count, 4, "XPENDING count after it");
    Ok(())
}

/// LASTID raises the group's last-delivered id (entries-read unchanged, so the lag follows), never lowers it.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XADD k 6-1 n 6`;
/// `XCLAIM k g c4 0 2-1 LASTID 6-1 JUSTID`; `XINFO GROUPS k` → last-delivered-id 6-1, entries-read 4, lag 2;
/// `XCLAIM k g c4 0 2-1 LASTID 0-5 JUSTID`; `XINFO GROUPS k` → last-delivered-id 6-1.
pub async fn claim_lastid_only_raises_the_group_position(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    add(b, &t, "6-1", fields(6)).await?;
    let options = ClaimOptions::new().last_id(id(6, 1)).just_id();
    claim(b, &t, "c4", Duration::ZERO, &[id(2, 1)], options).await?;
    let position = |info: Vec<bus_core::GroupInfo>| -> Vec<_> {
        info.into_iter()
            .map(|g| (g.last_delivered_id, g.entries_read, g.lag))
            .collect()
    };
    ensure_eq!(
        position(b.groups_info(&t).await?),
        vec![(id(6, 1), Some(4), Some(2))],
        "XINFO GROUPS (last-delivered-id, entries-read, lag) after LASTID 6-1"
    );
    let lower = ClaimOptions::new().last_id(id(0, 5)).just_id();
    claim(b, &t, "c4", Duration::ZERO, &[id(2, 1)], lower).await?;
    ensure_eq!(
        position(b.groups_info(&t).await?),
        vec![(id(6, 1), Some(4), Some(2))],
        "XINFO GROUPS after LASTID 0-5"
    );
    Ok(())
}

/// A pending entry deleted from the stream is not claimed: XCLAIM removes it from the pending list.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XDEL k 1-1`; `XCLAIM k g c4 0 1-1 2-1` →
/// [2-1]; `XPENDING k g` → 3 2-1 4-1 [c2 2, c4 1].
pub async fn claim_drops_deleted_entries_from_the_pending_list(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    b.delete(&t, &[id(1, 1)]).await?;
    let claimed = claim(b, &t, "c4", Duration::ZERO, &[id(1, 1), id(2, 1)], ClaimOptions::new()).await?;
    ensure_eq!(claimed.ids(), vec![id(2, 1)], "XCLAIM k g c4 0 1-1 2-1");
    let summary = b.pending_summary(&t, "g").await?;
    ensure_eq!(
        (summary.count, summary.min, summary.max),
        (3, Some(id(2, 1)), Some(id(4, 1))),
        "XPENDING summary (count, min, max)"
    );
    ensure_eq!(
        summary.consumers,
        vec![("c2".to_owned(), 2), ("c4".to_owned(), 1)],
        "XPENDING summary consumers"
    );
    Ok(())
}

/// XCLAIM with a missing group answers NOGROUP, naming the key and the group.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XCLAIM k nog c 0 1-1` → `NOGROUP No such key
/// 'k' or consumer group 'nog'`.
pub async fn claim_of_a_missing_group_is_nogroup(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    expect_error_text(
        b.claim(&t, "nog", "c", Duration::ZERO, &[id(1, 1)], &ClaimOptions::new())
            .await,
        "NOGROUP No such key 'conformance:p' or consumer group 'nog'",
        "XCLAIM k nog c 0 1-1",
    )
}

/// A claim that takes nothing does not create the claiming consumer.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XCLAIM k g c9 100000 1-1` → empty;
/// `XINFO CONSUMERS k g` → c1, c2.
pub async fn claim_creates_no_consumer_when_nothing_is_claimed(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let none = claim(b, &t, "c9", 100 * SECOND, &[id(1, 1)], ClaimOptions::new()).await?;
    ensure!(
        none.is_empty(),
        "XCLAIM k g c9 100000 1-1 claimed a fresh entry: {none:?}"
    );
    let names: Vec<String> = b.consumers_info(&t, "g").await?.into_iter().map(|c| c.name).collect();
    ensure_eq!(names, vec!["c1".to_owned(), "c2".to_owned()], "XINFO CONSUMERS names");
    Ok(())
}

/// XCLAIM with no id is refused by its arity, before min-idle-time is parsed:
/// `XCLAIM k g c 0` → `ERR wrong number of arguments for 'xclaim' command`.
pub async fn claim_of_no_ids_is_an_arity_error(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xclaim-arity")?;
    fill(backend.as_ref(), &topic, 1).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let arity = "ERR wrong number of arguments for 'xclaim' command";
    let options = ClaimOptions::new();
    let claimed = backend.claim(&topic, "g", "c", Duration::ZERO, &[], &options).await;
    expect_error_text(claimed, arity, "XCLAIM with no id")?;
    let claimed = backend.claim(&topic, "g", "c", Duration::MAX, &[], &options).await;
    expect_error_text(claimed, arity, "XCLAIM with no id and an invalid min-idle-time")?;
    Ok(())
}

/// XCLAIM's numbers must fit a signed 64-bit integer, each refused in its own words, before the key is looked at:
/// `XCLAIM k g c 9223372036854775808 1-0` → `ERR Invalid min-idle-time argument for XCLAIM`; `… 0 1-0 IDLE
/// 9223372036854775808` → `ERR Invalid IDLE option argument for XCLAIM` (and so for TIME and RETRYCOUNT). Nothing
/// is claimed.
pub async fn claim_numbers_out_of_range_are_refused_in_xclaims_words(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xclaim-range")?;
    fill(backend.as_ref(), &topic, 1).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c").await?;
    let too_big = 1u64 << 63;
    let one = [id(1, 0)];
    let claim = |min_idle: Duration, options: ClaimOptions| {
        let (backend, topic) = (backend.clone(), topic.clone());
        async move { backend.claim(&topic, "g", "other", min_idle, &one, &options).await }
    };
    let big_idle = Duration::from_millis(too_big);
    let cases = [
        (
            claim(big_idle, ClaimOptions::new()).await,
            "ERR Invalid min-idle-time argument for XCLAIM",
            "min-idle-time",
        ),
        (
            claim(Duration::ZERO, ClaimOptions::new().idle(big_idle)).await,
            "ERR Invalid IDLE option argument for XCLAIM",
            "IDLE",
        ),
        (
            claim(Duration::ZERO, ClaimOptions::new().time(too_big)).await,
            "ERR Invalid TIME option argument for XCLAIM",
            "TIME",
        ),
        (
            claim(Duration::ZERO, ClaimOptions::new().retry_count(too_big)).await,
            "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            "RETRYCOUNT",
        ),
    ];
    for (result, message, what) in cases {
        expect_error_text(result, message, &format!("XCLAIM with {what} 2^63"))?;
    }
    let missing = super::support::topic("xclaim-range-missing")?;
    let nogroup = format!("NOGROUP No such key '{missing}' or consumer group 'g'");
    let on_missing = backend
        .claim(&missing, "g", "c", big_idle, &one, &ClaimOptions::new())
        .await;
    expect_error_text(
        on_missing,
        &nogroup,
        "XCLAIM of a missing topic with min-idle-time 2^63",
    )?;
    let options = ClaimOptions::new().idle(big_idle);
    let on_missing = backend.claim(&missing, "g", "c", Duration::ZERO, &one, &options).await;
    expect_error_text(on_missing, &nogroup, "XCLAIM of a missing topic with IDLE 2^63")?;
    let pending = backend.pending(&topic, "g", &PendingQuery::all(10)).await?;
    ensure_eq!(
        pending.iter().map(|p| p.consumer.as_str()).collect::<Vec<_>>(),
        vec!["c"],
        "owner after the refused claims"
    );
    Ok(())
}

/// IDLE applies to the pending entries FORCE creates as to those it takes over: both are idle that long, and
/// with JUSTID both have one delivery.
///
/// redis-cli: 3 entries; c1 reads `COUNT 1 >`; `XCLAIM k g c3 0 1-1 3-1 IDLE 60000 FORCE JUSTID` → [1-1, 3-1];
/// `XPENDING k g - + 10` → 1-1 c3 ~60000 1, 3-1 c3 ~60000 1.
pub async fn claim_idle_applies_to_entries_force_creates(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "force-idle", 3).await?;
    deliver_one(b, &t, "c1").await?;
    let minute = 60 * SECOND;
    let options = ClaimOptions::new().idle(minute).force().just_id();
    let claimed = claim(b, &t, "c3", Duration::ZERO, &[id(1, 1), id(3, 1)], options).await?;
    ensure_eq!(
        claimed,
        Claimed::Ids(vec![id(1, 1), id(3, 1)]),
        "XCLAIM k g c3 0 1-1 3-1 IDLE 60000 FORCE JUSTID"
    );
    ensure_eq!(
        pending_rows(b, &t, &PendingQuery::all(10)).await?,
        vec![row("1-1", "c3", 1), row("3-1", "c3", 1)],
        "XPENDING (id, consumer, delivery count) after the claim"
    );
    let idles: Vec<(EntryId, Duration)> = b
        .pending(&t, "g", &PendingQuery::all(10))
        .await?
        .into_iter()
        .map(|p| (p.id, p.idle))
        .collect();
    ensure!(
        idles.iter().all(|(_, idle)| *idle >= minute && *idle < minute + HOUR),
        "idle times after IDLE 60000: {idles:?}"
    );
    Ok(())
}
