//! The agent layer: an agent's typed topics, its control messages, and a loop that consumes its inbox with a
//! [`Worker`] while honouring pause and resume.
//!
//! An agent named `A` reads its inbox `chat:A` as consumer group `A` (every replica of `A` is a consumer of it,
//! so each message is handled once) and follows `control:A` as a fan-out subscription (every replica sees every
//! control message). On start it replays `control:A` to restore the current state, so a paused agent that
//! restarts stays paused. While paused the worker reads nothing: new messages wait unread and failed ones stay
//! pending, and nothing is lost (on a server, a read the pause interrupted may still take one batch, which
//! waits pending for this replica: see [`Worker::paused_by`]).

use std::sync::Arc;

use bus_core::{Bus, EntryId, RangeBound, Received, Result, Topic};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tower::Service;

use crate::WorkerConfig;
use crate::handler::{BoxError, HandlerFn};
use crate::retention::{Publisher, RetentionPolicy};
use crate::subscription::{StartFrom, Subscription, SubscriptionItem};
use crate::worker::{Delivery, Worker, WorkerHandle, WorkerReport};

/// A message on an agent's control topic.
///
/// Serialized with a `type` tag: `{"type":"pause"}`, `{"type":"resume"}`,
/// `{"type":"custom","name":"…","data":…}`. Custom messages carry application commands (reload, set a model, …)
/// that the agent loop hands to [`AgentHandle::custom_controls`] subscribers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Control {
    /// Stop handling inbox messages (they wait, unread or pending).
    Pause,
    /// Handle inbox messages again.
    Resume,
    /// An application-defined command.
    Custom {
        /// What to do.
        name: String,
        /// Its arguments.
        #[serde(default)]
        data: serde_json::Value,
    },
}

/// The topics of one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentTopics {
    /// `chat:{agent_name}`: messages addressed to the agent.
    pub inbox: Topic,
    /// `control:{agent_name}`: pause, resume and custom commands.
    pub control: Topic,
}

impl AgentTopics {
    /// The topics of the agent `name`.
    pub fn new(name: &str) -> Result<AgentTopics> {
        Ok(AgentTopics {
            inbox: Topic::chat_agent(name)?,
            control: Topic::control(name)?,
        })
    }
}

/// The topics of one conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationTopics {
    /// `chat:{conversation_id}`: the conversation's messages.
    pub chat: Topic,
    /// `stream:{conversation_id}`: its streamed events (tokens, progress), read as fan-out.
    pub stream: Topic,
}

impl ConversationTopics {
    /// The topics of conversation `id`.
    pub fn new(id: &str) -> Result<ConversationTopics> {
        Ok(ConversationTopics {
            chat: Topic::chat_conversation(id)?,
            stream: Topic::stream(id)?,
        })
    }
}

/// Sends a control message to an agent (with the control family's retention).
pub async fn send_control(publisher: &Publisher, agent: &str, control: &Control) -> Result<EntryId> {
    let topic = Topic::control(agent)?;
    Ok(publisher.publish(&topic, control).await?.entry_id)
}

/// The agent's state as its control topic says: paused or not, and the last control entry read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlState {
    /// Whether the last pause/resume was a pause.
    pub paused: bool,
    /// The last control entry (where following resumes), `0-0` when there is none.
    pub last: EntryId,
}

/// Replays a control topic to its current state. Entries that are not control messages are skipped.
pub async fn control_state(bus: &Bus, control: &Topic) -> Result<ControlState> {
    let mut state = ControlState {
        paused: false,
        last: EntryId::MIN,
    };
    loop {
        let after = RangeBound::Exclusive(state.last);
        let page = bus.backend().range(control, after, RangeBound::MAX, Some(100)).await?;
        let Some(last) = page.last().map(|entry| entry.id) else {
            return Ok(state);
        };
        for entry in page {
            apply(&mut state.paused, &Received::from_entry(entry));
        }
        state.last = last;
    }
}

/// Applies a pause or resume to `paused`; returns the custom command, if the entry is one.
fn apply(paused: &mut bool, received: &Received) -> Option<Control> {
    let control: Control = received.message()?.decode().ok()?;
    match control {
        Control::Pause => *paused = true,
        Control::Resume => *paused = false,
        Control::Custom { .. } => return Some(control),
    }
    None
}

