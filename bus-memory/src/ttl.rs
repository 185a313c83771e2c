//! Expiry on keys of any type: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (with NX/XX/GT/LT), TTL/PTTL,
//! EXPIRETIME/PEXPIRETIME and PERSIST.
//!
//! A server turns each command's argument into a Unix-millisecond deadline (relative ones against
//! [`MemoryBackend::clock`]) and checks it for overflow with Redis's error; the rules that depend on the key
//! are applied here. The deadline is kept in the key's state and enforced by the expiry queue (see `expiry`).

use std::time::Duration;

use bus_core::Topic;

use crate::MemoryBackend;

/// The options of EXPIRE and its variants (Redis 7.0): which current deadline allows setting the new one.
///
/// Redis refuses `NX` with any other option and `GT` with `LT` before it looks at the key; that is the caller's
/// check. Set flags are applied in Redis's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExpireCondition {
    /// `NX`: only if the key has no deadline.
    pub nx: bool,
    /// `XX`: only if the key has a deadline.
    pub xx: bool,
    /// `GT`: only if the new deadline is later than the current one (a key without one counts as never
    /// expiring, so this always fails for it).
    pub gt: bool,
    /// `LT`: only if the new deadline is earlier than the current one (always allowed without one).
    pub lt: bool,
}

/// What TTL and PTTL report for a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyTtl {
    /// The key does not exist (Redis: -2).
    Missing,
    /// The key has no deadline (Redis: -1).
    Persistent,
    /// The key expires after this long.
    Expires(Duration),
}

impl KeyTtl {
    /// PTTL's reply: -2, -1, or the milliseconds left.
    pub fn pttl_reply(self) -> i64 {
        match self {
            KeyTtl::Missing => -2,
            KeyTtl::Persistent => -1,
            KeyTtl::Expires(ttl) => i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// TTL's reply: -2, -1, or the seconds left rounded to the nearest second, as Redis rounds them.
    pub fn ttl_reply(self) -> i64 {
        match self {
            KeyTtl::Expires(_) => self.pttl_reply().saturating_add(500) / 1000,
            other => other.pttl_reply(),
        }
    }
}

/// What EXPIRETIME and PEXPIRETIME report for a key: its deadline as a Unix time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyDeadline {
    /// The key does not exist (Redis: -2).
    Missing,
    /// The key has no deadline (Redis: -1).
    Persistent,
    /// The key expires at this Unix time, in milliseconds.
    At(u64),
}

impl KeyDeadline {
    /// PEXPIRETIME's reply: -2, -1, or the deadline in Unix milliseconds.
    pub fn pexpiretime_reply(self) -> i64 {
        match self {
            KeyDeadline::Missing => -2,
            KeyDeadline::Persistent => -1,
            KeyDeadline::At(ms) => i64::try_from(ms).unwrap_or(i64::MAX),
        }
    }

    /// EXPIRETIME's reply: -2, -1, or the deadline in Unix seconds, rounded to the nearest as Redis rounds it.
    pub fn expiretime_reply(self) -> i64 {
        match self {
            KeyDeadline::At(_) => self.pexpiretime_reply().saturating_add(500) / 1000,
            other => other.pexpiretime_reply(),
        }
    }
}

impl MemoryBackend {
    /// PEXPIRETIME and EXPIRETIME: whether the key exists and when it expires (see [`KeyDeadline`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> bus_core::Result<()> {
    /// use bus_core::{Clock, Topic};
    /// use bus_memory::{ExpireCondition, KeyDeadline, MemoryBackend, SetOptions};
    ///
    /// let backend = MemoryBackend::with_clock(Clock::starting_at(10_000));
    /// let key = Topic::from_redis_key("session")?;
    /// assert_eq!(backend.deadline(&key), KeyDeadline::Missing);
    /// backend.set(&key, "x", &SetOptions::new())?;
    /// assert_eq!(backend.deadline(&key).pexpiretime_reply(), -1);
    /// backend.pexpire_at(&key, 12_600, ExpireCondition::default());
    /// assert_eq!(backend.deadline(&key), KeyDeadline::At(12_600));
    /// assert_eq!(backend.deadline(&key).expiretime_reply(), 13);
    /// # Ok(()) }
    /// ```
    pub fn deadline(&self, key: &Topic) -> KeyDeadline {
        self.keyspace()
            .with_slot(key, |state| match (&state.value, state.expires_at) {
                (None, _) => KeyDeadline::Missing,
                (Some(_), None) => KeyDeadline::Persistent,
                (Some(_), Some(at)) => KeyDeadline::At(at),
            })
            .unwrap_or(KeyDeadline::Missing)
    }

