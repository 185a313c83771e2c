//! The conformance suite on Redis: each check gets its own private `redis-server`.
#![allow(
    clippy::panic,
    reason = "a server that starts but refuses connections must fail the check"
)]

use std::sync::Arc;

use bus_core::Backend;
use bus_redis::testing::TestRedis;

struct Redis;

#[async_trait::async_trait]
impl conformance::BackendFactory for Redis {
    async fn create(&self) -> Option<conformance::Instance> {
        let server = TestRedis::start("conformance")?;
        let backend = match server.backend().await {
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

conformance::conformance_tests!(Redis);
