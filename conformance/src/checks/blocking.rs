//! BLOCK on XREAD and XREADGROUP: who is served, when timeouts fire, what is never lost.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{AppendOptions, Backend, EntryId, GroupCursor, ReadCursor, ReadGroupOptions, ReadOptions};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

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
