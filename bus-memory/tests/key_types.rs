//! Strings, lists, sets and hashes: each command's reply as Redis 7.0.15 gives it (every sequence was run there
//! with `redis-cli` first), and an emptied collection deleting its key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::Clock;
use bus_memory::{KeyTtl, KeyType, ListEnd, MemoryBackend, SetCondition, SetExpiry, SetOptions, SetReply};
use common::{b, bs, key};

fn pairs(items: &[(&str, &str)]) -> Vec<(bytes::Bytes, bytes::Bytes)> {
    items.iter().map(|(f, v)| (b(f), b(v))).collect()
}

#[tokio::test(start_paused = true)]
async fn set_and_get_with_their_options() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let s = key("s");
    let opts = |condition, get, expiry| SetOptions { condition, get, expiry };
    let written = |old: Option<&str>| SetReply {
        written: true,
        old: old.map(b),
    };
    let refused = |old: Option<&str>| SetReply {
        written: false,
        old: old.map(b),
    };
    assert_eq!(backend.get(&s).unwrap(), None);
    // SET s old; SET s new NX GET -> "old" (not written); GET s -> "old".
    assert_eq!(backend.set(&s, "old", &SetOptions::new()).unwrap(), written(None));
    let nx_get = opts(SetCondition::IfMissing, true, SetExpiry::Clear);
    assert_eq!(backend.set(&s, "new", &nx_get).unwrap(), refused(Some("old")));
    assert_eq!(backend.get(&s).unwrap(), Some(b("old")));
    // SET m v XX GET -> nil, SET m v XX -> nil, EXISTS m -> 0.
    let m = key("m");
    let xx = opts(SetCondition::IfExists, false, SetExpiry::Clear);
    assert_eq!(backend.set(&m, "v", &xx).unwrap(), refused(None));
    assert_eq!(backend.exists(std::slice::from_ref(&m)), 0);
    // SET s v2 PX 100000; SET s v3 KEEPTTL -> the deadline stays; SET s v4 -> PTTL -1.
    let px = opts(SetCondition::Always, false, SetExpiry::At(1_100_000));
    assert_eq!(backend.set(&s, "v2", &px).unwrap(), written(None));
    let keep = opts(SetCondition::Always, true, SetExpiry::Keep);
    assert_eq!(backend.set(&s, "v3", &keep).unwrap(), written(Some("v2")));
    assert_eq!(backend.pttl(&s), KeyTtl::Expires(Duration::from_millis(100_000)));
    backend.set(&s, "v4", &SetOptions::new()).unwrap();
    assert_eq!(backend.pttl(&s), KeyTtl::Persistent);
    // SET e v PXAT 1 -> OK, EXISTS e -> 0.
    let e = key("e");
    let past = opts(SetCondition::Always, false, SetExpiry::At(1));
    assert!(backend.set(&e, "v", &past).unwrap().written);
    assert_eq!(backend.exists(std::slice::from_ref(&e)), 0);
    // An empty string is a value: SET e '' then GET e -> "", EXISTS e -> 1.
    backend.set(&e, "", &SetOptions::new()).unwrap();
    assert_eq!(backend.get(&e).unwrap(), Some(b("")));
    assert_eq!(backend.key_type(&e), Some(KeyType::String));
}

#[tokio::test(start_paused = true)]
async fn set_replaces_a_key_of_any_type_but_set_get_refuses_one() {
    let backend = MemoryBackend::new();
    let l = key("l");
    backend.push(&l, ListEnd::Right, bs(&["a"]), false).unwrap();
    // RPUSH l a; SET l v GET -> WRONGTYPE, TYPE l -> list; SET l v -> OK, TYPE l -> string.
    let get = SetOptions {
        get: true,
        ..SetOptions::new()
    };
    assert_eq!(backend.set(&l, "v", &get).unwrap_err().kind(), "wrong_type");
    assert_eq!(backend.key_type(&l), Some(KeyType::List));
    assert!(backend.set(&l, "v", &SetOptions::new()).unwrap().written);
    assert_eq!(backend.key_type(&l), Some(KeyType::String));
}

