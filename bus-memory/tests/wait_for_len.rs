//! `MemoryBackend::wait_for_len` on paused tokio time: it wakes on appends, times out with a typed error, and
//! returns at once when the topic is already long enough. (The blocking reads it resembles are certified on
//! every backend by the conformance suite's `blocking` checks.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{AppendOptions, Backend, Clock, EntryId, Error};
use bus_memory::MemoryBackend;
use common::{add, fields, topic};
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Lets spawned tasks run (and register as waiting) by sleeping on paused time.
async fn settle() {
    tokio::time::sleep(ms(1)).await;
}

#[tokio::test(start_paused = true)]
async fn wait_for_len_wakes_on_appends_and_times_out() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000_000));
    let t = topic("scen:w");
    let waiter = {
        let (backend, t) = (backend.clone(), t.clone());
        tokio::spawn(async move { backend.wait_for_len(&t, 2, Duration::from_secs(5)).await })
    };
    settle().await;
    add(&backend, &t, "1-1", "a").await;
    settle().await;
    assert!(!waiter.is_finished(), "one entry is not enough");
    tokio::time::advance(ms(1_000)).await;
    backend
        .append(&t, fields(&[("n", "b")]), &AppendOptions::new().id(EntryId::new(2, 1)))
        .await
        .unwrap();
    assert_eq!(waiter.await.unwrap().unwrap(), 2);

    let start = Instant::now();
    let err = backend.wait_for_len(&t, 3, ms(500)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                may_have_executed: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(start.elapsed(), ms(500));
    // Already long enough: returns at once.
    let start = Instant::now();
    assert_eq!(backend.wait_for_len(&t, 1, ms(500)).await.unwrap(), 2);
    assert_eq!(start.elapsed(), Duration::ZERO);
}
