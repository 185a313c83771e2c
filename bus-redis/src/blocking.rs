//! Blocking reads: dedicated connections, and blocks run in chunks.
//!
//! A blocking XREAD/XREADGROUP holds its connection on the server until it returns, so it must not run on the
//! shared multiplexed connection (it would stall every other command queued behind it, and the shared
//! connection's response timeout is shorter than the block). Each blocking read therefore leases a connection
//! of its own, whose response timeout is set per chunk to exceed that chunk's `BLOCK`.
//!
//! # Chunks
//! A long or infinite block is sent as several `BLOCK`s of at most
//! [`RedisOptions::block_chunk`](crate::RedisOptions::block_chunk) on the same leased connection
//! ([`Pool::block`]), so a server or network that silently stopped answering is noticed within a chunk plus
//! the response timeout instead of never. Between two chunks the server holds no block, which the read must
//! not let show: a `$` cursor is pinned to the topic's last id before the first chunk, so entries appended
//! between chunks are not skipped ([`RedisBackend::cursors_for_chunks`]), and a topic deleted or a group
//! destroyed between chunks is reported as Redis reports it to a reader blocked all along
//! ([`RedisBackend::between_chunks`]).
//!
//! A lease goes back to the idle pool only when its command completed. If the read's future is dropped while
//! the command is on the server (a lost `select!` branch, a timeout, an aborted task), the connection is
//! discarded, never reused, and a `CLIENT UNBLOCK` for its client id is sent on the shared connection so the
//! server releases the orphaned command at once instead of at the end of its chunk.
//!
//! # The limit
//! At most [`RedisOptions::max_blocking_connections`](crate::RedisOptions::max_blocking_connections) dedicated
//! connections exist at a time, idle ones included: a semaphore of that many permits is taken by each lease
//! (for the whole blocking read, all its chunks) and a connection is only ever opened by a lease that found no
//! idle one. A read that finds every permit taken waits for one, first come first served, for at most what is
//! left of its own block (forever for an infinite block); when its block runs out first it fails with
//! [`Error::Timeout`](bus_core::Error::Timeout) (`may_have_executed: false`: nothing was sent), see
//! [`Pool::lease`].
//!
//! # Recovery
//! When a dedicated connection fails at the transport level (the server restarted, the network broke), every
//! idle connection is closed as well: they lead to the same server and are most likely dead too, so the next
//! reads open fresh ones instead of each failing once on a stale one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bus_core::{EntryId, Error, GroupCommand, ReadCursor, Result, Topic};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, RedisResult, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

use crate::cluster::{ClusterUrl, NodeAddr};
use crate::connect::open_client;
use crate::error::Ctx;
use crate::shared::Shared;
use crate::{RedisBackend, RedisOptions, args, keys, reply};

/// One dedicated connection, the node it leads to, and its client id there (for `CLIENT UNBLOCK`).
struct Dedicated {
    conn: MultiplexedConnection,
    node: NodeAddr,
    client_id: i64,
}

/// Where dedicated connections go: the one server, or the master of a read's slot.
pub(crate) enum Nodes {
    /// One server: every dedicated connection goes to it (node address empty).
    Single(Client),
    /// A cluster: a connection per master, from the cluster URL's scheme and credentials.
    Cluster {
        /// The URL, for each node's own.
        url: ClusterUrl,
        /// The options, for the nodes' TLS settings.
        options: RedisOptions,
    },
}

/// The dedicated connections: the idle ones (per node), and the permits of all of them.
pub(crate) struct Pool {
    nodes: Nodes,
    /// The shared connection, which sends `CLIENT UNBLOCK` for abandoned reads to their own node.
    unblocker: Shared,
    connect_timeout: Duration,
    response_timeout: Duration,
    block_chunk: Duration,
    idle: Mutex<Vec<Dedicated>>,
    max_idle: usize,
    permits: Arc<Semaphore>,
    max: usize,
}

