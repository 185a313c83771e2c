//! XADD: id forms, their errors, NOMKSTREAM and field storage. Expected answers come from redis-cli on 7.0.15.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{AppendId, AppendOptions, Backend, Clock, EntryId, Error, RangeBound, Trim};
use bus_memory::MemoryBackend;
use common::{add, eid, fields, id, ids, topic};

fn at(text: &str) -> AppendOptions {
    AppendOptions::new().id(text.parse::<AppendId>().unwrap())
}

#[tokio::test(start_paused = true)]
async fn auto_ids_use_the_clock_and_count_up_within_a_millisecond() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000));
    let t = topic("scen:auto");
    let opts = AppendOptions::new();
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap(),
        Some(id(1_000, 0))
    );
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap(),
        Some(id(1_000, 1))
    );
    tokio::time::advance(Duration::from_millis(5)).await;
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap(),
        Some(id(1_005, 0))
    );
}

#[tokio::test(start_paused = true)]
async fn auto_id_after_a_future_explicit_id_increments_it() {
    // redis-cli: XADD k 99999999999999-5 → XADD k * = 99999999999999-6;
    // XADD k 99999999999999-18446744073709551615 → XADD k * = 100000000000000-0
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000));
    let t = topic("scen:future");
    add(&backend, &t, "99999999999999-5", "a").await;
    let opts = AppendOptions::new();
    let next = backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap();
    assert_eq!(next, Some(eid("99999999999999-6")));
    add(&backend, &t, "99999999999999-18446744073709551615", "b").await;
    let next = backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap();
    assert_eq!(next, Some(eid("100000000000000-0")));
}

#[tokio::test]
async fn ms_star_takes_the_next_sequence_or_zero() {
    // redis-cli: 5-3 → 5-3; 5-* → 5-4; 6-* → 6-0; 6-1 → 6-1; 6-2 → 6-2
    let backend = MemoryBackend::new();
    let t = topic("scen:a");
    for (given, expected) in [
        ("5-3", "5-3"),
        ("5-*", "5-4"),
        ("6-*", "6-0"),
        ("6-1", "6-1"),
        ("6-2", "6-2"),
    ] {
        let got = backend.append(&t, fields(&[("f", "v")]), &at(given)).await.unwrap();
        assert_eq!(got, Some(eid(expected)), "XADD {given}");
    }
    // 4-* and 0-* are below the top: "equal or smaller" error.
    for given in ["4-*", "0-*", "6-2", "0-1"] {
        let err = backend.append(&t, fields(&[("f", "v")]), &at(given)).await.unwrap_err();
        assert!(
            matches!(err, Error::IdNotGreater { last_id, .. } if last_id == id(6, 2)),
            "{given}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            "ERR The ID specified in XADD is equal or smaller than the target stream top item"
        );
    }
    assert_eq!(backend.len(&t).await.unwrap(), 5);
}

#[tokio::test]
async fn ms_star_on_a_new_stream_starts_at_sequence_one_for_ms_zero() {
    // redis-cli: XADD new 0-* → 0-1; again → 0-2
    let backend = MemoryBackend::new();
    let t = topic("scen:b");
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &at("0-*")).await.unwrap(),
        Some(id(0, 1))
    );
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &at("0-*")).await.unwrap(),
        Some(id(0, 2))
    );
}

#[tokio::test]
async fn zero_id_is_rejected_and_creates_nothing() {
    // redis-cli: XADD k 0-0 f v → error; EXISTS k → 0
    let backend = MemoryBackend::new();
    let t = topic("scen:zero");
    let err = backend.append(&t, fields(&[("f", "v")]), &at("0-0")).await.unwrap_err();
    assert_eq!(err.to_string(), "ERR The ID specified in XADD must be greater than 0-0");
    assert!(backend.topics().is_empty());
    let info = backend.stream_info(&t).await.unwrap_err();
    assert_eq!(info.to_string(), "ERR no such key");
}

#[tokio::test]
async fn explicit_id_equal_to_the_top_is_rejected_even_after_the_top_was_deleted() {
    // redis-cli: XADD 5-1, XDEL 5-1, XADD 5-1 → equal or smaller; XADD 5-* → 5-2
    let backend = MemoryBackend::new();
    let t = topic("scen:top");
    add(&backend, &t, "5-1", "a").await;
    assert_eq!(backend.delete(&t, &[id(5, 1)]).await.unwrap(), 1);
    let err = backend.append(&t, fields(&[("f", "v")]), &at("5-1")).await.unwrap_err();
    assert!(matches!(err, Error::IdNotGreater { .. }), "{err:?}");
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &at("5-*")).await.unwrap(),
        Some(id(5, 2))
    );
}

