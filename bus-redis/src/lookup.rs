//! Finding the entry of a message UUID: through the UUID index, then by a bounded scan.
//!
//! The index (see [`crate::scripts`]) answers in O(1), but it only knows what went through it: entries
//! written by this backend's indexed publishes and appends, and those a scan found before. Entries written by
//! other clients (`redis-cli XADD`, producers in other languages) or by publishes in
//! [`PublishMode::Plain`](crate::PublishMode::Plain) are not in it, yet a reader resuming from a message UUID
//! must find them. So a miss in the index falls back to scanning the topic oldest first, in pages of
//! [`RedisOptions::lookup_page`](crate::RedisOptions::lookup_page) entries, indexing what it finds so the next
//! lookup is O(1). The scan stops after
//! [`RedisOptions::lookup_scan_limit`](crate::RedisOptions::lookup_scan_limit) entries: past it, with entries
//! left, the lookup fails with an error rather than answering "not found", which a reader would take for an
//! answer.
//!
//! Oldest first matters for a UUID held twice: the scan meets the oldest holder first, and the `remember`
//! script keeps an index entry it finds verified instead of the scan's (the older one, since both go in id
//! order), so lookups agree on one entry.

use bus_core::message::uuid_of;
use bus_core::{EntryId, Error, RangeBound, Result, Topic};
use uuid::Uuid;

use crate::RedisBackend;
use crate::args;
use crate::error::Ctx;
use crate::reply;

impl RedisBackend {
    /// The entry holding `uuid`: the index's verified entry, or the oldest one the bounded scan finds.
    pub(crate) async fn find(&self, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>> {
        let ctx = self.ctx("XRANGE", topic)?;
        let fill = |invocation: &mut redis::ScriptInvocation<'_>| {
            invocation.arg(uuid.hyphenated().to_string());
        };
        let value = self.script(&ctx, &self.scripts().lookup, topic, fill).await?;
        if let Some(id) = reply::opt_id(&ctx, value)? {
            return Ok(Some(id));
        }
        self.scan(&ctx, topic, uuid).await
    }

    /// Scans the topic oldest first for `uuid`, up to the scan limit, and indexes what it finds.
    async fn scan(&self, ctx: &Ctx<'_>, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>> {
        let options = self.options();
        let key = self.stream_key(topic);
        let mut start = RangeBound::MIN;
        let mut scanned = 0u64;
        while scanned < options.lookup_scan_limit {
            let page = options.lookup_page.min(options.lookup_scan_limit - scanned);
            let cmd = args::range("XRANGE", &key, start, "+", Some(page));
            let entries = reply::entries(ctx, self.query(ctx, &cmd).await?)?;
            let Some(last) = entries.last().map(|e| e.id) else {
                return Ok(None);
            };
            scanned += entries.len() as u64;
            if let Some(found) = entries.iter().find(|e| uuid_of(&e.fields) == Some(uuid)) {
                let fill = |invocation: &mut redis::ScriptInvocation<'_>| {
                    invocation.arg(uuid.hyphenated().to_string()).arg(found.id.to_string());
                };
                let remembered = self.script(ctx, &self.scripts().remember, topic, fill).await?;
                return Ok(Some(reply::opt_id(ctx, remembered)?.unwrap_or(found.id)));
            }
            if (entries.len() as u64) < page {
                return Ok(None);
            }
            start = RangeBound::Exclusive(last);
        }
        // Scanned the limit: anything left?
        let cmd = args::range("XRANGE", &key, start, "+", Some(1));
        if reply::entries(ctx, self.query(ctx, &cmd).await?)?.is_empty() {
            return Ok(None);
        }
        Err(Error::Backend {
            message: format!(
                "lookup of message {uuid} on topic '{topic}' gave up: the UUID index does not know it and the \
                 first {scanned} entries (the scan limit) do not hold it; the topic has more entries, written by \
                 producers that bypass the index"
            ),
            retryable: false,
        })
    }
}
