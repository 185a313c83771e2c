//! The production backend of the bus: [`bus_core::Backend`] on real Redis Streams (Redis 7.0 or later).
//!
//! Swapping `MemoryBackend` for [`RedisBackend`] changes nothing else: every trait method is the Redis command
//! it is named after, with Redis's own results and errors mapped onto [`bus_core::Error`].
//!
//! # Keys
//! - The stream of a topic is the key `<prefix><topic>` ([`RedisOptions::key_prefix`], empty by default).
//! - Its UUID index lives in `{<prefix><topic>}:ids` (hash `uuid -> entry id`) and `{<prefix><topic>}:ids:order`
//!   (the same entries in id order, so trims can drop theirs). The hash tag is the stream key, so a Redis
//!   Cluster keeps all three in one slot. Dropping a topic deletes all three.
//!
//! # Publishing and lookup
//! [`Backend::publish`](bus_core::Backend::publish) is one Lua script: if the index names a still-existing
//! entry holding the UUID, that entry is returned as a duplicate; otherwise the entry is appended and indexed,
//! atomically, so a publish retried after a timeout never duplicates. [`Backend::append`](bus_core::Backend::append)
//! of fields that carry a canonical message id indexes them the same way (without the duplicate check).
//!
//! Entries written by other clients (`redis-cli XADD`, the redis-py producer) are not in the index. A lookup
//! that misses the index scans the topic oldest first, in pages, up to
//! [`RedisOptions::lookup_scan_limit`] entries; what it finds is indexed for next time, and when the limit is
//! reached with entries left it fails with [`bus_core::Error::Backend`] rather than answering "not found".
//!
//! Which entry wins when a UUID is held twice: the index keeps the first entry indexed for a UUID while it
//! exists, and scans go oldest first, so the oldest entry wins whenever the duplicates were written by foreign
//! producers (or by `append`). A publish only consults the index: if a foreign producer wrote a UUID that was
//! never looked up, a publish of the same UUID appends a second entry, and lookups keep returning whichever
//! of the two the index learned first.
//!
//! # Connections
//! Non-blocking commands share one auto-reconnecting multiplexed connection with
//! [`RedisOptions::response_timeout`]. Each blocking read leases a dedicated connection whose response timeout exceeds its block; long or infinite
//! blocks run as chunks of at most [`RedisOptions::block_chunk`], and a read dropped mid-command never gives
//! its connection back for reuse.

mod backend;
mod blocking;
mod error;
pub mod options;
mod reply;
mod scripts;
#[cfg(feature = "testing")]
pub mod testing;

pub use backend::RedisBackend;
pub use options::{RedisOptions, redact_url};
