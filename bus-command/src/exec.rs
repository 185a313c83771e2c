//! Running a [`Command`] on a [`Bus`] and shaping the result as JSON.

use std::time::Duration;

use bus_core::{
    AppendOptions, AutoClaimOptions, Bus, ClaimOptions, Claimed, Entry, EntryId, Error, Fields, GroupCreateOptions,
    GroupEntry, Message, PendingQuery, ReadCursor, ReadGroupOptions, ReadOptions, ReadReply, Received, StreamInfo,
    Topic, Uuid,
};
use serde_json::{Map, Value, json};

use crate::command::{Command, ReadFrom};

/// `{"error":{"kind":…,"message":…}}` for a bus error (`kind` snake_case, `message` in Redis's wording).
pub fn error_json(err: &Error) -> Value {
    error_parts_json(err.kind(), &err.to_string())
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
            json!({"entry_id": entry_id.to_string(), "id": message.id().hyphenated().to_string(), "payload": payload})
        }
        Received::Malformed {
            entry_id,
            fields,
            reason,
        } => json!({"entry_id": entry_id.to_string(), "fields": fields_json(fields), "malformed": reason.to_string()}),
        Received::Deleted { entry_id } => json!({"entry_id": entry_id.to_string(), "deleted": true}),
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
            .map(|(name, value)| {
                json!([
                    String::from_utf8_lossy(name).into_owned(),
                    String::from_utf8_lossy(value).into_owned()
                ])
            })
            .collect(),
    )
}

fn entries_json<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Value {
    Value::Array(entries.into_iter().map(entry_json).collect())
}

fn group_entries_json(entries: Vec<GroupEntry>) -> Value {
    Value::Array(
        entries
            .into_iter()
            .map(|e| received_json(&Received::from_group_entry(e)))
            .collect(),
    )
}

fn id_json(id: EntryId) -> Value {
    Value::String(id.to_string())
}

fn ids_json(ids: &[EntryId]) -> Value {
    Value::Array(ids.iter().copied().map(id_json).collect())
}

fn claimed_json(claimed: &Claimed) -> Value {
    match claimed {
        Claimed::Entries(entries) => entries_json(entries),
        Claimed::Ids(ids) => ids_json(ids),
    }
}

fn info_json(info: &StreamInfo) -> Value {
    json!({
        "length": info.length,
        "last_generated_id": id_json(info.last_generated_id),
        "max_deleted_entry_id": id_json(info.max_deleted_entry_id),
        "entries_added": info.entries_added,
        "first_entry": info.first_entry.as_ref().map_or(Value::Null, entry_json),
        "last_entry": info.last_entry.as_ref().map_or(Value::Null, entry_json),
        "groups": info.groups,
    })
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// The field map of `append-raw`: FIELD VALUE pairs (an odd or empty list is the error Redis gives XADD).
fn raw_fields(words: &[String]) -> Result<Fields, Error> {
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err(Error::invalid_argument(
            "ERR wrong number of arguments for 'xadd' command",
        ));
    }
    Ok(Fields::from_pairs(
        words.chunks_exact(2).map(|pair| (pair[0].clone(), pair[1].clone())),
    ))
}

