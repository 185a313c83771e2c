//! XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER and XREADGROUP. Expected answers come from redis-cli on
//! 7.0.15 (scratch keys `scen:*`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bus_core::{
    Backend, EntryId, Error, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, PendingQuery, ReadGroupOptions,
    ReadReply, Topic,
};
use bus_memory::MemoryBackend;
use common::{add_numbered, eid, group_ids, id, topic};

const NO_KEY_FOR_XGROUP: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

fn at(text: &str) -> GroupStart {
    GroupStart::Id(eid(text))
}

async fn read(
    backend: &MemoryBackend,
    t: &Topic,
    consumer: &str,
    cursor: GroupCursor,
    options: ReadGroupOptions,
) -> Vec<GroupEntry> {
    let reply = backend
        .read_group("g", consumer, &[(t.clone(), cursor)], &options)
        .await
        .unwrap()
        .into_topics();
    reply.into_iter().flat_map(|t| t.entries).collect()
}

async fn pending_rows(backend: &MemoryBackend, t: &Topic) -> Vec<(String, String, u64)> {
    let rows = backend.pending(t, "g", &PendingQuery::all(100)).await.unwrap();
    rows.into_iter()
        .map(|p| (p.id.to_string(), p.consumer, p.delivery_count))
        .collect()
}

fn row(id: &str, consumer: &str, count: u64) -> (String, String, u64) {
    (id.to_owned(), consumer.to_owned(), count)
}

#[tokio::test]
async fn create_needs_the_key_unless_mkstream_and_names_are_unique() {
    // XGROUP CREATE missing g1 $ → XGROUP error; with MKSTREAM → OK, EXISTS 1, XLEN 0;
    // again (with or without MKSTREAM) → BUSYGROUP
    let backend = MemoryBackend::new();
    let t = topic("scen:g");
    let err = backend
        .group_create(&t, "g1", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), NO_KEY_FOR_XGROUP);
    assert!(backend.topics().is_empty());
    let mk = GroupCreateOptions::new().mkstream();
    backend.group_create(&t, "g1", GroupStart::Last, &mk).await.unwrap();
    assert_eq!(backend.topics(), std::slice::from_ref(&t));
    assert_eq!(backend.len(&t).await.unwrap(), 0);
    for options in [GroupCreateOptions::new(), mk] {
        let err = backend.group_create(&t, "g1", at("0"), &options).await.unwrap_err();
        assert!(matches!(err, Error::GroupExists { .. }), "{err:?}");
        assert_eq!(err.to_string(), "BUSYGROUP Consumer Group name already exists");
    }
    // The failed create did not move the group.
    assert_eq!(
        backend.groups_info(&t).await.unwrap()[0].last_delivered_id,
        EntryId::MIN
    );
}

#[tokio::test]
async fn create_positions_and_entries_read_give_redis_lag() {
    // 3 entries; g1 created at $ on the empty stream before they were added; g2 at $; g3 at 0 ENTRIESREAD 1;
    // g4 at 2-1. XINFO GROUPS: g1 0-0 nil lag 3; g2 3-1 nil lag 0; g3 0-0 1 lag 2; g4 2-1 nil lag nil
    let backend = MemoryBackend::new();
    let t = topic("scen:g");
    let mk = GroupCreateOptions::new().mkstream();
    backend.group_create(&t, "g1", GroupStart::Last, &mk).await.unwrap();
    add_numbered(&backend, &t, 3).await;
    let plain = GroupCreateOptions::new();
    backend.group_create(&t, "g2", GroupStart::Last, &plain).await.unwrap();
    backend
        .group_create(&t, "g3", at("0"), &plain.entries_read(1))
        .await
        .unwrap();
    backend.group_create(&t, "g4", at("2-1"), &plain).await.unwrap();
    let info: Vec<_> = backend
        .groups_info(&t)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.name, g.last_delivered_id.to_string(), g.entries_read, g.lag))
        .collect();
    assert_eq!(
        info,
        [
            ("g1".to_owned(), "0-0".to_owned(), None, Some(3)),
            ("g2".to_owned(), "3-1".to_owned(), None, Some(0)),
            ("g3".to_owned(), "0-0".to_owned(), Some(1), Some(2)),
            ("g4".to_owned(), "2-1".to_owned(), None, None),
        ]
    );
}

