//! The memory side: bus-memory's arms (a fresh `MemoryBackend` per round, dropped outside the timed region) and
//! their `tokio::sync::mpsc` baselines, which send the same `(Uuid, String)` work through unbounded channels.

use std::sync::Arc;
use std::time::Instant;

use bus::{MemoryBackend, Topic, Uuid};
use tokio::sync::mpsc;

use crate::bus_arms;
use crate::cases::Op;
use crate::measure::{Measured, Wakee, each, wakeups};
use crate::work::{BATCH, Fallible, closed, uuid_and_json};

/// bus-memory doing `op` `n` times (messages, or wakeup samples) on `topic` of a fresh backend.
pub(crate) async fn bus(op: Op, topic: &Topic, n: u64) -> Fallible<Measured> {
    let backend = Arc::new(MemoryBackend::new());
    match op {
        Op::Publish => bus_arms::publish(backend.as_ref(), topic, n).await,
        Op::PublishBatch => bus_arms::publish_batch(backend.as_ref(), topic, n).await,
        Op::GroupCycle => {
            bus_arms::fill(backend.as_ref(), topic, n).await?;
            bus_arms::group_cycle(backend.as_ref(), topic, n).await
        }
        Op::Wakeup => bus_arms::wakeup(backend, topic, n).await,
    }
}

/// The mpsc baseline of `op`, `n` times.
pub(crate) async fn mpsc(op: Op, n: u64) -> Fallible<Measured> {
    match op {
        Op::Publish => publish(n).await,
        Op::PublishBatch => publish_batch(n).await,
        Op::GroupCycle => group_cycle(n).await,
        Op::Wakeup => wakeup(n).await,
    }
}

/// `n` unbounded sends of one message each.
async fn publish(n: u64) -> Fallible<Measured> {
    let (tx, rx) = mpsc::unbounded_channel::<(Uuid, String)>();
    let measured = each(n, 1, async || tx.send(uuid_and_json()?).map_err(closed)).await;
    drop((tx, rx));
    measured
}

/// `n` messages sent as one `Vec` of [`BATCH`] per send: the in-process analogue of one round trip.
async fn publish_batch(n: u64) -> Fallible<Measured> {
    let (tx, rx) = mpsc::unbounded_channel::<Vec<(Uuid, String)>>();
    let measured = each(n / BATCH, BATCH, async || {
        let batch = (0..BATCH).map(|_| uuid_and_json()).collect::<Fallible<Vec<_>>>()?;
        tx.send(batch).map_err(closed)
    })
    .await;
    drop((tx, rx));
    measured
}

/// `n` messages received by [`BATCH`] `recv`s per cycle, from a channel filled beforehand (untimed).
async fn group_cycle(n: u64) -> Fallible<Measured> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Uuid, String)>();
    for _ in 0..n / BATCH * BATCH {
        tx.send(uuid_and_json()?).map_err(closed)?;
    }
    let mut received: Vec<Uuid> = Vec::with_capacity(BATCH as usize);
    let measured = each(n / BATCH, BATCH, async || {
        received.clear();
        for _ in 0..BATCH {
            let (uuid, _json) = rx.recv().await.ok_or_else(|| closed(()))?;
            received.push(uuid);
        }
        std::hint::black_box(&received);
        Ok(())
    })
    .await;
    drop((tx, rx));
    measured
}

/// `samples` wakeups of a consumer blocked in `recv` by a `send`.
async fn wakeup(samples: u64) -> Fallible<Measured> {
    let (tx, rx) = mpsc::unbounded_channel::<(Uuid, String)>();
    wakeups(samples, Receiver(rx), async || {
        let item = uuid_and_json()?;
        let t0 = Instant::now();
        tx.send(item).map_err(closed)?;
        Ok(t0)
    })
    .await
}

/// A consumer blocked in `recv`.
struct Receiver(mpsc::UnboundedReceiver<(Uuid, String)>);

impl Wakee for Receiver {
    async fn receive(&mut self) -> Fallible<Instant> {
        let item = self.0.recv().await.ok_or_else(|| closed(()))?;
        let at = Instant::now();
        std::hint::black_box(item);
        Ok(at)
    }
}
