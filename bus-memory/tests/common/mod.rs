//! Helpers shared by the scenario tests. Every expected value in the tests was first obtained from a real
//! Redis 7.0.15 server with `redis-cli` running the same command sequence.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bus_core::{AppendOptions, Backend, Entry, EntryId, Fields, Topic, TopicEntries};
use bus_memory::MemoryBackend;

/// A topic by name.
pub fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

/// `ms-seq`.
pub fn id(ms: u64, seq: u64) -> EntryId {
    EntryId::new(ms, seq)
}

/// Parses an id the way the tests write them (`"3-1"`).
pub fn eid(text: &str) -> EntryId {
    text.parse().unwrap()
}

/// Fields from pairs.
pub fn fields(pairs: &[(&str, &str)]) -> Fields {
    Fields::from_pairs(pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())))
}

/// XADD at an explicit id with one field `n` = value.
pub async fn add(backend: &MemoryBackend, topic: &Topic, at: &str, value: &str) -> EntryId {
    add_fields(backend, topic, at, fields(&[("n", value)])).await
}

/// XADD at an explicit id (or `ms-*`, `*`) with the given fields.
pub async fn add_fields(backend: &MemoryBackend, topic: &Topic, at: &str, fields: Fields) -> EntryId {
    let options = AppendOptions::new().id(at.parse::<bus_core::AppendId>().unwrap());
    backend.append(topic, fields, &options).await.unwrap().unwrap()
}

/// XADD `1-1 n 1`, `2-1 n 2`, … `count-1 n count`.
pub async fn add_numbered(backend: &MemoryBackend, topic: &Topic, count: u64) {
    for i in 1..=count {
        add(backend, topic, &format!("{i}-1"), &i.to_string()).await;
    }
}

/// The ids of entries, as text.
pub fn ids(entries: &[Entry]) -> Vec<String> {
    entries.iter().map(|e| e.id.to_string()).collect()
}

/// `topic: [ids]` per topic of a read reply.
pub fn reply_ids<E>(reply: &[TopicEntries<E>], id_of: impl Fn(&E) -> EntryId) -> Vec<(String, Vec<String>)> {
    reply
        .iter()
        .map(|t| {
            (
                t.topic.to_string(),
                t.entries.iter().map(|e| id_of(e).to_string()).collect(),
            )
        })
        .collect()
}

/// The value of field `n` of an entry.
pub fn n_of(entry: &Entry) -> String {
    String::from_utf8(entry.fields.get("n").unwrap().to_vec()).unwrap()
}

/// A key of any name Redis accepts (`Topic::from_redis_key`).
pub fn key(name: &str) -> Topic {
    Topic::from_redis_key(name).unwrap()
}

/// Bytes of a text, for the values of strings, lists, sets and hashes.
pub fn b(text: &str) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(text.as_bytes())
}

/// A list of byte strings, from texts.
pub fn bs(texts: &[&str]) -> Vec<bytes::Bytes> {
    texts.iter().map(|text| b(text)).collect()
}
