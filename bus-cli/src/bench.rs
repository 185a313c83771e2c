//! `bus bench`: the benchmark report, in one process and one run.
//!
//! Every operation of the bus is set against a baseline doing the same per-message work (a fresh v4 UUID and the
//! same 64-byte JSON payload serialized with `serde_json`, as in `bus-memory/benches/memory.rs` and
//! `bus-redis/benches/redis.rs`):
//!
//! | operation | memory backend | `tokio::sync::mpsc` baseline | bus-redis (`PublishMode::Plain`) | raw `redis` crate |
//! | --- | --- | --- | --- | --- |
//! | publish | `publish` | unbounded `send` | `publish` | `XADD` |
//! | publish batched (100) | `publish_batch` | `send` of the 100 as one `Vec` | `publish_batch` | pipeline of 100 `XADD` |
//! | group read + ack (COUNT 100) | `read_group` `>` + `ack` | 100 × `recv` | `read_group` + `ack` | `XREADGROUP` + `XACK` |
//! | publish → blocked consumer | `read_group` BLOCK woken by `publish` | `recv` woken by `send` | same | `XREADGROUP BLOCK` woken by `XADD` |
//!
//! On Redis, the default indexed (idempotent) publish is also set against the same Lua script called by hand:
//! one EVALSHA per message, and 100 EVALSHA in one MULTI/EXEC for the batch (as bus-redis sends it).
//!
//! Plus `redis-benchmark -c 1 -P {1,100} XADD …` (same fields, same server) when it is on `PATH`.
//!
//! Fairness: the baseline and the bus arm of an operation run interleaved, in [`ROUNDS`] rounds each, after an
//! untimed warm-up, so a change of machine load hits both. Each round of an accumulating arm gets a fresh channel
//! or backend (memory) or its keys deleted afterwards (Redis), outside the timed region. Group reads are timed on
//! entries appended beforehand (untimed, the same way for both arms). In the latency arms the consumer is a spawned
//! task (another thread), the message is generated before the clock starts, and the producer waits [`SETTLE`]
//! after the consumer says it is about to block, so the publish finds it blocked.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bus::{
    AppendOptions, Backend, BackendKind, EntryId, GroupCreateOptions, GroupCursor, GroupStart, MemoryBackend, Message,
    PublishMode, ReadGroupOptions, ReadReply, RedisBackend, RedisOptions, Topic, Uuid,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use redis::aio::MultiplexedConnection;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::print_line;

/// `bus bench`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Messages per throughput arm (publish, batched publish, group read + ack), rounded up to whole batches of
    /// 100 per round; the latency arms take one sample per 100 messages (between 20 and 500).
    #[arg(long, default_value_t = 50_000)]
    messages: u64,
    /// Also bench this Redis server: bus-redis against raw `redis` crate calls, and `redis-benchmark` when it is
    /// on PATH. Without it, a Redis `--url` (or `BUS_URL`) does the same. Keys go under a unique `bus-bench:`
    /// prefix and are deleted afterwards.
    #[arg(long, value_name = "URL")]
    redis_url: Option<String>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

/// The message body; serializes to exactly 64 bytes of JSON (the payload of the criterion benches).
#[derive(Serialize)]
struct Chat {
    kind: &'static str,
    content: &'static str,
}

const PAYLOAD: Chat = Chat {
    kind: "chat",
    content: "hello from the benchmark: 64B JSON!!",
};

/// Messages per batch, per group read (COUNT) and per `redis-benchmark` pipeline.
const BATCH: u64 = 100;
/// Interleaved rounds per arm.
const ROUNDS: u64 = 5;
const GROUP: &str = "bench";
const CONSUMER: &str = "c1";
/// How long a latency sample's consumer blocks at most.
const BLOCK: Duration = Duration::from_secs(5);
/// How long the producer waits, untimed, for the consumer to be blocked before publishing.
const SETTLE: Duration = Duration::from_millis(2);

type Fallible<T> = Result<T, String>;

/// The per-message work of every arm: a fresh v4 UUID and the JSON text of the payload.
fn uuid_and_json() -> Fallible<(Uuid, String)> {
    let json = serde_json::to_string(&PAYLOAD).map_err(|err| err.to_string())?;
    Ok((Uuid::new_v4(), json))
}

/// The same work producing the bus envelope (`Message::with_id` runs the same `serde_json::to_string`).
fn message() -> Fallible<Message> {
    Message::with_id(Uuid::new_v4(), &PAYLOAD).map_err(|err| err.to_string())
}

fn bus_err(err: bus::Error) -> String {
    err.to_string()
}

fn redis_err(err: redis::RedisError) -> String {
    format!("redis: {err}")
}

fn closed<T>(_: T) -> String {
    "channel closed".to_owned()
}

/// What one arm measured: the timed total and one sample per operation (message, batch, cycle or wakeup).
#[derive(Default)]
struct Measured {
    elapsed: Duration,
    messages: u64,
    samples: Vec<Duration>,
}

impl Measured {
    fn add(&mut self, other: Measured) {
        self.elapsed += other.elapsed;
        self.messages += other.messages;
        self.samples.extend(other.samples);
    }
}

