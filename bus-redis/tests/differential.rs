//! Differential mode: one random operation sequence applied to `bus-memory` and to a real Redis (a private
//! `redis-server`), results compared op by op and observable states step by step.
#![allow(clippy::panic, reason = "test code")]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bus_core::Backend;
use bus_redis::RedisOptions;
use bus_redis::testing::TestRedis;

struct Memory;

#[async_trait::async_trait]
impl conformance::BackendFactory for Memory {
    async fn create(&self) -> Option<conformance::Instance> {
        let backend: Arc<dyn Backend> = Arc::new(bus_memory::MemoryBackend::new());
        Some(conformance::Instance::new(backend))
    }

    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::all()
    }
}

#[derive(Default)]
struct Redis {
    server: OnceLock<Option<Arc<TestRedis>>>,
    cases: AtomicU64,
}

#[async_trait::async_trait]
impl conformance::BackendFactory for Redis {
    async fn create(&self) -> Option<conformance::Instance> {
        let server = self
            .server
            .get_or_init(|| TestRedis::start("differential").map(Arc::new))
            .clone()?;
        let case = self.cases.fetch_add(1, Ordering::Relaxed);
        let options = RedisOptions::new().key_prefix(format!("case{case}:"));
        let backend = match server.backend_with(options).await {
            Ok(backend) => backend,
            Err(err) => panic!("cannot connect to the test server: {err}"),
        };
        let backend: Arc<dyn Backend> = Arc::new(backend);
        Some(conformance::Instance::with_guard(backend, server))
    }

    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::none().blocking_reads(true)
    }
}

#[test]
fn memory_and_redis_agree_op_by_op() {
    let redis = Redis::default();
    if let Err(failure) = conformance::property::differential(("memory", &Memory), ("redis", &redis), file!()) {
        panic!("{failure}");
    }
}
