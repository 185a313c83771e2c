//! Throughput of `MemoryBackend` against plain in-process baselines doing the same per-message work.
//!
//! Run with `cargo bench -p bus-memory`. Every group pairs the backend with a baseline measured in the same run:
//! - `append`: `publish` (idempotent, indexed) and `append` vs an unbounded `tokio::sync::mpsc` send, each arm
//!   generating a fresh UUID and serializing the same 64-byte JSON payload per message;
//! - `cycle`: per batch of 100 messages, publish ×100 → XREADGROUP `>` COUNT 100 → XACK of the 100 ids, vs mpsc
//!   send ×100 → receive ×100 of the same UUID + JSON;
//! - `lookup_1k` / `lookup_1m`: `lookup` of random present UUIDs vs a plain `HashMap<Uuid, EntryId>` holding the
//!   same entries, probing the same key sequence.
//!
//! All arms run on one current-thread tokio runtime through criterion's `to_async`, so they pay the same executor
//! overhead. Arms that accumulate messages (append, cycle) use `iter_custom` with a fresh backend or channel per
//! sample, dropped outside the timed region, so memory stays bounded and teardown is not measured.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bus_core::{
    AppendOptions, Backend, EntryId, Fields, GroupCreateOptions, GroupCursor, GroupStart, Message, ReadGroupOptions,
    Topic, Uuid,
};
use bus_memory::MemoryBackend;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::Serialize;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// The message body; serializes to exactly 64 bytes of JSON.
#[derive(Serialize)]
struct Chat {
    kind: &'static str,
    content: &'static str,
}

const PAYLOAD: Chat = Chat {
    kind: "chat",
    content: "hello from the benchmark: 64B JSON!!",
};

const BATCH: usize = 100;
const GROUP: &str = "bench";
const CONSUMER: &str = "c1";
/// Number of precomputed lookup probes (a power of two, cycled through).
const PROBES: usize = 1 << 16;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn topic() -> Topic {
    Topic::new("bench:memory").unwrap()
}

/// The per-message work every arm does: a fresh v4 UUID and the JSON text of the payload.
#[inline]
fn uuid_and_json() -> (Uuid, String) {
    (Uuid::new_v4(), serde_json::to_string(&PAYLOAD).unwrap())
}

/// The same work producing the bus envelope (`Message::with_id` runs the same `serde_json::to_string`).
#[inline]
fn message() -> Message {
    Message::with_id(Uuid::new_v4(), &PAYLOAD).unwrap()
}

/// The same work producing raw fields as a foreign producer would write them.
#[inline]
fn fields() -> Fields {
    let (uuid, json) = uuid_and_json();
    Fields::from_pairs([("id", uuid.hyphenated().to_string()), ("payload", json)])
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args()
}

fn bench_append(c: &mut Criterion) {
    assert_eq!(serde_json::to_string(&PAYLOAD).unwrap().len(), 64);
    let rt = runtime();
    let topic = topic();
    let options = AppendOptions::new();
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));

    // Not a baseline: the per-message work alone (UUID + JSON), to show how much of each arm it accounts for.
    group.bench_function("generate_only", |b| {
        b.to_async(&rt).iter(|| async { black_box(uuid_and_json()) });
    });

    group.bench_function("mpsc_unbounded_send", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, rx) = mpsc::unbounded_channel::<(Uuid, String)>();
            let start = Instant::now();
            for _ in 0..iters {
                tx.send(uuid_and_json()).unwrap();
            }
            let elapsed = start.elapsed();
            drop((tx, rx));
            elapsed
        });
    });

    group.bench_function("memory_publish", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (topic, options) = (&topic, &options);
            async move {
                let backend = MemoryBackend::new();
                let start = Instant::now();
                for _ in 0..iters {
                    let message = message();
                    black_box(backend.publish(topic, &message, options).await.unwrap());
                }
                let elapsed = start.elapsed();
                drop(backend);
                elapsed
            }
        });
    });

    group.bench_function("memory_append", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (topic, options) = (&topic, &options);
            async move {
                let backend = MemoryBackend::new();
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(backend.append(topic, fields(), options).await.unwrap());
                }
                let elapsed = start.elapsed();
                drop(backend);
                elapsed
            }
        });
    });
    group.finish();
}

