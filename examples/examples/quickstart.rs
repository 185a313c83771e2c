//! Quickstart: publish to a chat topic, tail it, and consume it with a consumer group, on the backend `BUS_URL`
//! names (`memory://`, the in-memory backend, when unset; `redis://host:6379/0` for a Redis server).
//!
//! Run with `cargo run -p examples --example quickstart`, or
//! `BUS_URL=redis://127.0.0.1:6379/0 cargo run -p examples --example quickstart` against Redis.
//!
//! Each run uses a topic of its own and drops it at the end, or when interrupted (Ctrl-C, SIGTERM), so reruns on
//! the same Redis server behave the same and leave nothing behind.

use bus::{EntryId, GroupStart, Received, Topic, Uuid};
use serde::{Deserialize, Serialize};

/// The payload our agents exchange.
#[derive(Debug, Serialize, Deserialize)]
struct Chat {
    content: String,
}

#[tokio::main]
async fn main() -> Result<(), bus::Error> {
    // The backend is configuration: the same code runs in memory and on Redis.
    let url = std::env::var("BUS_URL").unwrap_or_else(|_| "memory://".to_owned());
    let bus = bus::connect(&url).await?;
    let run = Uuid::new_v4().simple().to_string();
    let topic = Topic::chat_conversation(format!("quickstart-{}", &run[..8]))?;
    // Never print a URL as it is: it may hold a password.
    println!("backend: {}; topic: {topic}", examples::backend_label(&url)?);

    let outcome = examples::or_interrupted(demo(&bus, &topic)).await;

    // Clean up, also after Ctrl-C: the topic with its group (and, on Redis, its UUID index).
    bus.drop_topic(&topic).await?;
    println!("dropped {topic}");
    outcome.unwrap_or(Ok(()))
}

/// Publish, tail, then consume with a group.
async fn demo(bus: &bus::Bus, topic: &Topic) -> Result<(), bus::Error> {
    let topic = topic.clone();
    // Publish: each message gets a canonical UUID (its idempotency key) and JSON payload.
    for content in ["hello", "how are you?", "bye"] {
        let published = bus
            .publish(
                &topic,
                &Chat {
                    content: content.into(),
                },
            )
            .await?;
        println!("published {content:?} as entry {}", published.entry_id);
    }

    // Tail: the last two entries, oldest first, without any group (fan-out readers do this).
    for received in bus.tail(&topic, 2).await? {
        if let Received::Message { entry_id, message } = &received {
            let chat: Chat = message.decode()?;
            println!("tail: {entry_id} {} {:?}", message.id(), chat.content);
        }
    }

    // Consume with a group: read, process, then acknowledge.
    bus.ensure_group(&topic, "g1", GroupStart::Id(EntryId::MIN)).await?;
    let mut consumer = bus.consumer(topic.clone(), "g1", "c1");
    let batch = consumer.read(10, None).await?;
    for received in &batch {
        let message = received.clone().into_message(&topic)?;
        let chat: Chat = message.decode()?;
        println!("consumed {} {:?}", received.entry_id(), chat.content);
    }
    let ids: Vec<EntryId> = batch.iter().map(Received::entry_id).collect();
    let acked = consumer.ack(&ids).await?;
    let pending = bus.pending(&topic, "g1").await?;
    println!("acked {acked}; pending now {}", pending.count);
    Ok(())
}
