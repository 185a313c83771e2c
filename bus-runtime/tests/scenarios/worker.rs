//! Workers: acks, retries, dead letters, claims, keep-alive, shutdown, idle-consumer cleanup.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::{AppendOptions, Bus, EntryId, Fields, GroupStart, Message, RangeBound, Topic, Uuid};
use bus_runtime::{
    Backoff, DeadLetter, DeadLetterReason, Delivery, Worker, WorkerConfig, WorkerReport, dead_letter_topic,
};
use serde_json::json;

use crate::common::{Rig, Time};

pub(crate) const GROUP: &str = "workers";

/// Handler calls per message UUID, with the delivery count each call saw.
#[derive(Clone, Default)]
pub(crate) struct Calls(Arc<Mutex<HashMap<Uuid, Vec<u64>>>>);

impl Calls {
    pub(crate) fn record(&self, delivery: &Delivery) {
        self.0
            .lock()
            .unwrap()
            .entry(delivery.message.id())
            .or_default()
            .push(delivery.delivery_count);
    }

    pub(crate) fn of(&self, uuid: Uuid) -> Vec<u64> {
        self.0.lock().unwrap().get(&uuid).cloned().unwrap_or_default()
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().values().map(Vec::len).sum()
    }

    /// A handler that records each call and succeeds.
    fn succeeding(&self) -> impl Fn(Delivery) -> std::future::Ready<Result<(), String>> + Send + Sync + 'static {
        let calls = self.clone();
        move |delivery: Delivery| {
            calls.record(&delivery);
            std::future::ready(Ok(()))
        }
    }
}

pub(crate) fn fast_config(t: Time) -> WorkerConfig {
    WorkerConfig::new()
        .read_block(t.ms(50))
        .retry_backoff(Backoff::new(t.ms(100), t.secs(1)))
        .retry_scan_interval(t.ms(50))
        .claim_idle(t.secs(2))
        .claim_interval(t.ms(200))
        .keep_alive_interval(Some(t.ms(300)))
        .shutdown_timeout(t.secs(1))
}

pub(crate) async fn publish(bus: &Bus, topic: &Topic, payload: serde_json::Value) -> (Uuid, EntryId) {
    let message = Message::new(&payload).unwrap();
    let published = bus.publish_message(topic, &message).await.unwrap();
    (message.id(), published.entry_id)
}

/// `chat:A` with the group reading it from the start, before any worker runs.
async fn topic_with_group(bus: &Bus) -> Topic {
    let topic = Topic::chat_agent("A").unwrap();
    bus.ensure_group(&topic, GROUP, GroupStart::Id(EntryId::MIN))
        .await
        .unwrap();
    topic
}

pub(crate) async fn pending_count(bus: &Bus, topic: &Topic) -> u64 {
    bus.backend().pending_summary(topic, GROUP).await.unwrap().count
}

pub(crate) async fn dead_letters(bus: &Bus, topic: &Topic) -> Vec<(Uuid, DeadLetter)> {
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

pub async fn processes_everything_with_bounded_concurrency_and_acks(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    for i in 0..20 {
        publish(&bus, &topic, json!({ "n": i })).await;
    }
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let calls = Calls::default();
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", fast_config(t).concurrency(3)).spawn({
        let (running, peak, calls) = (running.clone(), peak.clone(), calls.clone());
        move |delivery: Delivery| {
            let (running, peak, calls) = (running.clone(), peak.clone(), calls.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(t.ms(100)).await;
                calls.record(&delivery);
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), String>(())
            }
        }
    });
    t.eventually(Duration::from_secs(30), "all processed", || async {
        calls.total() == 20
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), 3, "never more than `concurrency` handlers");
    assert_eq!((report.delivered, report.acked, report.failed), (20, 20, 0));
    assert_eq!(pending_count(&bus, &topic).await, 0);
    // Never more pending than free slots: the worker reads only what it can start.
    let info = bus.backend().groups_info(&topic).await.unwrap();
    assert_eq!(info[0].lag, Some(0));
}

