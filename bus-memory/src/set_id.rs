//! XSETID: moving a stream's last generated id, and optionally its entries-added counter and largest deleted id.
//!
//! Redis uses it to replicate a stream's counters (and users to reset them). The rules are `xsetidCommand`'s:
//! the new last id may not be below the last *live* entry (it may be below a deleted one, so ids can be reused
//! after their entry was deleted), the counter may not be below the length, and the largest deleted id may not be
//! above the new last id. A rejected call changes nothing.

use bus_core::options::MAX_REDIS_INTEGER;
use bus_core::{EntryId, Error, Result, Topic, TopicCommand};

use crate::MemoryBackend;
use crate::access::no_topic;

impl MemoryBackend {
    /// `XSETID key last-id [ENTRIESADDED entries_added] [MAXDELETEDID max_deleted_id]`, checked in Redis's order
    /// and with its errors:
    /// - `entries_added` above `i64::MAX`: `ERR value is not an integer or out of range` (Redis parses a signed
    ///   integer; a negative one, `ERR entries_added must be positive`, is the caller's to reject);
    /// - `max_deleted_id` above `last_id`: `ERR The ID specified in XSETID is smaller than the provided
    ///   max_deleted_entry_id`;
    /// - no such topic: `ERR no such key`;
    /// - a non-empty stream whose last live entry is above `last_id`: `ERR The ID specified in XSETID is smaller
    ///   than the target stream top item`;
    /// - a non-empty stream longer than `entries_added`: `ERR The entries_added specified in XSETID is smaller
    ///   than the target stream length`.
    ///
    /// A `max_deleted_id` of `0-0` leaves the recorded one unchanged, as in Redis.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use bus_core::{AppendOptions, Backend, EntryId, Fields, Topic};
    /// use bus_memory::MemoryBackend;
    ///
    /// let backend = MemoryBackend::new();
    /// let topic = Topic::new("events")?;
    /// let options = AppendOptions::new().id(EntryId::new(5, 0));
    /// backend.append(&topic, Fields::from_pairs([("a", "1")]), &options).await?;
    /// backend.set_stream_id(&topic, EntryId::new(200, 0), Some(10), None)?;
    /// let info = backend.stream_info(&topic).await?;
    /// assert_eq!((info.last_generated_id, info.entries_added), (EntryId::new(200, 0), 10));
    ///
    /// let err = backend.set_stream_id(&topic, EntryId::new(4, 0), None, None).unwrap_err();
    /// assert_eq!(err.to_string(), "ERR The ID specified in XSETID is smaller than the target stream top item");
    /// # Ok(()) }
    /// ```
    pub fn set_stream_id(
        &self,
        topic: &Topic,
        last_id: EntryId,
        entries_added: Option<u64>,
        max_deleted_id: Option<EntryId>,
    ) -> Result<()> {
        if entries_added.is_some_and(|n| n > MAX_REDIS_INTEGER) {
            return Err(Error::invalid_argument("ERR value is not an integer or out of range"));
        }
        if max_deleted_id.is_some_and(|max| last_id < max) {
            return Err(Error::invalid_argument(
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
            ));
        }
        self.keyspace()
            .with(topic, |state| {
                let stream = &mut state.stream_mut()?.stream;
                if stream.len() > 0 {
                    if stream.last_live_id().is_some_and(|top| last_id < top) {
                        return Some(Err(Error::invalid_argument(
                            "ERR The ID specified in XSETID is smaller than the target stream top item",
                        )));
                    }
                    if entries_added.is_some_and(|n| n < stream.len()) {
                        return Some(Err(Error::invalid_argument(
                            "ERR The entries_added specified in XSETID is smaller than the target stream length",
                        )));
                    }
                }
                stream.last_id = last_id;
                if let Some(n) = entries_added {
                    stream.entries_added = n;
                }
                if let Some(max) = max_deleted_id.filter(|max| *max != EntryId::MIN) {
                    stream.max_deleted_id = max;
                }
                Some(Ok(()))
            })?
            .flatten()
            .unwrap_or_else(|| Err(no_topic(topic, TopicCommand::Info)))
    }
}
