//! SCAN: Redis's contract (a key present for the whole scan is returned at least once, whatever changes
//! meanwhile), MATCH and TYPE filters, and the small-keyspace reply (`SCAN 0` on a few keys answers them all
//! with cursor 0 on Redis 7.0.15 too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use bus_core::Topic;
use bus_memory::{ListEnd, MemoryBackend, ScanOptions, SetOptions};
use common::{add, bs, key};

fn set(backend: &MemoryBackend, name: &str) {
    backend.set(&key(name), "v", &SetOptions::new()).unwrap();
}

/// Runs a whole scan, calling `between` after each page.
fn full_scan(backend: &MemoryBackend, options: &ScanOptions, mut between: impl FnMut(usize)) -> Vec<Topic> {
    let (mut cursor, mut seen, mut pages) = (0, Vec::new(), 0);
    loop {
        let page = backend.scan(cursor, options);
        assert!(
            page.keys.len() <= options.count.max(1),
            "a page holds at most COUNT keys"
        );
        seen.extend(page.keys);
        pages += 1;
        assert!(pages < 10_000, "the scan must end");
        between(pages);
        cursor = page.cursor;
        if cursor == 0 {
            return seen;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_few_keys_come_in_one_page() {
    let backend = MemoryBackend::new();
    for name in ["a", "b", "c"] {
        set(&backend, name);
    }
    let page = backend.scan(0, &ScanOptions::new());
    assert_eq!(page.cursor, 0);
    assert_eq!(page.keys.iter().collect::<BTreeSet<_>>().len(), 3);
    assert_eq!(
        backend.scan(0, &ScanOptions::new().count(0)).keys.len(),
        1,
        "COUNT below 1 is 1"
    );
}

#[tokio::test(start_paused = true)]
async fn every_key_present_for_the_whole_scan_is_returned_once_while_others_come_and_go() {
    let backend = MemoryBackend::new();
    let stable: BTreeSet<Topic> = (0..500).map(|i| key(&format!("stable:{i}"))).collect();
    for k in &stable {
        backend.set(k, "v", &SetOptions::new()).unwrap();
    }
    for i in 0..200 {
        set(&backend, &format!("doomed:{i}"));
    }
    let options = ScanOptions::new().count(7);
    let seen = full_scan(&backend, &options, |page| {
        // Between pages: delete some keys, add others.
        backend.del(&[key(&format!("doomed:{page}"))]);
        set(&backend, &format!("new:{page}"));
    });
    let unique: BTreeSet<Topic> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no key is returned twice");
    assert!(stable.is_subset(&unique), "every stable key is returned");
    assert!(unique.iter().all(|k| k.as_str().starts_with(['s', 'd', 'n'])));
}

#[tokio::test(start_paused = true)]
async fn match_and_type_filter_each_page() {
    let backend = MemoryBackend::new();
    for i in 0..30 {
        set(&backend, &format!("user:{i}"));
        backend
            .push(&key(&format!("queue:{i}")), ListEnd::Left, bs(&["x"]), false)
            .unwrap();
    }
    add(&backend, &key("user:stream"), "1-0", "v").await;
    let users = full_scan(&backend, &ScanOptions::new().pattern("user:*").count(4), |_| {});
    assert_eq!(users.len(), 31);
    // TYPE compares without case, as Redis 7.0 does; a name that is no type here matches nothing.
    let lists = full_scan(&backend, &ScanOptions::new().type_name("LIST").count(5), |_| {});
    assert_eq!(lists.len(), 30);
    assert!(lists.iter().all(|k| k.as_str().starts_with("queue:")));
    let streams = full_scan(
        &backend,
        &ScanOptions::new().pattern("user:*").type_name("stream"),
        |_| {},
    );
    assert_eq!(streams, [key("user:stream")]);
    assert!(full_scan(&backend, &ScanOptions::new().type_name("zset"), |_| {}).is_empty());
}