/// One arm's figures.
#[derive(Serialize)]
struct Stats {
    arm: String,
    messages: u64,
    samples: usize,
    /// Messages per second (none for the latency arms, whose clock stops between samples).
    throughput: Option<f64>,
    p50_us: f64,
    p99_us: f64,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn stats(arm: &str, mut measured: Measured, throughput: bool) -> Stats {
    measured.samples.sort_unstable();
    let at = |q: f64| {
        let n = measured.samples.len();
        if n == 0 {
            return 0.0;
        }
        // Nearest rank.
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        measured.samples.get(rank - 1).copied().map_or(0.0, micros)
    };
    let secs = measured.elapsed.as_secs_f64();
    Stats {
        arm: arm.to_owned(),
        messages: measured.messages,
        samples: measured.samples.len(),
        throughput: (throughput && secs > 0.0).then(|| measured.messages as f64 / secs),
        p50_us: at(0.50),
        p99_us: at(0.99),
    }
}

/// One line of the report: an operation, its bus arm against its baseline.
#[derive(Serialize)]
struct Row {
    backend: &'static str,
    op: &'static str,
    /// What one latency sample is.
    per: &'static str,
    bus: Stats,
    baseline: Stats,
    /// bus ÷ baseline: of throughput (higher is better), or of p50 latency for the latency row (lower is better).
    ratio: f64,
    ratio_of: &'static str,
}

impl Row {
    fn new(backend: &'static str, op: &'static str, per: &'static str, bus: Stats, baseline: Stats) -> Row {
        let (ratio, ratio_of) = match (bus.throughput, baseline.throughput) {
            (Some(b), Some(base)) if base > 0.0 => (b / base, "throughput"),
            _ if baseline.p50_us > 0.0 => (bus.p50_us / baseline.p50_us, "p50"),
            _ => (0.0, "p50"),
        };
        Row {
            backend,
            op,
            per,
            bus,
            baseline,
            ratio,
            ratio_of,
        }
    }
}

/// A `redis-benchmark` run.
#[derive(Serialize)]
struct RedisBenchmark {
    pipeline: u64,
    requests: u64,
    /// Requests per second, as it reports them.
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// The bus-redis operation at the same pipelining, and its throughput ÷ `rps`.
    bus_op: &'static str,
    bus_ratio: Option<f64>,
}

/// The progress bar (stderr; hidden when stderr is not a terminal).
struct Progress(ProgressBar);

impl Progress {
    fn new(len: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        Progress(bar)
    }