/// One replica of an agent.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> bus_core::Result<()> {
/// use bus_runtime::{Agent, Control, Delivery, WorkerConfig};
///
/// let bus = bus_core::Bus::new(bus_memory::MemoryBackend::new());
/// let agent = Agent::new(bus.clone(), "DevAgent", WorkerConfig::new())?;
/// let (handled, mut contents) = tokio::sync::mpsc::unbounded_channel();
/// let mut replica = agent
///     .clone()
///     .start("replica-1", move |delivery: Delivery| {
///         let _ = handled.send(delivery.message.payload().to_owned());
///         async { Ok::<(), bus_core::Error>(()) }
///     })
///     .await?;
///
/// // Every replica pauses: the inbox is not read, and what arrives meanwhile waits.
/// agent.control(&Control::Pause).await?;
/// replica.wait_paused(true).await;
/// bus.publish(&agent.topics().inbox, &serde_json::json!({"content": "hi"})).await?;
/// agent.control(&Control::Resume).await?;
/// assert_eq!(contents.recv().await.as_deref(), Some(r#"{"content":"hi"}"#));
/// replica.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Agent {
    bus: Bus,
    name: String,
    topics: AgentTopics,
    config: WorkerConfig,
}

impl Agent {
    /// The agent `name` on `bus`.
    pub fn new(bus: Bus, name: &str, config: WorkerConfig) -> Result<Agent> {
        Ok(Agent {
            bus,
            name: name.to_owned(),
            topics: AgentTopics::new(name)?,
            config,
        })
    }

    /// Its topics.
    pub fn topics(&self) -> &AgentTopics {
        &self.topics
    }

    /// Starts the replica `replica` (its consumer name in the inbox group): restores the control state, then
    /// runs `handler` on inbox messages unless paused, following control messages as they come. The handler is
    /// what [`Worker::spawn`] takes; for a `tower` stack use [`start_service`](Agent::start_service).
    pub async fn start<H, Fut, E>(self, replica: &str, handler: H) -> Result<AgentHandle>
    where
        H: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        self.start_service(replica, HandlerFn(Arc::new(handler))).await
    }

    /// [`start`](Agent::start) with a handler stack, any [`tower::Service`] of [`Delivery`] (see
    /// [`crate::handler`]).
    pub async fn start_service<S>(self, replica: &str, service: S) -> Result<AgentHandle>
    where
        S: Service<Delivery> + Send + 'static,
        S::Response: Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let state = control_state(&self.bus, &self.topics.control).await?;
        let (paused_tx, paused_rx) = watch::channel(state.paused);
        let (custom_tx, _) = broadcast::channel(64);
        let follower = tokio::spawn(follow_control(
            self.bus.clone(),
            self.topics.control.clone(),
            state.last,
            paused_tx,
            custom_tx.clone(),
        ));
        let worker = Worker::new(self.bus, self.topics.inbox, self.name, replica, self.config)
            .paused_by(paused_rx.clone())
            .spawn_service(service);
        Ok(AgentHandle {
            worker,
            follower,
            paused: paused_rx,
            custom: Arc::new(custom_tx),
        })
    }

    /// Publishes a control message to this agent.
    pub async fn control(&self, control: &Control) -> Result<EntryId> {
        send_control(
            &Publisher::new(self.bus.clone(), RetentionPolicy::default()),
            &self.name,
            control,
        )
        .await
    }
}

/// Follows the control topic after `last`, turning pauses and resumes into the worker's pause signal.
async fn follow_control(
    bus: Bus,
    control: Topic,
    last: EntryId,
    paused: watch::Sender<bool>,
    custom: broadcast::Sender<Control>,
) {
    let mut subscription = Subscription::one(bus, control, StartFrom::Entry(last));
    while let Some(item) = subscription.next().await {
        match item {
            Ok(SubscriptionItem::Entry { received, .. }) => {
                let mut state = *paused.borrow();
                if let Some(command) = apply(&mut state, &received) {
                    let _ = custom.send(command);
                }
                paused.send_if_modified(|current| std::mem::replace(current, state) != state);
            }
            Ok(SubscriptionItem::Gap { .. }) => {
                tracing::warn!("control messages were trimmed before this replica read them");
            }
            Err(err) => {
                tracing::error!(error = %err, "the control subscription stopped");
                return;
            }
        }
    }
}

/// A running agent replica.
#[derive(Debug)]
pub struct AgentHandle {
    worker: WorkerHandle,
    follower: JoinHandle<()>,
    paused: watch::Receiver<bool>,
    custom: Arc<broadcast::Sender<Control>>,
}

impl AgentHandle {
    /// Whether the replica is paused now.
    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// A receiver of the custom control messages that arrive from now on.
    pub fn custom_controls(&self) -> broadcast::Receiver<Control> {
        self.custom.subscribe()
    }

    /// Waits until the replica's paused state is `paused`.
    pub async fn wait_paused(&mut self, paused: bool) {
        let _ = self.paused.wait_for(|state| *state == paused).await;
    }

    /// Stops following control messages and shuts the worker down gracefully.
    pub async fn shutdown(self) -> Result<WorkerReport> {
        self.follower.abort();
        self.worker.shutdown().await
    }
}
