//! The conformance factories of bus-redis, shared by the certifications (`conformance.rs` on Redis,
//! `conformance_cluster.rs` on a Redis Cluster, `serve.rs` on `bus serve`) and the differential runs against
//! bus-memory (`differential.rs`, and the cluster's).

#![allow(dead_code, reason = "each test file uses one of the factories")]

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

/// Backends talking RESP to an in-process `bus serve` (`bus_server::Server`), one fresh server per check or
/// property case, so the chain bus-redis → RESP → bus-memory is certified like a real Redis.
pub struct Serve;

#[async_trait::async_trait]
impl conformance::BackendFactory for Serve {
    #[allow(clippy::panic)] // An in-process server that cannot bind or be reached must fail the check.
    async fn create(&self) -> Option<conformance::Instance> {
        let config = bus_server::ServerConfig::new()
            .port(0)
            .node_layout(bus_server::NodeLayout::HUNDRED_ENTRIES);
        let server = bus_server::Server::bind(config)
            .await
            .unwrap_or_else(|err| panic!("cannot start bus serve: {err}"));
        let addr = server
            .local_addr()
            .unwrap_or_else(|| panic!("bus serve has no TCP address"));
        let url = format!("redis://{addr}/0");
        let backend = bus_redis::RedisBackend::connect(&url, bus_redis::RedisOptions::new()).await;
        let backend = backend.unwrap_or_else(|err| panic!("cannot connect to bus serve: {err}"));
        Some(conformance::Instance::with_guard(Arc::new(backend), server))
    }

    /// Blocking reads and Redis's node layout with `stream-node-max-bytes 0`; the server's clock is the
    /// wall clock (its controllable clock moves by `BUS.CLOCK ADVANCE`, not by paused tokio time), so the
    /// exact timing checks are skipped as on Redis.
    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::none()
            .blocking_reads(true)
            .exact_node_trimming(true)
    }
}

/// The checks that fail on [`Serve`], each only because `bus serve` has no scripting (`EVALSHA`, and
/// `EXECABORT` for a transaction of `EVALSHA` calls): bus-redis's indexed publish, its UUID index and its trims
/// and idle-consumer deletes are Lua scripts. Every other check must pass; `serve.rs` fails when one of these
/// passes (remove it here) or fails for another reason.
pub const SERVE_NEEDS_SCRIPTING: &[&str] = &[
    "append::lookup_of_an_unknown_uuid_finds_nothing",
    "append::publish_batch_at_an_explicit_id_publishes_only_the_first_message",
    "append::publish_batch_equals_publishing_one_by_one",
    "append::publish_batch_trims_after_each_message",
    "append::publish_finds_a_later_holder_after_a_trim",
    "append::publish_is_idempotent",
    "append::publish_stores_the_message_as_id_then_payload",
    "append::publish_trims_as_xadd_does",
    "append::publish_with_nomkstream_to_a_missing_topic_creates_nothing",
    "consumer::a_deleted_message_is_published_again",
    "consumer::a_message_id_is_deduplicated_per_topic",
    "consumer::a_new_consumer_first_picks_up_what_its_predecessor_left_pending",
    "consumer::an_unknown_message_cursor_is_a_typed_error",
    "consumer::bus_publishes_a_message_once",
    "consumer::consumer_replays_a_dropped_read_then_reads_new_entries",
    "consumer::deleted_pending_entries_come_back_as_deleted",
    "consumer::dropping_a_topic_forgets_its_message_ids",
    "consumer::read_after_a_deleted_cursor_returns_what_follows",
    "consumer::read_after_a_message_returns_what_follows_it",
    "consumer::read_after_a_trimmed_cursor_reports_the_gap",
    "consumer::read_after_an_entry_returns_what_follows_it",
    "consumer::read_after_an_id_before_the_first_entry_is_no_gap",
    "consumer::read_after_the_last_id_misses_nothing_once_everything_is_trimmed",
    "consumer::read_after_the_start_returns_every_entry",
    "consumer::tail_returns_the_last_n_oldest_first",
    "errors::bus_errors_name_the_topic_and_what_was_looked_for",
    "errors::id_exhausted_names_the_topic",
    "errors::id_not_greater_names_the_topic_and_its_last_id",
    "errors::no_group_of_the_admin_commands_names_topic_and_group",
    "errors::no_such_topic_of_xinfo_names_the_topic",
    "expiry::topics_expire_after_their_ttl",
    "groups::idle_consumer_delete_spares_consumers_with_pending_entries",
    "trim::a_node_emptied_by_an_exact_trim_keeps_filling",
    "trim::approximate_maxlen_on_xadd_removes_a_partly_trimmed_node_whole",
    "trim::approximate_maxlen_removes_only_whole_nodes",
    "trim::approximate_minid_removes_only_whole_nodes_below_it",
    "trim::approximate_trims_remove_at_most_ten_thousand_entries_by_default",
    "trim::deleted_entries_still_fill_their_node",
    "trim::exact_maxlen_finishes_an_approximate_trim",
    "trim::exact_minid_finishes_an_approximate_trim",
    "trim::limit_below_a_node_removes_nothing",
    "trim::limit_caps_an_approximate_trim_at_whole_nodes",
    "trim::limit_zero_lifts_the_cap_of_an_approximate_trim",
    "trim::maxlen_trim_keeps_the_newest_entries",
    "trim::minid_trim_removes_the_entries_below_the_id",
    "trim::trim_of_a_missing_topic_removes_nothing",
    "trim::trimming_is_not_deletion",
];
