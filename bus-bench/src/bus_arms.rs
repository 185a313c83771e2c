//! The bus arms, through the `Backend` trait, so bus-memory and bus-redis run the very same code.

use std::sync::Arc;
use std::time::Instant;

use bus::{
    AppendOptions, Backend, EntryId, GroupCreateOptions, GroupCursor, GroupStart, ReadGroupOptions, ReadReply, Topic,
};

use crate::measure::{Measured, Wakee, each, wakeups};
use crate::work::{BATCH, BLOCK, CONSUMER, Fallible, GROUP, bus_err, message, messages};

/// `n` publishes of one message each.
pub(crate) async fn publish(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<Measured> {
    let options = AppendOptions::new();
    each(n, 1, async || {
        let message = message()?;
        backend.publish(topic, &message, &options).await.map_err(bus_err)?;
        Ok(())
    })
    .await
}

/// `n` messages in `publish_batch` calls of [`BATCH`].
pub(crate) async fn publish_batch(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<Measured> {
    let options = AppendOptions::new();
    each(n / BATCH, BATCH, async || {
        let messages = messages()?;
        backend
            .publish_batch(topic, &messages, &options)
            .await
            .map_err(bus_err)?;
        Ok(())
    })
    .await
}

/// `n` entries read in cycles of `read_group` `>` COUNT 100 + `ack`, on a topic filled beforehand (untimed).
pub(crate) async fn group_cycle(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<Measured> {
    let cursors = [(topic.clone(), GroupCursor::New)];
    let options = ReadGroupOptions::new().count(BATCH);
    let mut ids: Vec<EntryId> = Vec::with_capacity(BATCH as usize);
    each(n / BATCH, BATCH, async || {
        let reply = backend
            .read_group(GROUP, CONSUMER, &cursors, &options)
            .await
            .map_err(bus_err)?;
        ids.clear();
        ids.extend(reply.into_entries().map(|e| e.id()));
        let acked = backend.ack(topic, GROUP, &ids).await.map_err(bus_err)?;
        if acked != BATCH {
            return Err(format!("group cycle acked {acked} entries, expected {BATCH}"));
        }
        Ok(())
    })
    .await
}

/// Creates the group at the start of `topic` and appends `n` messages by batches: the untimed setup of
/// [`group_cycle`] on a backend the raw client cannot fill.
pub(crate) async fn fill(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<()> {
    backend
        .group_create(
            topic,
            GROUP,
            GroupStart::Id(EntryId::MIN),
            &GroupCreateOptions::new().mkstream(),
        )
        .await
        .map_err(bus_err)?;
    let options = AppendOptions::new();
    for _ in 0..n / BATCH {
        backend
            .publish_batch(topic, &messages()?, &options)
            .await
            .map_err(bus_err)?;
    }
    Ok(())
}

/// `samples` wakeups of a consumer blocked in `read_group` BLOCK by a `publish` (see [`wakeups`]).
pub(crate) async fn wakeup(backend: Arc<dyn Backend>, topic: &Topic, samples: u64) -> Fallible<Measured> {
    backend
        .group_create(topic, GROUP, GroupStart::Last, &GroupCreateOptions::new().mkstream())
        .await
        .map_err(bus_err)?;
    let consumer = Blocked {
        backend: Arc::clone(&backend),
        topic: topic.clone(),
        cursors: [(topic.clone(), GroupCursor::New)],
        options: ReadGroupOptions::new().count(1).block(BLOCK),
    };
    let options = AppendOptions::new();
    wakeups(samples, consumer, async || {
        let message = message()?;
        let t0 = Instant::now();
        backend.publish(topic, &message, &options).await.map_err(bus_err)?;
        Ok(t0)
    })
    .await
}

/// A consumer blocked in `read_group` BLOCK, acknowledging what it gets.
struct Blocked {
    backend: Arc<dyn Backend>,
    topic: Topic,
    cursors: [(Topic, GroupCursor); 1],
    options: ReadGroupOptions,
}

impl Wakee for Blocked {
    async fn receive(&mut self) -> Fallible<Instant> {
        let reply = self
            .backend
            .read_group(GROUP, CONSUMER, &self.cursors, &self.options)
            .await
            .map_err(bus_err)?;
        if let ReadReply::TimedOut = reply {
            return Err(format!("the blocked read timed out after {BLOCK:?}"));
        }
        let at = Instant::now();
        let ids: Vec<EntryId> = reply.into_entries().map(|e| e.id()).collect();
        if ids.is_empty() {
            return Err("the blocked read returned no entry".to_owned());
        }
        self.backend.ack(&self.topic, GROUP, &ids).await.map_err(bus_err)?;
        Ok(at)
    }
}
