//! Handler stacks (`bus_runtime::handler`): typed decoding, permanent failures, deduplication, a tower timeout and
//! panic recovery, each on a worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bus_core::forward::Forwarding;
use bus_core::{AppendOptions, Bus, Message, Topic};
use bus_runtime::handler::BoxError;
use bus_runtime::{DeadLetterReason, DedupLayer, Delivery, Json, JsonLayer, Permanent, Worker};
use serde::Deserialize;
use serde_json::json;
use tower::ServiceBuilder;

use crate::common::{LosingAcks, Rig};
use crate::scenarios::worker::{Calls, GROUP, dead_letters, fast_config, pending_count, publish};

#[derive(Debug, Deserialize)]
struct Order {
    id: u64,
}

pub async fn a_payload_that_does_not_decode_is_dead_lettered_after_one_delivery(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let (bad, bad_entry) = publish(&bus, &topic, json!({ "not_an_order": true })).await;
    let (good, _) = publish(&bus, &topic, json!({ "id": 7 })).await;
    let calls = Calls::default();
    let stack = ServiceBuilder::new().layer(JsonLayer::<Order>::new()).service_fn({
        let calls = calls.clone();
        move |order: Json<Order>| {
            calls.record(&order.delivery);
            assert_eq!(order.id, 7);
            async { Ok::<(), BoxError>(()) }
        }
    });
    // Five deliveries allowed: a decode failure must not use them.
    let config = fast_config(t).max_deliveries(5).claim_idle(t.secs(20));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn_service(stack);
    t.eventually(
        Duration::from_secs(10),
        "dead-lettered and the good one handled",
        || async { dead_letters(&bus, &topic).await.len() == 1 && calls.of(good) == [1] },
    )
    .await;
    let letters = dead_letters(&bus, &topic).await;
    let (uuid, letter) = &letters[0];
    assert_eq!(*uuid, bad);
    assert_eq!(letter.reason, DeadLetterReason::Permanent);
    assert_eq!(letter.entry_id, bad_entry);
    assert_eq!(letter.delivery_count, 1, "parked after its first delivery");
    assert_eq!(letter.payload, Some(json!({ "not_an_order": true })));
    let error = letter.last_error.as_deref().unwrap();
    assert!(
        error.contains("does not decode as") && error.contains("missing field `id`"),
        "{error}"
    );
    // Well past every backoff: never delivered again.
    tokio::time::sleep(t.quiet(Duration::from_secs(5))).await;
    assert_eq!(pending_count(&bus, &topic).await, 0);
    let report = handle.shutdown().await.unwrap();
    assert_eq!(calls.of(bad), Vec::<u64>::new(), "the handler never sees it");
    assert_eq!(
        (
            report.delivered,
            report.failed,
            report.retried,
            report.dead_lettered,
            report.acked
        ),
        (2, 1, 0, 1, 1)
    );
}