#[tokio::test]
async fn set_id_moves_the_group_and_resets_entries_read() {
    // XGROUP SETID k g2 1-1 ENTRIESREAD 1 → g2 1-1, entries-read 1, lag 2;
    // XGROUP SETID k g1 $ → g1 3-1, entries-read nil, lag 0
    let backend = MemoryBackend::new();
    let t = topic("scen:g");
    add_numbered(&backend, &t, 3).await;
    let plain = GroupCreateOptions::new();
    backend
        .group_create(&t, "g1", at("0"), &plain.entries_read(2))
        .await
        .unwrap();
    backend.group_create(&t, "g2", GroupStart::Last, &plain).await.unwrap();
    backend.group_set_id(&t, "g2", at("1-1"), Some(1)).await.unwrap();
    backend.group_set_id(&t, "g1", GroupStart::Last, None).await.unwrap();
    let info = backend.groups_info(&t).await.unwrap();
    assert_eq!(
        (info[0].last_delivered_id, info[0].entries_read, info[0].lag),
        (id(3, 1), None, Some(0))
    );
    assert_eq!(
        (info[1].last_delivered_id, info[1].entries_read, info[1].lag),
        (id(1, 1), Some(1), Some(2))
    );
}

#[tokio::test]
async fn set_id_errors() {
    // XGROUP SETID k nog 0 → NOGROUP No such consumer group 'nog' for key name 'scen:g';
    // XGROUP SETID missing g1 0 → XGROUP error; ENTRIESREAD out of range → ERR value is not an integer or out of range
    let backend = MemoryBackend::new();
    let t = topic("scen:g");
    add_numbered(&backend, &t, 1).await;
    let err = backend.group_set_id(&t, "nog", at("0"), None).await.unwrap_err();
    assert!(matches!(err, Error::NoGroup { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "NOGROUP No such consumer group 'nog' for key name 'scen:g'"
    );
    let missing = topic("scen:nokey");
    let err = backend.group_set_id(&missing, "g1", at("0"), None).await.unwrap_err();
    assert_eq!(err.to_string(), NO_KEY_FOR_XGROUP);
    backend
        .group_create(&t, "g1", at("0"), &GroupCreateOptions::new())
        .await
        .unwrap();
    let err = backend
        .group_set_id(&t, "g1", at("1-1"), Some(1 << 63))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR value is not an integer or out of range");
    assert_eq!(
        backend.groups_info(&t).await.unwrap()[0].last_delivered_id,
        EntryId::MIN
    );
}

#[tokio::test]
async fn create_and_delete_consumers() {
    // CREATECONSUMER k g1 c1 → 1, again → 0; nog → NOGROUP; missing key → XGROUP error.
    // After c1 reads 2 entries: DELCONSUMER k g1 c1 → 2 and XPENDING → 0 (its entries are dropped);
    // DELCONSUMER nobody → 0; nog → NOGROUP; missing key → XGROUP error.
    let backend = MemoryBackend::new();
    let t = topic("scen:c");
    add_numbered(&backend, &t, 2).await;
    backend
        .group_create(&t, "g", at("0"), &GroupCreateOptions::new())
        .await
        .unwrap();
    assert!(backend.consumer_create(&t, "g", "c1").await.unwrap());
    assert!(!backend.consumer_create(&t, "g", "c1").await.unwrap());
    let err = backend.consumer_create(&t, "nog", "c1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "NOGROUP No such consumer group 'nog' for key name 'scen:c'"
    );
    let missing = topic("scen:nokey");
    assert_eq!(
        backend
            .consumer_create(&missing, "g", "c1")
            .await
            .unwrap_err()
            .to_string(),
        NO_KEY_FOR_XGROUP
    );
    read(&backend, &t, "c1", GroupCursor::New, ReadGroupOptions::new()).await;
    assert_eq!(backend.consumer_delete(&t, "g", "c1").await.unwrap(), 2);
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 0);
    assert!(backend.consumers_info(&t, "g").await.unwrap().is_empty());
    assert_eq!(backend.consumer_delete(&t, "g", "nobody").await.unwrap(), 0);
    let err = backend.consumer_delete(&t, "nog", "c1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "NOGROUP No such consumer group 'nog' for key name 'scen:c'"
    );
    assert_eq!(
        backend
            .consumer_delete(&missing, "g", "c1")
            .await
            .unwrap_err()
            .to_string(),
        NO_KEY_FOR_XGROUP
    );
}

#[tokio::test]
async fn destroy() {
    // XGROUP DESTROY k g4 → 1, again → 0; missing key → XGROUP error
    let backend = MemoryBackend::new();
    let t = topic("scen:g");
    add_numbered(&backend, &t, 1).await;
    backend
        .group_create(&t, "g4", at("0"), &GroupCreateOptions::new())
        .await
        .unwrap();
    assert!(backend.group_destroy(&t, "g4").await.unwrap());
    assert!(!backend.group_destroy(&t, "g4").await.unwrap());
    assert!(backend.groups_info(&t).await.unwrap().is_empty());
    let err = backend.group_destroy(&topic("scen:nokey"), "g4").await.unwrap_err();
    assert_eq!(err.to_string(), NO_KEY_FOR_XGROUP);
}

#[tokio::test]
async fn read_group_errors() {
    // XREADGROUP GROUP g c STREAMS missing > → NOGROUP … in XREADGROUP with GROUP option; with two topics where
    // only the second lacks the group → NOGROUP for the second, and nothing is delivered from the first.
    let backend = MemoryBackend::new();
    let t = topic("scen:rg");
    let err = backend
        .read_group("g", "c", &[(t.clone(), GroupCursor::New)], &ReadGroupOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "NOGROUP No such key 'scen:rg' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    add_numbered(&backend, &t, 2).await;
    backend
        .group_create(&t, "g", at("0"), &GroupCreateOptions::new())
        .await
        .unwrap();
    let t2 = topic("scen:rg2");
    add_numbered(&backend, &t2, 1).await;
    let cursors = [(t.clone(), GroupCursor::New), (t2, GroupCursor::New)];
    let err = backend
        .read_group("g", "c1", &cursors, &ReadGroupOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "NOGROUP No such key 'scen:rg2' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 0);
    // `$` cannot be expressed as a group cursor; parsing it gives Redis's message.
    let err = "$".parse::<GroupCursor>().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("ERR The $ ID is meaningless in the context of XREADGROUP")
    );
}

#[tokio::test]
async fn empty_new_read_creates_no_consumer_but_a_history_read_does() {
    // XREADGROUP > on an empty stream → nil, XINFO GROUPS consumers 0; XREADGROUP 0 → [scen:c, []], consumers 1
    let backend = MemoryBackend::new();
    let t = topic("scen:c");
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new().mkstream())
        .await
        .unwrap();
    let reply = backend
        .read_group("g", "c0", &[(t.clone(), GroupCursor::New)], &ReadGroupOptions::new())
        .await
        .unwrap();
    assert_eq!(reply, ReadReply::Topics(vec![]));
    assert_eq!(backend.groups_info(&t).await.unwrap()[0].consumers, 0);
    let reply = backend
        .read_group(
            "g",
            "c0",
            &[(t.clone(), GroupCursor::History(EntryId::MIN))],
            &ReadGroupOptions::new(),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(reply.len(), 1, "history reads answer every topic, even empty");
    assert!(reply[0].entries.is_empty());
    assert_eq!(backend.groups_info(&t).await.unwrap()[0].consumers, 1);
}

#[tokio::test]
async fn history_reads_are_strictly_after_report_deletions_and_count_deliveries() {
    // 4 entries; c1 reads > COUNT 3 (1-1 2-1 3-1); XDEL 2-1; XREADGROUP … c1 STREAMS k 1-1 → 2-1 (nil fields), 3-1;
    // XPENDING: 1-1 c1 1, 2-1 c1 1 (deleted: not incremented), 3-1 c1 2; history 0 COUNT 1 → 1-1;
    // c2 history → empty
    let backend = MemoryBackend::new();
    let t = topic("scen:rg");
    backend
        .group_create(&t, "g", at("0"), &GroupCreateOptions::new().mkstream())
        .await
        .unwrap();
    add_numbered(&backend, &t, 4).await;
    let first = read(&backend, &t, "c1", GroupCursor::New, ReadGroupOptions::new().count(3)).await;
    assert_eq!(group_ids(&first), ["1-1", "2-1", "3-1"]);
    backend.delete(&t, &[id(2, 1)]).await.unwrap();
    let history = read(
        &backend,
        &t,
        "c1",
        GroupCursor::History(id(1, 1)),
        ReadGroupOptions::new(),
    )
    .await;
    assert_eq!(group_ids(&history), ["2-1(deleted)", "3-1"]);
    assert_eq!(
        pending_rows(&backend, &t).await,
        [row("1-1", "c1", 1), row("2-1", "c1", 1), row("3-1", "c1", 2)]
    );
    let one = read(
        &backend,
        &t,
        "c1",
        GroupCursor::History(EntryId::MIN),
        ReadGroupOptions::new().count(1),
    )
    .await;
    assert_eq!(group_ids(&one), ["1-1"]);
    let other = read(
        &backend,
        &t,
        "c2",
        GroupCursor::History(EntryId::MIN),
        ReadGroupOptions::new(),
    )
    .await;
    assert!(other.is_empty());
}

#[tokio::test]
async fn history_from_the_maximum_id_reads_new_entries() {
    // Continuing the scenario above: XREADGROUP … c1 STREAMS k 18446744073709551615-18446744073709551615 → 4-1;
    // XINFO GROUPS: consumers 1, pending 4, last-delivered-id 4-1, entries-read 4, lag 0
    let backend = MemoryBackend::new();
    let t = topic("scen:rg");
    backend
        .group_create(&t, "g", at("0"), &GroupCreateOptions::new().mkstream())
        .await
        .unwrap();
    add_numbered(&backend, &t, 4).await;
    read(&backend, &t, "c1", GroupCursor::New, ReadGroupOptions::new().count(3)).await;
    backend.delete(&t, &[id(2, 1)]).await.unwrap();
    let got = read(
        &backend,
        &t,
        "c1",
        GroupCursor::History(EntryId::MAX),
        ReadGroupOptions::new(),
    )
    .await;
    assert_eq!(group_ids(&got), ["4-1"]);
    let info = &backend.groups_info(&t).await.unwrap()[0];
    assert_eq!(
        (info.pending, info.last_delivered_id, info.entries_read, info.lag),
        (4, id(4, 1), Some(4), Some(0))
    );
}

#[tokio::test]
async fn noack_delivers_without_pending_entries() {
    // 3 entries; XREADGROUP … c1 COUNT 1 NOACK > → 1-1; XPENDING → 0; XINFO GROUPS: consumers 1, pending 0,
    // last-delivered-id 1-1, entries-read 1, lag 2; XINFO CONSUMERS: c1 pending 0
    let backend = MemoryBackend::new();
    let t = topic("scen:n");
    add_numbered(&backend, &t, 3).await;
    backend
        .group_create(&t, "g", at("0"), &GroupCreateOptions::new())
        .await
        .unwrap();
    let got = read(
        &backend,
        &t,
        "c1",
        GroupCursor::New,
        ReadGroupOptions::new().count(1).no_ack(),
    )
    .await;
    assert_eq!(group_ids(&got), ["1-1"]);
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 0);
    let info = &backend.groups_info(&t).await.unwrap()[0];
    assert_eq!(
        (
            info.consumers,
            info.pending,
            info.last_delivered_id,
            info.entries_read,
            info.lag
        ),
        (1, 0, id(1, 1), Some(1), Some(2))
    );
    assert_eq!(backend.consumers_info(&t, "g").await.unwrap()[0].pending, 0);
}

#[tokio::test]
async fn new_read_after_setid_rewind_reassigns_pending_entries_with_count_one() {
    // 3 entries; c1 reads > (1-1 2-1 3-1) then history 0 (counts 2); SETID g 0; c2 reads > COUNT 2 → 1-1 2-1;
    // XPENDING: 1-1 c2 1, 2-1 c2 1, 3-1 c1 2; summary 3 1-1 3-1 [c1 1, c2 2]
    let backend = MemoryBackend::new();
    let t = topic("scen:n");
    add_numbered(&backend, &t, 3).await;
    backend
        .group_create(&t, "g", at("0"), &GroupCreateOptions::new())
        .await
        .unwrap();
    read(&backend, &t, "c1", GroupCursor::New, ReadGroupOptions::new()).await;
    read(
        &backend,
        &t,
        "c1",
        GroupCursor::History(EntryId::MIN),
        ReadGroupOptions::new(),
    )
    .await;
    backend.group_set_id(&t, "g", at("0"), None).await.unwrap();
    let got = read(&backend, &t, "c2", GroupCursor::New, ReadGroupOptions::new().count(2)).await;
    assert_eq!(group_ids(&got), ["1-1", "2-1"]);
    assert_eq!(
        pending_rows(&backend, &t).await,
        [row("1-1", "c2", 1), row("2-1", "c2", 1), row("3-1", "c1", 2)]
    );
    let summary = backend.pending_summary(&t, "g").await.unwrap();
    assert_eq!(
        (summary.count, summary.min, summary.max),
        (3, Some(id(1, 1)), Some(id(3, 1)))
    );
    assert_eq!(summary.consumers, [("c1".to_owned(), 1), ("c2".to_owned(), 2)]);
    // XINFO GROUPS after the rewind: last-delivered-id 2-1, entries-read 2, lag 1
    let info = &backend.groups_info(&t).await.unwrap()[0];
    assert_eq!(
        (info.last_delivered_id, info.entries_read, info.lag),
        (id(2, 1), Some(2), Some(1))
    );
    // c1's own history no longer holds the reassigned entries.
    let history = read(
        &backend,
        &t,
        "c1",
        GroupCursor::History(EntryId::MIN),
        ReadGroupOptions::new(),
    )
    .await;
    assert_eq!(group_ids(&history), ["3-1"]);
}

#[tokio::test]
async fn read_group_over_several_topics() {
    // XREADGROUP GROUP g c COUNT 1 STREAMS a b > > → a: 1-1, b: 1-1; a second time → a: 2-1 only
    let backend = MemoryBackend::new();
    let (a, b) = (topic("scen:ma"), topic("scen:mb"));
    add_numbered(&backend, &a, 2).await;
    add_numbered(&backend, &b, 1).await;
    for t in [&a, &b] {
        backend
            .group_create(t, "g", at("0"), &GroupCreateOptions::new())
            .await
            .unwrap();
    }
    let cursors = [(a.clone(), GroupCursor::New), (b.clone(), GroupCursor::New)];
    let options = ReadGroupOptions::new().count(1);
    let reply = backend
        .read_group("g", "c", &cursors, &options)
        .await
        .unwrap()
        .into_topics();
    let got = common::reply_ids(&reply, GroupEntry::id);
    assert_eq!(
        got,
        [
            ("scen:ma".to_owned(), vec!["1-1".to_owned()]),
            ("scen:mb".to_owned(), vec!["1-1".to_owned()])
        ]
    );
    let reply = backend
        .read_group("g", "c", &cursors, &options)
        .await
        .unwrap()
        .into_topics();
    let got = common::reply_ids(&reply, GroupEntry::id);
    assert_eq!(got, [("scen:ma".to_owned(), vec!["2-1".to_owned()])]);
}
