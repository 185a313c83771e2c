//! XACK and XPENDING: what acknowledging removes, what the pending list reports (summary, ranges, consumers, idle
//! filter) and the idle times of pending entries.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{AutoClaimOptions, Backend, ClaimOptions, EntryId, Error, PendingQuery, RangeBound};

use super::support::*;
use crate::{CheckResult, ensure, ensure_eq};

/// XACK counts the ids it removed from the pending list: a repeated id once, ids not pending not at all.
///
/// redis-cli: 3 entries read by c1; `XACK k g 2-1 2-1 9-9 3-1` → 2; `XPENDING k g` → 1 1-1 1-1 [c1 1];
/// `XACK k g 1-1` → 1; `XPENDING k g` → 0.
pub async fn ack_counts_only_pending_ids(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = delivered_to_c1(b, "ack", 3).await?;
    let acked = b.ack(&t, "g", &[id(2, 1), id(2, 1), id(9, 9), id(3, 1)]).await?;
    ensure_eq!(acked, 2, "XACK k g 2-1 2-1 9-9 3-1");
    let summary = b.pending_summary(&t, "g").await?;
    ensure_eq!(
        (summary.count, summary.min, summary.max),
        (1, Some(id(1, 1)), Some(id(1, 1))),
        "XPENDING summary (count, min, max) after the ack"
    );
    ensure_eq!(
        summary.consumers,
        vec![("c1".to_owned(), 1)],
        "XPENDING summary consumers"
    );
    ensure_eq!(b.ack(&t, "g", &[id(1, 1)]).await?, 1, "XACK k g 1-1");
    ensure_eq!(
        b.pending_summary(&t, "g").await?.count,
        0,
        "XPENDING count after acking the last"
    );
    Ok(())
}

/// XACK with a missing group or key is no error: it answers 0, touches no other group and creates no key.
///
/// redis-cli: 3 entries read by c1; `XACK k nog 1-1` → 0; `XACK missing g 1-1` → 0; `XPENDING k g` → 3;
/// `EXISTS missing` → 0.
pub async fn ack_without_the_group_or_topic_answers_zero(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = delivered_to_c1(b, "ack", 3).await?;
    ensure_eq!(b.ack(&t, "nog", &[id(1, 1)]).await?, 0, "XACK k nog 1-1");
    let missing = topic("nokey")?;
    ensure_eq!(b.ack(&missing, "g", &[id(1, 1)]).await?, 0, "XACK missing g 1-1");
    ensure_eq!(b.pending_summary(&t, "g").await?.count, 3, "XPENDING k g after them");
    ensure!(!exists(b, &missing).await?, "XACK created {missing}");
    Ok(())
}

/// XACK parses every id before acknowledging any, so one invalid id acknowledges nothing. With typed ids the bad
/// one fails while parsing, with Redis's message, before any call.
///
/// redis-cli: 3 entries read by c1; `XACK k g 2-1 bogus` → `ERR Invalid stream ID specified as stream command
/// argument`; `XPENDING k g` → 3; `XACK k g +` → the same error.
pub async fn ack_with_an_invalid_id_acknowledges_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = delivered_to_c1(b, "ack", 3).await?;
    let parsed: Result<Vec<EntryId>, _> = ["2-1", "bogus"].iter().map(|s| s.parse::<EntryId>()).collect();
    expect_error_text(
        parsed,
        "ERR Invalid stream ID specified as stream command argument",
        "parsing the ids of XACK k g 2-1 bogus",
    )?;
    ensure_eq!(b.pending_summary(&t, "g").await?.count, 3, "XPENDING k g after it");
    ensure!("+".parse::<EntryId>().is_err(), "`+` parsed as an id for XACK");
    Ok(())
}

/// The XPENDING summary of a group with nothing pending is a zero count and nil bounds.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP CREATE k g 0`; `XPENDING k g` → 0 nil nil nil.
pub async fn pending_summary_of_an_empty_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "p", 1).await?;
    let summary = b.pending_summary(&t, "g").await?;
    ensure_eq!(
        (summary.count, summary.min, summary.max),
        (0, None, None),
        "XPENDING summary (count, min, max)"
    );
    ensure!(
        summary.consumers.is_empty(),
        "XPENDING summary consumers: {:?}",
        summary.consumers
    );
    Ok(())
}

