//! Blocked readers: a FIFO queue per topic, served directly by the operation that makes them ready.
//!
//! Redis serves blocked clients in the order they blocked, right after the command that signalled the key (an
//! append, a group destroy, a key deletion). Here the same happens under the topic's lock: the appending call
//! computes each waiter's batch (moving entries into its group's pending list, for group reads) and sends it
//! through a oneshot channel, so there is no polling and no thundering herd. A reader blocked on several topics
//! shares one [`Ticket`] between their queues; whoever takes the ticket first serves it, exactly once. A reader
//! that times out takes its own ticket, so a batch can never be produced for a reader that has stopped waiting.
//!
//! The same ticket makes the other ends of a wait atomic with a serve: the block timing out on the backend's
//! clock, and a release from outside (`CLIENT UNBLOCK`, see `unblock`). Whoever takes the ticket answers; a
//! batch already taken for the reader is always delivered, never lost.
//!
//! The reader's side is `MemoryBackend::block_on`: it registers on every topic of the read, and its
//! `Registrations` guard removes those registrations however the wait ends, a dropped read future included.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bus_core::{EntryId, Error, GroupCommand, GroupEntry, Result, Topic, TopicEntries};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::MemoryBackend;
use crate::keyspace::TopicState;
use crate::unblock::Unblocker;

/// What a served waiter receives: a batch, `None` when released as if the block had timed out, or an error.
pub(crate) type Wake = Result<Option<TopicEntries<GroupEntry>>, Error>;

/// Entries a blocked reader receives at most when it gave no COUNT (Redis's `XREAD_BLOCKED_DEFAULT_COUNT`).
pub(crate) const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// The right to answer one blocked read; shared by all the queues the reader waits in.
#[derive(Debug)]
pub(crate) struct Ticket {
    sender: Mutex<Option<oneshot::Sender<Wake>>>,
}

impl Ticket {
    pub(crate) fn new() -> (Arc<Ticket>, oneshot::Receiver<Wake>) {
        let (sender, receiver) = oneshot::channel();
        let ticket = Ticket {
            sender: Mutex::new(Some(sender)),
        };
        (Arc::new(ticket), receiver)
    }

    /// Takes the right to answer; `None` if already answered or the reader gave up.
    pub(crate) fn take(&self) -> Option<oneshot::Sender<Wake>> {
        let mut sender = self.sender.lock();
        match sender.as_ref() {
            Some(open) if !open.is_closed() => sender.take(),
            _ => None,
        }
    }

    /// Whether the ticket can still be answered.
    pub(crate) fn is_open(&self) -> bool {
        self.sender.lock().as_ref().is_some_and(|s| !s.is_closed())
    }
}

/// What a waiter waits for.
#[derive(Clone, Debug)]
pub(crate) enum WaitFor {
    /// XREAD: entries after this id.
    Entries { after: EntryId },
    /// XREADGROUP `>`: entries new to the group.
    Group {
        group: String,
        consumer: String,
        no_ack: bool,
    },
}

/// One blocked reader's registration on one topic.
#[derive(Debug)]
pub(crate) struct Waiter {
    pub(crate) ticket: Arc<Ticket>,
    pub(crate) wait_for: WaitFor,
    pub(crate) count: usize,
}

/// Serves the waiters of a topic that can be served now, in FIFO order; the others stay queued.
/// Called after every append (Redis's `serveClientsBlockedOnStreamKey`) and after a group is destroyed.
pub(crate) fn serve_waiters(topic: &Topic, state: &mut TopicState, now: u64) {
    let waiters = std::mem::take(&mut state.waiters);
    for waiter in waiters {
        if !waiter.ticket.is_open() {
            continue;
        }
        if !is_ready(state, &waiter) {
            state.waiters.push_back(waiter);
            continue;
        }
        // The ticket is taken before the batch is made, so a group's pending list only ever moves for a reader
        // that will receive the batch (a reader whose future is dropped after this still finds the entries
        // pending for its consumer, as in Redis).
        let Some(sender) = waiter.ticket.take() else {
            continue;
        };
        let _ = sender.send(batch(topic, state, &waiter, now));
    }
}

/// Whether a waiter can be answered now: entries after its cursor, new entries for its group, or its group gone.
fn is_ready(state: &TopicState, waiter: &Waiter) -> bool {
    let Some(data) = state.stream() else {
        return false;
    };
    match &waiter.wait_for {
        WaitFor::Entries { after } => after
            .next()
            .is_some_and(|start| !data.stream.range(start, EntryId::MAX, 1).is_empty()),
        WaitFor::Group { group, .. } => data.groups.get(group).is_none_or(|group| group.has_new(&data.stream)),
    }
}

