//! [`Output`]: what a command returned, typed (so the conformance suite compares it with its model), and the
//! one place that turns it into the JSON the CLI prints.

use std::time::Duration;

use bus_core::{
    AutoClaimed, Claimed, ConsumerDelete, ConsumerInfo, Entry, EntryId, Error, Fields, GroupEntry, GroupInfo,
    PendingEntry, PendingSummary, Published, ReadReply, Received, StreamInfo, Uuid,
};
use serde_json::{Map, Value, json};

/// A publish's result with the message's UUID (which `publish` generates when none is given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishedMessage {
    /// The message UUID.
    pub id: Uuid,
    /// What the backend did; `None` with `--nomkstream` on a missing topic.
    pub published: Option<Published>,
}

/// What a command returned: one variant per result shape of the [`bus_core::Backend`] methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// `append`, `lookup`: an entry id, or none (`--nomkstream` on a missing topic; an unknown UUID).
    Id(Option<EntryId>),
    /// `publish`.
    Published(PublishedMessage),
    /// `publish-batch`: one result per message, in order.
    PublishedBatch(Vec<PublishedMessage>),
    /// `range`, `rev-range`, `tail`, `read-after-message`.
    Entries(Vec<Entry>),
    /// `read`.
    Read(ReadReply<Entry>),
    /// `read-group`.
    GroupRead(ReadReply<GroupEntry>),
    /// `group-create`, `group-set-id` (Redis answers OK).
    Done,
    /// `group-destroy`, `consumer-create`, `drop-topic`, `expire-topic`.
    Flag(bool),
    /// `consumer-delete`, `ack`, `delete`, `trim`, `len`.
    Count(u64),
    /// `consumer-delete-if-idle`.
    ConsumerDelete(ConsumerDelete),
    /// `pending-summary`.
    PendingSummary(PendingSummary),
    /// `pending`.
    Pending(Vec<PendingEntry>),
    /// `claim`.
    Claimed(Claimed),
    /// `auto-claim`.
    AutoClaimed(AutoClaimed),
    /// `topic-ttl`: the time left, or none (no such topic, or no deadline).
    Ttl(Option<Duration>),
    /// `stream-info`.
    StreamInfo(StreamInfo),
    /// `groups-info`.
    GroupsInfo(Vec<GroupInfo>),
    /// `consumers-info`.
    ConsumersInfo(Vec<ConsumerInfo>),
}

macro_rules! output_from {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<$ty> for Output {
                fn from(value: $ty) -> Output {
                    Output::$variant(value)
                }
            }
        )*
    };
}

output_from! {
    Option<EntryId> => Id,
    PublishedMessage => Published,
    Vec<PublishedMessage> => PublishedBatch,
    Vec<Entry> => Entries,
    ReadReply<Entry> => Read,
    ReadReply<GroupEntry> => GroupRead,
    bool => Flag,
    u64 => Count,
    ConsumerDelete => ConsumerDelete,
    PendingSummary => PendingSummary,
    Vec<PendingEntry> => Pending,
    Claimed => Claimed,
    AutoClaimed => AutoClaimed,
    Option<Duration> => Ttl,
    StreamInfo => StreamInfo,
    Vec<GroupInfo> => GroupsInfo,
    Vec<ConsumerInfo> => ConsumersInfo,
}

impl From<()> for Output {
    fn from((): ()) -> Output {
        Output::Done
    }
}

