//! Dedicated connections for blocking reads.
//!
//! A blocking XREAD/XREADGROUP holds its connection on the server until it returns, so it must not run on the
//! shared multiplexed connection (it would stall every other command queued behind it, and the shared
//! connection's response timeout is shorter than the block). Each blocking read therefore leases a connection
//! of its own, whose response timeout is set per chunk to exceed that chunk's `BLOCK`.
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

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, RedisResult};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// One dedicated connection and its server-side client id (for `CLIENT UNBLOCK`).
pub(crate) struct Dedicated {
    pub(crate) conn: MultiplexedConnection,
    client_id: i64,
}

/// The dedicated connections: the idle ones, and the permits of all of them.
pub(crate) struct Pool {
    client: Client,
    connection_timeout: Duration,
    idle: Mutex<Vec<Dedicated>>,
    max_idle: usize,
    permits: Arc<Semaphore>,
    max: usize,
}

/// Why no connection could be leased.
pub(crate) enum LeaseError {
    /// Every one of the `max` connections stayed leased until the deadline.
    Exhausted {
        /// `max_blocking_connections`.
        max: usize,
    },
    /// Opening a new connection failed.
    Connect(redis::RedisError),
}

impl Pool {
    pub(crate) fn new(client: Client, connection_timeout: Duration, max_idle: usize, max: usize) -> Pool {
        Pool {
            client,
            connection_timeout,
            idle: Mutex::new(Vec::new()),
            max_idle,
            permits: Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS))),
            max,
        }
    }

    /// An idle connection, or a new one, once one of the `max` permits is free. Waits for a permit until
    /// `deadline` (forever when `None`), in arrival order; fails with [`LeaseError::Exhausted`] past it.
    pub(crate) async fn lease(
        self: &Arc<Self>,
        unblocker: &ConnectionManager,
        deadline: Option<Instant>,
    ) -> Result<Lease, LeaseError> {
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
        let reused = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let dedicated = match reused {
            Some(dedicated) => dedicated,
            None => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(self.connection_timeout))
                    .set_response_timeout(Some(self.connection_timeout));
                self.open(&config).await.map_err(LeaseError::Connect)?
            }
        };
        Ok(Lease {
            pool: Arc::clone(self),
            unblocker: unblocker.clone(),
            dedicated: Some(dedicated),
            in_flight: false,
            _permit: permit,
        })
    }

    async fn open(&self, config: &AsyncConnectionConfig) -> RedisResult<Dedicated> {
        let mut conn = self.client.get_multiplexed_async_connection_with_config(config).await?;
        let client_id: i64 = redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await?;
        Ok(Dedicated { conn, client_id })
    }

    fn give_back(&self, dedicated: Dedicated) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(dedicated);
        }
    }

    /// Closes every idle connection (after one failed at the transport level).
    fn clear_idle(&self) {
        let stale = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        drop(stale);
    }
}

/// A leased dedicated connection, with its permit. Mark it [`Lease::start`] before sending and [`Lease::done`]
/// once the reply (or a server error) is in hand; it can then run the next chunk, and goes back to the idle
/// pool when dropped. A lease dropped in between is discarded and its command unblocked.
pub(crate) struct Lease {
    pool: Arc<Pool>,
    unblocker: ConnectionManager,
    dedicated: Option<Dedicated>,
    in_flight: bool,
    /// Released (after the connection went back or was closed) when the lease is dropped.
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// The connection, marked as running a command, with its response timeout set.
    pub(crate) fn start(&mut self, response_timeout: Duration) -> Option<&mut MultiplexedConnection> {
        self.in_flight = true;
        let dedicated = self.dedicated.as_mut()?;
        dedicated.conn.set_response_timeout(response_timeout);
        Some(&mut dedicated.conn)
    }

    /// The command completed: the connection can run the next command, or go back to the pool.
    pub(crate) fn done(&mut self) {
        self.in_flight = false;
    }

    /// The connection failed (I/O error, timeout): close it without reuse and without unblocking. After a
    /// transport failure (not a timeout) the idle connections are closed too.
    pub(crate) fn discard(mut self, transport_failed: bool) {
        self.in_flight = false;
        self.dedicated = None;
        if transport_failed {
            self.pool.clear_idle();
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
        let mut unblocker = self.unblocker.clone();
        let client_id = dedicated.client_id;
        drop(dedicated);
        runtime.spawn(async move {
            let result: RedisResult<i64> = redis::cmd("CLIENT")
                .arg("UNBLOCK")
                .arg(client_id)
                .query_async(&mut unblocker)
                .await;
            if let Err(err) = result {
                tracing::debug!(client_id, %err, "CLIENT UNBLOCK of an abandoned blocking read failed");
            }
        });
    }
}