impl Command {
    /// Runs the command on `bus` and returns its result as the CLI prints it (see the variants).
    ///
    /// `tail --follow` returns the last entries only here; following is [`Follow`]'s job.
    pub async fn execute(&self, bus: &Bus) -> Result<Value, Error> {
        let b = bus.backend();
        Ok(match self {
            Command::Publish {
                topic,
                json,
                id,
                entry_id,
                trim,
                nomkstream,
            } => {
                let uuid = id.unwrap_or_else(Uuid::new_v4);
                let message = Message::from_json(uuid, json.clone())?;
                let mut options = AppendOptions::new();
                if let Some(entry_id) = entry_id {
                    options = options.id(*entry_id);
                }
                if let Some(trim) = trim.to_trim()? {
                    options = options.trim(trim);
                }
                if *nomkstream {
                    options = options.no_mkstream();
                }
                match b.publish(topic, &message, &options).await? {
                    None => Value::Null,
                    Some(published) => json!({
                        "entry_id": published.entry_id.to_string(),
                        "id": uuid.hyphenated().to_string(),
                        "duplicate": published.duplicate,
                    }),
                }
            }
            Command::AppendRaw {
                topic,
                fields,
                entry_id,
                trim,
                nomkstream,
            } => {
                let fields = raw_fields(fields)?;
                let mut options = AppendOptions::new();
                if let Some(entry_id) = entry_id {
                    options = options.id(*entry_id);
                }
                if let Some(trim) = trim.to_trim()? {
                    options = options.trim(trim);
                }
                if *nomkstream {
                    options = options.no_mkstream();
                }
                b.append(topic, fields, &options).await?.map_or(Value::Null, id_json)
            }
            Command::Range {
                topic,
                start,
                end,
                count,
            } => entries_json(&b.range(topic, *start, *end, *count).await?),
            Command::Revrange {
                topic,
                end,
                start,
                count,
            } => entries_json(&b.rev_range(topic, *end, *start, *count).await?),
            Command::Tail { topic, count, .. } => {
                let entries = bus.tail(topic, count.unwrap_or(DEFAULT_TAIL)).await?;
                Value::Array(entries.iter().map(received_json).collect())
            }
            Command::Read {
                topic,
                cursor,
                count,
                block,
            } => {
                let cursor = match cursor {
                    ReadFrom::Cursor(cursor) => *cursor,
                    ReadFrom::Message(uuid) => {
                        let id = b.lookup(topic, *uuid).await?.ok_or_else(|| Error::UnknownCursor {
                            topic: topic.to_string(),
                            uuid: *uuid,
                        })?;
                        ReadCursor::After(id)
                    }
                };
                let mut options = ReadOptions::new();
                if let Some(count) = count {
                    options = options.count(*count);
                }
                if let Some(block) = block {
                    options = options.block(millis(*block));
                }
                match b.read(&[(topic.clone(), cursor)], &options).await? {
                    ReadReply::TimedOut => Value::Null,
                    ReadReply::Topics(topics) => entries_json(topics.iter().flat_map(|t| &t.entries)),
                }
            }
            Command::Lookup { topic, uuid } => b.lookup(topic, *uuid).await?.map_or(Value::Null, id_json),
            Command::Len { topic } => b.len(topic).await?.into(),
            Command::Del { topic, ids } => b.delete(topic, ids).await?.into(),
            Command::Trim { topic, trim } => match trim.to_trim()? {
                Some(trim) => b.trim(topic, &trim).await?.into(),
                None => return Err(Error::syntax()),
            },
            Command::Drop { topic } => b.drop_topic(topic).await?.into(),
            Command::GroupCreate {
                topic,
                group,
                start,
                mkstream,
                entries_read,
            } => {
                let mut options = GroupCreateOptions::new();
                if *mkstream {
                    options = options.mkstream();
                }
                if let Some(n) = entries_read {
                    options = options.entries_read(*n);
                }
                b.group_create(topic, group, *start, &options).await?;
                Value::Bool(true)
            }
            Command::GroupDestroy { topic, group } => b.group_destroy(topic, group).await?.into(),
            Command::GroupSetid {
                topic,
                group,
                id,
                entries_read,
            } => {
                b.group_set_id(topic, group, *id, *entries_read).await?;
                Value::Bool(true)
            }
            Command::ConsumerCreate { topic, group, consumer } => {
                b.consumer_create(topic, group, consumer).await?.into()
            }
            Command::ConsumerDelete { topic, group, consumer } => {
                b.consumer_delete(topic, group, consumer).await?.into()
            }
            Command::ReadGroup {
                topic,
                group,
                consumer,
                cursor,
                count,
                block,
                noack,
            } => {
                let mut options = ReadGroupOptions::new();
                if let Some(count) = count {
                    options = options.count(*count);
                }
                if let Some(block) = block {
                    options = options.block(millis(*block));
                }
                if *noack {
                    options = options.no_ack();
                }
                match b
                    .read_group(group, consumer, &[(topic.clone(), *cursor)], &options)
                    .await?
                {
                    ReadReply::TimedOut => Value::Null,
                    reply => group_entries_json(reply.into_entries().collect()),
                }
            }
            Command::Ack { topic, group, ids } => b.ack(topic, group, ids).await?.into(),
            Command::Pending {
                topic,
                group,
                start,
                end,
                count,
                consumer,
                idle,
            } => match (start, end, count) {
                (None, None, None) if consumer.is_none() && idle.is_none() => {
                    let summary = b.pending_summary(topic, group).await?;
                    let consumers: Map<String, Value> = summary
                        .consumers
                        .into_iter()
                        .map(|(name, n)| (name, n.into()))
                        .collect();
                    json!({
                        "count": summary.count,
                        "min": summary.min.map_or(Value::Null, id_json),
                        "max": summary.max.map_or(Value::Null, id_json),
                        "consumers": consumers,
                    })
                }
                (Some(start), Some(end), Some(count)) => {
                    let mut query = PendingQuery::new(*start, *end, *count);
                    if let Some(consumer) = consumer {
                        query = query.consumer(consumer.clone());
                    }
                    if let Some(idle) = idle {
                        query = query.min_idle(millis(*idle));
                    }
                    let pending = b.pending(topic, group, &query).await?;
                    Value::Array(
                        pending
                            .into_iter()
                            .map(|p| {
                                json!({
                                    "entry_id": p.id.to_string(),
                                    "consumer": p.consumer,
                                    "idle_ms": u64::try_from(p.idle.as_millis()).unwrap_or(u64::MAX),
                                    "delivery_count": p.delivery_count,
                                })
                            })
                            .collect(),
                    )
                }
                _ => return Err(Error::syntax()),
            },
            Command::Claim {
                topic,
                group,
                consumer,
                min_idle_ms,
                ids,
                idle,
                time,
                retrycount,
                force,
                justid,
                lastid,
            } => {
                let mut options = ClaimOptions::new();
                if let Some(idle) = idle {
                    options = options.idle(millis(*idle));
                }
                if let Some(time) = time {
                    options = options.time(*time);
                }
                if let Some(n) = retrycount {
                    options = options.retry_count(*n);
                }
                if *force {
                    options = options.force();
                }
                if *justid {
                    options = options.just_id();
                }
                if let Some(id) = lastid {
                    options = options.last_id(*id);
                }
                let claimed = b
                    .claim(topic, group, consumer, millis(*min_idle_ms), ids, &options)
                    .await?;
                claimed_json(&claimed)
            }
            Command::Autoclaim {
                topic,
                group,
                consumer,
                min_idle_ms,
                start,
                count,
                justid,
            } => {
                let mut options = AutoClaimOptions::new();
                if let Some(count) = count {
                    options = options.count(*count);
                }
                if *justid {
                    options = options.just_id();
                }
                let claimed = b
                    .auto_claim(topic, group, consumer, millis(*min_idle_ms), *start, &options)
                    .await?;
                json!({
                    "next": id_json(claimed.next),
                    "claimed": claimed_json(&claimed.claimed),
                    "deleted": ids_json(&claimed.deleted),
                })
            }
            Command::Info { topic } => info_json(&b.stream_info(topic).await?),
            Command::Groups { topic } => {
                let groups = b.groups_info(topic).await?;
                Value::Array(
                    groups
                        .into_iter()
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
                )
            }
            Command::Consumers { topic, group } => {
                let consumers = b.consumers_info(topic, group).await?;
                Value::Array(
                    consumers
                        .into_iter()
                        .map(|c| {
                            json!({
                                "name": c.name,
                                "pending": c.pending,
                                "idle_ms": u64::try_from(c.idle.as_millis()).unwrap_or(u64::MAX),
                            })
                        })
                        .collect(),
                )
            }
        })
    }