impl Output {
    /// The JSON the CLI prints for this result (see each command's help for its shape).
    pub fn to_json(&self) -> Value {
        match self {
            Output::Id(id) => id.map_or(Value::Null, id_json),
            Output::Published(published) => published_json(published),
            Output::PublishedBatch(batch) => Value::Array(batch.iter().map(published_json).collect()),
            Output::Entries(entries) => Value::Array(entries.iter().map(entry_json).collect()),
            Output::Read(reply) => read_json(reply, entry_json),
            Output::GroupRead(reply) => read_json(reply, |e| received_json(&Received::from_group_entry(e.clone()))),
            Output::Done => Value::Bool(true),
            Output::Flag(flag) => Value::Bool(*flag),
            Output::Count(n) => Value::from(*n),
            Output::ConsumerDelete(outcome) => consumer_delete_json(outcome),
            Output::PendingSummary(summary) => {
                let consumers: Map<String, Value> = summary
                    .consumers
                    .iter()
                    .map(|(name, n)| (name.clone(), Value::from(*n)))
                    .collect();
                json!({
                    "count": summary.count,
                    "min": summary.min.map_or(Value::Null, id_json),
                    "max": summary.max.map_or(Value::Null, id_json),
                    "consumers": consumers,
                })
            }
            Output::Pending(pending) => Value::Array(
                pending
                    .iter()
                    .map(|p| {
                        json!({
                            "entry_id": id_json(p.id),
                            "consumer": p.consumer,
                            "idle_ms": millis_json(p.idle),
                            "delivery_count": p.delivery_count,
                        })
                    })
                    .collect(),
            ),
            Output::Claimed(claimed) => claimed_json(claimed),
            Output::AutoClaimed(claimed) => json!({
                "next": id_json(claimed.next),
                "claimed": claimed_json(&claimed.claimed),
                "deleted": Value::Array(claimed.deleted.iter().copied().map(id_json).collect()),
            }),
            Output::Ttl(ttl) => ttl.map_or(Value::Null, millis_json),
            Output::StreamInfo(info) => json!({
                "length": info.length,
                "last_generated_id": id_json(info.last_generated_id),
                "max_deleted_entry_id": id_json(info.max_deleted_entry_id),
                "entries_added": info.entries_added,
                "first_entry": info.first_entry.as_ref().map_or(Value::Null, entry_json),
                "last_entry": info.last_entry.as_ref().map_or(Value::Null, entry_json),
                "groups": info.groups,
            }),
            Output::GroupsInfo(groups) => Value::Array(
                groups
                    .iter()
                    .map(|g| {
                        json!({
                            "name": g.name,
                            "consumers": g.consumers,
                            "pending": g.pending,
                            "last_delivered_id": id_json(g.last_delivered_id),
                            "entries_read": g.entries_read,
                            "lag": g.lag,
                        })
                    })
                    .collect(),
            ),
            Output::ConsumersInfo(consumers) => Value::Array(
                consumers
                    .iter()
                    .map(|c| json!({"name": c.name, "pending": c.pending, "idle_ms": millis_json(c.idle)}))
                    .collect(),
            ),
        }
    }
}

/// `{"error":{"kind":…,"message":…}}` for a bus error (`kind` snake_case, `message` in Redis's wording).
///
/// A payload error is worded for the person who typed the payload: a command's payloads are JSON text, so
/// `not valid JSON: …` (serde_json's reason and position) says what is wrong, where the library's message
/// speaks of decoding into a type.
///
/// ```
/// let err = bus_core::Message::from_json(bus_core::Uuid::nil(), "{oops").unwrap_err();
/// assert_eq!(
///     bus_command::error_json(&err)["error"],
///     serde_json::json!({"kind": "payload", "message": "not valid JSON: key must be a string at line 1 column 2"})
/// );
/// ```
pub fn error_json(err: &Error) -> Value {
    match err {
        Error::Payload(reason) => error_parts_json(err.kind(), &format!("not valid JSON: {reason}")),
        _ => error_parts_json(err.kind(), &err.to_string()),
    }
}

/// `{"error":{"kind":…,"message":…}}`.
pub fn error_parts_json(kind: &str, message: &str) -> Value {
    json!({"error": {"kind": kind, "message": message}})
}