pub async fn a_permanent_error_is_dead_lettered_after_one_delivery(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let config = fast_config(t).max_deliveries(5).claim_idle(t.secs(20));
    // Through a stack (and a tower layer around the handler), and from a plain closure.
    let through_stack = Topic::chat_agent("A").unwrap();
    let from_closure = Topic::chat_agent("B").unwrap();
    let (stack_uuid, _) = publish(&bus, &through_stack, json!({ "account": 42 })).await;
    let (closure_uuid, _) = publish(&bus, &from_closure, json!({ "account": 42 })).await;
    let calls = Calls::default();
    let stack = ServiceBuilder::new().timeout(t.secs(10)).service_fn({
        let calls = calls.clone();
        move |delivery: Delivery| {
            calls.record(&delivery);
            async { Err::<(), BoxError>(Permanent::new("unknown account 42").into()) }
        }
    });
    let stacked = Worker::new(bus.clone(), through_stack.clone(), GROUP, "w1", config.clone()).spawn_service(stack);
    let closure = Worker::new(bus.clone(), from_closure.clone(), GROUP, "w1", config).spawn({
        let calls = calls.clone();
        move |delivery: Delivery| {
            calls.record(&delivery);
            async { Err::<(), _>(Permanent::new("unknown account 42")) }
        }
    });
    t.eventually(Duration::from_secs(10), "both dead-lettered", || async {
        dead_letters(&bus, &through_stack).await.len() == 1 && dead_letters(&bus, &from_closure).await.len() == 1
    })
    .await;
    tokio::time::sleep(t.quiet(Duration::from_secs(5))).await;
    for (topic, uuid) in [(&through_stack, stack_uuid), (&from_closure, closure_uuid)] {
        let (_, letter) = &dead_letters(&bus, topic).await[0];
        assert_eq!(letter.reason, DeadLetterReason::Permanent);
        assert_eq!(letter.last_error.as_deref(), Some("unknown account 42"));
        assert_eq!(letter.delivery_count, 1);
        assert_eq!(calls.of(uuid), [1], "one delivery, no retry");
        assert_eq!(pending_count(&bus, topic).await, 0);
    }
    for handle in [stacked, closure] {
        let report = handle.shutdown().await.unwrap();
        assert_eq!((report.delivered, report.retried, report.dead_lettered), (1, 0, 1));
    }
}

