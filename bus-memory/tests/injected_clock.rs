//! `MemoryBackend::with_clock`: generated ids (`*`) read the injected clock, which follows tokio's paused time.
//! The conformance suite checks `*` ids only relative to each other and to the wall clock
//! (`append::auto_ids_count_up_within_a_millisecond`, `append::auto_ids_follow_the_wall_clock`); only here can a
//! test choose where the clock starts, and so the exact ids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::{AppendOptions, Backend, Clock};
use bus_memory::MemoryBackend;
use common::{fields, id, topic};

#[tokio::test(start_paused = true)]
async fn auto_ids_read_the_injected_clock() {
    let backend = MemoryBackend::with_clock(Clock::starting_at(1_000));
    let t = topic("scen:auto");
    let opts = AppendOptions::new();
    let append = async || backend.append(&t, fields(&[("f", "v")]), &opts).await.unwrap();
    assert_eq!(append().await, Some(id(1_000, 0)));
    assert_eq!(append().await, Some(id(1_000, 1)));
    tokio::time::advance(Duration::from_millis(5)).await;
    assert_eq!(append().await, Some(id(1_005, 0)));
}