fn bench_cycle(c: &mut Criterion) {
    let rt = runtime();
    let topic = topic();
    let options = AppendOptions::new();
    let read_options = ReadGroupOptions::new().count(BATCH as u64);
    let mut group = c.benchmark_group("cycle");
    group.throughput(Throughput::Elements(BATCH as u64));

    group.bench_function("mpsc_unbounded", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, mut rx) = mpsc::unbounded_channel::<(Uuid, String)>();
            let mut received = Vec::with_capacity(BATCH);
            let start = Instant::now();
            for _ in 0..iters {
                for _ in 0..BATCH {
                    tx.send(uuid_and_json()).unwrap();
                }
                received.clear();
                for _ in 0..BATCH {
                    let (uuid, _json) = rx.recv().await.unwrap();
                    received.push(uuid);
                }
                assert_eq!(black_box(&received).len(), BATCH);
            }
            let elapsed = start.elapsed();
            drop((tx, rx));
            elapsed
        });
    });

    group.bench_function("mpsc_bounded_100", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, mut rx) = mpsc::channel::<(Uuid, String)>(BATCH);
            let mut received = Vec::with_capacity(BATCH);
            let start = Instant::now();
            for _ in 0..iters {
                for _ in 0..BATCH {
                    tx.send(uuid_and_json()).await.unwrap();
                }
                received.clear();
                for _ in 0..BATCH {
                    let (uuid, _json) = rx.recv().await.unwrap();
                    received.push(uuid);
                }
                assert_eq!(black_box(&received).len(), BATCH);
            }
            let elapsed = start.elapsed();
            drop((tx, rx));
            elapsed
        });
    });

    group.bench_function("memory_publish_readgroup_ack", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (topic, options, read_options) = (&topic, &options, &read_options);
            async move {
                let backend = MemoryBackend::new();
                let group_options = GroupCreateOptions::new().mkstream();
                backend
                    .group_create(topic, GROUP, GroupStart::Id(EntryId::MIN), &group_options)
                    .await
                    .unwrap();
                let cursors = [(topic.clone(), GroupCursor::New)];
                let mut ids = Vec::with_capacity(BATCH);
                let start = Instant::now();
                for _ in 0..iters {
                    for _ in 0..BATCH {
                        let message = message();
                        black_box(backend.publish(topic, &message, options).await.unwrap());
                    }
                    let reply = backend
                        .read_group(GROUP, CONSUMER, &cursors, read_options)
                        .await
                        .unwrap()
                        .into_topics();
                    ids.clear();
                    ids.extend(reply.iter().flat_map(|t| t.entries.iter().map(|e| e.id())));
                    assert_eq!(backend.ack(topic, GROUP, &ids).await.unwrap(), BATCH as u64);
                }
                let elapsed = start.elapsed();
                drop(backend);
                elapsed
            }
        });
    });
    group.finish();
}

/// splitmix64: a deterministic pseudo-random sequence for the probe order.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn bench_lookup(c: &mut Criterion) {
    let rt = runtime();
    let topic = topic();
    for (label, size) in [("lookup_1k", 1_000usize), ("lookup_1m", 1_000_000)] {
        // Built once per size, outside any timing: the topic and the plain map hold the same UUID → id pairs.
        let backend = MemoryBackend::new();
        let mut plain: HashMap<Uuid, EntryId> = HashMap::with_capacity(size);
        let mut uuids = Vec::with_capacity(size);
        rt.block_on(async {
            let options = AppendOptions::new();
            for _ in 0..size {
                let message = message();
                let published = backend.publish(&topic, &message, &options).await.unwrap().unwrap();
                plain.insert(message.id(), published.entry_id);
                uuids.push(message.id());
            }
        });
        assert_eq!(plain.len(), size);
        let mut seed = 0x5eed_u64;
        let probes: Vec<Uuid> = (0..PROBES)
            .map(|_| uuids[(splitmix(&mut seed) % size as u64) as usize])
            .collect();
        drop(uuids);
        // Both structures answer every probe identically.
        rt.block_on(async {
            for uuid in &probes {
                assert_eq!(backend.lookup(&topic, *uuid).await.unwrap(), plain.get(uuid).copied());
            }
        });

        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("plain_hashmap", size), |b| {
            let next = Cell::new(0usize);
            let (plain, probes, next) = (&plain, &probes, &next);
            b.to_async(&rt).iter(|| {
                let i = next.get();
                next.set(i.wrapping_add(1));
                let key = probes[i & (PROBES - 1)];
                async move { black_box(plain.get(&key).copied()).unwrap() }
            });
        });
        group.bench_function(BenchmarkId::new("memory_lookup", size), |b| {
            let next = Cell::new(0usize);
            let (backend, topic, probes, next) = (&backend, &topic, &probes, &next);
            b.to_async(&rt).iter(|| {
                let i = next.get();
                next.set(i.wrapping_add(1));
                let key = probes[i & (PROBES - 1)];
                async move { black_box(backend.lookup(topic, key).await.unwrap()).unwrap() }
            });
        });
        // The same lookup through a trait object, as `Bus::lookup` makes it: adds the boxed future of
        // `#[async_trait]`.
        let shared: std::sync::Arc<dyn Backend> = std::sync::Arc::new(backend.clone());
        group.bench_function(BenchmarkId::new("dyn_backend_lookup", size), |b| {
            let next = Cell::new(0usize);
            let (shared, topic, probes, next) = (&shared, &topic, &probes, &next);
            b.to_async(&rt).iter(|| {
                let i = next.get();
                next.set(i.wrapping_add(1));
                let key = probes[i & (PROBES - 1)];
                async move { black_box(shared.lookup(topic, key).await.unwrap()).unwrap() }
            });
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_append, bench_cycle, bench_lookup
}
criterion_main!(benches);
