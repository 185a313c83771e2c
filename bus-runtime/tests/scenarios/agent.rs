//! The agent layer: pause and resume through control messages, across restarts, on every replica.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::{Bus, Topic};
use bus_runtime::{Agent, AgentHandle, Control, Delivery, WorkerConfig, control_state};
use serde_json::json;

use crate::common::{Rig, Time};

/// One handler at a time, so that messages are handled in their order (on a multi-threaded runtime the
/// handlers of one batch run in parallel).
fn config(t: Time) -> WorkerConfig {
    WorkerConfig::new()
        .concurrency(1)
        .read_block(t.ms(50))
        .claim_interval(t.ms(200))
        .shutdown_timeout(t.secs(1))
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

/// Replica `replica-1` of `DevAgent` handled message 1, was paused, and messages 2 and 3 wait.
async fn paused_with_two_waiting(bus: &Bus, t: Time) -> (Agent, AgentHandle, Handled) {
    let agent = Agent::new(bus.clone(), "DevAgent", config(t)).unwrap();
    let handled = Handled::default();
    let mut handle = agent.clone().start("replica-1", handled.handler()).await.unwrap();
    assert!(!handle.is_paused());
    say(bus, "DevAgent", 1).await;
    t.eventually(Duration::from_secs(5), "first message handled", || async {
        handled.all().len() == 1
    })
    .await;

    agent.control(&Control::Pause).await.unwrap();
    t.within(Duration::from_secs(20), "the pause", handle.wait_paused(true))
        .await;
    say(bus, "DevAgent", 2).await;
    say(bus, "DevAgent", 3).await;
    tokio::time::sleep(t.quiet(Duration::from_secs(10))).await;
    assert_eq!(handled.all(), [json!({"n": 1})], "nothing is handled while paused");
    (agent, handle, handled)
}

/// Resumes `agent` and waits until `handle` runs again and `handled` holds `count` messages.
async fn resume(t: Time, agent: &Agent, handle: &mut AgentHandle, handled: &Handled, count: usize) {
    agent.control(&Control::Resume).await.unwrap();
    t.within(Duration::from_secs(20), "the resume", handle.wait_paused(false))
        .await;
    t.eventually(
        Duration::from_secs(5),
        "the waiting messages handled after the resume",
        || async { handled.all().len() == count },
    )
    .await;
}

pub async fn pause_stops_deliveries_and_resume_continues_without_loss(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let (agent, mut handle, handled) = paused_with_two_waiting(&bus, t).await;
    resume(t, &agent, &mut handle, &handled, 3).await;
    assert_eq!(handled.all(), [json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]);
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.acked, 3);
}

pub async fn a_restarted_paused_agent_stays_paused_and_loses_nothing(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let agent = Agent::new(bus.clone(), "Worker", config(t)).unwrap();
    agent.control(&Control::Pause).await.unwrap();
    agent.control(&Control::Resume).await.unwrap();
    agent.control(&Control::Pause).await.unwrap();
    assert!(control_state(&bus, &agent.topics().control).await.unwrap().paused);
    say(&bus, "Worker", 1).await;

    let handled = Handled::default();
    let handle = agent.clone().start("replica-1", handled.handler()).await.unwrap();
    assert!(handle.is_paused(), "the replayed control topic says paused");
    tokio::time::sleep(t.quiet(Duration::from_secs(10))).await;
    assert!(handled.all().is_empty());
    handle.shutdown().await.unwrap();

    // A second replica (a restart) is paused too; resuming releases the waiting message exactly once.
    let mut restarted = agent.clone().start("replica-2", handled.handler()).await.unwrap();
    assert!(restarted.is_paused());
    resume(t, &agent, &mut restarted, &handled, 1).await;
    restarted.shutdown().await.unwrap();
    assert_eq!(handled.all(), [json!({"n": 1})]);
}

/// On a server backend a blocking read that the pause interrupted may still take a message published right
/// after the pause: that message is then pending for the paused replica, not lost, and the replica's restart
/// under the same name recovers it (its own pending entries first).
pub async fn a_replica_restarted_while_paused_stays_paused_and_recovers_its_messages(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let (agent, handle, handled) = paused_with_two_waiting(&bus, t).await;

    // The replica restarts (same consumer name), replays the control topic and stays paused.
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.acked, 1);
    let mut restarted = agent.clone().start("replica-1", handled.handler()).await.unwrap();
    assert!(restarted.is_paused(), "the replayed control topic says paused");
    tokio::time::sleep(t.quiet(Duration::from_secs(10))).await;
    assert_eq!(handled.all(), [json!({"n": 1})], "still paused after the restart");

    // Resume: the waiting messages are handled, once each, in order.
    resume(t, &agent, &mut restarted, &handled, 3).await;
    say(&bus, "DevAgent", 4).await;
    t.eventually(Duration::from_secs(20), "later message handled", || async {
        handled.all().len() == 4
    })
    .await;
    tokio::time::sleep(t.quiet(Duration::from_secs(1))).await;
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

pub async fn every_replica_sees_control_messages_and_custom_ones_are_forwarded(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let agent = Agent::new(bus.clone(), "Fan", config(t)).unwrap();
    let handled = Handled::default();
    let mut first = agent.clone().start("r1", handled.handler()).await.unwrap();
    let mut second = agent.clone().start("r2", handled.handler()).await.unwrap();
    let mut custom = second.custom_controls();
    agent.control(&Control::Pause).await.unwrap();
    t.within(
        Duration::from_secs(20),
        "the first replica's pause",
        first.wait_paused(true),
    )
    .await;
    t.within(
        Duration::from_secs(20),
        "the second replica's pause",
        second.wait_paused(true),
    )
    .await;
    let reload = Control::Custom {
        name: "reload".into(),
        data: json!({"model": "small"}),
    };
    agent.control(&reload).await.unwrap();
    assert_eq!(
        t.within(Duration::from_secs(20), "the custom control", custom.recv())
            .await
            .unwrap(),
        reload
    );
    first.shutdown().await.unwrap();
    second.shutdown().await.unwrap();
}