#[tokio::test(start_paused = true)]
async fn lists_push_pop_and_range_as_redis() {
    let backend = MemoryBackend::new();
    let l = key("l");
    // LPUSH l a b c -> 3; RPUSH l d -> 4; LRANGE l 0 -1 -> c b a d.
    assert_eq!(backend.push(&l, ListEnd::Left, bs(&["a", "b", "c"]), false).unwrap(), 3);
    assert_eq!(backend.push(&l, ListEnd::Right, bs(&["d"]), false).unwrap(), 4);
    assert_eq!(backend.lrange(&l, 0, -1).unwrap(), bs(&["c", "b", "a", "d"]));
    // LRANGE l -2 -1 -> a d; LRANGE l 2 100 -> a d; LRANGE l -100 100 -> all; LRANGE l 1 0 -> empty.
    assert_eq!(backend.lrange(&l, -2, -1).unwrap(), bs(&["a", "d"]));
    assert_eq!(backend.lrange(&l, 2, 100).unwrap(), bs(&["a", "d"]));
    assert_eq!(backend.lrange(&l, -100, 100).unwrap().len(), 4);
    assert!(backend.lrange(&l, 1, 0).unwrap().is_empty());
    assert!(backend.lrange(&l, 4, 10).unwrap().is_empty());
    assert!(backend.lrange(&key("nol"), 0, -1).unwrap().is_empty());
    // RPOP l 2 -> d a; LPUSHX nol a -> 0 (no key made); RPUSHX l z -> 3; LLEN l -> 3.
    assert_eq!(backend.pop(&l, ListEnd::Right, 2).unwrap(), Some(bs(&["d", "a"])));
    assert_eq!(backend.push(&key("nol"), ListEnd::Left, bs(&["a"]), true).unwrap(), 0);
    assert_eq!(backend.key_type(&key("nol")), None);
    assert_eq!(backend.push(&l, ListEnd::Right, bs(&["z"]), true).unwrap(), 3);
    assert_eq!(backend.llen(&l).unwrap(), 3);
    // LPOP l 0 -> empty array on a list, nil on a missing key; LPOP l 5 empties and deletes the list.
    assert_eq!(backend.pop(&l, ListEnd::Left, 0).unwrap(), Some(Vec::new()));
    assert_eq!(backend.pop(&key("nol"), ListEnd::Left, 0).unwrap(), None);
    assert_eq!(backend.pop(&l, ListEnd::Left, 5).unwrap(), Some(bs(&["c", "b", "z"])));
    assert_eq!(backend.key_type(&l), None);
    assert_eq!(backend.llen(&l).unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn sets_count_members_and_list_an_intset_in_numeric_order() {
    let backend = MemoryBackend::new();
    let s = key("s");
    // SADD s 10 9 -3 0 9 -> 4; SMEMBERS s -> -3 0 9 10 (an intset).
    assert_eq!(backend.sadd(&s, bs(&["10", "9", "-3", "0", "9"])).unwrap(), 4);
    assert_eq!(backend.smembers(&s).unwrap(), bs(&["-3", "0", "9", "10"]));
    // SREM s 10 11 -> 1; SISMEMBER s 9 -> 1; SCARD s -> 3; SREM s 9 -3 0 -> 3, EXISTS s -> 0.
    assert_eq!(backend.srem(&s, &bs(&["10", "11"])).unwrap(), 1);
    assert!(backend.sismember(&s, b"9").unwrap());
    assert!(!backend.sismember(&s, b"10").unwrap());
    assert_eq!(backend.scard(&s).unwrap(), 3);
    assert_eq!(backend.srem(&s, &bs(&["9", "-3", "0"])).unwrap(), 3);
    assert_eq!(backend.key_type(&s), None);
    // A member that is not an integer makes it a hashtable for good: no numeric order then.
    backend.sadd(&s, bs(&["2", "1", "x"])).unwrap();
    backend.srem(&s, &bs(&["x"])).unwrap();
    let mut members = backend.smembers(&s).unwrap();
    members.sort();
    assert_eq!(members, bs(&["1", "2"]));
    assert_eq!(backend.srem(&key("none"), &bs(&["a"])).unwrap(), 0);
    assert_eq!(backend.scard(&key("none")).unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn hashes_keep_field_order_and_count_new_fields() {
    let backend = MemoryBackend::new();
    let h = key("h");
    // HSET h a 1 b 2 c 3 -> 3; HDEL h b -> 1; HSET h b 4 -> 1; HGETALL h -> a 1 c 3 b 4.
    assert_eq!(
        backend.hset(&h, pairs(&[("a", "1"), ("b", "2"), ("c", "3")])).unwrap(),
        3
    );
    assert_eq!(backend.hdel(&h, &bs(&["b"])).unwrap(), 1);
    assert_eq!(backend.hset(&h, pairs(&[("b", "4")])).unwrap(), 1);
    assert_eq!(
        backend.hgetall(&h).unwrap(),
        pairs(&[("a", "1"), ("c", "3"), ("b", "4")])
    );
    // HSET h a 5 a 6 -> 0 (updates only), in place.
    assert_eq!(backend.hset(&h, pairs(&[("a", "5"), ("a", "6")])).unwrap(), 0);
    assert_eq!(backend.hget(&h, b"a").unwrap(), Some(b("6")));
    assert_eq!(backend.hget(&h, b"zz").unwrap(), None);
    assert_eq!(backend.hlen(&h).unwrap(), 3);
    assert!(backend.hexists(&h, b"c").unwrap());
    // HDEL h a b c zz -> 3, and the emptied hash is gone.
    assert_eq!(backend.hdel(&h, &bs(&["a", "b", "c", "zz"])).unwrap(), 3);
    assert_eq!(backend.key_type(&h), None);
    assert!(backend.hgetall(&h).unwrap().is_empty());
    assert_eq!(backend.hdel(&h, &bs(&["a"])).unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn incr_and_append_keep_the_deadline_and_refuse_without_changing() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let n = key("n");
    // INCR n -> 1; PEXPIRE n 5000; INCRBY n 9 -> 10; PTTL n -> 5000 (kept).
    assert_eq!(backend.incr_by(&n, 1).unwrap(), 1);
    let condition = bus_memory::ExpireCondition::default();
    assert!(backend.pexpire_at(&n, 1_005_000, condition));
    assert_eq!(backend.incr_by(&n, 9).unwrap(), 10);
    assert_eq!(backend.pttl(&n), KeyTtl::Expires(Duration::from_millis(5_000)));
    // SET n 9223372036854775807; INCR n -> overflow error, the value unchanged.
    backend.set(&n, i64::MAX.to_string(), &SetOptions::new()).unwrap();
    let err = backend.incr_by(&n, 1).unwrap_err();
    assert_eq!(err.to_string(), "ERR increment or decrement would overflow");
    assert_eq!(backend.get(&n).unwrap(), Some(b(&i64::MAX.to_string())));
    // SET n 007; INCR n -> not an integer; INCR on a list -> WRONGTYPE; INCR on a missing key that fails
    // leaves no key behind.
    backend.set(&n, "007", &SetOptions::new()).unwrap();
    let err = backend.incr_by(&n, 1).unwrap_err();
    assert_eq!(err.to_string(), "ERR value is not an integer or out of range");
    let l = key("l");
    backend.push(&l, ListEnd::Left, bs(&["a"]), false).unwrap();
    assert!(matches!(backend.incr_by(&l, 1), Err(bus_core::Error::WrongType { .. })));
    assert!(matches!(
        backend.append_string(&l, b"x"),
        Err(bus_core::Error::WrongType { .. })
    ));
    // APPEND a ""; EXISTS a -> 1 (created, empty); APPEND a xy -> 2; the deadline survives APPEND too.
    let a = key("a");
    assert_eq!(backend.append_string(&a, b"").unwrap(), 0);
    assert_eq!(backend.key_type(&a), Some(KeyType::String));
    assert!(backend.pexpire_at(&a, 1_002_000, condition));
    assert_eq!(backend.append_string(&a, b"xy").unwrap(), 2);
    assert_eq!(backend.get(&a).unwrap(), Some(b("xy")));
    assert_eq!(backend.pttl(&a), KeyTtl::Expires(Duration::from_millis(2_000)));
}
