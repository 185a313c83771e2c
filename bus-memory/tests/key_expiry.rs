//! EXPIRE and its variants on keys of any type: the NX/XX/GT/LT rules, TTL/PTTL replies and PERSIST, as Redis
//! 7.0.15 answers the same sequence (`EXPIRE d 100 NX` on a key without a deadline, and so on).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::Clock;
use bus_memory::{ExpireCondition, KeyTtl, ListEnd, MemoryBackend};
use common::{bs, key};

const NOW: i64 = 1_000_000;

fn when(seconds: i64) -> i64 {
    NOW + seconds * 1000
}

#[tokio::test(start_paused = true)]
async fn conditions_ttl_and_persist_as_redis() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(NOW as u64));
    let d = key("d");
    let (nx, xx, gt, lt) = (
        ExpireCondition {
            nx: true,
            ..Default::default()
        },
        ExpireCondition {
            xx: true,
            ..Default::default()
        },
        ExpireCondition {
            gt: true,
            ..Default::default()
        },
        ExpireCondition {
            lt: true,
            ..Default::default()
        },
    );
    assert!(
        !backend.pexpire_at(&d, when(100), ExpireCondition::default()),
        "no key: 0"
    );
    backend.push(&d, ListEnd::Left, bs(&["x"]), false).unwrap();
    // EXPIRE d 100 NX -> 1, XX -> 1, 50 GT -> 0, 500 GT -> 1, 600 LT -> 0, 100 LT -> 1, TTL d -> 100.
    assert!(backend.pexpire_at(&d, when(100), nx));
    assert!(backend.pexpire_at(&d, when(100), xx));
    assert!(!backend.pexpire_at(&d, when(50), gt));
    assert!(backend.pexpire_at(&d, when(500), gt));
    assert!(!backend.pexpire_at(&d, when(600), lt));
    assert!(backend.pexpire_at(&d, when(100), lt));
    assert_eq!(backend.pttl(&d).ttl_reply(), 100);
    // PERSIST d -> 1, again -> 0, TTL d -> -1, TTL nokey -> -2.
    assert!(backend.persist(&d));
    assert!(!backend.persist(&d));
    assert_eq!(backend.pttl(&d), KeyTtl::Persistent);
    assert_eq!(backend.pttl(&d).ttl_reply(), -1);
    assert_eq!(backend.pttl(&key("nokey")).ttl_reply(), -2);
    assert!(!backend.pexpire_at(&d, when(100), xx), "XX without a deadline: 0");
    // Without a deadline, LT sets one and GT never does.
    assert!(backend.pexpire_at(&d, when(100), lt));
    assert!(backend.persist(&d));
    assert!(!backend.pexpire_at(&d, when(100), gt));
    // EXPIRE d -1 -> 1 and the key is gone at once.
    assert!(backend.pexpire_at(&d, when(-1), ExpireCondition::default()));
    assert_eq!(backend.pttl(&d), KeyTtl::Missing);
    assert_eq!(backend.dbsize(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_deletes_the_key_when_it_passes_and_ttl_counts_down() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(NOW as u64));
    let s = key("s");
    backend.sadd(&s, bs(&["a"])).unwrap();
    assert!(backend.pexpire_at(&s, NOW + 1_500, ExpireCondition::default()));
    tokio::time::advance(Duration::from_millis(1_001)).await;
    assert_eq!(backend.pttl(&s), KeyTtl::Expires(Duration::from_millis(499)));
    assert_eq!(backend.pttl(&s).ttl_reply(), 0, "499 ms round to 0 s");
    tokio::time::advance(Duration::from_millis(499)).await;
    assert_eq!(backend.scard(&s).unwrap(), 0);
    assert!(backend.keys("*").is_empty());
}
