//! XACK, XPENDING, XCLAIM and XAUTOCLAIM on paused tokio time, so idle times are exact. Each expected answer was
//! first obtained from redis-cli on 7.0.15 (where idle times there are "about N ms", here they are exactly N).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    AutoClaimOptions, Backend, ClaimOptions, Claimed, Clock, EntryId, Error, GroupCreateOptions, GroupCursor,
    GroupStart, PendingQuery, RangeBound, ReadGroupOptions, Topic,
};
use bus_memory::MemoryBackend;
use common::{add, add_numbered, id, topic};

const START_MS: u64 = 1_000_000;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn advance(n: u64) {
    tokio::time::advance(ms(n)).await;
}

/// `count` entries `i-1` and group `g` at 0.
async fn setup(name: &str, count: u64) -> (MemoryBackend, Topic) {
    let backend = MemoryBackend::with_clock(Clock::starting_at(START_MS));
    let t = topic(name);
    add_numbered(&backend, &t, count).await;
    backend
        .group_create(&t, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    (backend, t)
}

async fn read_new(backend: &MemoryBackend, t: &Topic, consumer: &str, count: Option<u64>) {
    let mut options = ReadGroupOptions::new();
    options.count = count;
    backend
        .read_group("g", consumer, &[(t.clone(), GroupCursor::New)], &options)
        .await
        .unwrap();
}

/// `(id, consumer, idle ms, delivery count)` rows of an XPENDING query.
async fn rows(backend: &MemoryBackend, t: &Topic, query: PendingQuery) -> Vec<(String, String, u64, u64)> {
    backend
        .pending(t, "g", &query)
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.id.to_string(),
                p.consumer,
                p.idle.as_millis() as u64,
                p.delivery_count,
            )
        })
        .collect()
}

fn row(id: &str, consumer: &str, idle: u64, count: u64) -> (String, String, u64, u64) {
    (id.to_owned(), consumer.to_owned(), idle, count)
}

fn all() -> PendingQuery {
    PendingQuery::all(10)
}

/// 5 entries; c1 reads 2, 300 ms later c2 reads 2.
async fn two_readers() -> (MemoryBackend, Topic) {
    let (backend, t) = setup("scen:p", 5).await;
    read_new(&backend, &t, "c1", Some(2)).await;
    advance(300).await;
    read_new(&backend, &t, "c2", Some(2)).await;
    (backend, t)
}

#[tokio::test(start_paused = true)]
async fn ack_counts_only_pending_ids_and_answers_zero_without_a_group() {
    // 3 entries read by c1: XACK k g 2-1 2-1 9-9 3-1 → 2; XACK k nog 1-1 → 0; XACK missing g 1-1 → 0;
    // XPENDING → 1 1-1 1-1 [c1 1]
    let (backend, t) = setup("scen:ack", 3).await;
    read_new(&backend, &t, "c1", None).await;
    let acked = backend
        .ack(&t, "g", &[id(2, 1), id(2, 1), id(9, 9), id(3, 1)])
        .await
        .unwrap();
    assert_eq!(acked, 2);
    assert_eq!(backend.ack(&t, "nog", &[id(1, 1)]).await.unwrap(), 0);
    assert_eq!(backend.ack(&topic("scen:nokey"), "g", &[id(1, 1)]).await.unwrap(), 0);
    let summary = backend.pending_summary(&t, "g").await.unwrap();
    assert_eq!(
        (summary.count, summary.min, summary.max),
        (1, Some(id(1, 1)), Some(id(1, 1)))
    );
    assert_eq!(summary.consumers, [("c1".to_owned(), 1)]);
}

#[tokio::test(start_paused = true)]
async fn ack_with_an_invalid_id_acknowledges_nothing() {
    // XACK k g 2-1 bogus → ERR Invalid stream ID …, and XPENDING still counts 3: ids are all parsed first.
    // With typed ids the bad one fails while parsing, before the call; the call with the good ids then works.
    let (backend, t) = setup("scen:ack", 3).await;
    read_new(&backend, &t, "c1", None).await;
    let parsed: Result<Vec<EntryId>, _> = ["2-1", "bogus"].iter().map(|s| s.parse::<EntryId>()).collect();
    let err = parsed.unwrap_err();
    assert_eq!(
        err.to_string(),
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 3);
    assert!("+".parse::<EntryId>().is_err(), "XACK k g + is an invalid id too");
}

