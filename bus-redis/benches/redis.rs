//! Throughput of `RedisBackend` against the raw `redis` crate doing the same commands, on one private
//! `redis-server` (started by the bench through `bus_redis::testing::TestRedis`, on a unix socket; or the server
//! of `BUS_REDIS_URL`, under a unique key prefix), plus `redis-benchmark` XADD against that same server as the
//! physical limit.
//!
//! Run with `cargo bench -p bus-redis`. Groups (every arm generates a fresh v4 UUID and serializes the same 64-byte
//! JSON payload per message, so they do the same client-side work):
//! - `publish_one`: one message per round trip, awaited before the next. `raw_xadd` (XADD `id` `payload`) vs
//!   `bus_plain_publish` ([`PublishMode::Plain`]); `raw_evalsha` (the publish script, same source, keys and
//!   arguments, through `redis::Script`) vs `bus_indexed_publish` (the default mode).
//! - `publish_batch_100`: 100 messages per round trip. `raw_xadd_pipeline` vs `bus_plain_publish_batch` (a
//!   pipeline of XADD); `raw_evalsha_pipeline` (plain pipeline) and `raw_evalsha_multi_exec` (the same in
//!   MULTI/EXEC, as bus-redis sends it) vs `bus_indexed_publish_batch`.
//! - `group_cycle_100`: XREADGROUP `>` COUNT 100 then XACK of the 100 ids, on entries appended beforehand
//!   (untimed): raw commands (reply walked for the ids only) vs `read_group` + `ack`.
//! - `redis-benchmark -c 1 -n N -P {1,100} XADD …` with the same fields, run once before the groups; its
//!   figures are printed.
//!
//! All arms share one current-thread tokio runtime, and every client talks to the server over one multiplexed
//! connection (bus-redis's `ConnectionManager`, a plain `MultiplexedConnection` for the raw arms).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use bus_core::{AppendOptions, Backend, EntryId, GroupCursor, Message, ReadGroupOptions, Topic, Uuid};
use bus_redis::testing::TestRedis;
use bus_redis::{PublishMode, RedisBackend, RedisOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redis::Value;
use redis::aio::MultiplexedConnection;
use serde::Serialize;
use tokio::runtime::Runtime;

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

struct Env {
    _server: TestRedis,
    url: String,
    rt: Runtime,
    raw: MultiplexedConnection,
    plain: RedisBackend,
    indexed: RedisBackend,
    script: redis::Script,
    /// `ARGV[4]` of the publish script: the indexed backend's `index_cleanup_batch`, as bus-redis passes it.
    cleanup: u64,
}

fn env() -> Env {
    let server = TestRedis::try_start().unwrap_or_else(|reason| panic!("no Redis server for the bench: {reason}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = server.url().to_owned();
    let script = RedisBackend::publish_script();
    let (raw, plain, indexed) = rt.block_on(async {
        let mut raw = redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        // Pipelines and transactions send EVALSHA without reloading after NOSCRIPT, so the raw batch arms need
        // the script loaded even when a filter runs them without the single-call arm.
        script.prepare_invoke().load_async(&mut raw).await.unwrap();
        let plain = server
            .backend_with(RedisOptions::new().publish_mode(PublishMode::Plain))
            .await
            .unwrap();
        let indexed = server.backend().await.unwrap();
        (raw, plain, indexed)
    });
    Env {
        _server: server,
        url,
        rt,
        raw,
        plain,
        cleanup: indexed.options().index_cleanup_batch,
        indexed,
        script,
    }
}

fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

/// One message's client-side work, shared by every arm: a fresh UUID and the JSON payload.
fn generate() -> (Uuid, String) {
    (Uuid::new_v4(), serde_json::to_string(&PAYLOAD).unwrap())
}

fn xadd(key: &str, id: Uuid, payload: String) -> redis::Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key)
        .arg("*")
        .arg("id")
        .arg(id.hyphenated().to_string())
        .arg("payload")
        .arg(payload);
    cmd
}

/// The publish script's invocation, with the keys and arguments bus-redis passes (the calling convention of
/// `RedisBackend::publish_script`).
fn evalsha<'s>(
    env: &'s Env,
    keys: &(String, String, String),
    id: Uuid,
    payload: String,
) -> redis::ScriptInvocation<'s> {
    let script = &env.script;
    let uuid = id.hyphenated().to_string();
    let mut invocation = script.key(&keys.0);
    invocation
        .key(&keys.1)
        .key(&keys.2)
        .arg("publish")
        .arg(&uuid)
        .arg("0")
        .arg(env.cleanup)
        .arg("*")
        .arg("id")
        .arg(&uuid)
        .arg("payload")
        .arg(payload);
    invocation
}