/// Why no connection could be leased.
enum LeaseError {
    /// Every one of the `max` connections stayed leased until the deadline.
    Exhausted {
        /// `max_blocking_connections`.
        max: usize,
    },
    /// Opening a new connection failed.
    Connect(redis::RedisError),
}

impl Pool {
    /// The pool of `client`'s dedicated connections, sized and timed by `options`.
    pub(crate) fn new(nodes: Nodes, unblocker: Shared, options: &RedisOptions) -> Pool {
        let max = options.max_blocking_connections;
        Pool {
            nodes,
            unblocker,
            connect_timeout: options.connect_timeout,
            response_timeout: options.response_timeout,
            block_chunk: options.block_chunk,
            idle: Mutex::new(Vec::new()),
            max_idle: options.max_idle_blocking_connections,
            permits: Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS))),
            max,
        }
    }

    /// Runs a blocking read for `block` (forever when zero) in chunks of at most `block_chunk` on one leased
    /// connection. `build` makes the command for one chunk's `BLOCK` milliseconds. Returns nil when the whole
    /// block timed out; an error comes with whether it happened after the first chunk.
    ///
    /// When all `max_blocking_connections` are leased, the wait for one counts against the block: if the
    /// block runs out first, the read fails with [`Error::Timeout`] (`may_have_executed: false`) without
    /// sending anything.
    pub(crate) async fn block(
        self: &Arc<Self>,
        ctx: &Ctx<'_>,
        node: &str,
        block: Duration,
        mut stop: Option<watch::Receiver<bool>>,
        build: impl Fn(u64) -> Cmd,
    ) -> std::result::Result<Value, (Error, bool)> {
        let deadline = (!block.is_zero()).then(|| Instant::now() + block);
        let mut lease = match self.lease(deadline, node).await {
            Ok(lease) => lease,
            Err(LeaseError::Connect(err)) => return Err((ctx.map(err), false)),
            Err(LeaseError::Exhausted { max }) => {
                let err = Error::Timeout {
                    operation: format!(
                        "{} (waiting for a free blocking connection: all {max} allowed by \
                         max_blocking_connections are in use)",
                        ctx.operation()
                    ),
                    elapsed: block,
                    may_have_executed: false,
                };
                return Err((err, false));
            }
        };
        let mut chunk_number = 0u64;
        loop {
            if stop.as_ref().is_some_and(|stop| *stop.borrow()) {
                return Ok(Value::Nil);
            }
            let chunk = match deadline {
                None => self.block_chunk,
                Some(deadline) => {
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    if remaining.is_zero() && chunk_number > 0 {
                        return Ok(Value::Nil);
                    }
                    remaining.min(self.block_chunk)
                }
            };
            let ms = args::block_ms(chunk);
            let cmd = build(ms);
            let later = chunk_number > 0;
            let timeout = Duration::from_millis(ms) + self.response_timeout;
            let client_id = lease.client_id();
            let Some(conn) = lease.start(timeout) else {
                return Err((ctx.protocol("dedicated connection missing"), later));
            };
            let (result, stopped) = match stop.as_mut() {
                None => (cmd.query_async::<Value>(conn).await, false),
                Some(stop) => {
                    self.until_stopped(cmd.query_async::<Value>(conn), stop, node, client_id)
                        .await
                }
            };
            match result {
                Ok(Value::Nil) => lease.done(),
                Ok(value) => {
                    lease.done();
                    return Ok(value);
                }
                Err(err) if err.code().is_some() => {
                    lease.done();
                    return Err((Ctx { timeout, ..ctx.clone() }.map(err), later));
                }
                Err(err) => {
                    lease.discard(!err.is_timeout());
                    return Err((Ctx { timeout, ..ctx.clone() }.map(err), later));
                }
            }
            if stopped {
                return Ok(Value::Nil);
            }
            chunk_number += 1;
        }
    }

    /// Awaits a blocking command; once `stop` turns true, releases it on the server (`CLIENT UNBLOCK`, as for
    /// a timeout: a group read then moves nothing), repeating until the reply is in, and returns the reply,
    /// which may still hold entries, with whether it was stopped.
    async fn until_stopped(
        &self,
        query: impl std::future::Future<Output = RedisResult<Value>>,
        stop: &mut watch::Receiver<bool>,
        node: &str,
        client_id: i64,
    ) -> (RedisResult<Value>, bool) {
        tokio::pin!(query);
        let finished = tokio::select! {
            result = &mut query => Some(result),
            _ = stop.wait_for(|stop| *stop) => None,
        };
        if let Some(result) = finished {
            return (result, false);
        }
        loop {
            // The command may not have reached the server yet (then nothing is blocked): try again shortly.
            self.unblock(node, client_id).await;
            tokio::select! {
                result = &mut query => return (result, true),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
    }

    /// `CLIENT UNBLOCK` of a dedicated connection, sent to its own node (client ids are per node).
    async fn unblock(&self, node: &str, client_id: i64) {
        let mut cmd = redis::cmd("CLIENT");
        cmd.arg("UNBLOCK").arg(client_id);
        if let Err(err) = self.unblocker.on_node(node, cmd).await {
            tracing::debug!(client_id, node, %err, "CLIENT UNBLOCK of a blocking read failed");
        }
    }

    /// An idle connection, or a new one, once one of the `max` permits is free. Waits for a permit until
    /// `deadline` (forever when `None`), in arrival order; fails with [`LeaseError::Exhausted`] past it.
    async fn lease(self: &Arc<Self>, deadline: Option<Instant>, node: &str) -> std::result::Result<Lease, LeaseError> {
        let acquire = Arc::clone(&self.permits).acquire_owned();
        let permit = match deadline {
            None => acquire.await,
            Some(deadline) => match tokio::time::timeout_at(deadline, acquire).await {
                Ok(permit) => permit,
                Err(_elapsed) => return Err(LeaseError::Exhausted { max: self.max }),
            },
        };
        // The semaphore is never closed.
        let Ok(permit) = permit else {
            return Err(LeaseError::Exhausted { max: self.max });
        };
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.iter().rposition(|d| d.node == node).map(|at| idle.swap_remove(at))
        };
        let dedicated = match reused {
            Some(dedicated) => dedicated,
            None => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(self.connect_timeout))
                    .set_response_timeout(Some(self.connect_timeout));
                self.open(&config, node).await.map_err(LeaseError::Connect)?
            }
        };
        Ok(Lease {
            pool: Arc::clone(self),
            dedicated: Some(dedicated),
            in_flight: false,
            _permit: permit,
        })
    }

    async fn open(&self, config: &AsyncConnectionConfig, node: &str) -> RedisResult<Dedicated> {
        let mut conn = match &self.nodes {
            Nodes::Single(client) => client.get_multiplexed_async_connection_with_config(config).await?,
            Nodes::Cluster { url, options } => {
                let (host, port) = node.rsplit_once(':').unwrap_or((node, "0"));
                let client = open_client(&url.node_url(host, port.parse().unwrap_or(0)), options)?;
                client.get_multiplexed_async_connection_with_config(config).await?
            }
        };
        let client_id: i64 = redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await?;
        Ok(Dedicated {
            conn,
            node: node.to_owned(),
            client_id,
        })
    }

    fn give_back(&self, dedicated: Dedicated) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(dedicated);
        }
    }

    /// Closes every idle connection to `node` (after one failed at the transport level).
    fn clear_idle(&self, node: &str) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let stale: Vec<Dedicated> = idle.extract_if(.., |d| d.node == node).collect();
        drop(idle);
        drop(stale);
    }
}

