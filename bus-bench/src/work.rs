//! The per-message work every arm does, so that bus arms and baselines differ only in the transport: a fresh v4
//! UUID and the JSON text of the same 64-byte payload (the payload of `bus-memory/benches/memory.rs` and
//! `bus-redis/benches/redis.rs`). Also the shapes of the run: batch size, group and consumer names.

use std::time::Duration;

use bus::{Message, Uuid};
use serde::Serialize;

/// What an arm fails with: a message for the `bench` error line.
pub(crate) type Fallible<T> = Result<T, String>;

/// Messages per batch, per group read (COUNT) and per `redis-benchmark` pipeline.
pub const BATCH: u64 = 100;
/// The consumer group of the group-read and wakeup arms.
pub(crate) const GROUP: &str = "bench";
/// The consumer of the group-read and wakeup arms.
pub(crate) const CONSUMER: &str = "c1";
/// How long a wakeup sample's consumer blocks at most.
pub(crate) const BLOCK: Duration = Duration::from_secs(5);

/// What the report says one message costs the client in every arm.
pub(crate) const PER_MESSAGE_WORK: &str = "Uuid::new_v4() + serde_json::to_string of a 64-byte JSON payload";

/// The message body; serializes to exactly 64 bytes of JSON.
#[derive(Serialize)]
struct Chat {
    kind: &'static str,
    content: &'static str,
}

const PAYLOAD: Chat = Chat {
    kind: "chat",
    content: "hello from the benchmark: 64B JSON!!",
};

/// The per-message work of a baseline: a fresh v4 UUID and the JSON text of the payload.
pub(crate) fn uuid_and_json() -> Fallible<(Uuid, String)> {
    let json = serde_json::to_string(&PAYLOAD).map_err(|err| err.to_string())?;
    Ok((Uuid::new_v4(), json))
}

/// The same work producing the bus envelope (`Message::with_id` runs the same `serde_json::to_string`).
pub(crate) fn message() -> Fallible<Message> {
    Message::with_id(Uuid::new_v4(), &PAYLOAD).map_err(|err| err.to_string())
}

/// [`BATCH`] messages, generated as [`message`] does.
pub(crate) fn messages() -> Fallible<Vec<Message>> {
    (0..BATCH).map(|_| message()).collect()
}

pub(crate) fn bus_err(err: bus::Error) -> String {
    err.to_string()
}

pub(crate) fn redis_err(err: redis::RedisError) -> String {
    format!("redis: {err}")
}

/// The error of a send or receive on a channel whose other end is gone.
pub(crate) fn closed<T>(_: T) -> String {
    "channel closed".to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn the_payload_is_64_bytes_in_both_forms() {
        let (_, json) = uuid_and_json().unwrap();
        assert_eq!(json.len(), 64);
        let message = message().unwrap();
        assert_eq!(message.payload().len(), 64);
        assert_eq!(messages().unwrap().len() as u64, BATCH);
    }
}