fn keys_of(backend: &RedisBackend, topic: &Topic) -> (String, String, String) {
    let (idx, ord) = backend.index_keys(topic);
    (backend.stream_key(topic), idx, ord)
}

/// Deletes a topic's stream and index keys (between samples, untimed).
async fn clear(conn: &mut MultiplexedConnection, keys: &(String, String, String)) {
    redis::cmd("DEL")
        .arg(&keys.0)
        .arg(&keys.1)
        .arg(&keys.2)
        .query_async::<()>(conn)
        .await
        .unwrap();
}

/// Runs `iters` iterations of `one` (timed), then clears `keys` (untimed), so topics stay small.
macro_rules! timed {
    ($env:expr, $keys:expr, $iters:expr, $one:expr) => {{
        let started = Instant::now();
        for _ in 0..$iters {
            $one;
        }
        let elapsed = started.elapsed();
        let mut conn = $env.raw.clone();
        clear(&mut conn, $keys).await;
        elapsed
    }};
}

fn publish_one(c: &mut Criterion, env: &Env) {
    let mut group = c.benchmark_group("publish_one");
    group.throughput(Throughput::Elements(1));
    let none = &AppendOptions::new();

    let t = topic("bench:raw_xadd");
    let keys = keys_of(&env.plain, &t);
    let keys = &keys;
    group.bench_function("raw_xadd", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            let mut conn = env.raw.clone();
            timed!(env, keys, iters, {
                let (id, payload) = generate();
                let entry: String = xadd(&keys.0, id, payload).query_async(&mut conn).await.unwrap();
                black_box(entry);
            })
        })
    });

    let t = topic("bench:plain");
    let keys = keys_of(&env.plain, &t);
    let (keys, t) = (&keys, &t);
    group.bench_function("bus_plain_publish", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            timed!(env, keys, iters, {
                let (id, _) = generate();
                let message = Message::with_id(id, &PAYLOAD).unwrap();
                black_box(env.plain.publish(t, &message, none).await.unwrap());
            })
        })
    });

    let t = topic("bench:raw_evalsha");
    let keys = keys_of(&env.indexed, &t);
    let keys = &keys;
    group.bench_function("raw_evalsha", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            let mut conn = env.raw.clone();
            timed!(env, keys, iters, {
                let (id, payload) = generate();
                let reply: Value = evalsha(env, keys, id, payload).invoke_async(&mut conn).await.unwrap();
                black_box(reply);
            })
        })
    });

    let t = topic("bench:indexed");
    let keys = keys_of(&env.indexed, &t);
    let (keys, t) = (&keys, &t);
    group.bench_function("bus_indexed_publish", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            timed!(env, keys, iters, {
                let (id, _) = generate();
                let message = Message::with_id(id, &PAYLOAD).unwrap();
                black_box(env.indexed.publish(t, &message, none).await.unwrap());
            })
        })
    });
    group.finish();
}