#[tokio::test(start_paused = true)]
async fn pending_summary_of_an_empty_group_and_missing_groups() {
    // XPENDING k g (nothing pending) → 0 nil nil nil; XPENDING k nog → NOGROUP No such key 'k' or consumer group 'nog'
    let (backend, t) = setup("scen:p", 1).await;
    let summary = backend.pending_summary(&t, "g").await.unwrap();
    assert_eq!((summary.count, summary.min, summary.max), (0, None, None));
    assert!(summary.consumers.is_empty());
    let err = backend.pending_summary(&t, "nog").await.unwrap_err();
    assert!(matches!(err, Error::NoGroup { .. }));
    assert_eq!(err.to_string(), "NOGROUP No such key 'scen:p' or consumer group 'nog'");
    let err = backend.pending(&topic("scen:nokey"), "g", &all()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "NOGROUP No such key 'scen:nokey' or consumer group 'g'"
    );
}

#[tokio::test(start_paused = true)]
async fn pending_with_idle_filter() {
    // XPENDING k g IDLE 200 - + 10 → 1-1 c1 ~300 1, 2-1 c1 ~300 1
    let (backend, t) = two_readers().await;
    let got = rows(&backend, &t, all().min_idle(ms(200))).await;
    assert_eq!(got, [row("1-1", "c1", 300, 1), row("2-1", "c1", 300, 1)]);
}

#[tokio::test(start_paused = true)]
async fn pending_by_consumer_with_exclusive_bounds() {
    // XPENDING k g (3-1 + 10 c2 → 4-1 c2; XPENDING k g (1-1 (4-1 10 → 2-1 c1, 3-1 c2
    let (backend, t) = two_readers().await;
    let query = PendingQuery::new(RangeBound::Exclusive(id(3, 1)), RangeBound::MAX, 10).consumer("c2");
    assert_eq!(rows(&backend, &t, query).await, [row("4-1", "c2", 0, 1)]);
    let query = PendingQuery::new(RangeBound::Exclusive(id(1, 1)), RangeBound::Exclusive(id(4, 1)), 10);
    assert_eq!(
        rows(&backend, &t, query).await,
        [row("2-1", "c1", 300, 1), row("3-1", "c2", 0, 1)]
    );
}

#[tokio::test(start_paused = true)]
async fn pending_count_zero_unknown_consumer_and_bad_bounds() {
    // XPENDING k g - + 0 → empty; … nobody → empty; (18446744073709551615-18446744073709551615 → invalid start
    let (backend, t) = two_readers().await;
    assert!(rows(&backend, &t, PendingQuery::all(0)).await.is_empty());
    assert!(rows(&backend, &t, all().consumer("nobody")).await.is_empty());
    let query = PendingQuery::new(RangeBound::Exclusive(EntryId::MAX), RangeBound::MAX, 10);
    let err = backend.pending(&t, "g", &query).await.unwrap_err();
    assert_eq!(err.to_string(), "ERR invalid start ID for the interval");
}