/// XPENDING with a missing group or key answers NOGROUP, naming both.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP CREATE k g 0`; `XPENDING k nog` → `NOGROUP No such key 'k' or consumer
/// group 'nog'`; `XPENDING missing g - + 10` → `NOGROUP No such key 'missing' or consumer group 'g'`.
pub async fn pending_of_a_missing_group_or_topic_is_nogroup(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "p", 1).await?;
    let err = expect_err(b.pending_summary(&t, "nog").await, "XPENDING k nog")?;
    ensure!(matches!(err, Error::NoGroup { .. }), "XPENDING k nog: {err:?}");
    ensure_eq!(
        err.to_string(),
        "NOGROUP No such key 'conformance:p' or consumer group 'nog'",
        "error of XPENDING k nog"
    );
    expect_error_text(
        b.pending(&topic("nokey")?, "g", &PendingQuery::all(10)).await,
        "NOGROUP No such key 'conformance:nokey' or consumer group 'g'",
        "XPENDING missing g - + 10",
    )
}

/// XPENDING with a consumer lists only that consumer's entries in the range.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XPENDING k g (3-1 + 10 c2` → 4-1 c2 1.
pub async fn pending_filters_by_consumer(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let query = PendingQuery::new(RangeBound::Exclusive(id(3, 1)), RangeBound::MAX, 10).consumer("c2");
    ensure_eq!(
        pending_rows(b, &t, &query).await?,
        vec![row("4-1", "c2", 1)],
        "XPENDING k g (3-1 + 10 c2"
    );
    Ok(())
}

/// XPENDING's range bounds may both be exclusive.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XPENDING k g (1-1 (4-1 10` → 2-1 c1 1,
/// 3-1 c2 1.
pub async fn pending_honours_exclusive_bounds(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let query = PendingQuery::new(RangeBound::Exclusive(id(1, 1)), RangeBound::Exclusive(id(4, 1)), 10);
    ensure_eq!(
        pending_rows(b, &t, &query).await?,
        vec![row("2-1", "c1", 1), row("3-1", "c2", 1)],
        "XPENDING k g (1-1 (4-1 10"
    );
    Ok(())
}

/// XPENDING with COUNT 0 lists nothing.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XPENDING k g - + 0` → empty.
pub async fn pending_count_zero_lists_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let rows = pending_rows(b, &t, &PendingQuery::all(0)).await?;
    ensure!(rows.is_empty(), "XPENDING k g - + 0 listed {rows:?}");
    Ok(())
}

/// XPENDING for a consumer the group does not have lists nothing (no error).
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`; `XPENDING k g - + 10 nobody` → empty.
pub async fn pending_of_an_unknown_consumer_lists_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let rows = pending_rows(b, &t, &PendingQuery::all(10).consumer("nobody")).await?;
    ensure!(rows.is_empty(), "XPENDING k g - + 10 nobody listed {rows:?}");
    Ok(())
}

/// An exclusive start at the largest id has no next id: XPENDING refuses it.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`, c2 reads `COUNT 2 >`;
/// `XPENDING k g (18446744073709551615-18446744073709551615 + 10` → `ERR invalid start ID for the interval`.
pub async fn pending_rejects_an_exclusive_start_at_the_maximum_id(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = two_readers(b, "p").await?;
    let query = PendingQuery::new(RangeBound::Exclusive(EntryId::MAX), RangeBound::MAX, 10);
    expect_error_text(
        b.pending(&t, "g", &query).await,
        "ERR invalid start ID for the interval",
        "XPENDING k g (<max id> + 10",
    )
}

/// On paused time, XPENDING reports each entry's idle time since its delivery to the millisecond, and IDLE lists
/// only the entries idle at least that long.
///
/// redis-cli: 5 entries; c1 reads `COUNT 2 >`; about 300 ms later c2 reads `COUNT 2 >`; `XPENDING k g - + 10` →
/// 1-1 c1 ~300 1, 2-1 c1 ~300 1, 3-1 c2 0 1, 4-1 c2 0 1; `XPENDING k g IDLE 200 - + 10` → 1-1 c1 ~300 1,
/// 2-1 c1 ~300 1.
pub async fn pending_idle_filter_is_exact(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let b = backend.as_ref();
    let t = two_readers_300_ms_apart(b, "p", &clock).await?;
    ensure_eq!(
        pending_idles(b, &t, &PendingQuery::all(10)).await?,
        vec![
            ("1-1".to_owned(), 300),
            ("2-1".to_owned(), 300),
            ("3-1".to_owned(), 0),
            ("4-1".to_owned(), 0)
        ],
        "XPENDING k g - + 10 (id, idle ms)"
    );
    let filtered = PendingQuery::all(10).min_idle(200 * MS);
    ensure_eq!(
        pending_rows(b, &t, &filtered).await?,
        vec![row("1-1", "c1", 1), row("2-1", "c1", 1)],
        "XPENDING k g IDLE 200 - + 10"
    );
    ensure_eq!(
        pending_idles(b, &t, &filtered).await?,
        vec![("1-1".to_owned(), 300), ("2-1".to_owned(), 300)],
        "XPENDING k g IDLE 200 - + 10 (id, idle ms)"
    );
    Ok(())
}

