//! The conformance factories of bus-redis, shared by the certification (`conformance.rs`) and the differential
//! run against bus-memory (`differential.rs`), and the cluster certification (`conformance_cluster.rs`).
#![allow(dead_code, reason = "each test binary uses one of the factories")]

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

/// Backends on the test binary's Redis Cluster (three masters, three replicas), started on first use and shared
/// by every check, each under a fresh key prefix: topics hash all over the slots, so they spread over the three
/// masters, and multi-topic reads span slots.
pub struct Cluster(pub &'static str);

#[async_trait::async_trait]
impl conformance::BackendFactory for Cluster {
    #[allow(clippy::panic)] // A cluster that forms but refuses connections must fail the check, not skip it.
    async fn create(&self) -> Option<conformance::Instance> {
        let cluster = bus_redis::testing::TestCluster::shared(self.0)?;
        let backend = cluster.fresh_backend().await;
        let backend = backend.unwrap_or_else(|err| panic!("cannot connect to the test cluster: {err}"));
        Some(conformance::Instance::with_guard(Arc::new(backend), cluster))
    }

    /// As on one server: blocking reads, and exact node trimming (the harness's nodes lay out stream nodes as
    /// bus-memory does).
    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::none()
            .blocking_reads(true)
            .exact_node_trimming(bus_redis::testing::TestCluster::shared(self.0).is_some())
    }
}

/// A fresh `bus-memory` backend per instance: the reference of the differential runs.
pub struct Memory;

#[async_trait::async_trait]
impl conformance::BackendFactory for Memory {
    async fn create(&self) -> Option<conformance::Instance> {
        Some(conformance::Instance::new(Arc::new(bus_memory::MemoryBackend::new())))
    }

    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::all()
    }
}
