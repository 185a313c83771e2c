//! XSETID (`MemoryBackend::set_stream_id`): its errors in Redis 7.0's words and order, what it changes, and a
//! stream whose last id moved below a deleted entry, so that a later append reuses the deleted id. Expected
//! values come from redis-cli on Redis 7.0.15; the last test runs random sequences against a private server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod differential;

use bus_core::{AppendOptions, Backend, EntryId, Fields, GroupCreateOptions, GroupStart, RangeBound, Topic, Trim};
use bus_memory::MemoryBackend;
use common::*;
use differential::{Rng, Server, entries, int};

fn err_text(result: bus_core::Result<()>) -> String {
    result.expect_err("XSETID succeeded; Redis refuses it").to_string()
}

/// redis-cli: `XSETID s 1-0` on a missing key → ERR no such key; `XADD s 5-0 a 1`, `XADD s 6-0 a 1`;
/// `XSETID s 5-9` → ERR The ID specified in XSETID is smaller than the target stream top item;
/// `XSETID s 7-0 ENTRIESADDED 1` → ERR The entries_added specified in XSETID is smaller than the target stream
/// length; `XSETID s 7-0 MAXDELETEDID 8-0` → ERR The ID specified in XSETID is smaller than the provided
/// max_deleted_entry_id; `XSETID s 7-0 ENTRIESADDED 9223372036854775808` → ERR value is not an integer or out of
/// range. After all of them XINFO STREAM still shows last-generated-id 6-0, entries-added 2.
#[tokio::test]
async fn refused_calls_answer_redis_errors_and_change_nothing() {
    let backend = MemoryBackend::new();
    let t = topic("s");
    assert_eq!(
        err_text(backend.set_stream_id(&t, id(1, 0), None, None)),
        "ERR no such key"
    );
    add(&backend, &t, "5-0", "1").await;
    add(&backend, &t, "6-0", "1").await;
    let refusals = [
        (
            backend.set_stream_id(&t, id(5, 9), None, None),
            "ERR The ID specified in XSETID is smaller than the target stream top item",
        ),
        (
            backend.set_stream_id(&t, id(7, 0), Some(1), None),
            "ERR The entries_added specified in XSETID is smaller than the target stream length",
        ),
        (
            backend.set_stream_id(&t, id(7, 0), None, Some(id(8, 0))),
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        ),
        (
            backend.set_stream_id(&t, id(7, 0), Some(1 << 63), None),
            "ERR value is not an integer or out of range",
        ),
    ];
    for (result, message) in refusals {
        assert_eq!(err_text(result), message);
    }
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!((info.last_generated_id, info.entries_added), (id(6, 0), 2));
}

/// The option checks come before the key lookup, as Redis parses them first. redis-cli: `XSETID missing 1-0
/// MAXDELETEDID 2-0` → ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id.
#[tokio::test]
async fn option_errors_come_before_the_missing_key() {
    let backend = MemoryBackend::new();
    let result = backend.set_stream_id(&topic("missing"), id(1, 0), None, Some(id(2, 0)));
    assert_eq!(
        err_text(result),
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    );
}

/// redis-cli: `XADD s 5-0 a 1`, `XADD s 6-0 a 1`, `XDEL s 6-0`; `XSETID s 5-0` → OK (the top item is the last
/// live one); XINFO STREAM → last-generated-id 5-0, max-deleted-entry-id 6-0, entries-added 2;
/// `XSETID s 5-0 MAXDELETEDID 0-0 ENTRIESADDED 1` → OK, max-deleted-entry-id 6-0, entries-added 1;
/// `XADD s 6-0 a 1` → 6-0; XRANGE → 5-0, 6-0.
#[tokio::test]
async fn the_last_id_may_go_below_a_deleted_entry_whose_id_is_then_reused() {
    let backend = MemoryBackend::new();
    let t = topic("s");
    add(&backend, &t, "5-0", "1").await;
    add(&backend, &t, "6-0", "1").await;
    assert_eq!(backend.delete(&t, &[id(6, 0)]).await.unwrap(), 1);
    backend.set_stream_id(&t, id(5, 0), None, None).unwrap();
    let info = backend.stream_info(&t).await.unwrap();
    let counters = (info.last_generated_id, info.max_deleted_entry_id, info.entries_added);
    assert_eq!(counters, (id(5, 0), id(6, 0), 2));
    backend
        .set_stream_id(&t, id(5, 0), Some(1), Some(EntryId::MIN))
        .unwrap();
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!((info.max_deleted_entry_id, info.entries_added), (id(6, 0), 1));
    assert_eq!(add(&backend, &t, "6-0", "2").await, id(6, 0));
    let all = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), [id(5, 0), id(6, 0)]);
    assert_eq!(all[1].fields, fields(&[("n", "2")]));
    // The reused id is found and deleted as the live entry it is (the deleted slot before it is skipped).
    assert_eq!(backend.delete(&t, &[id(6, 0)]).await.unwrap(), 1);
    assert_eq!(backend.len(&t).await.unwrap(), 1);
}

