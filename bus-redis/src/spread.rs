//! Reads over several topics whose keys sit in different cluster slots.
//!
//! Redis Cluster refuses a command whose keys span slots (`CROSSSLOT`), even on one node, so a read over
//! several topics is split by slot, one read per group of cursors, and the answers are merged back into the
//! order the cursors were given (what one server answers). On one server, and when every topic shares a
//! slot, there is one group and the read is sent as it is.
//!
//! - **Non-blocking**: the groups are read one after the other; the first error (in the order of the groups,
//!   which is that of their first cursor) is returned.
//! - **Blocking**: every group blocks at once, each on a dedicated connection to its own master. When the
//!   first one is answered, the others are released (`CLIENT UNBLOCK`, as for a timeout, so a group read
//!   that was still waiting moves nothing into a pending list) and awaited; whatever they had already
//!   received is merged in, so no entry a group read delivered is lost. Only when every group timed out is
//!   the read [`ReadReply::TimedOut`].

use std::future::Future;

use bus_core::{ReadReply, Result, Topic, TopicEntries};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;

use crate::RedisBackend;

/// The cursors grouped by slot, groups in the order of their first cursor.
pub(crate) fn by_slot<C: Clone>(backend: &RedisBackend, cursors: &[(Topic, C)]) -> Vec<Vec<(Topic, C)>> {
    let mut groups: Vec<(u16, Vec<(Topic, C)>)> = Vec::new();
    for cursor in cursors {
        let slot = if backend.is_cluster() {
            backend.slot_of(&cursor.0)
        } else {
            0
        };
        match groups.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, group)) => group.push(cursor.clone()),
            None => groups.push((slot, vec![cursor.clone()])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// Runs `read` once per slot group of `cursors` (with a stop signal when `blocking`) and merges the replies.
pub(crate) async fn read_across_slots<C, E, F, Fut>(
    backend: &RedisBackend,
    cursors: &[(Topic, C)],
    blocking: bool,
    read: F,
) -> Result<ReadReply<E>>
where
    C: Clone,
    F: Fn(Vec<(Topic, C)>, Option<watch::Receiver<bool>>) -> Fut,
    Fut: Future<Output = Result<ReadReply<E>>>,
{
    let mut groups = by_slot(backend, cursors);
    if groups.len() == 1 {
        let group = groups.pop().unwrap_or_default();
        return read(group, None).await;
    }
    let order: Vec<&Topic> = cursors.iter().map(|(topic, _)| topic).collect();
    let mut replies = Vec::with_capacity(groups.len());
    if blocking {
        let (stop, stopped) = watch::channel(false);
        let mut running: FuturesUnordered<_> = groups
            .into_iter()
            .enumerate()
            .map(|(at, group)| {
                let reply = read(group, Some(stopped.clone()));
                async move { (at, reply.await) }
            })
            .collect();
        while let Some(done) = running.next().await {
            if !matches!(done.1, Ok(ReadReply::TimedOut)) {
                let _ = stop.send(true);
            }
            replies.push(done);
        }
        replies.sort_by_key(|(at, _)| *at);
    } else {
        for (at, group) in groups.into_iter().enumerate() {
            replies.push((at, read(group, None).await));
        }
    }
    merge(&order, replies.into_iter().map(|(_, reply)| reply))
}

/// One reply from the groups' replies: the first error, or every topic's entries in the cursors' order
/// (`TimedOut` only when every group timed out).
fn merge<E>(order: &[&Topic], replies: impl Iterator<Item = Result<ReadReply<E>>>) -> Result<ReadReply<E>> {
    let mut topics: Vec<TopicEntries<E>> = Vec::new();
    let mut served = false;
    for reply in replies {
        if let ReadReply::Topics(found) = reply? {
            served = true;
            topics.extend(found);
        }
    }
    if !served {
        return Ok(ReadReply::TimedOut);
    }
    let position = |topic: &Topic| order.iter().position(|t| *t == topic).unwrap_or(usize::MAX);
    topics.sort_by_key(|entries| position(&entries.topic));
    Ok(ReadReply::Topics(topics))
}