    /// [`Command::execute`], with an error turned into the error JSON: what the CLI prints for the command.
    pub async fn execute_json(&self, bus: &Bus) -> Value {
        self.execute(bus).await.unwrap_or_else(|err| error_json(&err))
    }
}

/// How many entries `tail` prints when `--count` is not given.
pub const DEFAULT_TAIL: u64 = 10;

/// `tail --follow`: the last entries of a topic, then every new one, in batches of blocking reads.
///
/// Each [`Follow::next_batch`] returns the entries to print next; the first call returns the tail. On an error the
/// position is kept, so calling again after a retryable error (the server restarting) misses nothing.
#[derive(Clone, Debug)]
pub struct Follow {
    topic: Topic,
    count: u64,
    block: Duration,
    after: Option<EntryId>,
}

impl Follow {
    /// Follows `topic`, starting with its last `count` entries; each read blocks up to `block`.
    pub fn new(topic: Topic, count: u64, block: Duration) -> Follow {
        Follow {
            topic,
            count,
            block: block.max(Duration::from_millis(1)),
            after: None,
        }
    }

    /// The next entries (possibly none, when a read timed out), as JSON.
    pub async fn next_batch(&mut self, bus: &Bus) -> Result<Vec<Value>, Error> {
        let Some(after) = self.after else {
            let tail = bus.tail(&self.topic, self.count).await?;
            let after = match tail.last() {
                Some(last) => last.entry_id(),
                None => match bus.backend().stream_info(&self.topic).await {
                    Ok(info) => info.last_generated_id,
                    Err(Error::NoSuchTopic { .. }) => EntryId::MIN,
                    Err(err) => return Err(err),
                },
            };
            self.after = Some(after);
            return Ok(tail.iter().map(received_json).collect());
        };
        let options = ReadOptions::new().count(100).block(self.block);
        let reply = bus
            .backend()
            .read(&[(self.topic.clone(), ReadCursor::After(after))], &options)
            .await?;
        let entries: Vec<Entry> = reply.into_entries().collect();
        if let Some(last) = entries.last() {
            self.after = Some(last.id);
        }
        Ok(entries.iter().map(entry_json).collect())
    }
}
