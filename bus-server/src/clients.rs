//! The registry of connected clients: what `CLIENT LIST`, `CLIENT INFO`, `CLIENT UNBLOCK`, `INFO clients` and
//! `maxclients` need to know about every connection.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::resp::Protocol;

/// How `CLIENT UNBLOCK` releases a blocked client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unblock {
    /// As if its timeout had expired.
    Timeout,
    /// With `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
}

/// What other connections may read about a client (it updates this as it goes).
#[derive(Clone, Debug)]
pub(crate) struct ClientMeta {
    pub(crate) name: String,
    pub(crate) db: usize,
    pub(crate) protocol: Protocol,
    pub(crate) user: String,
    /// The last command's full name (`client|info`).
    pub(crate) last_command: String,
    pub(crate) last_interaction: Instant,
    /// Commands queued in MULTI, or -1 outside one.
    pub(crate) multi: i64,
}

/// One connected client.
#[derive(Debug)]
pub(crate) struct ClientHandle {
    pub(crate) id: u64,
    /// The peer (`ip:port`, or `path:0` on a unix socket, as Redis shows it).
    pub(crate) addr: String,
    /// The local end.
    pub(crate) laddr: String,
    pub(crate) fd: i64,
    pub(crate) unix: bool,
    pub(crate) created: Instant,
    meta: Mutex<ClientMeta>,
    /// Set while the client waits in a blocking command.
    blocked: Mutex<Option<oneshot::Sender<Unblock>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ClientHandle {
    /// A copy of what the client last published about itself.
    pub(crate) fn meta(&self) -> ClientMeta {
        lock(&self.meta).clone()
    }

    /// Updates what the client publishes about itself.
    pub(crate) fn update(&self, change: impl FnOnce(&mut ClientMeta)) {
        change(&mut lock(&self.meta));
    }

    /// Marks the client blocked; the receiver learns of a `CLIENT UNBLOCK`.
    pub(crate) fn block(&self) -> oneshot::Receiver<Unblock> {
        let (sender, receiver) = oneshot::channel();
        *lock(&self.blocked) = Some(sender);
        receiver
    }

    /// Marks the client no longer blocked.
    pub(crate) fn unblocked(&self) {
        lock(&self.blocked).take();
    }

    /// Whether the client waits in a blocking command.
    pub(crate) fn is_blocked(&self) -> bool {
        lock(&self.blocked).as_ref().is_some_and(|sender| !sender.is_closed())
    }

    /// Releases the client if it is blocked: true if it was.
    pub(crate) fn unblock(&self, how: Unblock) -> bool {
        lock(&self.blocked)
            .take()
            .is_some_and(|sender| sender.send(how).is_ok())
    }
}

/// Where a new connection comes from.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) addr: String,
    pub(crate) laddr: String,
    pub(crate) fd: i64,
    pub(crate) unix: bool,
}

/// All connected clients.
#[derive(Debug)]
pub(crate) struct Clients {
    map: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    next_id: AtomicU64,
}

impl Clients {
    pub(crate) fn new() -> Clients {
        Clients {
            map: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Registers a new connection, or `None` when `max_clients` are connected (the connection then gets no id,
    /// as in Redis).
    pub(crate) fn register(&self, peer: Peer, max_clients: usize) -> Option<Arc<ClientHandle>> {
        let mut map = lock(&self.map);
        if map.len() >= max_clients {
            return None;
        }
        let now = Instant::now();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let handle = Arc::new(ClientHandle {
            id,
            addr: peer.addr,
            laddr: peer.laddr,
            fd: peer.fd,
            unix: peer.unix,
            created: now,
            meta: Mutex::new(ClientMeta {
                name: String::new(),
                db: 0,
                protocol: Protocol::Resp2,
                user: "default".to_owned(),
                last_command: "NULL".to_owned(),
                last_interaction: now,
                multi: -1,
            }),
            blocked: Mutex::new(None),
        });
        map.insert(id, Arc::clone(&handle));
        Some(handle)
    }

    /// Forgets a closed connection.
    pub(crate) fn remove(&self, id: u64) {
        lock(&self.map).remove(&id);
    }

    /// The client of this id.
    pub(crate) fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        lock(&self.map).get(&id).cloned()
    }

    /// Every client, by id.
    pub(crate) fn all(&self) -> Vec<Arc<ClientHandle>> {
        lock(&self.map).values().cloned().collect()
    }

    /// How many are connected.
    pub(crate) fn count(&self) -> usize {
        lock(&self.map).len()
    }

    /// How many wait in a blocking command (`blocked_clients`).
    pub(crate) fn blocked_count(&self) -> usize {
        lock(&self.map).values().filter(|client| client.is_blocked()).count()
    }

    /// Releases every blocked client (at shutdown).
    pub(crate) fn unblock_all(&self) {
        for client in self.all() {
            client.unblock(Unblock::Error);
        }
    }
}
