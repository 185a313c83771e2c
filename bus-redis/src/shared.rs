//! [`Shared`]: the one multiplexed connection every non-blocking command goes through, to one server or to a
//! cluster.
//!
//! On one server it is the `redis` crate's connection manager (reconnects by itself); on a cluster, its
//! cluster client, which routes each command by its key's slot, follows MOVED/ASK within a bounded retry
//! budget and times every request out (see [`crate::connect`]). Both are driven through
//! [`redis::aio::ConnectionLike`], so commands, pipelines, transactions and scripts run on either unchanged;
//! what needs a particular node (`CLIENT UNBLOCK` of a dedicated read, `CLUSTER SLOTS`) goes through
//! [`Shared::on_node`].

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// The shared connection (cheap to clone: clones share it).
#[derive(Clone)]
pub(crate) enum Shared {
    /// One server.
    Single(ConnectionManager),
    /// A Redis Cluster.
    Cluster(ClusterConnection),
}

impl Shared {
    /// Runs `cmd` on the node at `addr` (`host:port`) of a cluster, or on the one server.
    pub(crate) async fn on_node(&self, addr: &str, cmd: Cmd) -> RedisResult<Value> {
        match self {
            Shared::Single(conn) => cmd.query_async(&mut conn.clone()).await,
            Shared::Cluster(conn) => {
                let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "0"));
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                    host: host.to_owned(),
                    port: port.parse().unwrap_or(0),
                });
                conn.clone().route_command(cmd, routing).await
            }
        }
    }

    /// Whether this is a cluster connection.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Shared::Cluster(_))
    }
}

impl ConnectionLike for Shared {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Shared::Single(conn) => conn.req_packed_command(cmd),
            Shared::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Shared::Single(conn) => conn.req_packed_commands(cmd, offset, count),
            Shared::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Shared::Single(conn) => conn.get_db(),
            Shared::Cluster(conn) => conn.get_db(),
        }
    }
}
