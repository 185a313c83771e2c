//! Dead letters: where a worker parks entries it must stop retrying, and what it writes there.
//!
//! An entry that failed `max_deliveries` times (a poison message) or that is not a bus message at all would
//! otherwise be retried forever and block nothing but waste everything. The worker publishes a [`DeadLetter`]
//! describing it to the group's dead-letter topic, [`dead_letter_topic`] (`dead:{topic}:{group}`), and only then
//! acknowledges the entry. The dead letter is published under the original message's UUID, and publishing is
//! idempotent by UUID, so a crash between the publish and the ack makes the next attempt find the existing dead
//! letter instead of writing a second one. A malformed entry has no usable UUID; its dead letter gets a UUID
//! derived from topic, group and entry id ([`malformed_uuid`]), which is just as stable across attempts.

use bus_core::{EntryId, Fields, Result, Topic};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The dead-letter topic of a group: `dead:{topic}:{group}`, e.g. `dead:chat:DevAgent:workers`.
///
/// Fails when the name is not a valid [`Topic`] (a group name with white space or braces).
///
/// ```
/// let topic = bus_core::Topic::new("chat:DevAgent").unwrap();
/// assert_eq!(bus_runtime::dead_letter_topic(&topic, "workers").unwrap().as_str(), "dead:chat:DevAgent:workers");
/// ```
pub fn dead_letter_topic(topic: &Topic, group: &str) -> Result<Topic> {
    Topic::new(format!("dead:{topic}:{group}"))
}

/// Why an entry was dead-lettered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// The handler failed (or the entry was abandoned by consumers) `max_deliveries` times.
    MaxDeliveries,
    /// The entry is not a bus message (no canonical UUID, payload not JSON, …): no handler can take it.
    Malformed,
    /// The handler failed with a [`Permanent`](crate::Permanent) error (a payload that does not decode under a
    /// [`JsonLayer`](crate::JsonLayer) is one): no retry can help, so it was parked after that delivery.
    Permanent,
}

impl DeadLetterReason {
    /// The name it is serialized under, also the `reason` label of `bus_runtime_dead_lettered_total`:
    /// `max_deliveries`, `malformed` or `permanent`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterReason::MaxDeliveries => "max_deliveries",
            DeadLetterReason::Malformed => "malformed",
            DeadLetterReason::Permanent => "permanent",
        }
    }
}

/// The payload of a dead-letter message (JSON object). Decode with
/// [`Message::decode`](bus_core::Message::decode)`::<DeadLetter>()`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Why the entry was parked.
    pub reason: DeadLetterReason,
    /// The topic the entry came from.
    pub topic: String,
    /// The group that gave up on it.
    pub group: String,
    /// The entry id on the original topic.
    pub entry_id: EntryId,
    /// The original message UUID (`None` for a malformed entry).
    pub uuid: Option<Uuid>,
    /// The original JSON payload (`None` for a malformed entry).
    pub payload: Option<serde_json::Value>,
    /// The raw fields of a malformed entry, lossily decoded as UTF-8 (`None` for a message).
    pub fields: Option<Vec<(String, String)>>,
    /// The last handler error, or why the entry is malformed; `None` when no error was recorded (for example the
    /// entry was abandoned by crashed consumers).
    pub last_error: Option<String>,
    /// The entry's delivery count when it was parked.
    pub delivery_count: u64,
}

impl DeadLetter {
    /// Raw fields as lossy UTF-8 pairs.
    pub(crate) fn lossy_fields(fields: &Fields) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }
}

/// The UUID under which the dead letter of a malformed entry is published: a version-8 UUID whose bits are a
/// 128-bit FNV-1a hash of `topic`, `group` and the entry id. Deterministic, so a retried dead-lettering is
/// deduplicated like any other publish.
pub fn malformed_uuid(topic: &Topic, group: &str, entry_id: EntryId) -> Uuid {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let key = format!("{topic}\u{0}{group}\u{0}{entry_id}");
    let hash = key
        .bytes()
        .fold(OFFSET, |hash, byte| (hash ^ u128::from(byte)).wrapping_mul(PRIME));
    uuid::Builder::from_custom_bytes(hash.to_be_bytes()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_uuids_are_stable_and_distinct() {
        let topic = Topic::new("chat:1").unwrap();
        let a = malformed_uuid(&topic, "g", EntryId::new(1, 0));
        assert_eq!(a, malformed_uuid(&topic, "g", EntryId::new(1, 0)));
        assert_ne!(a, malformed_uuid(&topic, "g", EntryId::new(1, 1)));
        assert_ne!(a, malformed_uuid(&topic, "h", EntryId::new(1, 0)));
        assert_eq!(a.get_version_num(), 8);
        // The canonical text form is what the bus envelope requires.
        assert!(bus_core::message::parse_canonical_uuid(a.to_string().as_bytes()).is_some());
    }

    #[test]
    fn reason_names_are_their_serialized_form() {
        for reason in [
            DeadLetterReason::MaxDeliveries,
            DeadLetterReason::Malformed,
            DeadLetterReason::Permanent,
        ] {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
    }

    #[test]
    fn topic_names_are_validated() {
        let topic = Topic::new("chat:1").unwrap();
        assert!(dead_letter_topic(&topic, "bad group").is_err());
    }
}
