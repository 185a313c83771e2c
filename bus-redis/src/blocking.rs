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

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, RedisResult};

/// One dedicated connection and its server-side client id (for `CLIENT UNBLOCK`).
pub(crate) struct Dedicated {
    pub(crate) conn: MultiplexedConnection,
    client_id: i64,
}

/// The idle dedicated connections.
pub(crate) struct Pool {
    client: Client,
    connection_timeout: Duration,
    idle: Mutex<Vec<Dedicated>>,
    max_idle: usize,
}

impl Pool {
    pub(crate) fn new(client: Client, connection_timeout: Duration, max_idle: usize) -> Pool {
        Pool {
            client,
            connection_timeout,
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    /// An idle connection, or a new one.
    pub(crate) async fn lease(self: &Arc<Self>, unblocker: &ConnectionManager) -> RedisResult<Lease> {
        let reused = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let dedicated = match reused {
            Some(dedicated) => dedicated,
            None => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(self.connection_timeout))
                    .set_response_timeout(Some(self.connection_timeout));
                let mut conn = self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                let client_id: i64 = redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await?;
                Dedicated { conn, client_id }
            }
        };
        Ok(Lease {
            pool: Arc::clone(self),
            unblocker: unblocker.clone(),
            dedicated: Some(dedicated),
            in_flight: false,
        })
    }

    fn give_back(&self, dedicated: Dedicated) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(dedicated);
        }
    }
}

/// A leased dedicated connection. Mark it [`Lease::start`] before sending and [`Lease::finish`] once the reply
/// (or a server error) is in hand; a lease dropped in between is discarded and its command unblocked.
pub(crate) struct Lease {
    pool: Arc<Pool>,
    unblocker: ConnectionManager,
    dedicated: Option<Dedicated>,
    in_flight: bool,
}

impl Lease {
    /// The connection, marked as running a command, with its response timeout set.
    pub(crate) fn start(&mut self, response_timeout: Duration) -> Option<&mut MultiplexedConnection> {
        self.in_flight = true;
        let dedicated = self.dedicated.as_mut()?;
        dedicated.conn.set_response_timeout(response_timeout);
        Some(&mut dedicated.conn)
    }

    /// The command completed: the connection can be reused.
    pub(crate) fn finish(mut self) {
        self.in_flight = false;
        if let Some(dedicated) = self.dedicated.take() {
            self.pool.give_back(dedicated);
        }
    }

    /// The connection failed (I/O error, timeout): close it without reuse and without unblocking.
    pub(crate) fn discard(mut self) {
        self.in_flight = false;
        self.dedicated = None;
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
