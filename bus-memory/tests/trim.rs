//! MAXLEN/MINID trimming, exact and approximate, with LIMIT. Approximate trims remove whole nodes of 100 entries:
//! the expected answers come from a Redis 7.0.15 started with `stream-node-max-bytes 0`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bus_core::{AppendOptions, Backend, EntryId, RangeBound, Trim};
use bus_memory::MemoryBackend;
use common::{add_numbered, fields, id, topic};

async fn first_id(backend: &MemoryBackend, t: &bus_core::Topic) -> Option<EntryId> {
    let first = backend
        .range(t, RangeBound::MIN, RangeBound::MAX, Some(1))
        .await
        .unwrap();
    first.first().map(|e| e.id)
}

#[tokio::test]
async fn approximate_maxlen_removes_whole_nodes_and_exact_finishes_the_job() {
    // 250 entries: XTRIM MAXLEN ~ 120 → 100 (len 150); XTRIM MAXLEN 120 → 30, first 131-1;
    // XADD MAXLEN ~ 10 251-1 → len 51 (the half-trimmed first node goes whole).
    let backend = MemoryBackend::new();
    let t = topic("scen:t");
    add_numbered(&backend, &t, 250).await;
    assert_eq!(backend.trim(&t, &Trim::maxlen(120).approx()).await.unwrap(), 100);
    assert_eq!(backend.len(&t).await.unwrap(), 150);
    assert_eq!(backend.trim(&t, &Trim::maxlen(120)).await.unwrap(), 30);
    assert_eq!(first_id(&backend, &t).await, Some(id(131, 1)));
    let opts = AppendOptions::new().id(id(251, 1)).trim(Trim::maxlen(10).approx());
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap(),
        Some(id(251, 1))
    );
    assert_eq!(backend.len(&t).await.unwrap(), 51);
    assert_eq!(first_id(&backend, &t).await, Some(id(201, 1)));
}

#[tokio::test]
async fn limit_and_minid_trims() {
    // 500 entries: MAXLEN ~ 0 LIMIT 250 → 200 (len 300); MINID ~ 450 → 200 (len 100, first 401-1);
    // MINID 450 → 49 (len 51, first 450-1); MAXLEN ~ 0 LIMIT 0 → 51 (len 0).
    let backend = MemoryBackend::new();
    let t = topic("scen:t");
    add_numbered(&backend, &t, 500).await;
    assert_eq!(
        backend.trim(&t, &Trim::maxlen(0).approx().limit(250)).await.unwrap(),
        200
    );
    assert_eq!(backend.len(&t).await.unwrap(), 300);
    assert_eq!(backend.trim(&t, &Trim::minid(id(450, 0)).approx()).await.unwrap(), 200);
    assert_eq!(backend.len(&t).await.unwrap(), 100);
    assert_eq!(first_id(&backend, &t).await, Some(id(401, 1)));
    assert_eq!(backend.trim(&t, &Trim::minid(id(450, 0))).await.unwrap(), 49);
    assert_eq!(backend.len(&t).await.unwrap(), 51);
    assert_eq!(first_id(&backend, &t).await, Some(id(450, 1)));
    assert_eq!(backend.trim(&t, &Trim::maxlen(0).approx().limit(0)).await.unwrap(), 51);
    // Trimming is not deletion: max-deleted-entry-id stays 0-0, the last id and entries-added stay.
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!(info.length, 0);
    assert_eq!(info.last_generated_id, id(500, 1));
    assert_eq!(info.max_deleted_entry_id, EntryId::MIN);
    assert_eq!(info.entries_added, 500);
    assert_eq!((info.first_entry, info.last_entry), (None, None));
}

#[tokio::test]
async fn limit_below_a_node_removes_nothing_and_tombstones_keep_nodes_full() {
    // 250 entries: MAXLEN ~ 0 LIMIT 99 → 0; LIMIT 100 → 100; XDEL 101-1 102-1 → 2; MAXLEN ~ 100 → 0 (the node
    // 101..200 holds 98 live entries; removing it would leave 50 < 100), len 148, first 103-1.
    let backend = MemoryBackend::new();
    let t = topic("scen:t");
    add_numbered(&backend, &t, 250).await;
    assert_eq!(backend.trim(&t, &Trim::maxlen(0).approx().limit(99)).await.unwrap(), 0);
    assert_eq!(
        backend.trim(&t, &Trim::maxlen(0).approx().limit(100)).await.unwrap(),
        100
    );
    assert_eq!(backend.delete(&t, &[id(101, 1), id(102, 1)]).await.unwrap(), 2);
    assert_eq!(backend.trim(&t, &Trim::maxlen(100).approx()).await.unwrap(), 0);
    assert_eq!(backend.len(&t).await.unwrap(), 148);
    assert_eq!(first_id(&backend, &t).await, Some(id(103, 1)));
    assert_eq!(backend.stream_info(&t).await.unwrap().max_deleted_entry_id, id(102, 1));
}

#[tokio::test]
async fn approximate_trim_without_limit_stops_at_ten_thousand_entries() {
    // 20000 entries: XTRIM MAXLEN ~ 0 → 10000 (100 * stream-node-max-entries); XADD MAXLEN ~ 0 20001-1 → len 1.
    let backend = MemoryBackend::new();
    let t = topic("scen:big");
    add_numbered(&backend, &t, 20_000).await;
    assert_eq!(backend.trim(&t, &Trim::maxlen(0).approx()).await.unwrap(), 10_000);
    assert_eq!(backend.len(&t).await.unwrap(), 10_000);
    let opts = AppendOptions::new().id(id(20_001, 1)).trim(Trim::maxlen(0).approx());
    backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap();
    assert_eq!(backend.len(&t).await.unwrap(), 1);
}

#[tokio::test]
async fn trim_errors_and_missing_topic() {
    // redis-cli: XTRIM missing MAXLEN 0 → 0; MAXLEN 9223372036854775808 → ERR value is not an integer or out of range;
    // XTRIM k MINID 5 LIMIT 10 → ERR syntax error, LIMIT cannot be used without the special ~ option
    let backend = MemoryBackend::new();
    let t = topic("scen:nokey");
    assert_eq!(backend.trim(&t, &Trim::maxlen(0)).await.unwrap(), 0);
    let err = backend.trim(&t, &Trim::maxlen(1 << 63)).await.unwrap_err();
    assert_eq!(err.to_string(), "ERR value is not an integer or out of range");
    add_numbered(&backend, &t, 3).await;
    let err = backend.trim(&t, &Trim::minid(id(5, 0)).limit(10)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert_eq!(backend.len(&t).await.unwrap(), 3);
}