/// An entry as the CLI prints it: `{"entry_id","id","payload"}` for a message,
/// `{"entry_id","fields":[[f,v],…],"malformed"}` for anything else, `{"entry_id","deleted":true}` for a pending
/// entry deleted from the stream.
pub fn received_json(received: &Received) -> Value {
    match received {
        Received::Message { entry_id, message } => {
            // A message's payload is valid JSON by construction; keep the text if it ever is not.
            let payload: Value = serde_json::from_str(message.payload()).unwrap_or_else(|_| message.payload().into());
            json!({"entry_id": id_json(*entry_id), "id": message.id().hyphenated().to_string(), "payload": payload})
        }
        Received::Malformed {
            entry_id,
            fields,
            reason,
        } => json!({"entry_id": id_json(*entry_id), "fields": fields_json(fields), "malformed": reason.to_string()}),
        Received::Deleted { entry_id } => json!({"entry_id": id_json(*entry_id), "deleted": true}),
    }
}

/// A raw entry, decoded: see [`received_json`].
pub fn entry_json(entry: &Entry) -> Value {
    received_json(&Received::from_entry(entry.clone()))
}

/// `[["field","value"],…]`, bytes read as UTF-8 (lossily).
fn fields_json(fields: &Fields) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|(name, value)| json!([String::from_utf8_lossy(name), String::from_utf8_lossy(value)]))
            .collect(),
    )
}

fn id_json(id: EntryId) -> Value {
    Value::String(id.to_string())
}

fn millis_json(duration: Duration) -> Value {
    Value::from(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

fn published_json(message: &PublishedMessage) -> Value {
    match message.published {
        None => Value::Null,
        Some(published) => json!({
            "entry_id": id_json(published.entry_id),
            "id": message.id.hyphenated().to_string(),
            "duplicate": published.duplicate,
        }),
    }
}

/// `[{"topic":…,"entries":[…]},…]` in reply order, or null when a block timed out.
fn read_json<E>(reply: &ReadReply<E>, entry: impl Fn(&E) -> Value) -> Value {
    match reply {
        ReadReply::TimedOut => Value::Null,
        ReadReply::Topics(topics) => Value::Array(
            topics
                .iter()
                .map(
                    |t| json!({"topic": t.topic.as_str(), "entries": t.entries.iter().map(&entry).collect::<Vec<_>>()}),
                )
                .collect(),
        ),
    }
}

fn claimed_json(claimed: &Claimed) -> Value {
    match claimed {
        Claimed::Entries(entries) => Value::Array(entries.iter().map(entry_json).collect()),
        Claimed::Ids(ids) => Value::Array(ids.iter().copied().map(id_json).collect()),
    }
}

fn consumer_delete_json(outcome: &ConsumerDelete) -> Value {
    match outcome {
        ConsumerDelete::Deleted => json!({"deleted": true}),
        ConsumerDelete::HasPending(n) => json!({"deleted": false, "pending": n}),
        ConsumerDelete::NotIdle(idle) => json!({"deleted": false, "idle_ms": millis_json(*idle)}),
        ConsumerDelete::NoSuchConsumer => json!({"deleted": false, "no_such_consumer": true}),
        other => json!({"deleted": false, "reason": format!("{other:?}")}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_counters_are_printed_signed_as_redis_reports_them() {
        let group = GroupInfo {
            name: "g".to_owned(),
            consumers: 1,
            pending: 0,
            last_delivered_id: EntryId::new(1, 0),
            entries_read: Some(i64::MIN),
            lag: Some(-11),
        };
        let json = Output::GroupsInfo(vec![group]).to_json();
        assert_eq!(json[0]["entries_read"], json!(-9_223_372_036_854_775_808_i64));
        assert_eq!(json[0]["lag"], json!(-11));
        let unknown = GroupInfo {
            name: "h".to_owned(),
            consumers: 0,
            pending: 0,
            last_delivered_id: EntryId::MIN,
            entries_read: None,
            lag: None,
        };
        let json = Output::GroupsInfo(vec![unknown]).to_json();
        assert_eq!(
            (&json[0]["entries_read"], &json[0]["lag"]),
            (&Value::Null, &Value::Null)
        );
    }
}
