//! KEYS and SCAN: listing keys by Redis's glob patterns, and a cursor with Redis's guarantee.
//!
//! Redis's SCAN guarantees that a key present for the whole scan is returned at least once, however the
//! keyspace changes meanwhile. Here keys are visited in the order of a hash of their name that is fixed for the
//! life of the backend; the cursor is the hash to resume from. A key that stays present is passed exactly
//! once, since its hash never changes and the cursor only grows; keys added or deleted during a scan may or may
//! not be returned, as in Redis. Names with the same hash always land in the same page.

use bus_core::Topic;

use super::Pattern;
use crate::MemoryBackend;

/// The options of `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// `MATCH`: only names matching this glob pattern (Redis's rules: `*`, `?`, `[…]`, `\`), as bytes.
    pub pattern: Option<Vec<u8>>,
    /// `COUNT`: how many keys a call examines (Redis's default is 10); at least 1. Keys filtered out by the
    /// pattern or the type count too, so a page can be empty before the scan ends, as in Redis.
    pub count: usize,
    /// `TYPE`: only keys of the type Redis names so (compared without case); a name that is no type here (e.g.
    /// `zset`) matches no key.
    pub type_name: Option<String>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            pattern: None,
            count: 10,
            type_name: None,
        }
    }
}

impl ScanOptions {
    /// No filter, COUNT 10.
    pub fn new() -> ScanOptions {
        ScanOptions::default()
    }

    /// Sets `MATCH`.
    pub fn pattern(mut self, pattern: impl Into<Vec<u8>>) -> ScanOptions {
        self.pattern = Some(pattern.into());
        self
    }

    /// Sets `COUNT` (0 is taken as 1).
    pub fn count(mut self, count: usize) -> ScanOptions {
        self.count = count;
        self
    }

    /// Sets `TYPE`.
    pub fn type_name(mut self, name: impl Into<String>) -> ScanOptions {
        self.type_name = Some(name.into());
        self
    }
}

/// One reply of SCAN: the cursor to pass next (0 when the scan is complete) and the keys of this page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanPage {
    /// The next cursor; 0 ends the scan.
    pub cursor: u64,
    /// Keys of this page, in no particular order.
    pub keys: Vec<Topic>,
}

impl MemoryBackend {
    /// `KEYS pattern`: the names of every key matching the glob pattern (Redis's rules, over bytes), sorted.
    pub fn keys(&self, pattern: impl AsRef<[u8]>) -> Vec<Topic> {
        let pattern = Pattern::new(pattern.as_ref());
        let mut keys = self
            .keyspace()
            .collect_live(|key, _| pattern.matches(key.as_str().as_bytes()).then(|| key.clone()));
        keys.sort();
        keys
    }

    /// `SCAN cursor …`: one page of a scan started with cursor 0. Every key present from the first call to the
    /// one that returns cursor 0 is returned exactly once; each call costs O(number of keys).
    ///
    /// ```
    /// # fn main() -> bus_core::Result<()> {
    /// use bus_core::Topic;
    /// use bus_memory::{MemoryBackend, ScanOptions, SetOptions};
    ///
    /// let backend = MemoryBackend::new();
    /// for name in ["a:1", "a:2", "b:1"] {
    ///     backend.set(&Topic::from_redis_key(name)?, "x", &SetOptions::new())?;
    /// }
    /// let (mut cursor, mut found) = (0, Vec::new());
    /// loop {
    ///     let page = backend.scan(cursor, &ScanOptions::new().pattern("a:*").count(1));
    ///     found.extend(page.keys);
    ///     cursor = page.cursor;
    ///     if cursor == 0 {
    ///         break;
    ///     }
    /// }
    /// found.sort();
    /// assert_eq!(found, [Topic::from_redis_key("a:1")?, Topic::from_redis_key("a:2")?]);
    /// # Ok(()) }
    /// ```
    pub fn scan(&self, cursor: u64, options: &ScanOptions) -> ScanPage {
        let keyspace = self.keyspace();
        let mut candidates = keyspace.collect_live(|key, state| {
            let hash = keyspace.scan_hash(key);
            (hash >= cursor).then(|| (hash, key.clone(), state.key_type()))
        });
        let count = options.count.max(1);
        let next = if candidates.len() <= count {
            0
        } else {
            candidates.select_nth_unstable_by_key(count - 1, |(hash, _, _)| *hash);
            let last = candidates[count - 1].0;
            let rest = candidates.iter().map(|(hash, _, _)| *hash).filter(|hash| *hash > last);
            let next = rest.min().unwrap_or(0);
            candidates.retain(|(hash, _, _)| *hash <= last);
            next
        };
        let pattern = options.pattern.as_deref().map(Pattern::new);
        let keys = candidates
            .into_iter()
            .filter(|(_, key, kind)| {
                pattern.as_ref().is_none_or(|p| p.matches(key.as_str().as_bytes()))
                    && options
                        .type_name
                        .as_deref()
                        .is_none_or(|name| kind.is_some_and(|kind| kind.as_str().eq_ignore_ascii_case(name)))
            })
            .map(|(_, key, _)| key)
            .collect();
        ScanPage { cursor: next, keys }
    }
}