#[tokio::test]
async fn a_stream_at_the_maximum_id_is_exhausted_for_every_id_form() {
    // redis-cli: XADD k 18446744073709551615-18446744073709551615 then *, ms-*, explicit 1-1 → exhausted
    let backend = MemoryBackend::new();
    let t = topic("scen:max");
    add(&backend, &t, "5-3", "a").await;
    let max = backend
        .append(&t, fields(&[("f", "v")]), &AppendOptions::new().id(EntryId::MAX))
        .await;
    assert_eq!(max.unwrap(), Some(EntryId::MAX));
    for given in ["*", "18446744073709551615-*", "1-1"] {
        let err = backend.append(&t, fields(&[("f", "v")]), &at(given)).await.unwrap_err();
        assert!(matches!(err, Error::IdExhausted { .. }), "{given}: {err:?}");
        assert_eq!(
            err.to_string(),
            "ERR The stream has exhausted the last possible ID, unable to add more items"
        );
    }
    let info = backend.stream_info(&t).await.unwrap();
    assert_eq!(
        (info.length, info.entries_added, info.last_generated_id),
        (2, 2, EntryId::MAX)
    );
}

#[tokio::test]
async fn ms_star_whose_sequence_would_overflow_fails_as_redis_7_0_does() {
    // redis-cli (7.0.15): XADD k 8-18446744073709551615 → ok; XADD k 8-* → "ERR Elements are too large to be
    // stored" (7.0 leaves errno unset on this path). Same with 0-18446744073709551615 then 0-*.
    let backend = MemoryBackend::new();
    let t = topic("scen:seq");
    add(&backend, &t, "8-18446744073709551615", "a").await;
    let err = backend.append(&t, fields(&[("f", "v")]), &at("8-*")).await.unwrap_err();
    assert_eq!(err.to_string(), "ERR Elements are too large to be stored");
    assert_eq!(backend.len(&t).await.unwrap(), 1);
    // `*` still works: the next millisecond.
    let next = backend.append(&t, fields(&[("f", "v")]), &at("9-*")).await.unwrap();
    assert_eq!(next, Some(id(9, 0)));
}

#[tokio::test]
async fn nomkstream_does_not_create_a_missing_topic() {
    // redis-cli: XADD new NOMKSTREAM * f v → nil; EXISTS → 0
    let backend = MemoryBackend::new();
    let t = topic("scen:nomk");
    let opts = AppendOptions::new().no_mkstream();
    assert_eq!(backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap(), None);
    assert!(backend.topics().is_empty());
    assert_eq!(backend.len(&t).await.unwrap(), 0);
    add(&backend, &t, "1-1", "a").await;
    let opts = opts.id(id(2, 1));
    assert_eq!(
        backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap(),
        Some(id(2, 1))
    );
}

#[tokio::test]
async fn empty_fields_are_rejected() {
    // redis-cli: XADD k * → ERR wrong number of arguments for 'xadd' command
    let backend = MemoryBackend::new();
    let t = topic("scen:nofields");
    let err = backend
        .append(&t, bus_core::Fields::default(), &AppendOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR wrong number of arguments for 'xadd' command");
    assert!(backend.topics().is_empty());
}

#[tokio::test]
async fn fields_keep_order_duplicates_and_empty_values() {
    // redis-cli: XADD k 1-1 a 1 a 2 b '' → XRANGE returns a 1 a 2 b ''
    let backend = MemoryBackend::new();
    let t = topic("scen:dup");
    let written = fields(&[("a", "1"), ("a", "2"), ("b", "")]);
    backend
        .append(&t, written.clone(), &AppendOptions::new().id(id(1, 1)))
        .await
        .unwrap();
    let read = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(ids(&read), ["1-1"]);
    assert_eq!(read[0].fields, written);
}

#[tokio::test]
async fn limit_without_approx_is_a_syntax_error_and_appends_nothing() {
    // redis-cli: XADD k MAXLEN 1 LIMIT 5 1-1 f v → ERR syntax error, LIMIT cannot be used without the special ~ option
    let backend = MemoryBackend::new();
    let t = topic("scen:lim");
    let opts = AppendOptions::new().id(id(1, 1)).trim(Trim::maxlen(1).limit(5));
    let err = backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert!(backend.topics().is_empty());
}
