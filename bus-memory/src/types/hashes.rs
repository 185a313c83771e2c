//! Hashes: HSET, HGET, HGETALL, HLEN, HDEL, HEXISTS. Fields keep the order they were first set in, as in
//! Redis 7.0's listpack-encoded (small) hashes; an update keeps a field's place, a deletion closes the gap.

use bus_core::{Result, Topic};
use bytes::Bytes;

use crate::MemoryBackend;
use crate::keyspace::HashValue;

impl MemoryBackend {
    /// `HSET key field value …`: sets each field in turn; returns how many fields were new. Bumps the key's
    /// version even when nothing new was set, as Redis does.
    ///
    /// ```
    /// # fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// let key = Topic::from_redis_key("user:1")?;
    /// let pairs = vec![("a".into(), "1".into()), ("b".into(), "2".into()), ("a".into(), "3".into())];
    /// assert_eq!(backend.hset(&key, pairs)?, 2);
    /// assert_eq!(backend.hgetall(&key)?, [("a".into(), "3".into()), ("b".into(), "2".into())]);
    /// # Ok(()) }
    /// ```
    pub fn hset(&self, key: &Topic, pairs: Vec<(Bytes, Bytes)>) -> Result<u64> {
        let added = self.write_value(key, true, |hash: &mut HashValue| {
            let changed = !pairs.is_empty();
            let added = pairs
                .into_iter()
                .filter(|(field, value)| hash.insert(field.clone(), value.clone()).is_none())
                .count() as u64;
            (added, changed)
        })?;
        Ok(added.unwrap_or(0))
    }

    /// `HGET key field`.
    pub fn hget(&self, key: &Topic, field: &[u8]) -> Result<Option<Bytes>> {
        Ok(self
            .read_value(key, |hash: &HashValue| hash.get(field).cloned())?
            .flatten())
    }

    /// `HGETALL key`: field/value pairs in field order; empty for a missing key.
    pub fn hgetall(&self, key: &Topic) -> Result<Vec<(Bytes, Bytes)>> {
        let pairs = self.read_value(key, |hash: &HashValue| {
            hash.iter()
                .map(|(field, value)| (field.clone(), value.clone()))
                .collect()
        })?;
        Ok(pairs.unwrap_or_default())
    }

    /// `HLEN key`: 0 for a missing key.
    pub fn hlen(&self, key: &Topic) -> Result<u64> {
        Ok(self.read_value(key, |hash: &HashValue| hash.len() as u64)?.unwrap_or(0))
    }

    /// `HEXISTS key field`.
    pub fn hexists(&self, key: &Topic, field: &[u8]) -> Result<bool> {
        Ok(self
            .read_value(key, |hash: &HashValue| hash.contains_key(field))?
            .unwrap_or(false))
    }

    /// `HDEL key field …`: returns how many fields were removed (an emptied hash is deleted).
    pub fn hdel(&self, key: &Topic, fields: &[Bytes]) -> Result<u64> {
        let removed = self.write_value(key, false, |hash: &mut HashValue| {
            let removed = fields
                .iter()
                .filter(|field| hash.shift_remove(field.as_ref()).is_some())
                .count() as u64;
            (removed, removed > 0)
        })?;
        Ok(removed.unwrap_or(0))
    }
}