/// XPENDING's IDLE filter on a real clock, with wide margins: entries read 50 ms ago pass IDLE 40 ms (and every
/// entry listed is idle that long), none passes IDLE of an hour.
pub async fn pending_idle_filter_holds_with_margins(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = first_reader(b, "p").await?;
    tokio::time::sleep(50 * MS).await;
    second_reader(b, &t).await?;
    let floor = 40 * MS;
    let listed = b.pending(&t, "g", &PendingQuery::all(10).min_idle(floor)).await?;
    let ids: Vec<String> = listed.iter().map(|p| p.id.to_string()).collect();
    ensure!(
        ids.starts_with(&["1-1".to_owned(), "2-1".to_owned()]),
        "XPENDING IDLE 40 ms, 50 ms after c1 read 1-1 and 2-1, listed {ids:?}"
    );
    ensure!(
        listed.iter().all(|p| p.idle >= floor),
        "XPENDING IDLE 40 ms listed entries idle for less: {listed:?}"
    );
    let listed = b.pending(&t, "g", &PendingQuery::all(10).min_idle(HOUR)).await?;
    ensure!(
        listed.is_empty(),
        "XPENDING IDLE of an hour listed fresh entries: {listed:?}"
    );
    Ok(())
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

/// Idle times on a real clock, with wide margins: right after a delivery an entry is far from idle for an HOUR,
/// and after sleeping 50 ms it is idle at least 40 ms (XPENDING, XCLAIM and XAUTOCLAIM min-idle, XINFO CONSUMERS).
pub async fn idle_times_hold_with_margins(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let topic = topic("idle-margins")?;
    let floor = 40 * MS;
    fill(b, &topic, 2).await?;
    group_at_zero(b, &topic).await?;
    deliver_all(b, &topic, "c1").await?;
    let claimed = b
        .claim(&topic, "g", "c2", HOUR, &[id(1, 0)], &ClaimOptions::new())
        .await?;
    ensure!(
        claimed.is_empty(),
        "XCLAIM min-idle 1h claimed a fresh entry: {claimed:?}"
    );
    let auto = b
        .auto_claim(&topic, "g", "c2", HOUR, RangeBound::MIN, &AutoClaimOptions::new())
        .await?;
    ensure!(
        auto.claimed.is_empty(),
        "XAUTOCLAIM min-idle 1h claimed a fresh entry: {auto:?}"
    );
    tokio::time::sleep(50 * MS).await;
    let (idle, owner) = pending_of(b, &topic, id(1, 0)).await?;
    ensure!(
        idle >= floor && idle < HOUR && owner == "c1",
        "XPENDING 50 ms after the delivery: idle {idle:?}, owner {owner}"
    );
    let idle = consumer_idle(b, &topic, "c1").await?;
    ensure!(
        idle >= floor && idle < HOUR,
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

/// XACK with no id is refused by its arity, before the key or group is looked at:
/// `XACK k g` → `ERR wrong number of arguments for 'xack' command` (also for a missing key).
pub async fn ack_of_no_ids_is_an_arity_error(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xack-arity")?;
    fill(backend.as_ref(), &topic, 1).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c").await?;
    let arity = "ERR wrong number of arguments for 'xack' command";
    expect_error_text(backend.ack(&topic, "g", &[]).await, arity, "XACK with no id")?;
    let missing = super::support::topic("xack-arity-missing")?;
    expect_error_text(
        backend.ack(&missing, "g", &[]).await,
        arity,
        "XACK of a missing topic with no id",
    )?;
    ensure_eq!(
        backend.pending_summary(&topic, "g").await?.count,
        1,
        "pending after the refused XACK"
    );
    Ok(())
}
