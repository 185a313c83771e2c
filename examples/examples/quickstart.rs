//! Quickstart: publish to a chat topic, tail it, and consume it with a consumer group, on the in-memory backend.
//!
//! Run with `cargo run -p examples --example quickstart`.

use bus_core::{Bus, EntryId, GroupStart, Received, Topic};
use bus_memory::MemoryBackend;
use serde::{Deserialize, Serialize};

/// The payload our agents exchange.
#[derive(Debug, Serialize, Deserialize)]
struct Chat {
    content: String,
}

#[tokio::main]
async fn main() -> Result<(), bus_core::Error> {
    let bus = Bus::new(MemoryBackend::new());
    let topic = Topic::chat_agent("DevAgent")?;
    println!("backend: in-memory; topic: {topic}");

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
    let pending = bus.backend().pending_summary(&topic, "g1").await?;
    println!("acked {acked}; pending now {}", pending.count);
    Ok(())
}
