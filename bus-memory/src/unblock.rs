//! Releasing a blocked read from outside, as `CLIENT UNBLOCK` does.
//!
//! A server gives each client one [`Unblocker`] and passes it to every blocking read of that client; `CLIENT
//! UNBLOCK <id> TIMEOUT|ERROR` calls [`Unblocker::unblock`]. The release takes the blocked read's ticket (see
//! `blocking`), the same right an append takes to serve it: if an append took it first, the read returns that
//! batch and the release reports that nothing was blocked, so an entry is never handed to a reader that then
//! drops it.

use std::sync::Arc;

use bus_core::{
    Entry, Error, GroupCursor, GroupEntry, ReadCursor, ReadGroupOptions, ReadOptions, ReadReply, Result, Topic,
};
use parking_lot::Mutex;

use crate::MemoryBackend;
use crate::blocking::Ticket;

/// How [`Unblocker::unblock`] ends the blocked read (the two modes of `CLIENT UNBLOCK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnblockMode {
    /// The read returns as if its block had timed out ([`ReadReply::TimedOut`]).
    Timeout,
    /// The read fails with [`Error::Unblocked`] (`UNBLOCKED client unblocked via CLIENT UNBLOCK`).
    Error,
}

/// A handle that can release the blocking read it is passed to, from another task.
///
/// Clones share the handle. One handle serves one read at a time (one client blocks on one command at a time).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> bus_core::Result<()> {
/// use std::time::Duration;
/// use bus_core::{ReadCursor, ReadOptions, Topic};
/// use bus_memory::{MemoryBackend, UnblockMode, Unblocker};
///
/// let backend = MemoryBackend::new();
/// let unblocker = Unblocker::new();
/// let read = tokio::spawn({
///     let (backend, unblocker) = (backend.clone(), unblocker.clone());
///     async move {
///         let cursors = [(Topic::new("s")?, ReadCursor::New)];
///         backend.read_with_unblocker(&cursors, &ReadOptions::new().block(Duration::ZERO), &unblocker).await
///     }
/// });
/// while !unblocker.is_blocked() {
///     tokio::task::yield_now().await;
/// }
/// assert!(unblocker.unblock(UnblockMode::Timeout));
/// assert!(read.await.unwrap()?.is_timed_out());
/// assert!(!unblocker.unblock(UnblockMode::Timeout), "nothing is blocked any more");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Unblocker {
    current: Arc<Mutex<Option<Arc<Ticket>>>>,
}

impl Unblocker {
    /// A handle with no read blocked on it.
    pub fn new() -> Unblocker {
        Unblocker::default()
    }

    /// Whether a read passed this handle is blocked now (registered and not yet answered).
    pub fn is_blocked(&self) -> bool {
        self.current.lock().as_ref().is_some_and(|ticket| ticket.is_open())
    }

    /// Releases the blocked read, if there is one that nothing has answered yet; returns whether it did (what
    /// `CLIENT UNBLOCK` replies: 1 or 0). A read that an append served at the same instant returns its batch,
    /// and this returns false.
    pub fn unblock(&self, mode: UnblockMode) -> bool {
        let current = self.current.lock();
        let Some(sender) = current.as_ref().and_then(|ticket| ticket.take()) else {
            return false;
        };
        let wake = match mode {
            UnblockMode::Timeout => Ok(None),
            UnblockMode::Error => Err(Error::Unblocked),
        };
        // The reader may have been dropped meanwhile: then there is nobody left to tell.
        let _ = sender.send(wake);
        true
    }

    /// Called by a read once it is blocked.
    pub(crate) fn arm(&self, ticket: &Arc<Ticket>) {
        *self.current.lock() = Some(Arc::clone(ticket));
    }

    /// Called by a read when it returns or is dropped.
    pub(crate) fn disarm(&self, ticket: &Arc<Ticket>) {
        let mut current = self.current.lock();
        if current.as_ref().is_some_and(|armed| Arc::ptr_eq(armed, ticket)) {
            *current = None;
        }
    }
}

impl MemoryBackend {
    /// [`Backend::read`](bus_core::Backend::read) (XREAD) whose block `unblocker` can release from another task
    /// (`CLIENT UNBLOCK`): with [`UnblockMode::Timeout`] it returns [`ReadReply::TimedOut`], with
    /// [`UnblockMode::Error`] it fails with [`Error::Unblocked`]. See [`Unblocker`] for an example.
    pub async fn read_with_unblocker(
        &self,
        cursors: &[(Topic, ReadCursor)],
        options: &ReadOptions,
        unblocker: &Unblocker,
    ) -> Result<ReadReply<Entry>> {
        self.xread(cursors, options, Some(unblocker)).await
    }

    /// [`Backend::read_group`](bus_core::Backend::read_group) (XREADGROUP) whose block `unblocker` can release
    /// from another task, as [`read_with_unblocker`](Self::read_with_unblocker) does.
    pub async fn read_group_with_unblocker(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
        unblocker: &Unblocker,
    ) -> Result<ReadReply<GroupEntry>> {
        self.xreadgroup(group, consumer, cursors, options, Some(unblocker))
            .await
    }
}
