//! The consumer runtime (`bus-runtime`) live on Redis: workers killed mid-handler lose nothing, a poison
//! message is dead-lettered after exactly `max_deliveries`, agents pause and resume through control messages,
//! and a subscription crosses a restart of a persistent server without gap or duplicate.
//!
//! Real time, real server: every assertion is an eventual outcome polled with a wide deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::{Bus, EntryId, GroupStart, Message, RangeBound, Topic, Uuid};
use bus_runtime::{
    Agent, Backoff, Control, DeadLetter, DeadLetterReason, Delivery, StartFrom, Subscription, SubscriptionConfig,
    SubscriptionItem, Worker, WorkerConfig, WorkerHandle, dead_letter_topic,
};
use futures::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout};

use common::TestRedis;

const GROUP: &str = "workers";

/// Polls `check` every 20 ms until it holds; panics after `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        sleep(Duration::from_millis(20)).await;
    }
}

async fn redis_bus(name: &str) -> Option<(TestRedis, Bus)> {
    let server = TestRedis::start(name)?;
    let backend = server.backend().await.expect("connect");
    Some((server, Bus::new(backend)))
}

async fn pending_count(bus: &Bus, topic: &Topic) -> u64 {
    bus.backend().pending_summary(topic, GROUP).await.unwrap().count
}