/// A leased dedicated connection, with its permit. Mark it [`Lease::start`] before sending and [`Lease::done`]
/// once the reply (or a server error) is in hand; it can then run the next chunk, and goes back to the idle
/// pool when dropped. A lease dropped in between is discarded and its command unblocked.
struct Lease {
    pool: Arc<Pool>,
    dedicated: Option<Dedicated>,
    in_flight: bool,
    /// Released (after the connection went back or was closed) when the lease is dropped.
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// The server-side client id of the leased connection (0 when none).
    fn client_id(&self) -> i64 {
        self.dedicated.as_ref().map_or(0, |d| d.client_id)
    }

    /// The connection, marked as running a command, with its response timeout set.
    fn start(&mut self, response_timeout: Duration) -> Option<&mut MultiplexedConnection> {
        self.in_flight = true;
        let dedicated = self.dedicated.as_mut()?;
        dedicated.conn.set_response_timeout(response_timeout);
        Some(&mut dedicated.conn)
    }

    /// The command completed: the connection can run the next command, or go back to the pool.
    fn done(&mut self) {
        self.in_flight = false;
    }

    /// The connection failed (I/O error, timeout): close it without reuse and without unblocking. After a
    /// transport failure (not a timeout) the idle connections are closed too.
    fn discard(mut self, transport_failed: bool) {
        self.in_flight = false;
        if let Some(dedicated) = self.dedicated.take()
            && transport_failed
        {
            self.pool.clear_idle(&dedicated.node);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(dedicated) = self.dedicated.take() else {
            return;
        };
        if !self.in_flight {
            self.pool.give_back(dedicated);
            return;
        }
        // Dropped mid-command: never reuse the connection, and release the blocked command on the server.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let pool = Arc::clone(&self.pool);
        let Dedicated { node, client_id, .. } = dedicated;
        runtime.spawn(async move { pool.unblock(&node, client_id).await });
    }
}

impl RedisBackend {
    /// The cursors a blocking read of `block` sends. A read that fits in one chunk keeps `$` as it is; one of
    /// several chunks gets each `$` resolved to the id of its topic's last entry (`0-0` when empty or missing):
    /// entries after it are exactly those appended from now on, so chunks after the first miss nothing.
    pub(crate) async fn cursors_for_chunks(
        &self,
        ctx: &Ctx<'_>,
        cursors: &[(Topic, ReadCursor)],
        block: Duration,
    ) -> Result<Vec<(Topic, ReadCursor)>> {
        let chunked = block.is_zero() || block > self.options().block_chunk;
        if !chunked {
            return Ok(cursors.to_vec());
        }
        let mut resolved = Vec::with_capacity(cursors.len());
        for (topic, cursor) in cursors {
            let cursor = match cursor {
                ReadCursor::After(id) => ReadCursor::After(*id),
                ReadCursor::New => {
                    let cmd = args::range("XREVRANGE", &self.stream_key(topic), "+", "-", Some(1));
                    let topic_ctx = Ctx {
                        topics: vec![topic],
                        ..ctx.clone()
                    };
                    let last = reply::entries(&topic_ctx, self.query(&topic_ctx, &cmd).await?)?;
                    ReadCursor::After(last.first().map_or(EntryId::MIN, |e| e.id))
                }
            };
            resolved.push((topic.clone(), cursor));
        }
        Ok(resolved)
    }

    /// Between chunks of a blocking group read the server holds no block: a topic deleted or a group destroyed
    /// meanwhile shows up as a plain NOGROUP on the next chunk, told apart here as Redis would have told it to
    /// a reader blocked all along (`UNBLOCKED` or the blocked-group NOGROUP).
    pub(crate) async fn between_chunks(&self, err: Error) -> Error {
        let Error::NoGroup { topic, group, .. } = err else {
            return err;
        };
        let key = keys::stream(&self.options().key_prefix, &topic);
        let exists: bool = redis::cmd("EXISTS")
            .arg(&key)
            .query_async(&mut self.connection())
            .await
            .unwrap_or(true);
        if exists {
            Error::NoGroup {
                topic,
                group,
                command: GroupCommand::Blocked,
            }
        } else {
            Error::TopicDeleted { topic }
        }
    }
}
