//! The agent layer and retention on bus-memory with paused time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::{Bus, Topic};
use bus_runtime::{Agent, Control, Delivery, Publisher, Retention, RetentionPolicy, WorkerConfig, control_state};
use serde_json::json;

use common::{eventually, memory};

fn config() -> WorkerConfig {
    WorkerConfig::new()
        .read_block(Duration::from_millis(50))
        .claim_interval(Duration::from_millis(200))
        .shutdown_timeout(Duration::from_secs(1))
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

#[tokio::test(start_paused = true)]
async fn pause_stops_deliveries_and_resume_continues_without_loss() {
    let bus = memory().bus();
    let agent = Agent::new(bus.clone(), "DevAgent", config()).unwrap();
    let handled = Handled::default();
    let mut handle = agent.clone().start("replica-1", handled.handler()).await.unwrap();
    say(&bus, "DevAgent", 1).await;
    eventually(Duration::from_secs(5), "first message handled", || async {
        handled.all().len() == 1
    })
    .await;

    agent.control(&Control::Pause).await.unwrap();
    handle.wait_paused(true).await;
    say(&bus, "DevAgent", 2).await;
    say(&bus, "DevAgent", 3).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(handled.all(), [json!({"n": 1})], "nothing is handled while paused");

    agent.control(&Control::Resume).await.unwrap();
    handle.wait_paused(false).await;
    eventually(Duration::from_secs(5), "paused messages handled", || async {
        handled.all().len() == 3
    })
    .await;
    assert_eq!(handled.all(), [json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]);
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.acked, 3);
}

#[tokio::test(start_paused = true)]
async fn a_restarted_paused_agent_stays_paused_and_loses_nothing() {
    let bus = memory().bus();
    let agent = Agent::new(bus.clone(), "Worker", config()).unwrap();
    agent.control(&Control::Pause).await.unwrap();
    agent.control(&Control::Resume).await.unwrap();
    agent.control(&Control::Pause).await.unwrap();
    assert!(control_state(&bus, &agent.topics().control).await.unwrap().paused);
    say(&bus, "Worker", 1).await;

    let handled = Handled::default();
    let handle = agent.clone().start("replica-1", handled.handler()).await.unwrap();
    assert!(handle.is_paused(), "the replayed control topic says paused");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(handled.all().is_empty());
    handle.shutdown().await.unwrap();

    // A second replica (a restart) is paused too; resuming releases the waiting message exactly once.
    let mut restarted = agent.clone().start("replica-2", handled.handler()).await.unwrap();
    assert!(restarted.is_paused());
    agent.control(&Control::Resume).await.unwrap();
    restarted.wait_paused(false).await;
    eventually(Duration::from_secs(5), "message handled after resume", || async {
        handled.all().len() == 1
    })
    .await;
    restarted.shutdown().await.unwrap();
    assert_eq!(handled.all(), [json!({"n": 1})]);
}

#[tokio::test(start_paused = true)]
async fn every_replica_sees_control_messages_and_custom_ones_are_forwarded() {
    let bus = memory().bus();
    let agent = Agent::new(bus.clone(), "Fan", config()).unwrap();
    let handled = Handled::default();
    let mut first = agent.clone().start("r1", handled.handler()).await.unwrap();
    let mut second = agent.clone().start("r2", handled.handler()).await.unwrap();
    let mut custom = second.custom_controls();
    agent.control(&Control::Pause).await.unwrap();
    first.wait_paused(true).await;
    second.wait_paused(true).await;
    let reload = Control::Custom {
        name: "reload".into(),
        data: json!({"model": "small"}),
    };
    agent.control(&reload).await.unwrap();
    assert_eq!(custom.recv().await.unwrap(), reload);
    first.shutdown().await.unwrap();
    second.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn publishing_applies_the_family_bound_and_idle_expiry() {
    let backend = memory();
    let bus = backend.bus();
    let policy =
        RetentionPolicy::default().stream(Retention::keep_all().max_len(150).idle_ttl(Duration::from_secs(60)));
    let publisher = Publisher::new(bus.clone(), policy);
    let topic = Topic::stream("c1").unwrap();
    for token in 0..1_000 {
        publisher.publish(&topic, &json!({ "token": token })).await.unwrap();
    }
    let len = bus.backend().len(&topic).await.unwrap();
    assert!((150..250).contains(&len), "approximate trim keeps whole nodes: {len}");
    let other = Topic::new("audit").unwrap();
    publisher.publish(&other, &json!(1)).await.unwrap();
    assert_eq!(
        bus.backend().topic_ttl(&other).await.unwrap(),
        None,
        "no retention outside the families"
    );

    // Idle for less than the TTL: still there; a publish pushes the deadline back.
    tokio::time::advance(Duration::from_secs(59)).await;
    publisher.publish(&topic, &json!({ "token": "late" })).await.unwrap();
    tokio::time::advance(Duration::from_secs(59)).await;
    assert!(bus.backend().len(&topic).await.unwrap() > 0);
    // Idle past the TTL: the conversation's stream is gone.
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(bus.backend().len(&topic).await.unwrap(), 0);
    assert!(backend.topics().iter().all(|t| t != &topic));
}