/// A reused gap leaves a deleted slot above a live entry in the same node; lookups still find every live entry.
/// redis-cli: `XADD s 1-0 n 1`, `XADD s 5-0 n 5`, `XADD s 7-0 n 7`, `XDEL s 5-0 7-0` → 2; `XSETID s 1-0`;
/// `XADD s 3-0 n 3` → 3-0; `XADD s 4-0 n 4` → 4-0; XRANGE s - + → 1-0, 3-0, 4-0; XREVRANGE s + - COUNT 1 →
/// 4-0; `XGROUP CREATE s g 0`; `XREADGROUP GROUP g c STREAMS s >` → 1-0, 3-0, 4-0; `XCLAIM s g d 0 3-0 JUSTID`
/// → 3-0; `XDEL s 3-0` → 1; XRANGE s - + → 1-0, 4-0.
#[tokio::test]
async fn live_entries_after_a_reused_gap_are_all_found() {
    let backend = MemoryBackend::new();
    let t = topic("s");
    for at in ["1-0", "5-0", "7-0"] {
        add(&backend, &t, at, &at[..1]).await;
    }
    assert_eq!(backend.delete(&t, &[id(5, 0), id(7, 0)]).await.unwrap(), 2);
    backend.set_stream_id(&t, id(1, 0), None, None).unwrap();
    add(&backend, &t, "3-0", "3").await;
    add(&backend, &t, "4-0", "4").await;
    let ids = |entries: Vec<bus_core::Entry>| entries.into_iter().map(|e| e.id).collect::<Vec<_>>();
    let all = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(ids(all), [id(1, 0), id(3, 0), id(4, 0)]);
    let top = backend
        .rev_range(&t, RangeBound::MAX, RangeBound::MIN, Some(1))
        .await
        .unwrap();
    assert_eq!(ids(top), [id(4, 0)]);
    backend
        .group_create(&t, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    read_group(&backend, &t, "g", "c").await;
    let claim = bus_core::ClaimOptions::new().just_id();
    let claimed = backend
        .claim(&t, "g", "d", std::time::Duration::ZERO, &[id(3, 0)], &claim)
        .await
        .unwrap();
    assert_eq!(claimed.ids(), [id(3, 0)]);
    assert_eq!(backend.delete(&t, &[id(3, 0)]).await.unwrap(), 1);
    let all = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(ids(all), [id(1, 0), id(4, 0)]);
}

/// An empty stream takes any last id, even below its entries-added history. redis-cli: `XADD s MAXLEN 0 5-0 a 1`;
/// `XSETID s 0-1` → OK; `XADD s 0-2 a 1` → 0-2; a group created at 0 with ENTRIESREAD 1 then reads it; XINFO
/// GROUPS → entries-read 2, lag 0.
#[tokio::test]
async fn an_empty_stream_takes_any_last_id() {
    let backend = MemoryBackend::new();
    let t = topic("s");
    let options = AppendOptions::new().id(id(5, 0)).trim(Trim::maxlen(0));
    backend.append(&t, fields(&[("a", "1")]), &options).await.unwrap();
    backend.set_stream_id(&t, id(0, 1), None, None).unwrap();
    assert_eq!(add(&backend, &t, "0-2", "1").await, id(0, 2));
    let create = GroupCreateOptions::new().entries_read(1);
    backend
        .group_create(&t, "g", GroupStart::Id(EntryId::MIN), &create)
        .await
        .unwrap();
    read_group(&backend, &t, "g", "c").await;
    let group = &backend.groups_info(&t).await.unwrap()[0];
    assert_eq!((group.entries_read, group.lag), (Some(2), Some(0)));
}

async fn read_group(backend: &MemoryBackend, t: &Topic, group: &str, consumer: &str) {
    let cursors = [(t.clone(), bus_core::GroupCursor::New)];
    let options = bus_core::ReadGroupOptions::new();
    backend.read_group(group, consumer, &cursors, &options).await.unwrap();
}

/// Random appends, deletions, trims and XSETIDs that move the last id between the last live entry and the last
/// generated one (so deleted ids are reused) on a private server and on memory: ranges in both directions and
/// the counters must stay Redis's.
#[tokio::test]
async fn reused_ids_after_xsetid_read_as_on_redis() {
    let Some(mut redis) = Server::start("reused_ids_after_xsetid_read_as_on_redis") else {
        return;
    };
    redis.set_layout(bus_memory::NodeLayout {
        max_entries: 8,
        max_bytes: 0,
    });
    let backend = MemoryBackend::new();
    backend
        .set_node_layout(bus_memory::NodeLayout {
            max_entries: 8,
            max_bytes: 0,
        })
        .unwrap();
    let t = topic("reuse");
    let mut rng = Rng::new(7);
    for step in 0..3000 {
        let info = backend.stream_info(&t).await.ok();
        let last = info.as_ref().map_or(EntryId::MIN, |i| i.last_generated_id);
        let roll = rng.below(100);
        let what = if roll < 55 || info.is_none() {
            let at = EntryId::new(last.ms + rng.below(3), last.seq + 1);
            let at = if at <= last {
                EntryId::new(last.ms, last.seq + 1)
            } else {
                at
            };
            let value = Fields::from_pairs([("n", step.to_string())]);
            redis.xadd("reuse", at, &value);
            backend.append(&t, value, &AppendOptions::new().id(at)).await.unwrap();
            format!("XADD {at}")
        } else if roll < 80 {
            let live = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
            let Some(victim) = live.get(rng.below(live.len() as u64 + 1) as usize).map(|e| e.id) else {
                continue;
            };
            let want = redis.int(&["XDEL", "reuse", &victim.to_string()]);
            assert_eq!(backend.delete(&t, &[victim]).await.unwrap() as i64, want);
            format!("XDEL {victim}")
        } else if roll < 90 {
            let top = backend
                .rev_range(&t, RangeBound::MAX, RangeBound::MIN, Some(1))
                .await
                .unwrap();
            let floor = top.first().map_or(EntryId::MIN, |e| e.id);
            let target = if rng.chance(50) { floor } else { last };
            redis.cmd(&["XSETID", "reuse", &target.to_string()]);
            backend.set_stream_id(&t, target, None, None).unwrap();
            format!("XSETID {target}")
        } else {
            let max = rng.below(12);
            let approx = rng.chance(50);
            let trim = if approx {
                Trim::maxlen(max).approx()
            } else {
                Trim::maxlen(max)
            };
            let tilde = if approx { "~" } else { "=" };
            let want = redis.int(&["XTRIM", "reuse", "MAXLEN", tilde, &max.to_string()]);
            assert_eq!(backend.trim(&t, &trim).await.unwrap() as i64, want, "step {step}");
            format!("XTRIM MAXLEN {tilde} {max}")
        };
        let ranges = [
            ("-", "+", RangeBound::MIN, RangeBound::MAX),
            ("0-3", "+", id(0, 3).into(), RangeBound::MAX),
            ("-", "2-5", RangeBound::MIN, id(2, 5).into()),
        ];
        for (start, end, from, to) in ranges {
            let want = entries(&redis.cmd(&["XRANGE", "reuse", start, end]));
            let got = backend.range(&t, from, to, None).await.unwrap();
            let got: Vec<_> = got.into_iter().map(|e| (e.id, e.fields)).collect();
            assert_eq!(got, want, "XRANGE {start} {end} after {what} (step {step})");
        }
        let want = entries(&redis.cmd(&["XREVRANGE", "reuse", "+", "-", "COUNT", "3"]));
        let got = backend
            .rev_range(&t, RangeBound::MAX, RangeBound::MIN, Some(3))
            .await
            .unwrap();
        let got: Vec<_> = got.into_iter().map(|e| (e.id, e.fields)).collect();
        assert_eq!(got, want, "XREVRANGE + - COUNT 3 after {what} (step {step})");
        let (info, storage) = backend.stream_info_with_storage(&t).unwrap();
        let reply = redis.xinfo(&["reuse"]);
        assert_eq!(info.length as i64, int(&reply["length"]), "length after {what}");
        assert_eq!(
            storage.radix_tree_keys as i64,
            int(&reply["radix-tree-keys"]),
            "keys after {what}"
        );
    }
}