    fn step(&self, message: String) {
        self.0.set_message(message);
        self.0.inc(1);
    }
}

/// Steps of one pair of arms: warm-up of each, then each round of each.
const PAIR_STEPS: u64 = 2 + 2 * ROUNDS;

/// Runs `baseline` and `bus` interleaved (an untimed warm-up of each, then [`ROUNDS`] rounds of `per_round`) and
/// makes the report row of `case`.
async fn compare<A, B>(
    progress: &Progress,
    case: &Case,
    per_round: u64,
    warm: u64,
    mut baseline: A,
    mut bus: B,
) -> Fallible<Row>
where
    A: AsyncFnMut(u64) -> Fallible<Measured>,
    B: AsyncFnMut(u64) -> Fallible<Measured>,
{
    let label = format!("{} {}", case.backend, case.op);
    progress.step(format!("{label}: warm-up (baseline)"));
    baseline(warm).await?;
    progress.step(format!("{label}: warm-up (bus)"));
    bus(warm).await?;
    let (mut base_total, mut bus_total) = (Measured::default(), Measured::default());
    for round in 1..=ROUNDS {
        base_total.add(baseline(per_round).await?);
        progress.step(format!("{label}: round {round}/{ROUNDS} (baseline)"));
        bus_total.add(bus(per_round).await?);
        progress.step(format!("{label}: round {round}/{ROUNDS} (bus)"));
    }
    Ok(Row::new(
        case.backend,
        case.op,
        case.per,
        stats(case.bus_arm, bus_total, case.throughput),
        stats(case.base_arm, base_total, case.throughput),
    ))
}

/// What one row of the report compares: its name, unit and the names of its two arms.
struct Case {
    backend: &'static str,
    op: &'static str,
    per: &'static str,
    bus_arm: &'static str,
    base_arm: &'static str,
    /// Throughput rows (ratio of throughputs) or latency rows (ratio of p50s).
    throughput: bool,
}

/// The sizes of a run.
#[derive(Clone, Copy)]
struct Sizes {
    /// Messages per round of a throughput arm (a multiple of [`BATCH`]).
    per_round: u64,
    /// Messages of a throughput arm's warm-up.
    warm: u64,
    /// Latency samples per round.
    latency_per_round: u64,
}

impl Sizes {
    fn of(messages: u64) -> Sizes {
        let per_round = messages.div_ceil(ROUNDS).div_ceil(BATCH).max(1) * BATCH;
        let latency = (messages / BATCH).clamp(20, 500);
        Sizes {
            per_round,
            warm: (per_round / 10).div_ceil(BATCH).max(1) * BATCH,
            latency_per_round: latency.div_ceil(ROUNDS),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Arms shared by both backends (through the `Backend` trait).

async fn bus_publish(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<Measured> {
    let options = AppendOptions::new();
    let mut samples = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let message = message()?;
        backend.publish(topic, &message, &options).await.map_err(bus_err)?;
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: n,
        samples,
    })
}

async fn bus_publish_batch(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<Measured> {
    let options = AppendOptions::new();
    let batches = n / BATCH;
    let mut samples = Vec::with_capacity(batches as usize);
    let start = Instant::now();
    for _ in 0..batches {
        let t = Instant::now();
        let messages = (0..BATCH).map(|_| message()).collect::<Fallible<Vec<_>>>()?;
        backend
            .publish_batch(topic, &messages, &options)
            .await
            .map_err(bus_err)?;
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: batches * BATCH,
        samples,
    })
}

/// `n` entries read in cycles of `read_group` `>` COUNT 100 + `ack`, on a topic filled beforehand (untimed).
async fn bus_cycle(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<Measured> {
    let cursors = [(topic.clone(), GroupCursor::New)];
    let options = ReadGroupOptions::new().count(BATCH);
    let cycles = n / BATCH;
    let mut samples = Vec::with_capacity(cycles as usize);
    let mut ids: Vec<EntryId> = Vec::with_capacity(BATCH as usize);
    let start = Instant::now();
    for _ in 0..cycles {
        let t = Instant::now();
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
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: cycles * BATCH,
        samples,
    })
}

/// Creates the group at the start of `topic` and appends `n` messages (untimed setup of [`bus_cycle`]).
async fn bus_fill(backend: &dyn Backend, topic: &Topic, n: u64) -> Fallible<()> {
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
        let messages = (0..BATCH).map(|_| message()).collect::<Fallible<Vec<_>>>()?;
        backend
            .publish_batch(topic, &messages, &options)
            .await
            .map_err(bus_err)?;
    }
    Ok(())
}

/// `samples` times: a consumer task blocks in `read_group` BLOCK, the producer publishes one message; the sample
/// is the time from just before `publish` until the consumer has the entry.
async fn bus_latency(backend: Arc<dyn Backend>, topic: Topic, samples: u64) -> Fallible<Measured> {
    backend
        .group_create(&topic, GROUP, GroupStart::Last, &GroupCreateOptions::new().mkstream())
        .await
        .map_err(bus_err)?;
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<Fallible<Instant>>();
    let consumer = {
        let (backend, topic) = (Arc::clone(&backend), topic.clone());
        tokio::spawn(async move {
            let cursors = [(topic.clone(), GroupCursor::New)];
            let options = ReadGroupOptions::new().count(1).block(BLOCK);
            for _ in 0..samples {
                if ready_tx.send(()).is_err() {
                    return;
                }
                let got = match backend.read_group(GROUP, CONSUMER, &cursors, &options).await {
                    Ok(ReadReply::TimedOut) => Err(format!("the blocked read timed out after {BLOCK:?}")),
                    Ok(reply) => {
                        let at = Instant::now();
                        let ids: Vec<EntryId> = reply.into_entries().map(|e| e.id()).collect();
                        match backend.ack(&topic, GROUP, &ids).await {
                            Ok(_) if !ids.is_empty() => Ok(at),
                            Ok(_) => Err("the blocked read returned no entry".to_owned()),
                            Err(err) => Err(bus_err(err)),
                        }
                    }
                    Err(err) => Err(bus_err(err)),
                };
                if got_tx.send(got).is_err() {
                    return;
                }
            }
        })
    };
    let options = AppendOptions::new();
    let mut measured = Vec::with_capacity(samples as usize);
    let result: Fallible<()> = async {
        for _ in 0..samples {
            ready_rx.recv().await.ok_or_else(|| closed(()))?;
            tokio::time::sleep(SETTLE).await;
            let message = message()?;
            let t0 = Instant::now();
            backend.publish(&topic, &message, &options).await.map_err(bus_err)?;
            let at = got_rx.recv().await.ok_or_else(|| closed(()))??;
            measured.push(at.saturating_duration_since(t0));
        }
        Ok(())
    }
    .await;
    consumer.abort();
    result?;
    Ok(Measured {
        elapsed: measured.iter().sum(),
        messages: samples,
        samples: measured,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// The tokio::sync::mpsc baselines.

async fn mpsc_publish(n: u64) -> Fallible<Measured> {
    let (tx, rx) = mpsc::unbounded_channel::<(Uuid, String)>();
    let mut samples = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        tx.send(uuid_and_json()?).map_err(closed)?;
        samples.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    drop((tx, rx));
    Ok(Measured {
        elapsed,
        messages: n,
        samples,
    })
}

async fn mpsc_publish_batch(n: u64) -> Fallible<Measured> {
    let (tx, rx) = mpsc::unbounded_channel::<Vec<(Uuid, String)>>();
    let batches = n / BATCH;
    let mut samples = Vec::with_capacity(batches as usize);
    let start = Instant::now();
    for _ in 0..batches {
        let t = Instant::now();
        let batch = (0..BATCH).map(|_| uuid_and_json()).collect::<Fallible<Vec<_>>>()?;
        tx.send(batch).map_err(closed)?;
        samples.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    drop((tx, rx));
    Ok(Measured {
        elapsed,
        messages: batches * BATCH,
        samples,
    })
}

async fn mpsc_cycle(n: u64) -> Fallible<Measured> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Uuid, String)>();
    let cycles = n / BATCH;
    for _ in 0..cycles * BATCH {
        tx.send(uuid_and_json()?).map_err(closed)?;
    }
    let mut received: Vec<Uuid> = Vec::with_capacity(BATCH as usize);
    let mut samples = Vec::with_capacity(cycles as usize);
    let start = Instant::now();
    for _ in 0..cycles {
        let t = Instant::now();
        received.clear();
        for _ in 0..BATCH {
            let (uuid, _json) = rx.recv().await.ok_or_else(|| closed(()))?;
            received.push(uuid);
        }
        std::hint::black_box(&received);
        samples.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    drop((tx, rx));
    Ok(Measured {
        elapsed,
        messages: cycles * BATCH,
        samples,
    })
}

async fn mpsc_latency(samples: u64) -> Fallible<Measured> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Uuid, String)>();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<Instant>();
    let consumer = tokio::spawn(async move {
        for _ in 0..samples {
            if ready_tx.send(()).is_err() {
                return;
            }
            let Some(item) = rx.recv().await else { return };
            let at = Instant::now();
            std::hint::black_box(item);
            if got_tx.send(at).is_err() {
                return;
            }
        }
    });
    let mut measured = Vec::with_capacity(samples as usize);
    let result: Fallible<()> = async {
        for _ in 0..samples {
            ready_rx.recv().await.ok_or_else(|| closed(()))?;
            tokio::time::sleep(SETTLE).await;
            let item = uuid_and_json()?;
            let t0 = Instant::now();
            tx.send(item).map_err(closed)?;
            let at = got_rx.recv().await.ok_or_else(|| closed(()))?;
            measured.push(at.saturating_duration_since(t0));
        }
        Ok(())
    }
    .await;
    consumer.abort();
    result?;
    Ok(Measured {
        elapsed: measured.iter().sum(),
        messages: samples,
        samples: measured,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// The raw `redis` crate baselines.

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

async fn raw_publish(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<Measured> {
    let mut samples = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let (id, payload) = uuid_and_json()?;
        let entry: String = xadd(key, id, payload).query_async(conn).await.map_err(redis_err)?;
        std::hint::black_box(entry);
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: n,
        samples,
    })
}

async fn raw_pipeline(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<Measured> {
    let batches = n / BATCH;
    let mut samples = Vec::with_capacity(batches as usize);
    let start = Instant::now();
    for _ in 0..batches {
        let t = Instant::now();
        let mut pipe = redis::pipe();
        for _ in 0..BATCH {
            let (id, payload) = uuid_and_json()?;
            pipe.add_command(xadd(key, id, payload));
        }
        let ids: Vec<String> = pipe.query_async(conn).await.map_err(redis_err)?;
        std::hint::black_box(ids);
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: batches * BATCH,
        samples,
    })
}

/// The publish script's invocation, with the keys (stream, `:ids`, `:ids:order`) and arguments bus-redis
/// passes for a publish without trimming.
fn evalsha<'s>(
    script: &'s redis::Script,
    keys: &[String],
    cleanup: u64,
    id: Uuid,
    payload: String,
) -> redis::ScriptInvocation<'s> {
    let uuid = id.hyphenated().to_string();
    let mut invocation = script.prepare_invoke();
    for key in keys {
        invocation.key(key);
    }
    invocation
        .arg("publish")
        .arg(&uuid)
        .arg("0")
        .arg(cleanup)
        .arg("*")
        .arg("id")
        .arg(&uuid)
        .arg("payload")
        .arg(payload);
    invocation
}

/// One EVALSHA of the publish script per message (bus-redis's indexed publish, by hand).
async fn raw_evalsha(
    conn: &mut MultiplexedConnection,
    script: &redis::Script,
    keys: &[String],
    cleanup: u64,
    n: u64,
) -> Fallible<Measured> {
    let mut samples = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let (id, payload) = uuid_and_json()?;
        let reply: redis::Value = evalsha(script, keys, cleanup, id, payload)
            .invoke_async(conn)
            .await
            .map_err(redis_err)?;
        std::hint::black_box(reply);
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: n,
        samples,
    })
}

/// 100 EVALSHA of the publish script in one MULTI/EXEC pipeline (bus-redis's indexed batch, by hand).
async fn raw_evalsha_multi_exec(
    conn: &mut MultiplexedConnection,
    script: &redis::Script,
    keys: &[String],
    cleanup: u64,
    n: u64,
) -> Fallible<Measured> {
    let batches = n / BATCH;
    let mut samples = Vec::with_capacity(batches as usize);
    let start = Instant::now();
    for _ in 0..batches {
        let t = Instant::now();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for _ in 0..BATCH {
            let (id, payload) = uuid_and_json()?;
            pipe.invoke_script(&evalsha(script, keys, cleanup, id, payload));
        }
        let replies: Vec<redis::Value> = pipe.query_async(conn).await.map_err(redis_err)?;
        std::hint::black_box(replies);
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: batches * BATCH,
        samples,
    })
}

