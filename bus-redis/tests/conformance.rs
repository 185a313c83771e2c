//! The conformance suite on Redis. Each test gets its own private `redis-server` (started on the first backend
//! it asks for); the property tests reuse it across cases, each case under a fresh key prefix.
#![allow(
    clippy::panic,
    reason = "a server that starts but refuses connections must fail the check"
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bus_core::Backend;
use bus_redis::RedisOptions;
use bus_redis::testing::TestRedis;

/// Backends on one test server, a new key prefix for each.
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
            .get_or_init(|| TestRedis::start("conformance").map(Arc::new))
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

conformance::conformance_tests!(Redis::default());
