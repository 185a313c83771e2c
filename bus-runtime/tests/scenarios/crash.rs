//! Crash test: N messages, K workers killed at random mid-handler (deterministic seed). Every message is
//! processed at least once, none is lost, and duplicates are counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::{Bus, EntryId, GroupStart, Message, Topic, Uuid};
use bus_runtime::{Backoff, Delivery, Worker, WorkerConfig, WorkerHandle, dead_letter_topic};
use tokio::time::{Instant, sleep};

use crate::common::{Rig, Rng, Time};

const GROUP: &str = "workers";
const MESSAGES: usize = 300;
const WORKERS: usize = 4;
const KILLS: usize = 40;

type Completions = Arc<Mutex<HashMap<Uuid, u32>>>;

fn config(t: Time) -> WorkerConfig {
    WorkerConfig::new()
        .concurrency(3)
        .read_block(t.ms(50))
        .max_deliveries(1_000)
        .retry_backoff(Backoff::new(t.ms(50), t.ms(400)))
        .retry_scan_interval(t.ms(50))
        .claim_idle(t.ms(600))
        .claim_interval(t.ms(100))
        .keep_alive_interval(Some(t.ms(150)))
}

struct Shared {
    done: Completions,
    started: Arc<Mutex<u32>>,
    rng: Arc<Mutex<Rng>>,
}

fn start(bus: &Bus, t: Time, topic: &Topic, name: String, shared: &Shared) -> WorkerHandle {
    let (done, started, rng) = (shared.done.clone(), shared.started.clone(), shared.rng.clone());
    Worker::new(bus.clone(), topic.clone(), GROUP, name, config(t)).spawn(move |delivery: Delivery| {
        let (done, started, rng) = (done.clone(), started.clone(), rng.clone());
        async move {
            *started.lock().unwrap() += 1;
            let (work, tail) = {
                let mut rng = rng.lock().unwrap();
                (rng.range(5, 120), rng.range(0, 10))
            };
            sleep(t.ms(work)).await;
            // The side effect happens only if the handler was not killed before this point.
            *done.lock().unwrap().entry(delivery.message.id()).or_default() += 1;
            // Some work after the side effect: a kill here leaves a processed entry unacked (a duplicate later).
            sleep(t.ms(tail)).await;
            Ok::<(), String>(())
        }
    })
}

/// Returns (messages processed, duplicate completions, handler calls killed before their side effect).
async fn run_crash_test(bus: &Bus, t: Time, seed: u64) -> (usize, u32, u32) {
    let topic = Topic::chat_agent(format!("crash-{seed}")).unwrap();
    bus.ensure_group(&topic, GROUP, GroupStart::Id(EntryId::MIN))
        .await
        .unwrap();
    let mut uuids = Vec::new();
    for i in 0..MESSAGES {
        let message = Message::new(&i).unwrap();
        uuids.push(message.id());
        bus.publish_message(&topic, &message).await.unwrap();
    }
    let shared = Shared {
        done: Arc::default(),
        started: Arc::default(),
        rng: Arc::new(Mutex::new(Rng::new(seed))),
    };
    let (done, rng) = (shared.done.clone(), shared.rng.clone());
    let mut generation = 0usize;
    let mut workers: Vec<(String, WorkerHandle)> = (0..WORKERS)
        .map(|k| {
            let name = format!("w{k}-0");
            (name.clone(), start(bus, t, &topic, name, &shared))
        })
        .collect();

    let mut kills = 0;
    while kills < KILLS {
        let pause = rng.lock().unwrap().range(20, 200);
        sleep(t.ms(pause)).await;
        let (victim, same_name) = {
            let mut rng = rng.lock().unwrap();
            (rng.range(0, WORKERS as u64) as usize, rng.range(0, 2) == 0)
        };
        let (name, handle) = &workers[victim];
        handle.abort(); // a crash: handlers die mid-flight, nothing more is acked
        generation += 1;
        // Half the time the process restarts under the same name (it recovers its own pending entries first),
        // otherwise under a new one (the dead consumer's entries must be autoclaimed).
        let name = if same_name {
            name.clone()
        } else {
            format!("w{victim}-{generation}")
        };
        workers[victim] = (name.clone(), start(bus, t, &topic, name, &shared));
        kills += 1;
    }

    let limit = t.limit(Duration::from_secs(600));
    let deadline = Instant::now() + limit;
    loop {
        // One reply, so that pending and lag are of the same moment.
        let info = bus.backend().groups_info(&topic).await.unwrap().remove(0);
        let (pending, lag) = (info.pending, info.lag);
        let processed = done.lock().unwrap().len();
        if pending == 0 && lag == Some(0) && processed == MESSAGES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stuck after {limit:?}: {processed}/{MESSAGES} processed, {pending} pending, lag {lag:?}"
        );
        sleep(Duration::from_millis(100)).await;
    }
    for (_, handle) in workers {
        handle.shutdown().await.unwrap();
    }

    let dead = dead_letter_topic(&topic, GROUP).unwrap();
    assert_eq!(bus.backend().len(&dead).await.unwrap(), 0, "nothing was dead-lettered");
    assert_eq!(bus.backend().pending_summary(&topic, GROUP).await.unwrap().count, 0);
    let done = done.lock().unwrap().clone();
    for uuid in &uuids {
        assert!(done.get(uuid).copied().unwrap_or(0) >= 1, "message {uuid} was lost");
    }
    assert_eq!(done.len(), MESSAGES);
    let duplicates: u32 = done.values().map(|n| n - 1).sum();
    let completions: u32 = done.values().sum();
    let started = *shared.started.lock().unwrap();
    (done.len(), duplicates, started - completions)
}

pub async fn killed_workers_lose_nothing(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    // A seed replays exactly only on paused time; on a real clock the interleaving varies from run to run anyway,
    // and each run takes seconds, so one seed is run there.
    let seeds: &[u64] = if t.paused() { &[7, 42, 2024] } else { &[7] };
    for &seed in seeds {
        let (processed, duplicates, killed) = run_crash_test(&bus, t, seed).await;
        println!(
            "seed {seed}: {processed} messages processed, {duplicates} duplicate completions, \
             {killed} handler calls killed before their side effect"
        );
        assert_eq!(processed, MESSAGES);
        assert!(killed > 0, "the kills must land mid-handler");
        // Kills land mid-handler, so some work is redone; a crash can duplicate at most the handlers that
        // completed but were not yet acked.
        assert!(
            duplicates <= (KILLS * 3) as u32,
            "{duplicates} duplicates for {KILLS} kills"
        );
    }
}