    /// PEXPIREAT (and EXPIRE, PEXPIRE, EXPIREAT once the caller made the deadline absolute): sets the key to
    /// expire at `unix_ms` if `condition` allows it; a deadline not in the future deletes the key at once, as
    /// Redis does. Returns whether the key existed and the condition held (Redis's 1 or 0). Bumps the key's
    /// version when it changes anything.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> bus_core::Result<()> {
    /// use std::time::Duration;
    /// use bus_core::{Clock, Topic};
    /// use bus_memory::{ExpireCondition, KeyTtl, MemoryBackend, SetOptions};
    ///
    /// let backend = MemoryBackend::with_clock(Clock::starting_at(10_000));
    /// let key = Topic::from_redis_key("session")?;
    /// backend.set(&key, "x", &SetOptions::new())?;
    /// assert!(backend.pexpire_at(&key, 12_000, ExpireCondition::default()));
    /// assert_eq!(backend.pttl(&key), KeyTtl::Expires(Duration::from_millis(2_000)));
    /// let later_only = ExpireCondition { gt: true, ..ExpireCondition::default() };
    /// assert!(!backend.pexpire_at(&key, 11_000, later_only));
    /// tokio::time::advance(Duration::from_millis(2_000)).await;
    /// assert_eq!(backend.pttl(&key), KeyTtl::Missing);
    /// # Ok(()) }
    /// ```
    pub fn pexpire_at(&self, key: &Topic, unix_ms: i64, condition: ExpireCondition) -> bool {
        let now = self.now();
        let keyspace = self.keyspace();
        let applied = keyspace.with_slot(key, |state| {
            state.value.as_ref()?;
            let current = state.expires_at.map(|at| i64::try_from(at).unwrap_or(i64::MAX));
            let refused = (condition.nx && current.is_some())
                || (condition.xx && current.is_none())
                || (condition.gt && current.is_none_or(|current| unix_ms <= current))
                || (condition.lt && current.is_some_and(|current| unix_ms >= current));
            if refused {
                return None;
            }
            match u64::try_from(unix_ms) {
                Ok(deadline) if deadline > now => {
                    state.expires_at = Some(deadline);
                    state.touch();
                    keyspace.expiry.schedule(key, deadline);
                    Some(true)
                }
                _ => {
                    keyspace.remove_value(key, state);
                    Some(false)
                }
            }
        });
        match applied.flatten() {
            Some(true) => self.start_sweeper(),
            Some(false) => keyspace.remove_if_vacant(key),
            None => return false,
        }
        true
    }

    /// PTTL and TTL: whether the key exists and how long it has left (see [`KeyTtl::pttl_reply`] and
    /// [`KeyTtl::ttl_reply`] for Redis's replies).
    pub fn pttl(&self, key: &Topic) -> KeyTtl {
        let now = self.now();
        self.keyspace()
            .with_slot(key, |state| match (&state.value, state.expires_at) {
                (None, _) => KeyTtl::Missing,
                (Some(_), None) => KeyTtl::Persistent,
                (Some(_), Some(at)) => KeyTtl::Expires(Duration::from_millis(at.saturating_sub(now))),
            })
            .unwrap_or(KeyTtl::Missing)
    }

    /// PERSIST: removes the key's deadline; returns whether it had one (and bumps its version then).
    pub fn persist(&self, key: &Topic) -> bool {
        self.keyspace()
            .with_slot(key, |state| {
                let had = state.value.is_some() && state.expires_at.take().is_some();
                if had {
                    state.touch();
                }
                had
            })
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_redis_replies() {
        assert_eq!(KeyTtl::Missing.ttl_reply(), -2);
        assert_eq!(KeyTtl::Persistent.pttl_reply(), -1);
        let ttl = |ms| KeyTtl::Expires(Duration::from_millis(ms));
        assert_eq!(ttl(1_499).ttl_reply(), 1);
        assert_eq!(ttl(1_500).ttl_reply(), 2);
        assert_eq!(ttl(499).ttl_reply(), 0);
        assert_eq!(ttl(1_500).pttl_reply(), 1_500);
    }
}
