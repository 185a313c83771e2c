//! Sets: SADD, SREM, SMEMBERS, SCARD, SISMEMBER.
//!
//! Redis 7.0 stores a set whose members are all integers, at most `set-max-intset-entries` (512) of them, as an
//! intset, which SMEMBERS lists in numeric order; any other set is a hashtable, listed in an unspecified order,
//! and a set never converts back. Sets here keep that flag and list an intset-like set in numeric order, others
//! in the order members were stored.

use bus_core::{Result, Topic};
use bytes::Bytes;

use crate::MemoryBackend;
use crate::keyspace::SetValue;
use crate::types::as_integer;

/// Redis's `set-max-intset-entries` default.
const MAX_INTSET_ENTRIES: usize = 512;

impl MemoryBackend {
    /// `SADD key member …`: returns how many members were new.
    ///
    /// ```
    /// # fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// let key = Topic::from_redis_key("ids")?;
    /// assert_eq!(backend.sadd(&key, vec!["10".into(), "9".into(), "10".into()])?, 2);
    /// assert_eq!(backend.smembers(&key)?, ["9", "10"], "an intset lists in numeric order");
    /// # Ok(()) }
    /// ```
    pub fn sadd(&self, key: &Topic, members: Vec<Bytes>) -> Result<u64> {
        let added = self.write_value(key, true, |set: &mut SetValue| {
            let mut added = 0;
            for member in members {
                if !set.hashtable && as_integer(&member).is_none() {
                    set.hashtable = true;
                }
                added += u64::from(set.members.insert(member));
            }
            if set.members.len() > MAX_INTSET_ENTRIES {
                set.hashtable = true;
            }
            (added, added > 0)
        })?;
        Ok(added.unwrap_or(0))
    }

    /// `SREM key member …`: returns how many were removed (an emptied set is deleted).
    pub fn srem(&self, key: &Topic, members: &[Bytes]) -> Result<u64> {
        let removed = self.write_value(key, false, |set: &mut SetValue| {
            let removed = members
                .iter()
                .filter(|member| set.members.swap_remove(member.as_ref()))
                .count() as u64;
            (removed, removed > 0)
        })?;
        Ok(removed.unwrap_or(0))
    }

    /// `SMEMBERS key`: the members (see the module's note on their order); empty for a missing key.
    pub fn smembers(&self, key: &Topic) -> Result<Vec<Bytes>> {
        let members = self.read_value(key, |set: &SetValue| {
            let mut members: Vec<Bytes> = set.members.iter().cloned().collect();
            if !set.hashtable {
                members.sort_by_key(|member| as_integer(member));
            }
            members
        })?;
        Ok(members.unwrap_or_default())
    }

    /// `SCARD key`: the number of members, 0 for a missing key.
    pub fn scard(&self, key: &Topic) -> Result<u64> {
        Ok(self
            .read_value(key, |set: &SetValue| set.members.len() as u64)?
            .unwrap_or(0))
    }

    /// `SISMEMBER key member`.
    pub fn sismember(&self, key: &Topic, member: &[u8]) -> Result<bool> {
        Ok(self
            .read_value(key, |set: &SetValue| set.members.contains(member))?
            .unwrap_or(false))
    }
}
