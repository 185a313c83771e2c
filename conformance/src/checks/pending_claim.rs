//! XACK, XPENDING, XCLAIM and XAUTOCLAIM: ownership, delivery counts and idle times.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{AutoClaimOptions, Backend, ClaimOptions, EntryId, PendingQuery, RangeBound};

use super::support::*;
use crate::{CheckResult, ensure, ensure_eq};

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
