//! A worker pool: several `bus_runtime::Worker`s share one consumer group, one of them is killed mid-work (its
//! task aborted while handlers run), and the others claim its pending entries once they are idle for
//! `claim_idle`. It prints the accounting: published, processed, duplicates, dead-lettered, lost (always 0).
//!
//! Run with `cargo run -p examples --example worker_pool`, or
//! `BUS_URL=redis://127.0.0.1:6379/0 cargo run -p examples --example worker_pool` on Redis. Each run uses topics
//! of its own and drops them at the end, or when interrupted (Ctrl-C, SIGTERM), once its workers stopped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus::{Message, Topic, Uuid};
use bus_runtime::{Backoff, Delivery, RecentUuids, Worker, WorkerConfig, WorkerHandle, dead_letter_topic};
use serde::{Deserialize, Serialize};
use tokio::time::{Instant, sleep};

const JOBS: usize = 60;
const WORKERS: usize = 3;
const GROUP: &str = "pool";

/// A unit of work.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    number: usize,
}

/// What the handlers record, shared by all workers.
#[derive(Default)]
struct Ledger {
    /// Completed side effects per message UUID (more than 1 is a duplicate).
    completions: Mutex<HashMap<Uuid, u32>>,
    /// Handlers running now, per worker.
    running: Mutex<HashMap<String, Vec<usize>>>,
    /// Jobs each worker completed.
    done_by: Mutex<HashMap<String, usize>>,
}

fn config() -> WorkerConfig {
    // Short timings so the demo takes seconds: an entry idle for 500 ms counts as abandoned; running handlers
    // renew their claim every 150 ms, so only a dead worker's entries go idle that long.
    WorkerConfig::new()
        .concurrency(2)
        .read_block(Duration::from_millis(100))
        .max_deliveries(5)
        .retry_backoff(Backoff::new(Duration::from_millis(50), Duration::from_millis(200)))
        .retry_scan_interval(Duration::from_millis(100))
        .claim_idle(Duration::from_millis(500))
        .claim_interval(Duration::from_millis(100))
        .keep_alive_interval(Some(Duration::from_millis(150)))
}

fn start(bus: &bus::Bus, topic: &Topic, name: &str, ledger: &Arc<Ledger>) -> WorkerHandle {
    let ledger = Arc::clone(ledger);
    let worker = name.to_owned();
    // Side effects are idempotent by message UUID: a redelivered job already done is acknowledged, not redone.
    let seen = Arc::new(RecentUuids::new(10_000));
    Worker::new(bus.clone(), topic.clone(), GROUP, name, config()).spawn(move |delivery: Delivery| {
        let (ledger, worker, seen) = (Arc::clone(&ledger), worker.clone(), Arc::clone(&seen));
        async move {
            let job: Job = delivery.message.decode()?;
            if delivery.delivery_count > 1 {
                println!(
                    "{worker}: job {} again (delivery {}, claimed from a dead worker)",
                    job.number, delivery.delivery_count
                );
            }
            if seen.contains(delivery.message.id()) {
                return Ok(());
            }
            lock(&ledger.running)
                .entry(worker.clone())
                .or_default()
                .push(job.number);
            sleep(Duration::from_millis(40 + (job.number as u64 * 37) % 80)).await;
            // The side effect: if the worker is killed before this line, the job was not done.
            *lock(&ledger.completions).entry(delivery.message.id()).or_default() += 1;
            seen.insert(delivery.message.id());
            *lock(&ledger.done_by).entry(worker.clone()).or_default() += 1;
            lock(&ledger.running)
                .entry(worker.clone())
                .or_default()
                .retain(|n| *n != job.number);
            Ok::<(), bus::Error>(())
        }
    })
}