pub async fn dedup_skips_a_redelivered_uuid(rig: Rig) {
    let t = rig.time;
    // The first ack is lost, as after a connection drop right after the work: the entry is delivered again.
    let losing = LosingAcks::new(rig.backend(), 1);
    let bus = Bus::new(Forwarding(losing.clone()));
    let topic = Topic::chat_agent("A").unwrap();
    let (uuid, _) = publish(&bus, &topic, json!({ "id": 1 })).await;
    // And a producer's retry that bypassed the UUID index: a second entry with the same UUID.
    let copy = Message::from_json(uuid, r#"{"id":1}"#).unwrap();
    bus.backend()
        .append(&topic, copy.to_fields(), &AppendOptions::new())
        .await
        .unwrap();
    let seen = rig.seen();
    let calls = Calls::default();
    let stack = ServiceBuilder::new()
        .layer(DedupLayer::new(Arc::clone(&seen)))
        .layer(JsonLayer::<Order>::new())
        .service_fn({
            let calls = calls.clone();
            move |order: Json<Order>| {
                calls.record(&order.delivery);
                async { Ok::<(), BoxError>(()) }
            }
        });
    // One at a time, so the copy arrives after the first delivery's work is marked.
    let config = fast_config(t).concurrency(1).claim_idle(t.secs(20));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn_service(stack);
    t.eventually(Duration::from_secs(10), "everything acked", || async {
        losing.to_lose.load(Ordering::SeqCst) == 0 && pending_count(&bus, &topic).await == 0
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!(calls.of(uuid), [1], "the work ran once");
    assert!(seen.seen(uuid).await.unwrap(), "marked after it succeeded");
    // The first delivery (ack lost), the copy (skipped) and the redelivery (skipped).
    assert_eq!(
        (report.delivered, report.retried, report.acked, report.failed),
        (3, 1, 2, 0)
    );
    assert!(dead_letters(&bus, &topic).await.is_empty());
}

pub async fn a_tower_timeout_fails_a_slow_handler_so_it_is_retried(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let (uuid, _) = publish(&bus, &topic, json!({ "id": 1 })).await;
    let finished_slow = Arc::new(AtomicBool::new(false));
    let calls = Calls::default();
    // Dedup around it too: a timed-out attempt is not marked, so the retry is not skipped.
    let stack = ServiceBuilder::new()
        .layer(DedupLayer::new(rig.seen()))
        .timeout(t.ms(500))
        .service_fn({
            let (calls, finished_slow) = (calls.clone(), finished_slow.clone());
            move |delivery: Delivery| {
                calls.record(&delivery);
                let finished_slow = finished_slow.clone();
                async move {
                    if delivery.delivery_count == 1 {
                        tokio::time::sleep(t.secs(10)).await;
                        finished_slow.store(true, Ordering::SeqCst);
                    }
                    Ok::<(), BoxError>(())
                }
            }
        });
    let config = fast_config(t).claim_idle(t.secs(60));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn_service(stack);
    t.eventually(Duration::from_secs(10), "retried and acked", || async {
        calls.of(uuid) == [1, 2] && pending_count(&bus, &topic).await == 0
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert!(!finished_slow.load(Ordering::SeqCst), "the slow attempt was cancelled");
    assert_eq!((report.failed, report.retried, report.acked), (1, 1, 1));
    assert!(
        dead_letters(&bus, &topic).await.is_empty(),
        "a timeout is not permanent"
    );
}

pub async fn a_panic_in_a_stack_is_a_failed_delivery_that_is_retried(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    let (once, _) = publish(&bus, &topic, json!({ "id": 1 })).await;
    let (always, _) = publish(&bus, &topic, json!({ "id": 2 })).await;
    let calls = Calls::default();
    let stack = ServiceBuilder::new().layer(JsonLayer::<Order>::new()).service_fn({
        let calls = calls.clone();
        move |order: Json<Order>| {
            calls.record(&order.delivery);
            let panics = order.id == 2 || order.delivery.delivery_count == 1;
            async move {
                if panics {
                    panic!("order {} panics", order.id);
                }
                Ok::<(), BoxError>(())
            }
        }
    });
    // No autoclaim while a panic's backtrace is printed (see the worker's panic scenario).
    let config = fast_config(t).max_deliveries(2).claim_idle(t.secs(60));
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn_service(stack);
    t.eventually(
        Duration::from_secs(10),
        "one retried, the other dead-lettered",
        || async { calls.of(once) == [1, 2] && dead_letters(&bus, &topic).await.len() == 1 },
    )
    .await;
    t.eventually(Duration::from_secs(10), "nothing pending", || async {
        pending_count(&bus, &topic).await == 0
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!(calls.of(always), [1, 2], "retried like an error, up to max_deliveries");
    let (uuid, letter) = &dead_letters(&bus, &topic).await[0];
    assert_eq!(*uuid, always);
    assert_eq!(
        letter.reason,
        DeadLetterReason::MaxDeliveries,
        "a panic is not permanent"
    );
    assert_eq!(letter.last_error.as_deref(), Some("handler panicked: order 2 panics"));
    assert_eq!(
        (report.failed, report.retried, report.acked, report.dead_lettered),
        (3, 2, 1, 1)
    );
}

pub async fn a_tower_rate_limit_is_one_limit_for_all_the_concurrent_handlers(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::chat_agent("A").unwrap();
    for id in 0..3 {
        publish(&bus, &topic, json!({ "id": id })).await;
    }
    let window = t.ms(400);
    let starts = Arc::new(std::sync::Mutex::new(Vec::new()));
    // `RateLimit` is not `Clone`: the worker calls its one instance for every delivery, so eight concurrent
    // handler slots still share one budget of a call per window.
    let stack = ServiceBuilder::new().rate_limit(1, window).service_fn({
        let starts = starts.clone();
        move |_delivery: Delivery| {
            starts.lock().unwrap().push(tokio::time::Instant::now());
            async { Ok::<(), BoxError>(()) }
        }
    });
    let config = fast_config(t).concurrency(8);
    let handle = Worker::new(bus.clone(), topic.clone(), GROUP, "w1", config).spawn_service(stack);
    t.eventually(Duration::from_secs(10), "all acked", || async {
        starts.lock().unwrap().len() == 3 && pending_count(&bus, &topic).await == 0
    })
    .await;
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.acked, 3);
    let starts = starts.lock().unwrap().clone();
    assert!(
        starts.windows(2).all(|pair| pair[1] - pair[0] >= window),
        "one call per {window:?}: {starts:?}"
    );
}
