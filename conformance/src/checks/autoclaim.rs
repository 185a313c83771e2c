//! XAUTOCLAIM: the cursor, deleted entries, min-idle and COUNT (ten entries examined per COUNT), and what it
//! refuses.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{AutoClaimOptions, AutoClaimed, Backend, Claimed, EntryId, PendingQuery, RangeBound, Topic};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// `XAUTOCLAIM k g <consumer> <min-idle> <start> …`.
async fn auto_claim(
    backend: &dyn Backend,
    topic: &Topic,
    consumer: &str,
    min_idle: Duration,
    start: RangeBound,
    options: AutoClaimOptions,
) -> bus_core::Result<AutoClaimed> {
    backend
        .auto_claim(topic, "g", consumer, min_idle, start, &options)
        .await
}

/// Six entries read by c1, then `XDEL k 2-1 4-1`.
async fn six_read_two_deleted(backend: &dyn Backend) -> Result<Topic, Failure> {
    let t = delivered_to_c1(backend, "ac", 6).await?;
    backend.delete(&t, &[id(2, 1), id(4, 1)]).await?;
    Ok(t)
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

/// XAUTOCLAIM scans the pending list from its start in pages of COUNT: each page claims what it found, reports
/// (and drops) the ids of deleted entries, and answers the cursor to continue from, `0-0` at the end.
///
/// redis-cli: 6 entries read by c1; `XDEL k 2-1 4-1`; `XAUTOCLAIM k g c2 0 0 COUNT 2` → 3-1, [1-1 n 1], [2-1];
/// `XAUTOCLAIM k g c2 0 3-1 COUNT 2 JUSTID` → 5-1, [3-1], [4-1]; `XAUTOCLAIM k g c2 0 5-1` → 0-0, [5-1, 6-1], [];
/// `XPENDING k g - + 10` → 1-1 c2 0 2, 3-1 c2 0 1, 5-1 c2 0 2, 6-1 c2 0 2.
pub async fn autoclaim_pages_with_a_cursor_and_reports_deleted_ids(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = six_read_two_deleted(b).await?;
    let two = AutoClaimOptions::new().count(2);
    let page = auto_claim(b, &t, "c2", Duration::ZERO, RangeBound::MIN, two).await?;
    ensure_eq!(page.next, id(3, 1), "cursor of XAUTOCLAIM k g c2 0 0 COUNT 2");
    ensure!(
        matches!(page.claimed, Claimed::Entries(_)),
        "XAUTOCLAIM without JUSTID answered ids only: {:?}",
        page.claimed
    );
    ensure_eq!(page.claimed.ids(), vec![id(1, 1)], "claimed by the first page");
    ensure_eq!(page.deleted, vec![id(2, 1)], "deleted ids of the first page");
    let page = auto_claim(
        b,
        &t,
        "c2",
        Duration::ZERO,
        RangeBound::Inclusive(id(3, 1)),
        two.just_id(),
    )
    .await?;
    ensure_eq!(page.next, id(5, 1), "cursor of XAUTOCLAIM k g c2 0 3-1 COUNT 2 JUSTID");
    ensure_eq!(page.claimed, Claimed::Ids(vec![id(3, 1)]), "claimed by the second page");
    ensure_eq!(page.deleted, vec![id(4, 1)], "deleted ids of the second page");
    let start = RangeBound::Inclusive(id(5, 1));
    let page = auto_claim(b, &t, "c2", Duration::ZERO, start, AutoClaimOptions::new()).await?;
    ensure_eq!(page.next, EntryId::MIN, "cursor of XAUTOCLAIM k g c2 0 5-1");
    ensure_eq!(page.claimed.ids(), vec![id(5, 1), id(6, 1)], "claimed by the last page");
    ensure!(
        page.deleted.is_empty(),
        "deleted ids of the last page: {:?}",
        page.deleted
    );
    ensure_eq!(
        pending_rows(b, &t, &PendingQuery::all(10)).await?,
        vec![
            row("1-1", "c2", 2),
            row("3-1", "c2", 1),
            row("5-1", "c2", 2),
            row("6-1", "c2", 2)
        ],
        "XPENDING (id, consumer, delivery count) after the pages"
    );
    ensure_recent(b, &t, &PendingQuery::all(10), "after the pages").await
}

/// XAUTOCLAIM's start may be exclusive.
///
/// redis-cli: 6 entries read by c1; `XDEL k 2-1 4-1`; `XAUTOCLAIM k g c3 0 (1-1` → 0-0, [3-1, 5-1, 6-1],
/// [2-1, 4-1].
pub async fn autoclaim_honours_an_exclusive_start(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = six_read_two_deleted(b).await?;
    let start = RangeBound::Exclusive(id(1, 1));
    let page = auto_claim(b, &t, "c3", Duration::ZERO, start, AutoClaimOptions::new()).await?;
    ensure_eq!(page.next, EntryId::MIN, "cursor of XAUTOCLAIM k g c3 0 (1-1");
    ensure_eq!(page.claimed.ids(), vec![id(3, 1), id(5, 1), id(6, 1)], "claimed");
    ensure_eq!(page.deleted, vec![id(2, 1), id(4, 1)], "deleted ids");
    Ok(())
}

/// `XAUTOCLAIM k g c2 100000 0 COUNT 2` on 25 fresh pending entries.
async fn autoclaim_fresh(backend: &dyn Backend) -> Result<(Topic, AutoClaimed), Failure> {
    let t = delivered_to_c1(backend, "at", 25).await?;
    let options = AutoClaimOptions::new().count(2);
    let page = auto_claim(backend, &t, "c2", 100 * SECOND, RangeBound::MIN, options).await?;
    Ok((t, page))
}

/// XAUTOCLAIM examines at most ten pending entries per COUNT: with nothing idle enough, COUNT 2 stops after 20
/// and answers the 21st as the cursor.
///
/// redis-cli: 25 entries read by c1; `XAUTOCLAIM k g c2 100000 0 COUNT 2` → 21-1, [], [].
pub async fn autoclaim_examines_ten_entries_per_count(backend: Arc<dyn Backend>) -> CheckResult {
    let (_, page) = autoclaim_fresh(backend.as_ref()).await?;
    ensure_eq!(page.next, id(21, 1), "cursor after examining 20 entries");
    ensure!(
        page.claimed.is_empty() && page.deleted.is_empty(),
        "XAUTOCLAIM min-idle 100 s claimed or dropped fresh entries: {page:?}"
    );
    Ok(())
}

/// An XAUTOCLAIM that claims nothing does not create the claiming consumer.
///
/// redis-cli: 25 entries read by c1; `XAUTOCLAIM k g c2 100000 0 COUNT 2`; `XINFO CONSUMERS k g` → c1 only.
pub async fn autoclaim_creates_no_consumer_when_nothing_is_claimed(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let (t, _) = autoclaim_fresh(b).await?;
    let names: Vec<String> = b.consumers_info(&t, "g").await?.into_iter().map(|c| c.name).collect();
    ensure_eq!(names, vec!["c1".to_owned()], "XINFO CONSUMERS names");
    Ok(())
}

/// On paused time: once the entries are idle for exactly min-idle, XAUTOCLAIM with the default COUNT (100) takes
/// all 25 and answers the cursor 0-0.
///
/// redis-cli: 25 entries read by c1; 100 s later `XAUTOCLAIM k g c2 100000 0` → 0-0, 25 entries, [].
pub async fn autoclaim_takes_every_entry_idle_long_enough_exactly(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let b = backend.as_ref();
    let (t, _) = autoclaim_fresh(b).await?;
    clock.advance(100 * SECOND).await;
    let page = auto_claim(b, &t, "c2", 100 * SECOND, RangeBound::MIN, AutoClaimOptions::new()).await?;
    ensure_eq!(
        (page.next, page.claimed.len()),
        (EntryId::MIN, 25),
        "(cursor, entries claimed) after 100 s"
    );
    Ok(())
}

/// `autoclaim_takes_every_entry_idle_long_enough_exactly` on a real clock, with wide margins: 50 ms after the
/// delivery, XAUTOCLAIM min-idle 40 ms with the default COUNT takes all 25 entries.
pub async fn autoclaim_takes_every_entry_idle_long_enough_with_margins(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = delivered_to_c1(b, "at", 25).await?;
    tokio::time::sleep(50 * MS).await;
    let page = auto_claim(b, &t, "c2", 40 * MS, RangeBound::MIN, AutoClaimOptions::new()).await?;
    ensure_eq!(
        (page.next, page.claimed.len()),
        (EntryId::MIN, 25),
        "(cursor, entries claimed) 50 ms after the delivery"
    );
    Ok(())
}

/// COUNT 0 is refused, and the refused call changes nothing.
///
/// redis-cli: 6 entries read by c1; `XDEL k 2-1 4-1`; `XAUTOCLAIM k g c2 0 0 COUNT 0` → `ERR COUNT must be > 0`;
/// `XPENDING k g` → 6 (the deleted entries are still pending).
pub async fn autoclaim_rejects_count_zero(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = six_read_two_deleted(b).await?;
    let zero = AutoClaimOptions::new().count(0);
    expect_error_text(
        auto_claim(b, &t, "c2", Duration::ZERO, RangeBound::MIN, zero).await,
        "ERR COUNT must be > 0",
        "XAUTOCLAIM … COUNT 0",
    )?;
    ensure_eq!(b.pending_summary(&t, "g").await?.count, 6, "XPENDING count after it");
    Ok(())
}

/// XAUTOCLAIM with a missing group or key answers NOGROUP, naming both, and changes nothing.
///
/// redis-cli: 6 entries read by c1; `XDEL k 2-1 4-1`; `XAUTOCLAIM k nog c2 0 0` → `NOGROUP No such key 'k' or
/// consumer group 'nog'`; `XAUTOCLAIM missing g c2 0 0` → `NOGROUP No such key 'missing' or consumer group 'g'`;
/// `XPENDING k g` → 6.
pub async fn autoclaim_of_a_missing_group_or_topic_is_nogroup(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = six_read_two_deleted(b).await?;
    let options = AutoClaimOptions::new();
    expect_error_text(
        b.auto_claim(&t, "nog", "c2", Duration::ZERO, RangeBound::MIN, &options)
            .await,
        "NOGROUP No such key 'conformance:ac' or consumer group 'nog'",
        "XAUTOCLAIM k nog c2 0 0",
    )?;
    expect_error_text(
        auto_claim(b, &topic("nokey")?, "c2", Duration::ZERO, RangeBound::MIN, options).await,
        "NOGROUP No such key 'conformance:nokey' or consumer group 'g'",
        "XAUTOCLAIM missing g c2 0 0",
    )?;
    ensure_eq!(b.pending_summary(&t, "g").await?.count, 6, "XPENDING count after them");
    Ok(())
}

/// XAUTOCLAIM's min-idle-time must fit a signed 64-bit integer:
/// `XAUTOCLAIM k g c 9223372036854775808 0` → `ERR Invalid min-idle-time argument for XAUTOCLAIM`, also on a
/// missing key, and nothing is claimed.
pub async fn autoclaim_min_idle_out_of_range_is_refused(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xautoclaim-range")?;
    fill(backend.as_ref(), &topic, 1).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "c").await?;
    let too_big = Duration::from_millis(1 << 63);
    let message = "ERR Invalid min-idle-time argument for XAUTOCLAIM";
    let options = AutoClaimOptions::new();
    let claimed = backend
        .auto_claim(&topic, "g", "other", too_big, RangeBound::MIN, &options)
        .await;
    expect_error_text(claimed, message, "XAUTOCLAIM with min-idle-time 2^63")?;
    let missing = super::support::topic("xautoclaim-range-missing")?;
    let claimed = backend
        .auto_claim(&missing, "g", "other", too_big, RangeBound::MIN, &options)
        .await;
    expect_error_text(claimed, message, "XAUTOCLAIM of a missing topic")?;
    let pending = backend.pending(&topic, "g", &PendingQuery::all(10)).await?;
    ensure_eq!(pending.len(), 1, "pending entries after the refused claim");
    ensure_eq!(pending[0].consumer.as_str(), "c", "owner after the refused claim");
    Ok(())
}