/// A retention TTL can expire a quiet inbox (and an operator can drop a topic) while its worker runs: the worker,
/// which owns its group, creates it again and handles what is published afterwards instead of stopping for good.
pub async fn a_worker_whose_topic_vanishes_creates_its_group_again(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let calls = Calls::default();
    let (before, _) = publish(&bus, &topic, json!({ "n": 1 })).await;
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", fast_config(t)).spawn(calls.succeeding());
    t.eventually(Duration::from_secs(30), "the first message handled", || async {
        calls.of(before) == [1]
    })
    .await;
    // The worker is blocked reading when its topic goes, as when a TTL expires it.
    tokio::time::sleep(t.ms(100)).await;
    assert!(bus.drop_topic(&topic).await.unwrap());
    tokio::time::sleep(t.ms(200)).await;
    let (after, _) = publish(&bus, &topic, json!({ "n": 2 })).await;
    t.eventually(
        Duration::from_secs(30),
        "the message published after the deletion handled",
        || async { calls.of(after) == [1] },
    )
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!((report.delivered, report.acked, report.failed), (2, 2, 0));
    assert_eq!(pending_count(&bus, &topic).await, 0);
}

pub async fn poison_message_is_dead_lettered_after_exactly_max_deliveries_and_the_group_moves_on(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let (poison, poison_entry) = publish(&bus, &topic, json!({ "poison": true })).await;
    let (good, _) = publish(&bus, &topic, json!({ "poison": false })).await;
    let calls = Calls::default();
    // No autoclaim of the worker's own failed entry, which would add a delivery, if a failure stalls the worker
    // for a moment on a real clock.
    let config = fast_config(t).max_deliveries(3).claim_idle(t.secs(20));
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
    t.eventually(Duration::from_secs(30), "poison dead-lettered", || async {
        dead_letters(&bus, &topic).await.len() == 1
    })
    .await;
    assert_eq!(
        calls.of(poison),
        vec![1, 2, 3],
        "exactly 3 deliveries, counted by the group"
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
    assert_eq!(letter.topic, topic.as_str());
    assert_eq!(letter.group, GROUP);

    // The group moves on: the entry is acked, later messages are processed.
    let (later, _) = publish(&bus, &topic, json!({ "poison": false })).await;
    t.eventually(Duration::from_secs(10), "later processed", || async {
        calls.of(later) == vec![1]
    })
    .await;
    t.eventually(Duration::from_secs(10), "nothing pending", || async {
        pending_count(&bus, &topic).await == 0
    })
    .await;
    // Well past the longest backoff.
    tokio::time::sleep(t.quiet(Duration::from_secs(5))).await;
    assert_eq!(calls.of(poison).len(), 3, "never delivered again");
    let report = handle.shutdown().await.unwrap();
    assert_eq!(pending_count(&bus, &topic).await, 0);
    assert_eq!((report.dead_lettered, report.failed, report.retried), (1, 3, 2));
    assert_eq!(dead_letters(&bus, &topic).await.len(), 1);
}

pub async fn dead_lettering_is_idempotent_under_the_original_uuid(rig: Rig) {
    // A previous worker crashed after publishing the dead letter but before acking the entry.
    let (bus, t) = (rig.bus(), rig.time);
    let topic = topic_with_group(&bus).await;
    let (poison, _) = publish(&bus, &topic, json!("x")).await;
    let dead = dead_letter_topic(&topic, GROUP).unwrap();
    bus.publish_message(&dead, &Message::from_json(poison, "{\"earlier\":true}").unwrap())
        .await
        .unwrap();
    let handle = Worker::new(
        bus.clone(),
        topic.clone(),
        GROUP,
        "w1",
        fast_config(t).max_deliveries(1),
    )
    .spawn(|_delivery: Delivery| async { Err::<(), _>("boom") });
    t.eventually(Duration::from_secs(30), "entry acked", || async {
        // One reply, so that pending and lag are of the same moment (not pending yet, then read).
        let info = bus.backend().groups_info(&topic).await.unwrap();
        (info[0].pending, info[0].lag) == (0, Some(0))
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.dead_lettered, 1);
    assert_eq!(bus.backend().len(&dead).await.unwrap(), 1, "no second dead letter");
}

pub async fn malformed_entries_go_to_dead_letter_directly_and_deleted_ones_are_acked(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = topic_with_group(&bus).await;
    // A pending entry of this consumer that is then deleted from the topic.
    let (_, deleted) = publish(&bus, &topic, json!("gone")).await;
    let mut previous = bus.consumer(topic.clone(), GROUP, "w1");
    assert_eq!(previous.read(10, None).await.unwrap().len(), 1);
    bus.backend().delete(&topic, &[deleted]).await.unwrap();
    // A foreign producer's entry.
    let malformed = bus
        .backend()
        .append(&topic, Fields::from_pairs([("foo", "bar")]), &AppendOptions::new())
        .await
        .unwrap()
        .unwrap();
    let (good, _) = publish(&bus, &topic, json!("ok")).await;
    let calls = Calls::default();
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", fast_config(t)).spawn(calls.succeeding());
    t.eventually(Duration::from_secs(10), "all settled", || async {
        calls.of(good) == vec![1] && pending_count(&bus, &topic).await == 0
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!(calls.total(), 1, "the handler only ever sees messages");
    let letters = dead_letters(&bus, &topic).await;
    assert_eq!(letters.len(), 1);
    let (uuid, letter) = &letters[0];
    assert_eq!(letter.reason, DeadLetterReason::Malformed);
    assert_eq!(letter.entry_id, malformed);
    assert_eq!(letter.uuid, None);
    assert_eq!(letter.fields, Some(vec![("foo".to_owned(), "bar".to_owned())]));
    assert_eq!(letter.last_error.as_deref(), Some("missing field 'id'"));
    assert_eq!(
        *uuid,
        bus_runtime::dead_letter::malformed_uuid(&topic, GROUP, malformed)
    );
    assert_eq!(report.dead_lettered, 1);
}

pub async fn a_panicking_handler_leaves_the_entry_pending_and_it_is_retried(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let (uuid, _) = publish(&bus, &topic, json!("x")).await;
    let calls = Calls::default();
    // No autoclaim of the entry while the panic is reported, which would add a delivery: printing its backtrace
    // (`RUST_BACKTRACE=1`) can take seconds on a loaded machine.
    let config = fast_config(t).claim_idle(t.secs(60));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn({
        let calls = calls.clone();
        move |delivery: Delivery| {
            calls.record(&delivery);
            async move {
                if delivery.delivery_count == 1 {
                    panic!("first delivery panics");
                }
                Ok::<(), String>(())
            }
        }
    });
    t.eventually(Duration::from_secs(10), "retried", || async {
        calls.of(uuid) == vec![1, 2]
    })
    .await;
    t.eventually(Duration::from_secs(10), "acked", || async {
        pending_count(&bus, &topic).await == 0
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!((report.failed, report.retried, report.acked), (1, 1, 1));
}

pub async fn recovers_own_pending_entries_before_new_ones(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = topic_with_group(&bus).await;
    let (old1, _) = publish(&bus, &topic, json!(1)).await;
    let (old2, _) = publish(&bus, &topic, json!(2)).await;
    // A previous incarnation of w1 read them and died.
    let mut previous = bus.consumer(topic.clone(), GROUP, "w1");
    assert_eq!(previous.read(10, None).await.unwrap().len(), 2);
    drop(previous);
    let (new1, _) = publish(&bus, &topic, json!(3)).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", fast_config(t).concurrency(1)).spawn({
        let order = order.clone();
        move |delivery: Delivery| {
            order
                .lock()
                .unwrap()
                .push((delivery.message.id(), delivery.delivery_count));
            async { Ok::<(), String>(()) }
        }
    });
    t.eventually(Duration::from_secs(10), "all processed", || async {
        order.lock().unwrap().len() == 3
    })
    .await;
    handle.shutdown().await.unwrap();
    assert_eq!(*order.lock().unwrap(), vec![(old1, 2), (old2, 2), (new1, 1)]);
}

pub async fn entries_of_a_dead_consumer_are_autoclaimed(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = topic_with_group(&bus).await;
    let (a, _) = publish(&bus, &topic, json!(1)).await;
    let (b, _) = publish(&bus, &topic, json!(2)).await;
    // Started before the read, so that on a real clock it is not later than the server's delivery time.
    let started = tokio::time::Instant::now();
    let mut dead = bus.consumer(topic.clone(), GROUP, "dead");
    assert_eq!(dead.read(10, None).await.unwrap().len(), 2);
    let calls = Calls::default();
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w2", fast_config(t)).spawn(calls.succeeding());
    t.eventually(Duration::from_secs(10), "claimed and processed", || async {
        calls.total() == 2 && pending_count(&bus, &topic).await == 0
    })
    .await;
    assert!(started.elapsed() + t.tolerance() >= t.secs(2), "not before claim_idle");
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.claimed, 2);
    assert_eq!((calls.of(a), calls.of(b)), (vec![2], vec![2]));
}

async fn long_handler_calls(rig: Rig, keep_alive: Option<Duration>) -> (usize, WorkerReport, WorkerReport) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let config = fast_config(t)
        .claim_idle(t.secs(1))
        .claim_interval(t.ms(100))
        .keep_alive_interval(keep_alive)
        .shutdown_timeout(t.secs(10));
    let calls = Calls::default();
    let handler = {
        let calls = calls.clone();
        move |delivery: Delivery| {
            calls.record(&delivery);
            async move {
                // Five times the claim idle time.
                tokio::time::sleep(t.secs(5)).await;
                Ok::<(), String>(())
            }
        }
    };
    // Only the second worker autoclaims (the first would otherwise claim its own idle entry, which also resets
    // the idle time and would hide what this test is about).
    let first_config = config.clone().claim_interval(t.secs(3600));
    let first = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", first_config).spawn(handler.clone());
    publish(&bus, &topic, json!("long")).await;
    tokio::time::sleep(t.ms(10)).await;
    // The first worker has the entry before the second one starts reading.
    t.eventually(Duration::from_secs(10), "the first worker read the entry", || async {
        calls.total() == 1
    })
    .await;
    let second = Worker::new(bus.clone(), topic.clone(), GROUP, "w2", config).spawn(handler);
    tokio::time::sleep(t.secs(7)).await;
    let calls = calls.total();
    let (r1, r2) = (first.shutdown().await.unwrap(), second.shutdown().await.unwrap());
    assert_eq!(pending_count(&bus, &topic).await, 0);
    (calls, r1, r2)
}

pub async fn a_handler_longer_than_the_claim_idle_time_is_not_redelivered_while_it_runs(rig: Rig) {
    let keep_alive = rig.time.ms(300);
    let (calls, first, second) = long_handler_calls(rig, Some(keep_alive)).await;
    assert_eq!(calls, 1, "the keep-alive kept the entry from being claimed");
    assert_eq!((first.acked, second.claimed), (1, 0));
}

pub async fn without_keep_alive_the_long_handler_is_claimed_by_another_worker(rig: Rig) {
    // The control experiment for the scenario above: the same setup does redeliver without the keep-alive.
    let (calls, _, second) = long_handler_calls(rig, None).await;
    assert!(calls >= 2, "expected a redelivery, got {calls} calls");
    assert!(second.claimed >= 1);
}

pub async fn graceful_shutdown_waits_for_handlers_up_to_the_deadline_and_stops_reading(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let (quick, _) = publish(&bus, &topic, json!(100)).await;
    let (medium, _) = publish(&bus, &topic, json!(500)).await;
    let (slow, slow_entry) = publish(&bus, &topic, json!(5_000)).await;
    let (begun, done) = (Calls::default(), Calls::default());
    let config = fast_config(t).concurrency(4).shutdown_timeout(t.secs(1));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn({
        let (begun, done) = (begun.clone(), done.clone());
        move |delivery: Delivery| {
            begun.record(&delivery);
            let done = done.clone();
            async move {
                let ms: u64 = delivery.message.decode().unwrap();
                tokio::time::sleep(t.ms(ms)).await;
                done.record(&delivery);
                Ok::<(), String>(())
            }
        }
    });
    tokio::time::sleep(t.ms(50)).await;
    // All three are running when the shutdown starts (on a real clock the read may take longer than 50 ms).
    t.eventually(Duration::from_secs(10), "all three handlers running", || async {
        begun.total() == 3
    })
    .await;
    let started = tokio::time::Instant::now();
    let stopping = tokio::spawn(handle.shutdown());
    tokio::time::sleep(t.ms(200)).await;
    let (late, _) = publish(&bus, &topic, json!(1)).await;
    let report = stopping.await.unwrap().unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= t.secs(1), "{elapsed:?}");
    if t.paused() {
        assert!(elapsed < Duration::from_millis(1100), "{elapsed:?}");
    }
    assert_eq!(
        (done.of(quick), done.of(medium), done.of(slow)),
        (vec![1], vec![1], vec![])
    );
    assert!(done.of(late).is_empty(), "nothing is read after the shutdown signal");
    assert_eq!((report.delivered, report.acked, report.abandoned), (3, 2, 1));
    // The unfinished entry stays pending for this consumer; the late one was never delivered.
    let pending = bus.backend().pending_summary(&topic, GROUP).await.unwrap();
    assert_eq!((pending.count, pending.min), (1, Some(slow_entry)));
    assert_eq!(pending.consumers, vec![("w1".to_owned(), 1)]);
    assert_eq!(bus.backend().groups_info(&topic).await.unwrap()[0].lag, Some(1));
}

pub async fn idle_consumers_are_deleted_only_once_they_own_nothing(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("cleanup").unwrap();
    bus.ensure_group(&topic, GROUP, GroupStart::Id(EntryId::MIN))
        .await
        .unwrap();
    let backend = bus.backend().clone();
    // `empty` owns nothing; `dead` dies owning an entry; `fresh` is seen just before the worker's first cleanup.
    backend.consumer_create(&topic, GROUP, "empty").await.unwrap();
    publish(&bus, &topic, json!(1)).await;
    let mut dead = bus.consumer(topic.clone(), GROUP, "dead");
    assert_eq!(dead.read(1, None).await.unwrap().len(), 1);
    tokio::time::sleep(t.secs(10)).await;
    backend.consumer_create(&topic, GROUP, "fresh").await.unwrap();

    let config = fast_config(t).consumer_cleanup_idle(Some(t.secs(5)));
    let handle =
        Worker::new(bus.clone(), topic.clone(), GROUP, "w", config).spawn(|_: Delivery| async { Ok::<(), String>(()) });
    let names = || async {
        let consumers = backend.consumers_info(&topic, GROUP).await.unwrap();
        consumers.into_iter().map(|c| c.name).collect::<Vec<_>>()
    };
    // `empty` goes at the first cleanup; `dead` keeps its entry until autoclaim (claim idle 2 s) takes it, and is
    // deleted only after that; `fresh` goes once it has been idle 5 s.
    t.eventually(Duration::from_secs(30), "all idle consumers deleted", || async {
        names().await == ["w"]
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.consumers_removed, 3);
    assert_eq!(report.claimed, 1, "the dead consumer's entry was claimed, not dropped");
    assert_eq!(pending_count(&bus, &topic).await, 0);
}