/// Locks a mutex, ignoring poisoning (a handler panicking mid-update cannot leave these maps inconsistent).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = examples::bus_url();
    let bus = bus::connect(&url).await?;
    let topic = Topic::new(format!("jobs:pool-{}", examples::run_id()))?;
    let dead = dead_letter_topic(&topic, GROUP)?;
    println!(
        "backend: {}; topic: {topic}; group: {GROUP}",
        examples::backend_label(&url)?
    );

    // Workers live here, outside the run, so that after Ctrl-C they are stopped before their topics are dropped
    // (a running worker would create its group, and so the topic, again).
    let mut workers: Vec<(String, WorkerHandle)> = Vec::new();
    let outcome = examples::or_interrupted(run(&bus, &topic, &dead, &mut workers)).await;
    for (_, handle) in workers.drain(..) {
        let _ = handle.shutdown().await;
    }
    bus.drop_topic(&topic).await?;
    bus.drop_topic(&dead).await?;
    println!("dropped {topic}");
    outcome.unwrap_or(Ok(()))
}

/// Publishes the jobs, runs the pool, kills a worker, waits for every job and prints the accounting.
async fn run(
    bus: &bus::Bus,
    topic: &Topic,
    dead: &Topic,
    workers: &mut Vec<(String, WorkerHandle)>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (topic, dead) = (topic.clone(), dead.clone());
    let mut published = Vec::new();
    for number in 0..JOBS {
        let message = Message::new(&Job { number })?;
        bus.publish_message(&topic, &message).await?;
        published.push(message.id());
    }
    println!("published {JOBS} jobs");

    let ledger = Arc::new(Ledger::default());
    workers.extend((1..=WORKERS).map(|i| {
        let name = format!("worker-{i}");
        let handle = start(bus, &topic, &name, &ledger);
        (name, handle)
    }));
    println!("started {WORKERS} workers in group {GROUP} (concurrency 2 each, claim_idle 500 ms)");

    // Kill worker-2 once it has done a few jobs and has handlers running: a crash, not a shutdown.
    let victim = "worker-2";
    let deadline = Instant::now() + Duration::from_secs(20);
    let in_flight = loop {
        let done = lock(&ledger.done_by).get(victim).copied().unwrap_or(0);
        let running = lock(&ledger.running).get(victim).cloned().unwrap_or_default();
        if (done >= 3 && !running.is_empty()) || Instant::now() > deadline {
            break running;
        }
        sleep(Duration::from_millis(5)).await;
    };
    if let Some(index) = workers.iter().position(|(name, _)| name == victim) {
        let (_, handle) = workers.remove(index);
        handle.abort();
    }
    println!("killed {victim} while it was running jobs {in_flight:?}; the others will claim them");

    // Wait until every job is done (or dead-lettered), with a bound.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let processed = lock(&ledger.completions).len();
        let dead_lettered = usize::try_from(bus.len(&dead).await?).unwrap_or(usize::MAX);
        if processed + dead_lettered >= JOBS || Instant::now() > deadline {
            break;
        }
        sleep(Duration::from_millis(50)).await;
    }

    let mut claimed = 0;
    let mut dead_lettered_by_workers = 0;
    for (name, handle) in workers.drain(..) {
        let report = handle.shutdown().await?;
        println!(
            "{name}: delivered {}, acked {}, claimed {}, failed {}",
            report.delivered, report.acked, report.claimed, report.failed
        );
        claimed += report.claimed;
        dead_lettered_by_workers += report.dead_lettered;
    }
    let done_by = lock(&ledger.done_by).clone();
    let mut names: Vec<_> = done_by.keys().cloned().collect();
    names.sort();
    for name in names {
        println!("{name} completed {} jobs", done_by[&name]);
    }

    let completions = lock(&ledger.completions).clone();
    let processed = published.iter().filter(|id| completions.contains_key(id)).count();
    let duplicates: u32 = completions.values().map(|n| n.saturating_sub(1)).sum();
    let dead_lettered = usize::try_from(bus.len(&dead).await?).unwrap_or(usize::MAX);
    let lost = JOBS - processed - dead_lettered.min(JOBS - processed);
    let pending = bus.pending(&topic, GROUP).await?.count;
    println!(
        "claimed from the dead worker: {claimed}; dead letters written: {dead_lettered_by_workers}; pending now {pending}"
    );
    println!(
        "accounting: published={JOBS} processed={processed} duplicates={duplicates} dead-lettered={dead_lettered} lost={lost}"
    );
    if lost > 0 {
        return Err(format!("{lost} jobs were lost").into());
    }
    Ok(())
}
