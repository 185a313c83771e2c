//! Lists: LPUSH/RPUSH (and the X variants), LPOP/RPOP, LRANGE, LLEN.

use std::collections::VecDeque;

use bus_core::{Result, Topic};
use bytes::Bytes;

use crate::MemoryBackend;

/// Which end of a list (`L…`/`R…` commands).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListEnd {
    /// The head (`LPUSH`, `LPOP`).
    Left,
    /// The tail (`RPUSH`, `RPOP`).
    Right,
}

impl MemoryBackend {
    /// `LPUSH`/`RPUSH key element …` (`only_if_exists`: `LPUSHX`/`RPUSHX`): pushes each element in turn, so
    /// `LPUSH k a b` leaves `b a`; returns the new length (0 for an X variant on a missing key). An empty
    /// `elements` (which Redis's arity check rules out) changes nothing and answers the current length.
    ///
    /// ```
    /// # fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::{ListEnd, MemoryBackend};
    ///
    /// let backend = MemoryBackend::new();
    /// let key = Topic::from_redis_key("jobs")?;
    /// assert_eq!(backend.push(&key, ListEnd::Left, vec!["a".into(), "b".into()], false)?, 2);
    /// assert_eq!(backend.lrange(&key, 0, -1)?, ["b", "a"]);
    /// assert_eq!(backend.pop(&key, ListEnd::Right, 5)?, Some(vec!["a".into(), "b".into()]));
    /// assert_eq!(backend.llen(&key)?, 0, "an emptied list is deleted");
    /// # Ok(()) }
    /// ```
    pub fn push(&self, key: &Topic, end: ListEnd, elements: Vec<Bytes>, only_if_exists: bool) -> Result<u64> {
        let pushed = self.write_value(key, !only_if_exists, |list: &mut VecDeque<Bytes>| {
            let changed = !elements.is_empty();
            for element in elements {
                match end {
                    ListEnd::Left => list.push_front(element),
                    ListEnd::Right => list.push_back(element),
                }
            }
            (list.len() as u64, changed)
        })?;
        Ok(pushed.unwrap_or(0))
    }

    /// `LPOP`/`RPOP key count`: up to `count` elements from that end (`None` if the key does not exist; Redis
    /// answers a single element when no count was given, which is `count` 1).
    pub fn pop(&self, key: &Topic, end: ListEnd, count: usize) -> Result<Option<Vec<Bytes>>> {
        self.write_value(key, false, |list: &mut VecDeque<Bytes>| {
            let take = count.min(list.len());
            let popped: Vec<Bytes> = match end {
                ListEnd::Left => list.drain(..take).collect(),
                ListEnd::Right => (0..take).filter_map(|_| list.pop_back()).collect(),
            };
            let changed = !popped.is_empty();
            (popped, changed)
        })
    }

    /// `LRANGE key start stop`: indexes from 0, negative ones from the end, both inclusive and clamped as Redis
    /// clamps them; an empty list for a missing key.
    pub fn lrange(&self, key: &Topic, start: i64, stop: i64) -> Result<Vec<Bytes>> {
        let range = self.read_value(key, |list: &VecDeque<Bytes>| {
            let len = i64::try_from(list.len()).unwrap_or(i64::MAX);
            let start = if start < 0 { (len + start).max(0) } else { start };
            let stop = if stop < 0 { len + stop } else { stop.min(len - 1) };
            if start > stop || start >= len {
                return Vec::new();
            }
            let (start, stop) = (usize::try_from(start).unwrap_or(0), usize::try_from(stop).unwrap_or(0));
            list.range(start..=stop).cloned().collect()
        })?;
        Ok(range.unwrap_or_default())
    }

    /// `LLEN key`: 0 for a missing key.
    pub fn llen(&self, key: &Topic) -> Result<u64> {
        Ok(self
            .read_value(key, |list: &VecDeque<Bytes>| list.len() as u64)?
            .unwrap_or(0))
    }
}