/// Creates the group at the start of `key` and appends `n` entries by pipelines of XADD (untimed setup).
async fn raw_fill(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<()> {
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async::<()>(conn)
        .await
        .map_err(redis_err)?;
    for _ in 0..n / BATCH {
        let mut pipe = redis::pipe();
        for _ in 0..BATCH {
            let (id, payload) = uuid_and_json()?;
            pipe.add_command(xadd(key, id, payload)).ignore();
        }
        pipe.query_async::<()>(conn).await.map_err(redis_err)?;
    }
    Ok(())
}

/// The entry ids of an XREADGROUP reply (`[[key, [[id, fields], …]], …]`), nothing else parsed.
fn reply_ids(reply: redis::Value) -> Vec<Vec<u8>> {
    use redis::Value;
    let mut ids = Vec::new();
    let streams = match reply {
        Value::Array(streams) => streams,
        Value::Map(pairs) => pairs.into_iter().map(|(k, v)| Value::Array(vec![k, v])).collect(),
        _ => return ids,
    };
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
    ids
}

fn xreadgroup(key: &str, count: u64, block: Option<Duration>) -> redis::Cmd {
    let mut cmd = redis::cmd("XREADGROUP");
    cmd.arg("GROUP").arg(GROUP).arg(CONSUMER).arg("COUNT").arg(count);
    if let Some(block) = block {
        cmd.arg("BLOCK").arg(block.as_millis() as u64);
    }
    cmd.arg("STREAMS").arg(key).arg(">");
    cmd
}

async fn raw_cycle(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<Measured> {
    let cycles = n / BATCH;
    let mut samples = Vec::with_capacity(cycles as usize);
    let start = Instant::now();
    for _ in 0..cycles {
        let t = Instant::now();
        let reply: redis::Value = xreadgroup(key, BATCH, None)
            .query_async(conn)
            .await
            .map_err(redis_err)?;
        let ids = reply_ids(reply);
        let acked: u64 = redis::cmd("XACK")
            .arg(key)
            .arg(GROUP)
            .arg(ids)
            .query_async(conn)
            .await
            .map_err(redis_err)?;
        if acked != BATCH {
            return Err(format!("raw group cycle acked {acked} entries, expected {BATCH}"));
        }
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: cycles * BATCH,
        samples,
    })
}

async fn raw_latency(
    client: &redis::Client,
    conn: &mut MultiplexedConnection,
    key: &str,
    samples: u64,
) -> Fallible<Measured> {
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(GROUP)
        .arg("$")
        .arg("MKSTREAM")
        .query_async::<()>(conn)
        .await
        .map_err(redis_err)?;
    // The blocked reads get a connection of their own, as bus-redis gives them, with a response timeout above
    // the block.
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(Some(BLOCK + Duration::from_secs(5)));
    let mut blocked = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(redis_err)?;
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<Fallible<Instant>>();
    let consumer = {
        let key = key.to_owned();
        tokio::spawn(async move {
            for _ in 0..samples {
                if ready_tx.send(()).is_err() {
                    return;
                }
                let got = match xreadgroup(&key, 1, Some(BLOCK))
                    .query_async::<redis::Value>(&mut blocked)
                    .await
                {
                    Ok(reply) => {
                        let at = Instant::now();
                        let ids = reply_ids(reply);
                        if ids.is_empty() {
                            Err("the raw blocked read returned no entry".to_owned())
                        } else {
                            redis::cmd("XACK")
                                .arg(&key)
                                .arg(GROUP)
                                .arg(ids)
                                .query_async::<u64>(&mut blocked)
                                .await
                                .map(|_| at)
                                .map_err(redis_err)
                        }
                    }
                    Err(err) => Err(redis_err(err)),
                };
                if got_tx.send(got).is_err() {
                    return;
                }
            }
        })
    };
    let mut measured = Vec::with_capacity(samples as usize);
    let result: Fallible<()> = async {
        for _ in 0..samples {
            ready_rx.recv().await.ok_or_else(|| closed(()))?;
            tokio::time::sleep(SETTLE).await;
            let (id, payload) = uuid_and_json()?;
            let t0 = Instant::now();
            let entry: String = xadd(key, id, payload).query_async(conn).await.map_err(redis_err)?;
            std::hint::black_box(entry);
            let at = got_rx.recv().await.ok_or_else(|| closed(()))??;
            measured.push(at.saturating_duration_since(t0));
        }
        Ok(())
    }
    .await;
    consumer.abort();
    result?;
    Ok(Measured {
        elapsed: measured.iter().sum(),
        messages: samples,
        samples: measured,
    })
}

/// Deletes keys (between rounds, untimed).
async fn del(conn: &mut MultiplexedConnection, keys: &[String]) -> Fallible<()> {
    redis::cmd("DEL")
        .arg(keys)
        .query_async::<()>(conn)
        .await
        .map_err(redis_err)
}

// ---------------------------------------------------------------------------------------------------------------
// The run.

fn topic(name: &str) -> Fallible<Topic> {
    Topic::new(name).map_err(bus_err)
}

async fn memory_rows(progress: &Progress, sizes: Sizes) -> Fallible<Vec<Row>> {
    let mut rows = Vec::new();
    let t = topic("bench:memory")?;
    let t = &t;
    let Sizes { per_round, warm, .. } = sizes;

    rows.push(
        compare(
            progress,
            &Case {
                backend: "memory",
                op: "publish",
                per: "message",
                bus_arm: "memory publish",
                base_arm: "mpsc unbounded send",
                throughput: true,
            },
            per_round,
            warm,
            mpsc_publish,
            async |n| {
                let backend = MemoryBackend::new();
                let measured = bus_publish(&backend, t, n).await;
                drop(backend);
                measured
            },
        )
        .await?,
    );

    rows.push(
        compare(
            progress,
            &Case {
                backend: "memory",
                op: "publish batched",
                per: "batch of 100",
                bus_arm: "memory publish_batch",
                base_arm: "mpsc send of a Vec of 100",
                throughput: true,
            },
            per_round,
            warm,
            mpsc_publish_batch,
            async |n| {
                let backend = MemoryBackend::new();
                let measured = bus_publish_batch(&backend, t, n).await;
                drop(backend);
                measured
            },
        )
        .await?,
    );

    rows.push(
        compare(
            progress,
            &Case {
                backend: "memory",
                op: "group read + ack",
                per: "cycle of 100",
                bus_arm: "memory read_group COUNT 100 + ack",
                base_arm: "mpsc 100 × recv",
                throughput: true,
            },
            per_round,
            warm,
            mpsc_cycle,
            async |n| {
                let backend = MemoryBackend::new();
                bus_fill(&backend, t, n).await?;
                let measured = bus_cycle(&backend, t, n).await;
                drop(backend);
                measured
            },
        )
        .await?,
    );

    let latency = sizes.latency_per_round;
    rows.push(
        compare(
            progress,
            &Case {
                backend: "memory",
                op: "publish → blocked consumer",
                per: "wakeup",
                bus_arm: "memory publish → read_group BLOCK",
                base_arm: "mpsc send → recv",
                throughput: false,
            },
            latency,
            latency.min(20),
            mpsc_latency,
            async |n| {
                let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
                bus_latency(backend, t.clone(), n).await
            },
        )
        .await?,
    );
    Ok(rows)
}

/// The Redis side: backends and raw connections on one server, under a unique key prefix.
struct RedisSide {
    url: String,
    prefix: String,
    client: redis::Client,
    raw: MultiplexedConnection,
    plain: Arc<RedisBackend>,
    /// The default mode, for the indexed publish rows.
    indexed: RedisBackend,
    script: redis::Script,
}

impl RedisSide {
    async fn connect(url: &str) -> Fallible<RedisSide> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let prefix = format!("bus-bench:{}:{nanos}:", std::process::id());
        let plain = RedisBackend::connect(
            url,
            RedisOptions::new()
                .key_prefix(prefix.clone())
                .publish_mode(PublishMode::Plain),
        )
        .await
        .map_err(bus_err)?;
        let indexed = RedisBackend::connect(url, RedisOptions::new().key_prefix(prefix.clone()))
            .await
            .map_err(bus_err)?;
        let client = redis::Client::open(url).map_err(redis_err)?;
        let raw = client.get_multiplexed_async_connection().await.map_err(redis_err)?;
        Ok(RedisSide {
            url: url.to_owned(),
            prefix,
            client,
            raw,
            plain: Arc::new(plain),
            indexed,
            script: redis::Script::new(&bus::bus_redis::__publish_script_source()),
        })
    }

    /// The keys of a topic of the bus backend (stream and index keys), and of a raw arm of the same name.
    fn keys(&self, topic: &Topic) -> Vec<String> {
        let (idx, ord) = self.plain.index_keys(topic);
        vec![self.plain.stream_key(topic), idx, ord]
    }

    /// Deletes every key under the run's prefix.
    async fn cleanup(&mut self) -> Fallible<()> {
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{}*", self.prefix))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut self.raw)
                .await
                .map_err(redis_err)?;
            if !keys.is_empty() {
                del(&mut self.raw, &keys).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

async fn redis_rows(progress: &Progress, sizes: Sizes, side: &RedisSide) -> Fallible<Vec<Row>> {
    let mut rows = Vec::new();
    let Sizes { per_round, warm, .. } = sizes;
    let raw_topic = topic("bench:raw")?;
    let bus_topic = topic("bench:bus")?;
    let raw_keys = side.keys(&raw_topic);
    let bus_keys = side.keys(&bus_topic);
    let (raw_keys, bus_keys, bus_topic) = (&raw_keys, &bus_keys, &bus_topic);
    let raw_key = raw_keys.first().ok_or("no stream key")?.as_str();
    let plain: &dyn Backend = side.plain.as_ref();

    rows.push(
        compare(
            progress,
            &Case {
                backend: "redis",
                op: "publish",
                per: "message",
                bus_arm: "bus-redis publish (plain)",
                base_arm: "raw XADD",
                throughput: true,
            },
            per_round,
            warm,
            async |n| {
                let mut conn = side.raw.clone();
                let measured = raw_publish(&mut conn, raw_key, n).await?;
                del(&mut conn, raw_keys).await?;
                Ok(measured)
            },
            async |n| {
                let measured = bus_publish(plain, bus_topic, n).await?;
                del(&mut side.raw.clone(), bus_keys).await?;
                Ok(measured)
            },
        )
        .await?,
    );

    rows.push(
        compare(
            progress,
            &Case {
                backend: "redis",
                op: "publish batched",
                per: "batch of 100",
                bus_arm: "bus-redis publish_batch (plain)",
                base_arm: "raw pipeline of 100 XADD",
                throughput: true,
            },
            per_round,
            warm,
            async |n| {
                let mut conn = side.raw.clone();
                let measured = raw_pipeline(&mut conn, raw_key, n).await?;
                del(&mut conn, raw_keys).await?;
                Ok(measured)
            },
            async |n| {
                let measured = bus_publish_batch(plain, bus_topic, n).await?;
                del(&mut side.raw.clone(), bus_keys).await?;
                Ok(measured)
            },
        )
        .await?,
    );

    let bus_key = bus_keys.first().ok_or("no stream key")?.as_str();
    rows.push(
        compare(
            progress,
            &Case {
                backend: "redis",
                op: "group read + ack",
                per: "cycle of 100",
                bus_arm: "bus-redis read_group COUNT 100 + ack",
                base_arm: "raw XREADGROUP COUNT 100 + XACK",
                throughput: true,
            },
            per_round,
            warm,
            async |n| {
                let mut conn = side.raw.clone();
                raw_fill(&mut conn, raw_key, n).await?;
                let measured = raw_cycle(&mut conn, raw_key, n).await?;
                del(&mut conn, raw_keys).await?;
                Ok(measured)
            },
            async |n| {
                let mut conn = side.raw.clone();
                raw_fill(&mut conn, bus_key, n).await?;
                let measured = bus_cycle(plain, bus_topic, n).await?;
                del(&mut conn, bus_keys).await?;
                Ok(measured)
            },
        )
        .await?,
    );

    // The default (indexed, idempotent) publish against the same script called by hand.
    let indexed: &dyn Backend = &side.indexed;
    let cleanup = side.indexed.options().index_cleanup_batch;
    let script = &side.script;
    rows.push(
        compare(
            progress,
            &Case {
                backend: "redis",
                op: "publish (indexed)",
                per: "message",
                bus_arm: "bus-redis publish (indexed, default)",
                base_arm: "raw EVALSHA of the publish script",
                throughput: true,
            },
            per_round,
            warm,
            async |n| {
                let mut conn = side.raw.clone();
                let measured = raw_evalsha(&mut conn, script, raw_keys, cleanup, n).await?;
                del(&mut conn, raw_keys).await?;
                Ok(measured)
            },
            async |n| {
                let measured = bus_publish(indexed, bus_topic, n).await?;
                del(&mut side.raw.clone(), bus_keys).await?;
                Ok(measured)
            },
        )
        .await?,
    );

    rows.push(
        compare(
            progress,
            &Case {
                backend: "redis",
                op: "publish batched (indexed)",
                per: "batch of 100",
                bus_arm: "bus-redis publish_batch (indexed, default)",
                base_arm: "raw MULTI/EXEC of 100 EVALSHA",
                throughput: true,
            },
            per_round,
            warm,
            async |n| {
                let mut conn = side.raw.clone();
                let measured = raw_evalsha_multi_exec(&mut conn, script, raw_keys, cleanup, n).await?;
                del(&mut conn, raw_keys).await?;
                Ok(measured)
            },
            async |n| {
                let measured = bus_publish_batch(indexed, bus_topic, n).await?;
                del(&mut side.raw.clone(), bus_keys).await?;
                Ok(measured)
            },
        )
        .await?,
    );

    let latency = sizes.latency_per_round;
    let shared: Arc<dyn Backend> = side.plain.clone();
    rows.push(
        compare(
            progress,
            &Case {
                backend: "redis",
                op: "publish → blocked consumer",
                per: "wakeup",
                bus_arm: "bus-redis publish → read_group BLOCK",
                base_arm: "raw XADD → XREADGROUP BLOCK",
                throughput: false,
            },
            latency,
            latency.min(20),
            async |n| {
                let mut conn = side.raw.clone();
                let measured = raw_latency(&side.client, &mut conn, raw_key, n).await?;
                del(&mut conn, raw_keys).await?;
                Ok(measured)
            },
            async |n| {
                let measured = bus_latency(Arc::clone(&shared), bus_topic.clone(), n).await?;
                del(&mut side.raw.clone(), bus_keys).await?;
                Ok(measured)
            },
        )
        .await?,
    );
    Ok(rows)
}

/// `redis-benchmark`'s arguments naming the server of `url`, or why it cannot be run against it.
fn redis_benchmark_target(url: &str) -> Fallible<Vec<String>> {
    let (scheme, rest) = url.split_once("://").ok_or("URL without a scheme")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "rediss" {
        return Err("TLS URLs are not passed to redis-benchmark".into());
    }
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut args = Vec::new();
    let (auth, location) = match rest.rsplit_once('@') {
        Some((auth, location)) => (Some(auth), location),
        None => (None, rest),
    };
    if scheme == "redis+unix" || scheme == "unix" {
        args.extend(["-s".to_owned(), location.to_owned()]);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("db", db)) => args.extend(["--dbnum".to_owned(), db.to_owned()]),
                Some(("user", user)) => args.extend(["--user".to_owned(), user.to_owned()]),
                Some(("pass" | "password", pass)) => args.extend(["-a".to_owned(), pass.to_owned()]),
                _ => {}
            }
        }
    } else {
        let (host_port, db) = location.split_once('/').unwrap_or((location, ""));
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() => (host, port),
            Some((_, port)) => ("127.0.0.1", port),
            None if host_port.is_empty() => ("127.0.0.1", "6379"),
            None => (host_port, "6379"),
        };
        args.extend(["-h".to_owned(), host.to_owned(), "-p".to_owned(), port.to_owned()]);
        if !db.is_empty() {
            args.extend(["--dbnum".to_owned(), db.to_owned()]);
        }
        if let Some(auth) = auth {
            let (user, pass) = auth.split_once(':').unwrap_or(("", auth));
            if !user.is_empty() {
                args.extend(["--user".to_owned(), user.to_owned()]);
            }
            if !pass.is_empty() {
                args.extend(["-a".to_owned(), pass.to_owned()]);
            }
        }
    }
    if args.iter().any(|a| a == "-a") {
        args.push("--no-auth-warning".to_owned());
    }
    Ok(args)
}

