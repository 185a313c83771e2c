//! The runtime's scenarios (`scenarios/`) on bus-memory with paused time, where their timelines run as written
//! and their timing assertions are exact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scenarios;

use std::sync::Arc;

use bus_memory::MemoryBackend;

use common::{Rig, Time};

/// A memory backend on a fixed clock, so ids are reproducible.
fn rig() -> Rig {
    let backend = MemoryBackend::with_clock(bus_core::Clock::starting_at(1_000_000));
    Rig::new(Arc::new(backend), Time::Paused, None)
}

macro_rules! on_memory {
    ($($family:ident { $($scenario:ident),* $(,)? })*) => {$(
        mod $family {$(
            #[tokio::test(start_paused = true)]
            async fn $scenario() {
                crate::scenarios::$family::$scenario(crate::rig()).await;
            }
        )*}
    )*};
}

scenarios::all!(on_memory);