#[tokio::test(start_paused = true)]
async fn claim_respects_min_idle_and_increments_the_count() {
    // XCLAIM k g c3 200 1-1 3-1 → 1-1 only (3-1 was delivered too recently); XPENDING → 1-1 c3 0 2
    let (backend, t) = two_readers().await;
    let claimed = backend
        .claim(&t, "g", "c3", ms(200), &[id(1, 1), id(3, 1)], &ClaimOptions::new())
        .await
        .unwrap();
    let Claimed::Entries(entries) = &claimed else {
        panic!("full entries expected: {claimed:?}")
    };
    assert_eq!(common::ids(entries), ["1-1"]);
    assert_eq!(common::n_of(&entries[0]), "1");
    assert_eq!(
        rows(&backend, &t, all()).await,
        [
            row("1-1", "c3", 0, 2),
            row("2-1", "c1", 300, 1),
            row("3-1", "c2", 0, 1),
            row("4-1", "c2", 0, 1)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn claim_justid_does_not_increment() {
    // XCLAIM k g c3 0 2-1 JUSTID → [2-1]; XPENDING 2-1 c3 0 1
    let (backend, t) = two_readers().await;
    let claimed = backend
        .claim(&t, "g", "c3", ms(0), &[id(2, 1)], &ClaimOptions::new().just_id())
        .await
        .unwrap();
    assert_eq!(claimed, Claimed::Ids(vec![id(2, 1)]));
    let query = PendingQuery::new(id(2, 1).into(), id(2, 1).into(), 1);
    assert_eq!(rows(&backend, &t, query).await, [row("2-1", "c3", 0, 1)]);
}

#[tokio::test(start_paused = true)]
async fn claim_idle_time_and_retrycount_set_the_entry() {
    // XCLAIM k g c4 0 4-1 IDLE 5000 RETRYCOUNT 7 → 4-1; XPENDING 4-1 c4 ~5000 7.
    // TIME 1 (far past) → idle since the epoch; TIME in the future → clamped to now (idle 0).
    let (backend, t) = two_readers().await;
    let options = ClaimOptions::new().idle(ms(5_000)).retry_count(7);
    let claimed = backend
        .claim(&t, "g", "c4", ms(0), &[id(4, 1)], &options)
        .await
        .unwrap();
    assert_eq!(claimed.ids(), [id(4, 1)]);
    let one = |i| PendingQuery::new(id(i, 1).into(), id(i, 1).into(), 1);
    assert_eq!(rows(&backend, &t, one(4)).await, [row("4-1", "c4", 5_000, 7)]);
    let now = START_MS + 300;
    let past = ClaimOptions::new().time(now - 1_234).just_id();
    backend.claim(&t, "g", "c4", ms(0), &[id(1, 1)], &past).await.unwrap();
    assert_eq!(rows(&backend, &t, one(1)).await, [row("1-1", "c4", 1_234, 1)]);
    let future = ClaimOptions::new().time(now + 99_999).just_id();
    backend.claim(&t, "g", "c4", ms(0), &[id(1, 1)], &future).await.unwrap();
    assert_eq!(rows(&backend, &t, one(1)).await, [row("1-1", "c4", 0, 1)]);
    // RETRYCOUNT also applies with JUSTID: XCLAIM … 2-1 RETRYCOUNT 9 JUSTID → count 9.
    let retry = ClaimOptions::new().retry_count(9).just_id();
    backend.claim(&t, "g", "c3", ms(0), &[id(2, 1)], &retry).await.unwrap();
    assert_eq!(rows(&backend, &t, one(2)).await, [row("2-1", "c3", 0, 9)]);
}

#[tokio::test(start_paused = true)]
async fn claim_force_creates_pending_entries_with_redis_counts() {
    // XCLAIM k g c4 0 5-1 → empty (not pending); FORCE → 5-1 with delivery count 2; FORCE 9-1 (no such entry)
    // → empty; XADD 6-1; XCLAIM k g c4 0 6-1 FORCE JUSTID → 6-1 with delivery count 1.
    // FORCE ignores min-idle for entries it creates: XCLAIM … 100000 26-1 FORCE JUSTID → 26-1.
    let (backend, t) = two_readers().await;
    let none = backend
        .claim(&t, "g", "c4", ms(0), &[id(5, 1)], &ClaimOptions::new())
        .await
        .unwrap();
    assert!(none.is_empty());
    let forced = backend
        .claim(&t, "g", "c4", ms(0), &[id(5, 1)], &ClaimOptions::new().force())
        .await
        .unwrap();
    assert_eq!(forced.ids(), [id(5, 1)]);
    let missing = backend
        .claim(&t, "g", "c4", ms(0), &[id(9, 1)], &ClaimOptions::new().force())
        .await
        .unwrap();
    assert!(missing.is_empty());
    add(&backend, &t, "6-1", "6").await;
    let forced = backend
        .claim(
            &t,
            "g",
            "c4",
            ms(100_000),
            &[id(6, 1)],
            &ClaimOptions::new().force().just_id(),
        )
        .await
        .unwrap();
    assert_eq!(forced, Claimed::Ids(vec![id(6, 1)]));
    let query = PendingQuery::new(id(5, 1).into(), RangeBound::MAX, 10);
    assert_eq!(
        rows(&backend, &t, query).await,
        [row("5-1", "c4", 0, 2), row("6-1", "c4", 0, 1)]
    );
}

#[tokio::test(start_paused = true)]
async fn claim_lastid_raises_the_group_position_only() {
    // XCLAIM k g c4 0 2-1 LASTID 6-1 JUSTID (4 of 6 entries read) → XINFO GROUPS: last-delivered-id 6-1,
    // entries-read 4, lag 2. A LASTID below the group's position (0-5) leaves it alone.
    let (backend, t) = two_readers().await;
    add(&backend, &t, "6-1", "6").await;
    let options = ClaimOptions::new().last_id(id(6, 1)).just_id();
    backend
        .claim(&t, "g", "c4", ms(0), &[id(2, 1)], &options)
        .await
        .unwrap();
    let info = &backend.groups_info(&t).await.unwrap()[0];
    assert_eq!(
        (info.last_delivered_id, info.entries_read, info.lag),
        (id(6, 1), Some(4), Some(2))
    );
    let lower = ClaimOptions::new().last_id(id(0, 5)).just_id();
    backend.claim(&t, "g", "c4", ms(0), &[id(2, 1)], &lower).await.unwrap();
    assert_eq!(backend.groups_info(&t).await.unwrap()[0].last_delivered_id, id(6, 1));
}

#[tokio::test(start_paused = true)]
async fn claim_drops_deleted_entries_from_the_pending_list() {
    // XDEL 1-1; XCLAIM k g c4 0 1-1 2-1 → 2-1 only; XPENDING → 3 2-1 4-1 [c2 2, c4 1] (1-1 is gone)
    let (backend, t) = two_readers().await;
    backend.delete(&t, &[id(1, 1)]).await.unwrap();
    let claimed = backend
        .claim(&t, "g", "c4", ms(0), &[id(1, 1), id(2, 1)], &ClaimOptions::new())
        .await
        .unwrap();
    assert_eq!(claimed.ids(), [id(2, 1)]);
    let summary = backend.pending_summary(&t, "g").await.unwrap();
    assert_eq!(
        (summary.count, summary.min, summary.max),
        (3, Some(id(2, 1)), Some(id(4, 1)))
    );
    assert_eq!(summary.consumers, [("c2".to_owned(), 2), ("c4".to_owned(), 1)]);
}

#[tokio::test(start_paused = true)]
async fn claim_errors_and_no_consumer_when_nothing_is_claimed() {
    // XCLAIM k nog c 0 1-1 → NOGROUP No such key 'k' or consumer group 'nog';
    // XCLAIM k g c9 100000 1-1 → empty, and c9 is not created
    let (backend, t) = two_readers().await;
    let err = backend
        .claim(&t, "nog", "c", ms(0), &[id(1, 1)], &ClaimOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "NOGROUP No such key 'scen:p' or consumer group 'nog'");
    let none = backend
        .claim(&t, "g", "c9", ms(100_000), &[id(1, 1)], &ClaimOptions::new())
        .await
        .unwrap();
    assert!(none.is_empty());
    let names: Vec<_> = backend
        .consumers_info(&t, "g")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["c1", "c2"]);
}

/// 6 entries read by c1, then XDEL 2-1 4-1.
async fn autoclaim_setup() -> (MemoryBackend, Topic) {
    let (backend, t) = setup("scen:ac", 6).await;
    read_new(&backend, &t, "c1", None).await;
    backend.delete(&t, &[id(2, 1), id(4, 1)]).await.unwrap();
    (backend, t)
}

#[tokio::test(start_paused = true)]
async fn autoclaim_pages_with_a_cursor_and_reports_deleted_ids() {
    // XAUTOCLAIM k g c2 0 0 COUNT 2 → 3-1, [1-1 n 1], [2-1]
    // XAUTOCLAIM k g c2 0 3-1 COUNT 2 JUSTID → 5-1, [3-1], [4-1]
    // XAUTOCLAIM k g c2 0 5-1 → 0-0, [5-1, 6-1], []
    // XPENDING → 1-1 c2 2, 3-1 c2 1, 5-1 c2 2, 6-1 c2 2
    let (backend, t) = autoclaim_setup().await;
    let page = backend
        .auto_claim(&t, "g", "c2", ms(0), RangeBound::MIN, &AutoClaimOptions::new().count(2))
        .await
        .unwrap();
    assert_eq!(page.next, id(3, 1));
    assert_eq!(page.claimed.ids(), [id(1, 1)]);
    assert!(matches!(page.claimed, Claimed::Entries(_)));
    assert_eq!(page.deleted, [id(2, 1)]);
    let page = backend
        .auto_claim(
            &t,
            "g",
            "c2",
            ms(0),
            id(3, 1).into(),
            &AutoClaimOptions::new().count(2).just_id(),
        )
        .await
        .unwrap();
    assert_eq!(page.next, id(5, 1));
    assert_eq!(page.claimed, Claimed::Ids(vec![id(3, 1)]));
    assert_eq!(page.deleted, [id(4, 1)]);
    let page = backend
        .auto_claim(&t, "g", "c2", ms(0), id(5, 1).into(), &AutoClaimOptions::new())
        .await
        .unwrap();
    assert_eq!(page.next, EntryId::MIN);
    assert_eq!(page.claimed.ids(), [id(5, 1), id(6, 1)]);
    assert!(page.deleted.is_empty());
    assert_eq!(
        rows(&backend, &t, all()).await,
        [
            row("1-1", "c2", 0, 2),
            row("3-1", "c2", 0, 1),
            row("5-1", "c2", 0, 2),
            row("6-1", "c2", 0, 2)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn autoclaim_exclusive_start() {
    // XAUTOCLAIM k g c3 0 (1-1 → 0-0, [3-1, 5-1, 6-1], [2-1, 4-1]
    let (backend, t) = autoclaim_setup().await;
    let page = backend
        .auto_claim(
            &t,
            "g",
            "c3",
            ms(0),
            RangeBound::Exclusive(id(1, 1)),
            &AutoClaimOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(page.next, EntryId::MIN);
    assert_eq!(page.claimed.ids(), [id(3, 1), id(5, 1), id(6, 1)]);
    assert_eq!(page.deleted, [id(2, 1), id(4, 1)]);
}

#[tokio::test(start_paused = true)]
async fn autoclaim_min_idle_creates_no_consumer_and_examines_ten_per_count() {
    // 25 pending entries idle 0: XAUTOCLAIM k g c2 100000 0 COUNT 2 → 21-1, [], [] (20 examined); c2 not created.
    let (backend, t) = setup("scen:at", 25).await;
    read_new(&backend, &t, "c1", None).await;
    let page = backend
        .auto_claim(
            &t,
            "g",
            "c2",
            ms(100_000),
            RangeBound::MIN,
            &AutoClaimOptions::new().count(2),
        )
        .await
        .unwrap();
    assert_eq!(page.next, id(21, 1));
    assert!(page.claimed.is_empty() && page.deleted.is_empty());
    assert_eq!(backend.consumers_info(&t, "g").await.unwrap().len(), 1);
    // Once they are idle long enough, the default COUNT 100 takes all of them.
    advance(100_000).await;
    let page = backend
        .auto_claim(&t, "g", "c2", ms(100_000), RangeBound::MIN, &AutoClaimOptions::new())
        .await
        .unwrap();
    assert_eq!((page.next, page.claimed.len()), (EntryId::MIN, 25));
}

#[tokio::test(start_paused = true)]
async fn autoclaim_errors() {
    // COUNT 0 → ERR COUNT must be > 0; nog / missing key → NOGROUP No such key 'k' or consumer group 'g'
    let (backend, t) = autoclaim_setup().await;
    let err = backend
        .auto_claim(&t, "g", "c2", ms(0), RangeBound::MIN, &AutoClaimOptions::new().count(0))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR COUNT must be > 0");
    let err = backend
        .auto_claim(&t, "nog", "c2", ms(0), RangeBound::MIN, &AutoClaimOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "NOGROUP No such key 'scen:ac' or consumer group 'nog'");
    let err = backend
        .auto_claim(
            &topic("scen:nokey"),
            "g",
            "c2",
            ms(0),
            RangeBound::MIN,
            &AutoClaimOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "NOGROUP No such key 'scen:nokey' or consumer group 'g'"
    );
    // Nothing changed: 4 entries still pending for c1 plus the 2 deleted ones.
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 6);
}
