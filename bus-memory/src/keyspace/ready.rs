//! Holding back the serving of blocked readers until a group of commands ends, as Redis does for a transaction.
//!
//! Redis never serves a blocked client in the middle of a command: keys are queued as "ready" while a command
//! (or a whole MULTI/EXEC) runs, and the blocked clients are served afterwards from what the keys hold then, so
//! `MULTI; XADD s …; DEL s; EXEC` wakes nobody. Outside a hold, each operation here is one command and serves its
//! readers at its end; while a hold is active the signalled keys are queued and served when the last hold ends.

use std::sync::atomic::{AtomicUsize, Ordering};

use bus_core::Topic;
use parking_lot::Mutex;

/// The hold count and the keys signalled while it is above zero, in signal order.
#[derive(Debug, Default)]
pub(crate) struct ReadyKeys {
    holds: AtomicUsize,
    keys: Mutex<Vec<Topic>>,
}

impl ReadyKeys {
    /// Queues `key` if wakeups are held, and says so; otherwise the caller serves it now. The count is read
    /// again under the queue's lock, so a key is never queued after the last hold has taken the queue.
    pub(crate) fn defer(&self, key: &Topic) -> bool {
        if self.holds.load(Ordering::Acquire) == 0 {
            return false;
        }
        let mut keys = self.keys.lock();
        if self.holds.load(Ordering::Acquire) == 0 {
            return false;
        }
        if !keys.contains(key) {
            keys.push(key.clone());
        }
        true
    }

    pub(crate) fn hold(&self) {
        let _keys = self.keys.lock();
        self.holds.fetch_add(1, Ordering::AcqRel);
    }

    /// Ends one hold; returns the queued keys when it was the last one (the caller serves them).
    pub(crate) fn release(&self) -> Vec<Topic> {
        let mut keys = self.keys.lock();
        if self.holds.fetch_sub(1, Ordering::AcqRel) == 1 {
            return std::mem::take(&mut keys);
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_queued_once_in_order_until_the_last_hold_ends() {
        let ready = ReadyKeys::default();
        let (a, b) = (Topic::new("a").unwrap(), Topic::new("b").unwrap());
        assert!(!ready.defer(&a), "no hold: served at once");
        ready.hold();
        ready.hold();
        assert!(ready.defer(&b));
        assert!(ready.defer(&a));
        assert!(ready.defer(&b));
        assert!(ready.release().is_empty(), "an inner hold serves nothing");
        assert_eq!(ready.release(), vec![b, a.clone()]);
        assert!(!ready.defer(&a));
    }
}
