//! The conformance factories of bus-redis, shared by the certification (`conformance.rs`) and the differential
//! run against bus-memory (`differential.rs`).

use std::sync::Arc;

use bus_redis::testing::LazyServer;

/// Backends on one private `redis-server`, started on first use, each under a fresh key prefix.
pub struct Redis(pub LazyServer);

#[async_trait::async_trait]
impl conformance::BackendFactory for Redis {
    #[allow(clippy::panic)] // A server that starts but refuses connections must fail the check, not skip it.
    async fn create(&self) -> Option<conformance::Instance> {
        let server = self.0.get()?;
        let backend = server.fresh_backend().await;
        let backend = backend.unwrap_or_else(|err| panic!("cannot connect to the test server: {err}"));
        Some(conformance::Instance::with_guard(Arc::new(backend), server))
    }

    /// Blocking reads; exact node trimming when the server lays out nodes as bus-memory does (private servers
    /// do). Paused tokio time cannot move a server's clock, so the exact timing checks are skipped.
    fn capabilities(&self) -> conformance::Capabilities {
        let exact = self.0.get().is_some_and(|server| server.exact_node_trimming());
        conformance::Capabilities::none()
            .blocking_reads(true)
            .exact_node_trimming(exact)
    }
}
