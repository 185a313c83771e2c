//! Two agents converse: `planner` and `coder` each consume their inbox `chat:{agent}` with a
//! `bus_runtime::Agent`, reply into the other's inbox and into the conversation `chat:{conversation_id}`, and
//! stream their replies token by token to `stream:{conversation_id}`, which a `Subscription` prints. The coder
//! is paused over `control:{agent}` before the conversation starts: the planner's message waits in its inbox,
//! unhandled, and is handled once it is resumed. The conversation stops after a fixed number of replies.
//!
//! Run with `cargo run -p examples --example agent_chat`, or
//! `BUS_URL=redis://127.0.0.1:6379/0 cargo run -p examples --example agent_chat` on Redis. Each run uses names
//! of its own (suffixed with a run id) and drops its topics at the end, or when interrupted (Ctrl-C,
//! SIGTERM), once its replicas stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bus::Topic;
use bus_runtime::{
    Agent, AgentHandle, Control, ConversationTopics, Delivery, Publisher, RecentUuids, RetentionPolicy, StartFrom,
    Subscription, SubscriptionItem, WorkerConfig, dead_letter_topic,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Replies in the whole conversation; the last one ends it.
const REPLIES: usize = 6;

/// What the planner says at its turns 1, 3, 5, and the coder at 2, 4, 6.
const PLANNER: [&str; 3] = [
    "Let's write a word counter: read stdin, print the count.",
    "Good. Add a --lines flag that counts lines instead.",
    "Looks right. Ship it.",
];
const CODER: [&str; 3] = [
    "Done: wc.rs splits on whitespace and prints the count.",
    "Added --lines with a test for empty input.",
    "Shipped v0.1.0.",
];

/// A chat message, in an inbox and in the conversation.
#[derive(Debug, Serialize, Deserialize)]
struct Chat {
    from: String,
    to: String,
    turn: usize,
    content: String,
}

/// A streamed event: one token of a reply, or its end.
#[derive(Debug, Serialize, Deserialize)]
struct StreamEvent {
    agent: String,
    turn: usize,
    token: Option<String>,
}

/// What every handler of one agent shares.
struct Side {
    name: String,
    peer: String,
    lines: &'static [&'static str],
    publisher: Publisher,
    conversation: ConversationTopics,
    peer_inbox: Topic,
    seen: RecentUuids,
    handled: AtomicUsize,
    events: mpsc::UnboundedSender<(String, usize)>,
}

impl Side {
    /// Handles one inbox message: streams the reply's tokens, then posts the reply.
    async fn handle(&self, delivery: Delivery) -> bus::Result<()> {
        // At least once: a redelivered message already answered is skipped.
        if self.seen.contains(delivery.message.id()) {
            return Ok(());
        }
        let chat: Chat = delivery.message.decode()?;
        println!(
            "[{}] got turn {} from {}: {:?}",
            self.name, chat.turn, chat.from, chat.content
        );
        let turn = chat.turn + 1;
        let content = self.lines[(turn - 1) / 2];
        for token in content.split(' ') {
            let event = StreamEvent {
                agent: self.name.clone(),
                turn,
                token: Some(token.to_owned()),
            };
            self.publisher.publish(&self.conversation.stream, &event).await?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let end = StreamEvent {
            agent: self.name.clone(),
            turn,
            token: None,
        };
        self.publisher.publish(&self.conversation.stream, &end).await?;
        let reply = Chat {
            from: self.name.clone(),
            to: self.peer.clone(),
            turn,
            content: content.to_owned(),
        };
        self.publisher.publish(&self.conversation.chat, &reply).await?;
        if turn < REPLIES {
            self.publisher.publish(&self.peer_inbox, &reply).await?;
        }
        self.seen.insert(delivery.message.id());
        self.handled.fetch_add(1, Ordering::SeqCst);
        let _ = self.events.send((self.name.clone(), turn));
        Ok(())
    }
}

fn config() -> WorkerConfig {
    WorkerConfig::new()
        .concurrency(1)
        .read_block(Duration::from_millis(200))
}

async fn start(side: Arc<Side>, agent: Agent) -> bus::Result<AgentHandle> {
    let replica = format!("{}-1", side.name);
    agent
        .start(&replica, move |delivery: Delivery| {
            let side = Arc::clone(&side);
            async move { side.handle(delivery).await }
        })
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = examples::bus_url();
    let bus = bus::connect(&url).await?;
    let run = examples::run_id();
    let (planner, coder) = (format!("planner-{run}"), format!("coder-{run}"));
    let conversation_id = format!("conv-{run}");
    let conversation = ConversationTopics::new(&conversation_id)?;
    println!(
        "backend: {}; agents: {planner}, {coder}; conversation: {}",
        examples::backend_label(&url)?,
        conversation.chat
    );
    let publisher = Publisher::new(bus.clone(), RetentionPolicy::default());

    // The agents' handles live here, outside the run, so that after Ctrl-C the replicas are stopped before their
    // topics are dropped (a running replica would create its group, and so its inbox, again).
    let mut replicas: Vec<AgentHandle> = Vec::new();
    let names = (planner.as_str(), coder.as_str());
    let outcome = examples::or_interrupted(converse(&bus, publisher, &conversation, names, &mut replicas)).await;
    for replica in replicas.drain(..) {
        let _ = replica.shutdown().await;
    }
    for name in [&planner, &coder] {
        for topic in [Topic::chat_agent(name)?, Topic::control(name)?] {
            bus.drop_topic(&topic).await?;
            bus.drop_topic(&dead_letter_topic(&topic, name)?).await?;
        }
    }
    bus.drop_topic(&conversation.chat).await?;
    bus.drop_topic(&conversation.stream).await?;
    println!("dropped the topics of {conversation_id}");
    outcome.unwrap_or(Ok(()))
}

/// The conversation: the stream printer, both agents (their handles pushed to `replicas`, planner first), the
/// pause and resume of the coder, and the summary.
async fn converse(
    bus: &bus::Bus,
    publisher: Publisher,
    conversation: &ConversationTopics,
    (planner, coder): (&str, &str),
    replicas: &mut Vec<AgentHandle>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (planner, coder) = (planner.to_owned(), coder.to_owned());
    // The stream printer: a fan-out subscription on stream:{conversation_id}, one line per streamed reply.
    let mut subscription = Subscription::one(bus.clone(), conversation.stream.clone(), StartFrom::Start);
    let printer = tokio::spawn(async move {
        let (mut tokens, mut text) = (0usize, Vec::new());
        let mut replies = 0usize;
        while let Some(item) = subscription.next().await {
            let Ok(SubscriptionItem::Entry { received, .. }) = item else {
                continue;
            };
            let Some(event) = received.message().and_then(|m| m.decode::<StreamEvent>().ok()) else {
                continue;
            };
            match event.token {
                Some(token) => {
                    tokens += 1;
                    text.push(token);
                }
                None => {
                    println!(
                        "[stream] {} turn {}: {} tokens: {}",
                        event.agent,
                        event.turn,
                        text.len(),
                        text.join(" ")
                    );
                    text.clear();
                    replies += 1;
                    if replies == REPLIES {
                        break;
                    }
                }
            }
        }
        tokens
    });

    let planner_agent = Agent::new(bus.clone(), &planner, config())?;
    let coder_agent = Agent::new(bus.clone(), &coder, config())?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let side = |name: &str, peer: &str, lines: &'static [&'static str]| -> bus::Result<Arc<Side>> {
        Ok(Arc::new(Side {
            name: name.to_owned(),
            peer: peer.to_owned(),
            lines,
            publisher: publisher.clone(),
            conversation: conversation.clone(),
            peer_inbox: Topic::chat_agent(peer)?,
            seen: RecentUuids::new(1_000),
            handled: AtomicUsize::new(0),
            events: events_tx.clone(),
        }))
    };
    let planner_side = side(&planner, &coder, &PLANNER)?;
    let coder_side = side(&coder, &planner, &CODER)?;
    replicas.push(start(Arc::clone(&planner_side), planner_agent.clone()).await?);
    replicas.push(start(Arc::clone(&coder_side), coder_agent.clone()).await?);

