//! Key-level helpers the commands share on top of bus-memory's keyspace API.

use bus_core::Topic;
use bus_memory::{KeyTtl, MemoryBackend};
use bytes::Bytes;

use crate::client::Client;
use crate::command::existing_topic;
use crate::resp::Reply;

/// The keys among the arguments that bus-memory can name (any other key cannot exist), in order.
pub(crate) fn existing_topics(args: &[Bytes]) -> Vec<Topic> {
    args.iter().filter_map(|key| existing_topic(key)).collect()
}

/// Keys, their count with a deadline, and the average time left (ms) of those: `INFO keyspace`.
pub(crate) fn summary(db: &MemoryBackend) -> (usize, usize, u64) {
    let keys = db.keys("*");
    let expiring: Vec<u64> = keys
        .iter()
        .filter_map(|key| match db.pttl(key) {
            KeyTtl::Expires(left) => Some(u64::try_from(left.as_millis()).unwrap_or(u64::MAX)),
            KeyTtl::Missing | KeyTtl::Persistent => None,
        })
        .collect();
    let count = u64::try_from(expiring.len()).unwrap_or(u64::MAX).max(1);
    let average = expiring.iter().fold(0u64, |sum, ms| sum.saturating_add(*ms)) / count;
    (keys.len(), expiring.len(), average)
}

/// An integer reply of a count.
pub(crate) fn count(n: u64) -> Reply {
    Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A bulk reply of a value, or the null of the client's protocol.
pub(crate) fn bulk_or_null(value: Option<Bytes>) -> Reply {
    value.map_or(Reply::Null, Reply::Bulk)
}

/// Runs a read on the key of an argument, or answers `missing` for a key bus-memory cannot name (it cannot
/// exist); bus-memory's errors (WRONGTYPE) become error replies.
pub(crate) fn read_key<T>(
    client: &Client,
    key: &[u8],
    missing: T,
    read: impl FnOnce(&MemoryBackend, &Topic) -> bus_core::Result<T>,
) -> Result<T, Reply> {
    match existing_topic(key) {
        Some(topic) => Ok(read(client.db(), &topic)?),
        None => Ok(missing),
    }
}