/// Parses the last line of `redis-benchmark --csv`: `"test","rps","avg","min","p50","p95","p99","max"` (the test
/// name may hold commas, so the numbers are taken from the right).
fn parse_csv(stdout: &str) -> Option<(f64, f64, f64)> {
    let line = stdout.lines().rev().find(|line| !line.trim().is_empty())?;
    let fields: Vec<f64> = line
        .rsplitn(8, ',')
        .take(7)
        .map(|field| field.trim().trim_matches('"').parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    // Reversed: max, p99, p95, p50, min, avg, rps.
    match fields.as_slice() {
        [_max, p99, _p95, p50, _min, _avg, rps] => Some((*rps, *p50, *p99)),
        _ => None,
    }
}

/// `redis-benchmark -c 1 -n N -P {1,100} XADD …` with the same fields on the same server (blocking: run outside
/// the async arms).
async fn redis_benchmark(progress: &Progress, side: &mut RedisSide, messages: u64, rows: &[Row]) -> Value {
    let target = match redis_benchmark_target(&side.url) {
        Ok(target) => target,
        Err(reason) => {
            progress.step("redis-benchmark: skipped".into());
            progress.step("redis-benchmark: skipped".into());
            return json!({"skipped": reason});
        }
    };
    let key = format!("{}redis-benchmark", side.prefix);
    let (id, payload) = match uuid_and_json() {
        Ok(generated) => generated,
        Err(reason) => return json!({"skipped": reason}),
    };
    let mut runs = Vec::new();
    for (pipeline, bus_op) in [(1, "publish"), (BATCH, "publish batched")] {
        progress.step(format!("redis-benchmark -P {pipeline}"));
        let output = tokio::process::Command::new("redis-benchmark")
            .args(&target)
            .args([
                "-c",
                "1",
                "-n",
                &messages.to_string(),
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
            .stdin(std::process::Stdio::null())
            .output()
            .await;
        let _ = del(&mut side.raw, std::slice::from_ref(&key)).await;
        let output = match output {
            Ok(output) if output.status.success() => output,
            Ok(output) => {
                return json!({"skipped": format!(
                    "redis-benchmark failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                )});
            }
            Err(err) => return json!({"skipped": format!("redis-benchmark not run: {err}")}),
        };
        let Some((rps, p50_ms, p99_ms)) = parse_csv(&String::from_utf8_lossy(&output.stdout)) else {
            return json!({"skipped": "cannot parse redis-benchmark's CSV output"});
        };
        let bus_ratio = rows
            .iter()
            .find(|row| row.backend == "redis" && row.op == bus_op)
            .and_then(|row| row.bus.throughput)
            .filter(|_| rps > 0.0)
            .map(|throughput| throughput / rps);
        runs.push(RedisBenchmark {
            pipeline,
            requests: messages,
            rps,
            p50_ms,
            p99_ms,
            bus_op,
            bus_ratio,
        });
    }
    serde_json::to_value(runs).unwrap_or(Value::Null)
}

/// `bus bench`.
pub(crate) fn run(runtime: &Runtime, url: &str, args: &BenchArgs) -> ExitCode {
    match runtime.block_on(report(url, args)) {
        Ok(report) => {
            let printed = if args.json {
                print_line(&report)
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(table(&report).as_bytes())
                    .and_then(|()| out.flush())
                    .is_ok()
            };
            if printed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(message) => {
            print_line(&bus_command::error_parts_json("bench", &message));
            ExitCode::FAILURE
        }
    }
}

/// The Redis URL to bench, if any: `--redis-url`, else `--url` when it names Redis.
fn redis_url<'a>(url: &'a str, args: &'a BenchArgs) -> Fallible<Option<&'a str>> {
    if let Some(redis_url) = args.redis_url.as_deref() {
        return match BackendKind::of_url(redis_url).map_err(bus_err)? {
            BackendKind::Redis => Ok(Some(redis_url)),
            _ => Err("--redis-url must be a redis://, rediss:// or redis+unix:// URL".into()),
        };
    }
    match BackendKind::of_url(url).map_err(bus_err)? {
        BackendKind::Redis => Ok(Some(url)),
        _ => Ok(None),
    }
}

async fn report(url: &str, args: &BenchArgs) -> Fallible<Value> {
    if args.messages == 0 {
        return Err("--messages must be at least 1".into());
    }
    let redis_url = redis_url(url, args)?;
    let sizes = Sizes::of(args.messages);
    let pairs = if redis_url.is_some() { 10 } else { 4 };
    let steps = pairs * PAIR_STEPS + if redis_url.is_some() { 2 } else { 0 };
    let progress = Progress::new(steps);
    let mut rows = memory_rows(&progress, sizes).await?;
    let mut redis_benchmark_runs = Value::Null;
    if let Some(redis_url) = redis_url {
        let mut side = RedisSide::connect(redis_url).await?;
        let result = redis_rows(&progress, sizes, &side).await;
        let cleaned = side.cleanup().await;
        rows.extend(result?);
        cleaned?;
        redis_benchmark_runs = redis_benchmark(&progress, &mut side, sizes.per_round * ROUNDS, &rows).await;
        side.cleanup().await?;
    }
    progress.0.finish_and_clear();
    Ok(json!({
        "messages": sizes.per_round * ROUNDS,
        "rounds": ROUNDS,
        "batch": BATCH,
        "latency_samples": sizes.latency_per_round * ROUNDS,
        "per_message_work": "Uuid::new_v4() + serde_json::to_string of a 64-byte JSON payload",
        "redis": redis_url.map(bus::redact_url),
        "rows": rows,
        "redis_benchmark": redis_benchmark_runs,
    }))
}

/// Humane throughput: `1.23 M/s`, `456 K/s`.
fn rate(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 1e6 => format!("{:.2} M/s", v / 1e6),
        Some(v) if v >= 1e3 => format!("{:.1} K/s", v / 1e3),
        Some(v) => format!("{v:.0} /s"),
        None => "-".to_owned(),
    }
}

/// Humane duration from microseconds.
fn time(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else if us >= 100.0 {
        format!("{us:.0} µs")
    } else if us >= 1.0 {
        format!("{us:.2} µs")
    } else {
        format!("{:.0} ns", us * 1000.0)
    }
}

/// The report as a text table.
fn table(report: &Value) -> String {
    let mut out = String::new();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let num = |v: &Value| v.as_f64().unwrap_or_default();
    out.push_str(&format!(
        "bus bench: {} messages per throughput arm, {} latency samples, {} interleaved rounds; per message: {}\n",
        report["messages"],
        report["latency_samples"],
        report["rounds"],
        text(&report["per_message_work"])
    ));
    if let Some(redis) = report["redis"].as_str() {
        out.push_str(&format!(
            "redis: {redis} (bus-redis in PublishMode::Plain, and in the default indexed mode where marked)\n"
        ));
    }
    out.push_str(
        "throughput in messages/s; p50/p99 per sample (message, batch of 100, cycle of 100, or wakeup); ratio = bus ÷ \
         baseline (throughput: higher is better; latency row: p50, lower is better)\n\n",
    );
    let header = [
        "backend",
        "operation",
        "per sample",
        "arm",
        "throughput",
        "p50",
        "p99",
        "ratio",
    ];
    let mut lines: Vec<[String; 8]> = vec![header.map(str::to_owned)];
    for row in report["rows"].as_array().map(Vec::as_slice).unwrap_or_default() {
        for (side, ratio) in [
            ("baseline", String::new()),
            ("bus", format!("{:.2}×", num(&row["ratio"]))),
        ] {
            let arm = &row[side];
            let ratio = if side == "bus" && row["ratio_of"] == "p50" {
                format!("{ratio} (p50)")
            } else {
                ratio
            };
            lines.push([
                text(&row["backend"]),
                text(&row["op"]),
                text(&row["per"]),
                format!(
                    "{}{}",
                    if side == "baseline" { "baseline: " } else { "" },
                    text(&arm["arm"])
                ),
                rate(arm["throughput"].as_f64()),
                time(num(&arm["p50_us"])),
                time(num(&arm["p99_us"])),
                ratio,
            ]);
        }
    }
    let mut widths = [0usize; 8];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for line in &lines {
        let mut text_line = String::new();
        for (i, (cell, width)) in line.iter().zip(widths).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            // Numbers right-aligned, words left-aligned.
            if i >= 4 {
                text_line.push_str(&" ".repeat(pad));
                text_line.push_str(cell);
            } else {
                text_line.push_str(cell);
                text_line.push_str(&" ".repeat(pad));
            }
            text_line.push_str("  ");
        }
        out.push_str(text_line.trim_end());
        out.push('\n');
    }
    match &report["redis_benchmark"] {
        Value::Array(runs) => {
            out.push_str("\nredis-benchmark -c 1 XADD (same fields, same server):\n");
            for run in runs {
                let ratio = run["bus_ratio"]
                    .as_f64()
                    .map(|r| format!("; bus-redis {} ÷ this = {r:.2}×", text(&run["bus_op"])))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  -P {:<3} -n {}: {} requests/s, p50 {} ms, p99 {} ms{ratio}\n",
                    run["pipeline"].as_u64().unwrap_or_default(),
                    run["requests"],
                    rate(run["rps"].as_f64()).trim_end_matches("/s").trim_end(),
                    num(&run["p50_ms"]),
                    num(&run["p99_ms"]),
                ));
            }
        }
        Value::Object(skipped) => {
            if let Some(reason) = skipped.get("skipped") {
                out.push_str(&format!("\nredis-benchmark skipped: {}\n", text(reason)));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn the_payload_is_64_bytes() {
        assert_eq!(uuid_and_json().unwrap().1.len(), 64);
    }

    #[test]
    fn redis_benchmark_csv_is_parsed_from_the_right() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\
                   \"XADD k * id x payload {\"\"kind\"\":\"\"chat\"\",\"\"content\"\":\"\"a\"\"}\",\"50200.80\",\"0.016\",\"0.008\",\"0.015\",\"0.023\",\"0.031\",\"0.503\"\n";
        assert_eq!(parse_csv(csv), Some((50200.80, 0.015, 0.031)));
    }

    #[test]
    fn redis_benchmark_targets() {
        assert_eq!(
            redis_benchmark_target("redis+unix:///tmp/bench.sock").unwrap(),
            ["-s", "/tmp/bench.sock"]
        );
        assert_eq!(
            redis_benchmark_target("redis://127.0.0.1:6380/2").unwrap(),
            ["-h", "127.0.0.1", "-p", "6380", "--dbnum", "2"]
        );
        assert!(redis_benchmark_target("rediss://host").is_err());
    }

    #[test]
    fn sizes_are_whole_batches_per_round() {
        let sizes = Sizes::of(50_000);
        assert_eq!((sizes.per_round, sizes.latency_per_round), (10_000, 100));
        let sizes = Sizes::of(1);
        assert_eq!((sizes.per_round, sizes.warm, sizes.latency_per_round), (100, 100, 4));
    }
}