async fn dead_letters(bus: &Bus, topic: &Topic) -> Vec<(Uuid, DeadLetter)> {
    let dead = dead_letter_topic(topic, GROUP).unwrap();
    bus.backend()
        .range(&dead, RangeBound::MIN, RangeBound::MAX, None)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| {
            let message = entry.message().unwrap();
            (message.id(), message.decode::<DeadLetter>().unwrap())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Crash test
// ---------------------------------------------------------------------------------------------------------

const MESSAGES: usize = 100;
const WORKERS: usize = 3;
/// Messages whose first delivery kills the worker running it, mid-handler (fixed points, so every run kills
/// the same number of workers at comparable moments).
const KILL_AT: [usize; 8] = [5, 17, 29, 41, 53, 65, 77, 89];

fn crash_config() -> WorkerConfig {
    WorkerConfig::new()
        .concurrency(3)
        .read_block(Duration::from_millis(100))
        .max_deliveries(1_000)
        .retry_backoff(Backoff::new(Duration::from_millis(50), Duration::from_millis(300)))
        .retry_scan_interval(Duration::from_millis(50))
        .claim_idle(Duration::from_millis(500))
        .claim_interval(Duration::from_millis(100))
        .keep_alive_interval(Some(Duration::from_millis(100)))
        .shutdown_timeout(Duration::from_secs(5))
}

#[derive(Clone, Default)]
struct CrashState {
    /// Completed side effects per message index.
    done: Arc<Mutex<HashMap<usize, u32>>>,
    /// Handler calls started.
    started: Arc<Mutex<u32>>,
    /// Kill points already triggered (each kills once).
    triggered: Arc<Mutex<HashSet<usize>>>,
}

fn start_crash_worker(
    bus: &Bus,
    topic: &Topic,
    slot: usize,
    name: String,
    state: &CrashState,
    kill: &mpsc::UnboundedSender<usize>,
) -> WorkerHandle {
    let (state, kill) = (state.clone(), kill.clone());
    Worker::new(bus.clone(), topic.clone(), GROUP, name, crash_config()).spawn(move |delivery: Delivery| {
        let (state, kill) = (state.clone(), kill.clone());
        async move {
            let index: usize = delivery.message.decode().map_err(|e| e.to_string())?;
            *state.started.lock().unwrap() += 1;
            if KILL_AT.contains(&index) && state.triggered.lock().unwrap().insert(index) {
                // Ask the test to kill this worker now, and hang until it does.
                let _ = kill.send(slot);
                sleep(Duration::from_secs(3_600)).await;
            }
            // Uneven work, so the handlers a kill also aborts are at various points.
            let (work, tail) = (20 + (index as u64 * 37) % 60, (index as u64 * 13) % 15);
            sleep(Duration::from_millis(work)).await;
            // The side effect, done only if the worker was not killed before this point.
            *state.done.lock().unwrap().entry(index).or_default() += 1;
            // Work after the side effect: a kill here leaves a processed entry unacked (a duplicate later).
            sleep(Duration::from_millis(tail)).await;
            Ok::<(), String>(())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_killed_mid_handler_lose_nothing_on_redis() {
    let Some((_server, bus)) = redis_bus("workers_killed_mid_handler_lose_nothing_on_redis").await else {
        return;
    };
    let topic = Topic::chat_agent("crash").unwrap();
    bus.ensure_group(&topic, GROUP, GroupStart::Id(EntryId::MIN))
        .await
        .unwrap();
    for i in 0..MESSAGES {
        bus.publish_message(&topic, &Message::new(&i).unwrap()).await.unwrap();
    }
    let state = CrashState::default();
    let (kill_tx, mut kill_rx) = mpsc::unbounded_channel();
    let mut workers: Vec<WorkerHandle> = (0..WORKERS)
        .map(|slot| start_crash_worker(&bus, &topic, slot, format!("w{slot}-0"), &state, &kill_tx))
        .collect();

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut kills = 0usize;
    loop {
        // Kill (abort, like a crash) and restart whichever worker hit a kill point, as soon as it does.
        while let Ok(Some(slot)) = timeout(Duration::from_millis(50), kill_rx.recv()).await {
            workers[slot].abort();
            kills += 1;
            // Alternately restart under the same name (it recovers its own pending entries first) or a new one
            // (the dead consumer's entries must be autoclaimed after claim_idle).
            let name = if kills.is_multiple_of(2) {
                format!("w{slot}-0")
            } else {
                format!("w{slot}-{kills}")
            };
            workers[slot] = start_crash_worker(&bus, &topic, slot, name, &state, &kill_tx);
        }
        assert!(
            Instant::now() < deadline,
            "stuck: {kills} kills, {} processed",
            state.done.lock().unwrap().len()
        );
        let processed = state.done.lock().unwrap().len();
        let pending = pending_count(&bus, &topic).await;
        let lag = bus.backend().groups_info(&topic).await.unwrap()[0].lag;
        if processed == MESSAGES && pending == 0 && lag == Some(0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stuck: {processed}/{MESSAGES} processed, {pending} pending, lag {lag:?}, {kills} kills"
        );
    }
    for handle in workers {
        handle.shutdown().await.unwrap();
    }

    let done = state.done.lock().unwrap().clone();
    for i in 0..MESSAGES {
        assert!(done.get(&i).copied().unwrap_or(0) >= 1, "message {i} was lost");
    }
    assert_eq!(kills, KILL_AT.len(), "every kill point fired once");
    assert_eq!(
        state.triggered.lock().unwrap().len(),
        KILL_AT.len(),
        "every kill point was reached"
    );
    let duplicates: u32 = done.values().map(|n| n - 1).sum();
    let completions: u32 = done.values().sum();
    let started = *state.started.lock().unwrap();
    println!(
        "{MESSAGES} messages processed, {kills} kills, {duplicates} duplicate completions, {} handler calls \
         killed before their side effect",
        started - completions
    );
    // Each kill can redo at most the handlers that worker had in flight (its concurrency).
    assert!(duplicates <= (KILL_AT.len() * 3) as u32, "{duplicates} duplicates");
    assert!(started > completions, "the kills landed mid-handler");
    assert_eq!(
        bus.backend()
            .len(&dead_letter_topic(&topic, GROUP).unwrap())
            .await
            .unwrap(),
        0,
        "nothing was dead-lettered"
    );
    assert_eq!(pending_count(&bus, &topic).await, 0);
}

// ---------------------------------------------------------------------------------------------------------
// Poison message
// ---------------------------------------------------------------------------------------------------------

/// Handler calls per message UUID, with the delivery count each call saw.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<HashMap<Uuid, Vec<u64>>>>);

impl Calls {
    fn record(&self, delivery: &Delivery) {
        self.0
            .lock()
            .unwrap()
            .entry(delivery.message.id())
            .or_default()
            .push(delivery.delivery_count);
    }

    fn of(&self, uuid: Uuid) -> Vec<u64> {
        self.0.lock().unwrap().get(&uuid).cloned().unwrap_or_default()
    }
}

async fn publish(bus: &Bus, topic: &Topic, payload: serde_json::Value) -> (Uuid, EntryId) {
    let message = Message::new(&payload).unwrap();
    let published = bus.publish_message(topic, &message).await.unwrap();
    (message.id(), published.entry_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_dead_lettered_after_exactly_max_deliveries_on_redis() {
    let Some((_server, bus)) =
        redis_bus("a_poison_message_is_dead_lettered_after_exactly_max_deliveries_on_redis").await
    else {
        return;
    };
    let topic = Topic::chat_agent("poison").unwrap();
    let (poison, poison_entry) = publish(&bus, &topic, json!({ "poison": true })).await;
    let (good, _) = publish(&bus, &topic, json!({ "poison": false })).await;
    let calls = Calls::default();
    let config = WorkerConfig::new()
        .read_block(Duration::from_millis(100))
        .max_deliveries(3)
        .retry_backoff(Backoff::new(Duration::from_millis(100), Duration::from_millis(400)))
        .retry_scan_interval(Duration::from_millis(50))
        .claim_idle(Duration::from_secs(10))
        .claim_interval(Duration::from_millis(200))
        .shutdown_timeout(Duration::from_secs(5));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn({
        let calls = calls.clone();
        move |delivery: Delivery| {
            let calls = calls.clone();
            async move {
                calls.record(&delivery);
                let payload: serde_json::Value = delivery.message.decode().map_err(|e| e.to_string())?;
                if payload["poison"] == json!(true) {
                    return Err("boom".to_owned());
                }
                Ok(())
            }
        }
    });
    eventually(Duration::from_secs(30), "poison dead-lettered", || async {
        dead_letters(&bus, &topic).await.len() == 1
    })
    .await;
    assert_eq!(
        calls.of(poison),
        vec![1, 2, 3],
        "exactly 3 deliveries, counted by Redis"
    );
    assert_eq!(calls.of(good), vec![1]);
    let letters = dead_letters(&bus, &topic).await;
    let (uuid, letter) = &letters[0];
    assert_eq!(*uuid, poison, "published under the original UUID");
    assert_eq!(letter.reason, DeadLetterReason::MaxDeliveries);
    assert_eq!(letter.entry_id, poison_entry);
    assert_eq!(letter.uuid, Some(poison));
    assert_eq!(letter.payload, Some(json!({ "poison": true })));
    assert_eq!(letter.last_error.as_deref(), Some("boom"));
    assert_eq!(letter.delivery_count, 3);
    assert_eq!((letter.topic.as_str(), letter.group.as_str()), (topic.as_str(), GROUP));

    // The group moves on: the poison entry is acked and later messages are processed.
    let (later, _) = publish(&bus, &topic, json!({ "poison": false })).await;
    eventually(Duration::from_secs(20), "later message processed", || async {
        calls.of(later) == vec![1]
    })
    .await;
    eventually(Duration::from_secs(20), "nothing pending", || async {
        pending_count(&bus, &topic).await == 0
    })
    .await;
    // Well past the longest backoff: the poison message is never delivered again.
    sleep(Duration::from_millis(1_500)).await;
    assert_eq!(calls.of(poison).len(), 3, "never delivered again");
    let report = handle.shutdown().await.unwrap();
    assert_eq!((report.dead_lettered, report.failed, report.retried), (1, 3, 2));
    assert_eq!(dead_letters(&bus, &topic).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------------------
// Pause and resume
// ---------------------------------------------------------------------------------------------------------

/// A short claim idle time: on Redis, a blocking XREADGROUP that the pause interrupted may still be
/// registered on the server for a moment and take a message published right after the pause; that message is
/// then pending for the paused replica (not lost), and is recovered by that replica's restart (recovery first)
/// or by another replica's autoclaim once idle for `claim_idle`.
fn agent_config() -> WorkerConfig {
    WorkerConfig::new()
        .read_block(Duration::from_millis(100))
        .claim_idle(Duration::from_secs(2))
        .claim_interval(Duration::from_millis(200))
        .keep_alive_interval(Some(Duration::from_millis(500)))
        .shutdown_timeout(Duration::from_secs(5))
}

/// Payloads handled, in order.
#[derive(Clone, Default)]
struct Handled(Arc<Mutex<Vec<serde_json::Value>>>);

impl Handled {
    fn handler(&self) -> impl Fn(Delivery) -> std::future::Ready<Result<(), String>> + Send + Sync + 'static {
        let handled = self.clone();
        move |delivery: Delivery| {
            handled.0.lock().unwrap().push(delivery.message.decode().unwrap());
            std::future::ready(Ok(()))
        }
    }

    fn all(&self) -> Vec<serde_json::Value> {
        self.0.lock().unwrap().clone()
    }
}

async fn say(bus: &Bus, agent: &str, n: u64) {
    bus.publish(&Topic::chat_agent(agent).unwrap(), &json!({ "n": n }))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_through_control_messages_on_redis() {
    let Some((_server, bus)) = redis_bus("pause_and_resume_through_control_messages_on_redis").await else {
        return;
    };
    let agent = Agent::new(bus.clone(), "DevAgent", agent_config()).unwrap();
    let handled = Handled::default();
    let mut handle = agent.clone().start("replica-1", handled.handler()).await.unwrap();
    assert!(!handle.is_paused());
    say(&bus, "DevAgent", 1).await;
    eventually(Duration::from_secs(20), "first message handled", || async {
        handled.all().len() == 1
    })
    .await;

    // Pause: nothing is handled, and the messages wait safely.
    agent.control(&Control::Pause).await.unwrap();
    timeout(Duration::from_secs(20), handle.wait_paused(true))
        .await
        .expect("the replica saw the pause");
    say(&bus, "DevAgent", 2).await;
    say(&bus, "DevAgent", 3).await;
    sleep(Duration::from_millis(1_500)).await;
    assert_eq!(handled.all(), [json!({"n": 1})], "nothing is handled while paused");

    // The replica restarts (same consumer name), replays the control topic and stays paused.
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.acked, 1);
    let mut restarted = agent.clone().start("replica-1", handled.handler()).await.unwrap();
    assert!(restarted.is_paused(), "the replayed control topic says paused");
    sleep(Duration::from_millis(1_000)).await;
    assert_eq!(handled.all(), [json!({"n": 1})], "still paused after the restart");

    // Resume: the waiting messages are handled, once each, in order.
    agent.control(&Control::Resume).await.unwrap();
    timeout(Duration::from_secs(20), restarted.wait_paused(false))
        .await
        .expect("the replica saw the resume");
    eventually(Duration::from_secs(20), "paused messages handled", || async {
        handled.all().len() == 3
    })
    .await;
    say(&bus, "DevAgent", 4).await;
    eventually(Duration::from_secs(20), "later message handled", || async {
        handled.all().len() == 4
    })
    .await;
    sleep(Duration::from_millis(500)).await;
    assert_eq!(
        handled.all(),
        [json!({"n": 1}), json!({"n": 2}), json!({"n": 3}), json!({"n": 4})]
    );
    let report = restarted.shutdown().await.unwrap();
    assert_eq!(report.acked, 3);
    let inbox = Topic::chat_agent("DevAgent").unwrap();
    assert_eq!(
        bus.backend().pending_summary(&inbox, "DevAgent").await.unwrap().count,
        0,
        "nothing left pending"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Subscription across a restart
// ---------------------------------------------------------------------------------------------------------

/// Publishes `payload` with the same message (UUID) until the server accepts it: publishing is idempotent, so
/// a retry after an ambiguous failure returns the entry the first attempt wrote.
async fn publish_retrying(bus: &Bus, topic: &Topic, payload: u64) -> EntryId {
    let message = Message::new(&payload).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match bus.publish_message(topic, &message).await {
            Ok(published) => return published.entry_id,
            Err(err) => {
                assert!(err.is_retryable(), "publish failed for good: {err}");
                assert!(Instant::now() < deadline, "the server never came back: {err}");
                sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_sees_every_entry_once_across_a_restart_with_aof() {
    let Some(mut server) = TestRedis::start_aof("a_subscription_sees_every_entry_once_across_a_restart_with_aof")
    else {
        return;
    };
    let bus = Bus::new(server.backend().await.unwrap());
    let topic = Topic::stream("restart").unwrap();
    let config = SubscriptionConfig::new()
        .count(7)
        .block(Duration::from_millis(300))
        .retry(Backoff::new(Duration::from_millis(50), Duration::from_millis(500)));
    let mut subscription = Subscription::new(bus.clone(), [(topic.clone(), StartFrom::Start)], config);
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<Result<EntryId, String>>();
    let reader = tokio::spawn(async move {
        while let Some(item) = subscription.next().await {
            let sent = match item {
                Ok(SubscriptionItem::Entry { received, .. }) => seen_tx.send(Ok(received.entry_id())),
                Ok(gap) => seen_tx.send(Err(format!("unexpected gap: {gap:?}"))),
                Err(err) => seen_tx.send(Err(format!("subscription failed: {err}"))),
            };
            if sent.is_err() {
                return;
            }
        }
        let _ = seen_tx.send(Err("the subscription ended".into()));
    });
    let mut seen = Vec::new();
    let mut receive = async |seen: &mut Vec<EntryId>, until: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.len() < until {
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, seen_rx.recv()).await {
                Ok(Some(Ok(id))) => seen.push(id),
                Ok(Some(Err(err))) => panic!("{err}"),
                Ok(None) => panic!("the reader stopped"),
                Err(_) => panic!("only {} of {until} entries within 60 s", seen.len()),
            }
        }
    };

    let mut expected = Vec::new();
    // Before the restart: some entries read while the subscription tails the topic.
    for i in 0..30u64 {
        expected.push(publish_retrying(&bus, &topic, i).await);
        if i % 10 == 9 {
            sleep(Duration::from_millis(100)).await;
        }
    }
    receive(&mut seen, 30).await;
    // Entries the subscription has not read yet when the server dies.
    for i in 30..40u64 {
        expected.push(publish_retrying(&bus, &topic, i).await);
    }

    // Crash (SIGKILL) while the subscription is blocked or reading; stay down a while so its reads fail.
    server.stop().unwrap();
    sleep(Duration::from_millis(800)).await;
    server.restart().unwrap();

    // Keep publishing after the restart.
    for i in 40..80u64 {
        let id = publish_retrying(&bus, &topic, i).await;
        if !expected.contains(&id) {
            expected.push(id);
        }
        if i % 10 == 9 {
            sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(expected.len(), 80, "the persisted topic kept every entry");
    assert!(expected.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(bus.backend().len(&topic).await.unwrap(), 80);

    receive(&mut seen, 80).await;
    assert_eq!(seen, expected, "every entry exactly once, in order, no gap");
    // Nothing more: no duplicate shows up later.
    match timeout(Duration::from_millis(1_500), seen_rx.recv()).await {
        Err(_) => {}
        Ok(item) => panic!("unexpected item after the last entry: {item:?}"),
    }
    reader.abort();
}
