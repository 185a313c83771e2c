//! `watch`: which operations touch a key, as Redis 7.0.15 decides for WATCH. Each case was run on Redis as
//! `WATCH key; <command>; MULTI; PING; EXEC` from one connection (EXEC answers nil when the key was touched).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, AutoClaimOptions, Backend, ClaimOptions, Clock, EntryId, GroupCreateOptions, GroupCursor,
    GroupStart, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions, Topic, Trim,
};
use bus_memory::{ExpireCondition, ListEnd, MemoryBackend, SetCondition, SetExpiry, SetOptions};
use common::{add, b, bs, fields, id, key};

/// A stream `s` with entries 1-0 and 2-0, group `g` and entry 1-0 pending for consumer `c0`; a set `st`, a hash
/// `h`, a list `l` and a string `k` with a deadline.
async fn fixture() -> MemoryBackend {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let s = key("s");
    add(&backend, &s, "1-0", "1").await;
    add(&backend, &s, "2-0", "2").await;
    backend
        .group_create(&s, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    let cursor = [(s.clone(), GroupCursor::New)];
    backend
        .read_group("g", "c0", &cursor, &ReadGroupOptions::new().count(1))
        .await
        .unwrap();
    backend.sadd(&key("st"), bs(&["a"])).unwrap();
    backend.hset(&key("h"), vec![(b("a"), b("1"))]).unwrap();
    backend.push(&key("l"), ListEnd::Right, bs(&["a"]), false).unwrap();
    let px = SetOptions {
        expiry: SetExpiry::At(1_100_000),
        ..SetOptions::new()
    };
    backend.set(&key("k"), "v", &px).unwrap();
    backend
}

/// Whether `op` touches `watched`, on a fresh fixture.
async fn touches<F, Fut>(watched: &str, op: F) -> bool
where
    F: FnOnce(MemoryBackend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let backend = fixture().await;
    let watch = backend.watch(&key(watched));
    op(backend.clone()).await;
    watch.is_touched()
}

macro_rules! case {
    ($watched:expr, $expected:expr, |$b:ident| $op:expr) => {
        assert_eq!(
            touches($watched, |$b: MemoryBackend| async move {
                let _ = $op;
            })
            .await,
            $expected,
            "{} on `{}`",
            stringify!($op),
            $watched
        );
    };
}

fn s() -> Topic {
    key("s")
}

#[tokio::test(start_paused = true)]
async fn stream_commands_touch_only_when_redis_signals_the_key() {
    let one = [id(1, 0)];
    case!("s", true, |m| m
        .append(&s(), fields(&[("f", "v")]), &AppendOptions::new())
        .await);
    case!("s", true, |m| m.delete(&s(), &one).await);
    case!("s", false, |m| m.delete(&s(), &[id(9, 0)]).await);
    case!("s", true, |m| m.trim(&s(), &Trim::maxlen(1)).await);
    case!("s", false, |m| m.trim(&s(), &Trim::maxlen(5)).await);
    case!("s", false, |m| m
        .read(&[(s(), ReadCursor::After(EntryId::MIN))], &ReadOptions::new())
        .await);
    case!("s", false, |m| m
        .read_group("g", "c", &[(s(), GroupCursor::New)], &ReadGroupOptions::new())
        .await);
    case!("s", false, |m| m
        .range(&s(), RangeBound::MIN, RangeBound::MAX, None)
        .await);
    case!("s", false, |m| m.ack(&s(), "g", &one).await);
    case!("s", false, |m| m
        .claim(&s(), "g", "c", Duration::ZERO, &one, &ClaimOptions::new())
        .await);
    let auto = AutoClaimOptions::new();
    case!("s", false, |m| m
        .auto_claim(&s(), "g", "c", Duration::ZERO, RangeBound::MIN, &auto)
        .await);
    case!("s", false, |m| m
        .group_set_id(&s(), "g", GroupStart::Id(EntryId::MIN), None)
        .await);
    case!("s", false, |m| m.group_destroy(&s(), "g").await);
    case!("s", false, |m| m.consumer_create(&s(), "g", "x").await);
    case!("s", false, |m| m.consumer_delete(&s(), "g", "c0").await);
    let start = GroupStart::Id(EntryId::MIN);
    case!("s", false, |m| m
        .group_create(&s(), "g2", start, &GroupCreateOptions::new())
        .await);
    case!("s", false, |m| m
        .group_create(&s(), "g2", start, &GroupCreateOptions::new().mkstream())
        .await);
    // MKSTREAM touches the key only when it creates the stream.
    case!("n", true, |m| m
        .group_create(&key("n"), "g", start, &GroupCreateOptions::new().mkstream())
        .await);
    let nomkstream = AppendOptions::new().no_mkstream();
    case!("n", false, |m| m
        .append(&key("n"), fields(&[("f", "v")]), &nomkstream)
        .await);
    case!("s", true, |m| m.drop_topic(&s()).await);
    case!("n", false, |m| m.drop_topic(&key("n")).await);
    case!("s", true, |m| m.expire_topic(&s(), Duration::from_secs(100)).await);
}

#[tokio::test(start_paused = true)]
async fn other_types_touch_when_they_change() {
    case!("st", false, |m| m.sadd(&key("st"), bs(&["a"])));
    case!("st", true, |m| m.sadd(&key("st"), bs(&["b"])));
    case!("st", false, |m| m.srem(&key("st"), &bs(&["x"])));
    case!("st", true, |m| m.srem(&key("st"), &bs(&["a"])));
    // HSET touches even when it only rewrites a field with the same value.
    case!("h", true, |m| m.hset(&key("h"), vec![(b("a"), b("1"))]));
    case!("h", false, |m| m.hdel(&key("h"), &bs(&["x"])));
    case!("h", true, |m| m.hdel(&key("h"), &bs(&["a"])));
    case!("l", false, |m| m.pop(&key("l"), ListEnd::Left, 0));
    case!("l", true, |m| m.pop(&key("l"), ListEnd::Left, 1));
    case!("l", true, |m| m.push(&key("l"), ListEnd::Right, bs(&["b"]), false));
    case!("n", false, |m| m.push(&key("n"), ListEnd::Left, bs(&["a"]), true));
    case!("k", true, |m| m.set(&key("k"), "v", &SetOptions::new()));
    let nx = SetOptions {
        condition: SetCondition::IfMissing,
        ..SetOptions::new()
    };
    case!("k", false, |m| m.set(&key("k"), "v", &nx));
    case!("n", true, |m| m.set(&key("n"), "1", &SetOptions::new()));
    // INCR touches when it writes (a missing key too); one refused ("v" is no integer) does not. APPEND always.
    case!("n", true, |m| m.incr_by(&key("n"), 1));
    case!("k", false, |m| m.incr_by(&key("k"), 1));
    case!("k", true, |m| m.append_string(&key("k"), b""));
}

#[tokio::test(start_paused = true)]
async fn keyspace_commands_and_expiry_touch_as_redis() {
    let at = 1_050_000;
    let nx = ExpireCondition {
        nx: true,
        ..Default::default()
    };
    let xx = ExpireCondition {
        xx: true,
        ..Default::default()
    };
    case!("k", true, |m| m.persist(&key("k")));
    case!("s", false, |m| m.persist(&s()));
    case!("k", false, |m| m.pexpire_at(&key("k"), at, nx));
    case!("k", true, |m| m.pexpire_at(&key("k"), at, xx));
    case!("k", true, |m| m.del(&[key("k")]));
    case!("n", false, |m| m.del(&[key("n")]));
    case!("s", true, |m| m.rename(&s(), &key("s2")));
    case!("k", true, |m| m.rename(&key("st"), &key("k")));
    case!("k", false, |m| m.renamenx(&key("st"), &key("k")));
    // FLUSH touches the keys that existed, not a watched key that did not.
    case!("k", true, |m| m.flush());
    case!("n", false, |m| m.flush());
    // Created and deleted again: absent as before, but touched.
    case!("n", true, |m| {
        m.set(&key("n"), "1", &SetOptions::new()).unwrap();
        m.del(&[key("n")])
    });
    // Expiry touches the key when its deadline passes, whether or not anything looks at it.
    case!("k", true, |_m| tokio::time::advance(Duration::from_secs(100)).await);
    case!("k", false, |_m| tokio::time::advance(Duration::from_secs(99)).await);
}

#[tokio::test(start_paused = true)]
async fn a_watch_keeps_the_version_of_an_absent_key_until_dropped() {
    let backend = MemoryBackend::new();
    let n = key("n");
    let first = backend.watch(&n);
    let second = backend.watch(&n);
    assert_eq!(first.key(), &n);
    backend.set(&n, "1", &SetOptions::new()).unwrap();
    backend.del(std::slice::from_ref(&n));
    drop(first);
    assert!(second.is_touched(), "the other watch still sees the change");
    drop(second);
    let fresh = backend.watch(&n);
    assert!(!fresh.is_touched());
    assert_eq!(backend.dbsize(), 0);
    assert!(backend.keys("*").is_empty(), "a watch is not a key");
}