/// XAUTOCLAIM without JUSTID returns each claimed entry with its fields exactly as written.
///
/// redis-cli: `XADD k 1-1 a 1 a 2 b ''`, `XADD k 2-1 x y`; `XGROUP CREATE k g 0`; `XREADGROUP GROUP g c1 STREAMS
/// k >`; `XAUTOCLAIM k g c2 0 0` → 0-0, [1-1 a 1 a 2 b '', 2-1 x y], [].
pub async fn autoclaim_returns_entries_with_their_fields(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("autoclaim-fields")?;
    add(b, &t, "1-1", odd_fields()).await?;
    add(b, &t, "2-1", pairs(&[("x", "y")])).await?;
    group_at_zero(b, &t).await?;
    deliver_all(b, &t, "c1").await?;
    let page = auto_claim(b, &t, "c2", Duration::ZERO, RangeBound::MIN, AutoClaimOptions::new()).await?;
    let expected = Claimed::Entries(vec![
        bus_core::Entry::new(id(1, 1), odd_fields()),
        bus_core::Entry::new(id(2, 1), pairs(&[("x", "y")])),
    ]);
    ensure_eq!(page.claimed, expected, "entries of XAUTOCLAIM k g c2 0 0");
    ensure_eq!(
        (page.next, page.deleted),
        (EntryId::MIN, vec![]),
        "cursor and deleted ids of XAUTOCLAIM k g c2 0 0"
    );
    Ok(())
}
