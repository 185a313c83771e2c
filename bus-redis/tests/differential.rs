//! Differential mode: one random operation sequence applied to `bus-memory` and to a real Redis (a private
//! `redis-server`), results compared op by op and observable states step by step.
#![allow(clippy::panic, reason = "test code")]

use std::sync::Arc;

use bus_redis::testing::LazyServer;

mod factories;

struct Memory;

#[async_trait::async_trait]
impl conformance::BackendFactory for Memory {
    async fn create(&self) -> Option<conformance::Instance> {
        Some(conformance::Instance::new(Arc::new(bus_memory::MemoryBackend::new())))
    }

    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::all()
    }
}

#[test]
fn memory_and_redis_agree_op_by_op() {
    let redis = factories::Redis(LazyServer::new("differential"));
    if let Err(failure) = conformance::property::differential(("memory", &Memory), ("redis", &redis), file!()) {
        panic!("{failure}");
    }
}
