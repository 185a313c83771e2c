//! XADD's write path: the field checks, Redis's id rules and the append itself under the topic's lock.
//!
//! An append is more than a push: the new id follows Redis's rules for `*`, `ms-*` and explicit ids, the
//! message UUID enters the index, the stream is trimmed, and blocked readers are served, all in the same
//! critical section of the topic. XADD and publish share this path; XTRIM shares its trim, which keeps the UUID
//! index in step.

use bus_core::message::uuid_of;
use bus_core::{AppendId, AppendOptions, EntryId, Error, Fields, Result, Topic, Trim};

use crate::MemoryBackend;
use crate::keyspace::{TopicState, wrong_type};
use crate::stream::Stream;

/// Redis's limit on the total size of one entry's fields (`STREAM_LISTPACK_MAX_SIZE`).
const MAX_ENTRY_BYTES: usize = 1 << 30;

/// Redis's `streamAppendItem` id rules.
fn next_append_id(id: AppendId, last: EntryId, now: u64, topic: &Topic) -> Result<EntryId> {
    let not_greater = || Error::IdNotGreater {
        topic: topic.to_string(),
        last_id: last,
    };
    let candidate = match id {
        AppendId::Auto if now > last.ms => EntryId::new(now, 0),
        AppendId::Auto => last.next().ok_or_else(not_greater)?,
        // Redis 7.0 fails this case without setting errno, so the reply falls through to its "too large" branch
        // (`XADD k 8-*` after `8-18446744073709551615` answers this on 7.0.15); we answer what the server does.
        AppendId::AutoSeq(ms) if ms == last.ms => EntryId::new(
            ms,
            last.seq
                .checked_add(1)
                .ok_or_else(|| Error::invalid_argument("ERR Elements are too large to be stored"))?,
        ),
        AppendId::AutoSeq(ms) => EntryId::new(ms, 0),
        AppendId::Explicit(id) => id,
    };
    if candidate <= last {
        return Err(not_greater());
    }
    Ok(candidate)
}

impl MemoryBackend {
    /// XADD on a locked topic: creates the stream unless NOMKSTREAM, appends, trims, serves blocked readers.
    pub(crate) fn append_locked(
        &self,
        topic: &Topic,
        state: &mut TopicState,
        fields: Fields,
        options: &AppendOptions,
    ) -> Result<Option<EntryId>> {
        let now = self.now();
        let last = match state.stream() {
            Some(data) => data.stream.last_id,
            None if options.no_mkstream => return Ok(None),
            None => EntryId::MIN,
        };
        if last == EntryId::MAX {
            return Err(Error::IdExhausted {
                topic: topic.to_string(),
            });
        }
        let id = next_append_id(options.id, last, now, topic)?;
        let uuid = uuid_of(&fields);
        let data = state.stream_or_insert().ok_or_else(|| wrong_type(topic))?;
        data.stream.push(id, fields, &self.node_layout());
        if let Some(uuid) = uuid {
            self.index().insert(topic, uuid, id);
        }
        if let Some(trim) = &options.trim {
            self.trim_locked(topic, &mut data.stream, trim);
        }
        state.touch();
        self.keyspace().signal(topic, state);
        Ok(Some(id))
    }

    /// Trims a locked stream, keeping the UUID index in step. A `~` without LIMIT is bounded by the backend's
    /// current `stream-node-max-entries`, as Redis bounds it.
    pub(crate) fn trim_locked(&self, topic: &Topic, stream: &mut Stream, trim: &Trim) -> u64 {
        let limit = trim.effective_limit_with(self.node_layout().default_approx_limit());
        stream.trim(trim.strategy, trim.approx, limit, &mut |id, fields| {
            self.keyspace().unindex(topic, id, fields);
        })
    }

    pub(crate) fn check_fields(fields: &Fields) -> Result<()> {
        if fields.is_empty() {
            return Err(Error::invalid_argument(
                "ERR wrong number of arguments for 'xadd' command",
            ));
        }
        if fields.byte_len() > MAX_ENTRY_BYTES {
            return Err(Error::invalid_argument("ERR Elements are too large to be stored"));
        }
        Ok(())
    }
}
