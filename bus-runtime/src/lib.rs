//! The consumer runtime of the bus: what agent code runs on top of the [`Backend`](bus_core::Backend) trait
//! instead of raw stream commands. It knows no backend: the same code runs on `bus-memory` and `bus-redis`.
//!
//! Why each module exists:
//! - [`subscription`]: fan-out readers (server-sent events, UIs tailing a conversation) need a stream that
//!   blocks for new entries, survives errors and reconnects without gaps or duplicates, says when a trim made it
//!   miss entries, and does not buffer without bound. [`Subscription`] is that `futures::Stream`.
//! - [`worker`]: consumer groups only give at-least-once delivery if someone recovers pending entries after a
//!   crash, takes over dead consumers' entries, retries failures with backoff instead of hot loops, keeps long
//!   handlers from being redelivered, and parks poison messages; and a group whose consumers come and go keeps
//!   every dead one unless someone deletes it once it owns nothing. [`Worker`] does all of it for one handler.
//! - [`handler`]: a handler is a closure or a stack of [`tower`] services; tower's layers give timeouts, limits
//!   and retries, the bus's give typed decoding ([`JsonLayer`]), deduplication ([`DedupLayer`]), panic
//!   recovery, and [`Permanent`] failures that are dead-lettered without retries. Its docs give the order of
//!   layers.
//! - [`config`]: the worker's knobs, with defaults documented in one place ([`WorkerConfig`]).
//! - [`dead_letter`]: the dead-letter topic name and the [`DeadLetter`] record a worker publishes there.
//! - [`dedup`]: at-least-once means handlers can see a message twice; [`RecentUuids`] lets them skip duplicates
//!   by the message's canonical UUID, in bounded memory.
//! - [`backoff`]: the one capped exponential [`Backoff`] rule used for every wait between attempts.
//! - [`retention`]: streams must not grow forever; [`Publisher`] applies each topic family's bound and idle
//!   expiry on publish ([`RetentionPolicy`] documents the defaults).
//! - [`agent`]: the topics of an agent and of a conversation as types ([`AgentTopics`], [`ConversationTopics`],
//!   named by [`Topic`](bus_core::Topic)'s family constructors such as
//!   [`Topic::chat_agent`](bus_core::Topic::chat_agent)), control messages ([`Control`]: pause, resume, custom)
//!   read as fan-out, and [`Agent`], which consumes an agent's inbox with a worker and honours pause and resume.
//! - [`observe`]: metric names (through the [`metrics`] facade; the table of names and labels is there); each
//!   handler call also runs in a `bus.delivery` [`tracing`] span carrying topic, group, consumer, entry id, UUID
//!   and delivery count.
//! - `trace` (cargo feature `otel`): W3C trace context in message headers, from the publisher's span to the
//!   `bus.delivery` span of workers and subscriptions, through OpenTelemetry.
//!
//! Everything here waits on tokio's clock, and so does bus-memory (its blocking reads, idle times and expiries),
//! so on bus-memory tests with paused time (`tokio::time::pause`) drive blocking reads, idle times, backoffs and
//! keep-alives deterministically. On a Redis server the blocks, idle times and expiries follow the server's
//! clock, and only the runtime's own waits (backoffs, intervals) follow tokio's.
//!
//! # Example
//! A worker processing a chat topic while a subscription tails it:
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> bus_core::Result<()> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use bus_runtime::{Delivery, RecentUuids, StartFrom, Subscription, SubscriptionItem, Worker, WorkerConfig};
//! use futures::StreamExt;
//!
//! let bus = bus_memory::MemoryBackend::new().bus();
//! let topic = bus_core::Topic::chat_agent("DevAgent")?;
//! let mut tail = Subscription::one(bus.clone(), topic.clone(), StartFrom::Start);
//!
//! let seen = Arc::new(RecentUuids::new(10_000));
//! let config = WorkerConfig::new().concurrency(4).max_deliveries(3);
//! let worker = Worker::new(bus.clone(), topic.clone(), "agents", "agent-1", config);
//! let handle = worker.spawn(move |delivery: Delivery| {
//!     let seen = Arc::clone(&seen);
//!     async move {
//!         if seen.contains(delivery.message.id()) {
//!             return Ok(()); // a redelivery of work already done
//!         }
//!         let request: serde_json::Value = delivery.message.decode()?;
//!         println!("handling {request}");
//!         seen.insert(delivery.message.id());
//!         Ok::<(), bus_core::Error>(())
//!     }
//! });
//!
//! bus.publish(&topic, &serde_json::json!({"content": "hello"})).await?;
//! if let Some(SubscriptionItem::Entry { received, .. }) = tail.next().await.transpose()? {
//!     assert_eq!(received.message().map(|m| m.payload()), Some(r#"{"content":"hello"}"#));
//! }
//! tokio::time::sleep(Duration::from_secs(1)).await;
//! let report = handle.shutdown().await?;
//! assert_eq!((report.delivered, report.acked), (1, 1));
//! # Ok(()) }
//! ```

pub mod agent;
pub mod backoff;
pub mod config;
pub mod dead_letter;
pub mod dedup;
pub mod handler;
pub mod observe;
pub mod retention;
pub mod subscription;
#[cfg(feature = "otel")]
pub mod trace;
pub mod worker;

pub use agent::{
    Agent, AgentHandle, AgentTopics, Control, ControlState, ConversationTopics, control_state, send_control,
};
pub use backoff::Backoff;
pub use config::WorkerConfig;
pub use dead_letter::{DeadLetter, DeadLetterReason, dead_letter_topic};
pub use dedup::RecentUuids;
pub use handler::{DedupLayer, Json, JsonLayer, Permanent, SeenUuids};
pub use retention::{Bound, Publisher, Retention, RetentionPolicy};
pub use subscription::{StartFrom, Subscription, SubscriptionConfig, SubscriptionItem};
pub use worker::{Delivery, Worker, WorkerHandle, WorkerReport};