fn publish_batch(c: &mut Criterion, env: &Env) {
    let mut group = c.benchmark_group("publish_batch_100");
    group.throughput(Throughput::Elements(BATCH as u64));
    let none = &AppendOptions::new();

    let t = topic("bench:raw_xadd_pipe");
    let keys = keys_of(&env.plain, &t);
    let keys = &keys;
    group.bench_function("raw_xadd_pipeline", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            let mut conn = env.raw.clone();
            timed!(env, keys, iters, {
                let mut pipe = redis::pipe();
                for _ in 0..BATCH {
                    let (id, payload) = generate();
                    pipe.add_command(xadd(&keys.0, id, payload));
                }
                let ids: Vec<String> = pipe.query_async(&mut conn).await.unwrap();
                black_box(ids);
            })
        })
    });

    let t = topic("bench:plain_batch");
    let keys = keys_of(&env.plain, &t);
    let (keys, t) = (&keys, &t);
    group.bench_function("bus_plain_publish_batch", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            timed!(env, keys, iters, {
                let messages: Vec<Message> = (0..BATCH)
                    .map(|_| Message::with_id(generate().0, &PAYLOAD).unwrap())
                    .collect();
                black_box(env.plain.publish_batch(t, &messages, none).await.unwrap());
            })
        })
    });

    for (name, atomic) in [("raw_evalsha_pipeline", false), ("raw_evalsha_multi_exec", true)] {
        let t = topic(&format!("bench:{name}"));
        let keys = keys_of(&env.indexed, &t);
        let keys = &keys;
        group.bench_function(name, |b| {
            b.to_async(&env.rt).iter_custom(|iters| async move {
                let mut conn = env.raw.clone();
                timed!(env, keys, iters, {
                    let mut pipe = redis::pipe();
                    if atomic {
                        pipe.atomic();
                    }
                    for _ in 0..BATCH {
                        let (id, payload) = generate();
                        pipe.invoke_script(&evalsha(env, keys, id, payload));
                    }
                    let replies: Vec<Value> = pipe.query_async(&mut conn).await.unwrap();
                    black_box(replies);
                })
            })
        });
    }

    let t = topic("bench:indexed_batch");
    let keys = keys_of(&env.indexed, &t);
    let (keys, t) = (&keys, &t);
    group.bench_function("bus_indexed_publish_batch", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            timed!(env, keys, iters, {
                let messages: Vec<Message> = (0..BATCH)
                    .map(|_| Message::with_id(generate().0, &PAYLOAD).unwrap())
                    .collect();
                black_box(env.indexed.publish_batch(t, &messages, none).await.unwrap());
            })
        })
    });
    group.finish();
}

/// Appends `count` messages and (re)creates the group at the start (untimed setup of a cycle sample).
async fn fill(conn: &mut MultiplexedConnection, key: &str, count: u64) {
    redis::cmd("DEL").arg(key).query_async::<()>(conn).await.unwrap();
    let mut left = count;
    while left > 0 {
        let n = left.min(1_000);
        let mut pipe = redis::pipe();
        for _ in 0..n {
            let (id, payload) = generate();
            pipe.add_command(xadd(key, id, payload)).ignore();
        }
        pipe.query_async::<()>(conn).await.unwrap();
        left -= n;
    }
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(GROUP)
        .arg("0")
        .query_async::<()>(conn)
        .await
        .unwrap();
}

/// The entry ids of an XREADGROUP reply (`[[key, [[id, fields], …]], …]`), nothing else parsed.
fn reply_ids(reply: Value) -> Vec<Vec<u8>> {
    let mut ids = Vec::new();
    if let Value::Array(streams) = reply {
        for stream in streams {
            let Value::Array(mut parts) = stream else { continue };
            let Some(Value::Array(entries)) = parts.pop() else {
                continue;
            };
            for entry in entries {
                if let Value::Array(mut pair) = entry
                    && !pair.is_empty()
                    && let Value::BulkString(id) = pair.swap_remove(0)
                {
                    ids.push(id);
                }
            }
        }
    }
    ids
}