    // Pause the coder over control:{coder}, before anyone talks to it.
    coder_agent.control(&Control::Pause).await?;
    replicas[1].wait_paused(true).await;
    println!("[control] paused {coder}");

    // The user opens the conversation with the planner.
    let kickoff = Chat {
        from: "user".to_owned(),
        to: planner.clone(),
        turn: 0,
        content: "We need a small CLI tool.".to_owned(),
    };
    println!("[user] asks {planner}: {:?}", kickoff.content);
    publisher.publish(&conversation.chat, &kickoff).await?;
    publisher.publish(&planner_agent.topics().inbox, &kickoff).await?;

    // The planner answers into the coder's inbox, where the message waits while the coder is paused.
    let first = tokio::time::timeout(Duration::from_secs(10), events.recv()).await?;
    println!("[main] {planner} replied into chat:{coder}, but {coder} is paused");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = bus.len(&coder_agent.topics().inbox).await?;
    let handled_while_paused = coder_side.handled.load(Ordering::SeqCst);
    println!(
        "[main] {waiting} message(s) waiting in {} after 500 ms, {handled_while_paused} handled while paused",
        coder_agent.topics().inbox
    );
    println!("[control] resuming {coder}");
    coder_agent.control(&Control::Resume).await?;
    replicas[1].wait_paused(false).await;

    // Then the conversation runs to its last reply.
    let mut last_turn = first.map(|(_, turn)| turn).unwrap_or(0);
    while last_turn < REPLIES {
        let Some((_, turn)) = tokio::time::timeout(Duration::from_secs(30), events.recv()).await? else {
            break;
        };
        last_turn = last_turn.max(turn);
    }
    let tokens = tokio::time::timeout(Duration::from_secs(10), printer).await??;

    let mut acked = 0;
    for replica in replicas.drain(..) {
        acked += replica.shutdown().await?.acked;
    }
    let messages = bus.len(&conversation.chat).await?;
    let expected_tokens: usize = PLANNER
        .iter()
        .chain(CODER.iter())
        .map(|line| line.split(' ').count())
        .sum();
    println!(
        "summary: replies={last_turn} planner_handled={} coder_handled={} conversation_messages={messages} \
         tokens_streamed={tokens} tokens_expected={expected_tokens} waited_while_paused={waiting} \
         handled_while_paused={handled_while_paused} acked={}",
        planner_side.handled.load(Ordering::SeqCst),
        coder_side.handled.load(Ordering::SeqCst),
        acked,
    );

    Ok(())
}