/// The answer for a waiter that [`is_ready`]; group deliveries are applied to the pending list here.
fn batch(topic: &Topic, state: &mut TopicState, waiter: &Waiter, now: u64) -> Wake {
    let Some(data) = state.stream_mut() else {
        return Ok(None);
    };
    let entries = match &waiter.wait_for {
        WaitFor::Entries { after } => {
            let start = after.next().unwrap_or(EntryId::MAX);
            let entries = data.stream.range(start, EntryId::MAX, waiter.count);
            entries.into_iter().map(GroupEntry::Present).collect()
        }
        WaitFor::Group {
            group,
            consumer,
            no_ack,
        } => {
            let Some(state_group) = data.groups.get_mut(group) else {
                return Err(Error::NoGroup {
                    topic: topic.to_string(),
                    group: group.clone(),
                    command: GroupCommand::Blocked,
                });
            };
            state_group.deliver_new(&data.stream, consumer, waiter.count, *no_ack, now)
        }
    };
    Ok(Some(TopicEntries {
        topic: topic.clone(),
        entries,
    }))
}

/// Answers every group waiter of a deleted topic with Redis's `UNBLOCKED` error; plain readers keep waiting
/// (the topic may be created again).
pub(crate) fn fail_group_waiters(topic: &Topic, state: &mut TopicState) {
    state.waiters.retain(|waiter| {
        if !matches!(waiter.wait_for, WaitFor::Group { .. }) {
            return true;
        }
        if let Some(sender) = waiter.ticket.take() {
            let _ = sender.send(Err(Error::TopicDeleted {
                topic: topic.to_string(),
            }));
        }
        false
    });
}

/// Removes a reader's registration (after it was served, timed out or dropped).
pub(crate) fn deregister(state: &mut TopicState, ticket: &Arc<Ticket>) {
    state.waiters.retain(|waiter| !Arc::ptr_eq(&waiter.ticket, ticket));
}

impl MemoryBackend {
    /// Blocks until one of the topics serves the waiter, the block times out on the backend's clock, the
    /// `unblocker` releases it, or an error (group destroyed, topic deleted) ends it. Registration on each
    /// topic happens under that topic's lock, after checking that nothing can be served there already, so no
    /// append is ever missed between the check and the wait.
    pub(crate) async fn block_on(
        &self,
        registrations: Vec<(Topic, WaitFor)>,
        count: usize,
        block: Duration,
        unblocker: Option<&Unblocker>,
    ) -> Result<Option<TopicEntries<GroupEntry>>> {
        let (ticket, mut receiver) = Ticket::new();
        let mut guard = Registrations {
            backend: self,
            ticket: ticket.clone(),
            topics: registrations.iter().map(|(topic, _)| topic.clone()).collect(),
            unblocker,
            counted: false,
        };
        let now = self.now();
        let deadline = now.saturating_add(u64::try_from(block.as_millis()).unwrap_or(u64::MAX));
        for (topic, wait_for) in registrations {
            self.keyspace().with_or_create(&topic, |state| {
                state.waiters.push_back(Waiter {
                    ticket: ticket.clone(),
                    wait_for,
                    count,
                });
                // Whatever arrived since the non-blocking pass is served now, by the same FIFO rules.
                serve_waiters(&topic, state, now);
            })?;
        }
        // From here on the reader counts as blocked, and can be released from outside.
        self.keyspace().blocked.fetch_add(1, Ordering::AcqRel);
        guard.counted = true;
        if let Some(unblocker) = unblocker {
            unblocker.arm(&ticket);
        }
        let clock = &self.keyspace().clock;
        let wake = if block.is_zero() {
            (&mut receiver).await.ok()
        } else {
            let served = tokio::select! {
                result = &mut receiver => Some(result.ok()),
                () = clock.sleep_until(deadline) => None,
            };
            match served {
                Some(wake) => wake,
                // Taking the ticket guarantees nobody serves us later; if it was already taken, the batch is in
                // the channel (or about to be) and must be returned, not dropped.
                None if ticket.take().is_some() => Some(Ok(None)),
                None => receiver.await.ok(),
            }
        };
        drop(guard);
        wake.unwrap_or(Ok(None))
    }
}

/// Removes a blocked reader's registrations when it returns or its future is dropped.
struct Registrations<'a> {
    backend: &'a MemoryBackend,
    ticket: Arc<Ticket>,
    topics: Vec<Topic>,
    unblocker: Option<&'a Unblocker>,
    counted: bool,
}

impl Drop for Registrations<'_> {
    fn drop(&mut self) {
        // Close the ticket first so no topic serves this reader while we walk the others.
        drop(self.ticket.take());
        if let Some(unblocker) = self.unblocker {
            unblocker.disarm(&self.ticket);
        }
        if self.counted {
            self.backend.keyspace().blocked.fetch_sub(1, Ordering::AcqRel);
        }
        let keyspace = self.backend.keyspace();
        for topic in &self.topics {
            keyspace.with_slot(topic, |state| deregister(state, &self.ticket));
            keyspace.remove_if_vacant(topic);
        }
    }
}