fn group_cycle(c: &mut Criterion, env: &Env) {
    let mut group = c.benchmark_group("group_cycle_100");
    group.throughput(Throughput::Elements(BATCH as u64));

    let t = topic("bench:raw_cycle");
    let keys = keys_of(&env.indexed, &t);
    let keys = &keys;
    group.bench_function("raw_xreadgroup_xack", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            let mut conn = env.raw.clone();
            fill(&mut conn, &keys.0, iters * BATCH as u64).await;
            timed!(env, keys, iters, {
                let reply: Value = redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(GROUP)
                    .arg(CONSUMER)
                    .arg("COUNT")
                    .arg(BATCH)
                    .arg("STREAMS")
                    .arg(&keys.0)
                    .arg(">")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                let ids = reply_ids(reply);
                assert_eq!(ids.len(), BATCH);
                let acked: u64 = redis::cmd("XACK")
                    .arg(&keys.0)
                    .arg(GROUP)
                    .arg(ids)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                assert_eq!(acked, BATCH as u64);
            })
        })
    });

    let t = topic("bench:bus_cycle");
    let keys = keys_of(&env.indexed, &t);
    let options = &ReadGroupOptions::new().count(BATCH as u64);
    let (keys, t) = (&keys, &t);
    group.bench_function("bus_read_group_ack", |b| {
        b.to_async(&env.rt).iter_custom(|iters| async move {
            let mut conn = env.raw.clone();
            fill(&mut conn, &keys.0, iters * BATCH as u64).await;
            let cursors = [(t.clone(), GroupCursor::New)];
            timed!(env, keys, iters, {
                let reply = env
                    .indexed
                    .read_group(GROUP, CONSUMER, &cursors, options)
                    .await
                    .unwrap()
                    .into_topics();
                let ids: Vec<EntryId> = reply[0].entries.iter().map(|e| e.id()).collect();
                assert_eq!(ids.len(), BATCH);
                let acked = env.indexed.ack(t, GROUP, &ids).await.unwrap();
                assert_eq!(acked, BATCH as u64);
            })
        })
    });
    group.finish();
}

/// `redis-benchmark` XADD with the same fields on the same server, one connection, at pipelining 1 and 100.
fn redis_benchmark(env: &Env) {
    let target: Vec<String> = if let Some(path) = env.url.strip_prefix("redis+unix://") {
        vec!["-s".into(), path.split('?').next().unwrap_or(path).into()]
    } else {
        let rest = env.url.split("://").nth(1).unwrap_or("127.0.0.1:6379");
        let host_port = rest
            .rsplit('@')
            .next()
            .unwrap_or(rest)
            .split('/')
            .next()
            .unwrap_or(rest);
        let (host, port) = host_port.split_once(':').unwrap_or((host_port, "6379"));
        vec!["-h".into(), host.into(), "-p".into(), port.into()]
    };
    let key = format!("bench:redis-benchmark:{}", std::process::id());
    let (id, payload) = generate();
    println!("redis-benchmark: XADD {key} * id <uuid> payload <64 B JSON>, one connection (-c 1)");
    for (pipeline, requests) in [(1, 100_000), (BATCH, 1_000_000)] {
        let output = Command::new("redis-benchmark")
            .args(&target)
            .args([
                "-c",
                "1",
                "-n",
                &requests.to_string(),
                "-P",
                &pipeline.to_string(),
                "--csv",
            ])
            .args([
                "XADD",
                &key,
                "*",
                "id",
                &id.hyphenated().to_string(),
                "payload",
                &payload,
            ])
            .output();
        match output {
            Ok(output) if output.status.success() => {
                let text = String::from_utf8_lossy(&output.stdout);
                let row = text.lines().last().unwrap_or_default().replace('"', "");
                println!("redis-benchmark -P {pipeline:<3} -n {requests}: {row}");
                println!(
                    "  (columns: test,rps,avg_latency_ms,min_latency_ms,p50_latency_ms,p95_latency_ms,p99_latency_ms,max_latency_ms)"
                );
            }
            Ok(output) => println!(
                "redis-benchmark -P {pipeline} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(err) => println!("redis-benchmark not run: {err}"),
        }
        let mut conn = env.raw.clone();
        env.rt.block_on(async {
            redis::cmd("DEL").arg(&key).query_async::<()>(&mut conn).await.unwrap();
        });
    }
}

fn benches(c: &mut Criterion) {
    let env = env();
    redis_benchmark(&env);
    publish_one(c, &env);
    publish_batch(c, &env);
    group_cycle(c, &env);
}

criterion_group! {
    name = redis_benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(redis_benches);
