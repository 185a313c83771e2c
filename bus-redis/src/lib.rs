//! The production backend of the bus: [`bus_core::Backend`] on real Redis Streams (Redis 7.0 or later).
//!
//! Swapping `MemoryBackend` for [`RedisBackend`] changes nothing else: every trait method is the Redis command
//! it is named after, with Redis's own results and errors mapped onto [`bus_core::Error`].
//!
//! # Keys
//! - The stream of a topic is the key `<prefix><topic>` ([`RedisOptions::key_prefix`], empty by default).
//! - Its UUID index lives in `{<prefix><topic>}:ids` (hash `uuid -> entry ids`) and `{<prefix><topic>}:ids:order`
//!   (the same entries in id order, so trims can drop theirs). The hash tag is the stream key, so a Redis
//!   Cluster keeps all three in one slot. Dropping a topic deletes all three; expiring it expires all three.
//!   [`RedisBackend::stream_key`] and [`RedisBackend::index_keys`] name them for a topic.
//! - The idempotency helper [`RedisDedup`] keeps one expiring key per message UUID,
//!   `<prefix>dedup:<namespace>:{<uuid>}` (braces cannot appear in topic names, so it never meets a topic's keys).
//!
//! # Publishing and lookup
//! [`Backend::publish`](bus_core::Backend::publish) is one Lua script: if the index names a still-existing
//! entry holding the UUID, that entry is returned as a duplicate; otherwise the entry is appended and indexed,
//! atomically, so a publish retried after a timeout never duplicates. [`Backend::append`](bus_core::Backend::append)
//! of fields that carry a canonical message id indexes them the same way (without the duplicate check).
//! The script and its calling convention are public ([`RedisBackend::publish_script`]), for baselines that run
//! the same work by hand through the `redis` crate.
//!
//! ## Publishing modes: which write to use
//! | write | server work | retried after a timeout | lookup by UUID |
//! | --- | --- | --- | --- |
//! | `publish`, [`PublishMode::Indexed`] (default) | one script: index check, XADD, index update | returns the first entry (`duplicate: true`) | O(1), through the index |
//! | `publish`, [`PublishMode::Plain`] | one plain XADD | appends the message again | bounded scan, oldest first |
//! | `append` of fields without a canonical `id` field | one plain XADD | appends again | not a message: no UUID |
//! | `append` of fields with a canonical `id` field | the indexing script (no duplicate check) | appends again | O(1), through the index |
//!
//! Use the default for anything that is retried or looked up: chat and control topics, anything a reader
//! resumes from by message UUID ([`Cursor::Message`](bus_core::Cursor::Message)). Use
//! [`RedisOptions::publish_mode`]`(`[`PublishMode::Plain`]`)` on a backend dedicated to high-volume topics that
//! need neither, such as token streams read as fan-out by entry id: each publish is then a single XADD with the
//! same wire format (`id`, `payload`), at the cost of
//! - **no dedupe**: a publish retried after a timeout may append the message twice, and consumers (which dedupe
//!   by UUID anyway, delivery being at least once) see it twice;
//! - **lookups by scan**: the index never learns plain entries, so a lookup scans the topic oldest first up to
//!   [`RedisOptions::lookup_scan_limit`] entries (indexing what it finds) and fails with an error past it;
//!   keep plain topics trimmed below that limit if readers resume from message UUIDs.
//!
//! The plain mode knowingly departs from the idempotency that [`Backend::publish`](bus_core::Backend::publish)
//! documents (the conformance suite runs in the indexed mode). The mode is per backend: an application with both kinds of topics opens two backends (each with its own
//! connections). A topic written in both modes stays consistent: an indexed publish dedupes against what the
//! index knows (indexed entries, and plain ones a lookup has found), never against the rest.
//!
//! `append` is the raw XADD in both modes; it indexes fields that carry a canonical message id so that a later
//! publish or lookup of that UUID sees them. To write message-shaped fields with a single XADD, publish in the
//! plain mode rather than appending.
//!
//! ## Batches
//! [`Backend::publish_batch`](bus_core::Backend::publish_batch) takes one round trip and gives exactly what
//! publishing the messages one by one gives (a UUID repeated within the batch is a duplicate of its first
//! occurrence). In the indexed mode it is one MULTI/EXEC transaction of EVALSHA calls of the publish script:
//! if the server lost its script cache (a restart, `SCRIPT FLUSH`), every call fails with NOSCRIPT and none
//! ran — nothing runs between the commands of a transaction, so the cache cannot vanish halfway — and the
//! batch is sent once more behind a SCRIPT LOAD, in the same transaction: two round trips, same result. The
//! transaction also means no other client's command runs in the middle of a batch, so keep batches to what
//! the server may spend a few milliseconds on (hundreds of messages, not millions) and within
//! [`RedisOptions::response_timeout`]. In the plain mode a batch is a pipeline of XADDs. Every message of a
//! batch is attempted; the first error in batch order is returned, and as the trait says, messages after it
//! may be published: retry the whole batch (idempotent in the indexed mode).
//!
//! ## Foreign entries
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
//! [`RedisOptions::response_timeout`]. Each blocking read leases a dedicated connection whose response timeout
//! exceeds its block; long or infinite blocks run as chunks of at most [`RedisOptions::block_chunk`], and a read
//! dropped mid-command never gives its connection back for reuse.
//!
//! ## Connection limits
//! - Non-blocking commands: one connection per backend (clones share it), however many run at once; they are
//!   pipelined on it, so concurrency costs no connections.
//! - Blocking reads: at most [`RedisOptions::max_blocking_connections`] (default 64) dedicated connections at a
//!   time, idle ones included, of which at most [`RedisOptions::max_idle_blocking_connections`] (default 16) are
//!   kept open between reads. **When all are in use**, a further blocking read waits for one to come free, in
//!   arrival order, and the wait counts against its own block: it then blocks for what is left, or, when its
//!   block runs out while waiting, fails with [`bus_core::Error::Timeout`] with `may_have_executed: false`
//!   (retryable; nothing was sent). An infinite block waits as long as it takes.
//!
//! # Redis Cluster
//! `redis+cluster://[user:password@]host:port[,host:port…]` (or `rediss+cluster://` with TLS) connects to a
//! Redis Cluster through the nodes given as seeds. The keys stay as above: a topic's three keys share its
//! hash tag, so each command on one topic (scripts, the batch transaction, `drop_topic`, `expire_topic`)
//! stays in one slot, and since topic names hold no braces, topics hash whole and spread over the masters.
//! What differs from one server, and why:
//! - the shared connection is the `redis` crate's cluster client: commands are routed by key and follow
//!   MOVED/ASK, every request is bounded by [`RedisOptions::response_timeout`] retries included, and a request
//!   that meets a failover is retried [`RedisOptions::cluster_retries`] times with waits of tens of
//!   milliseconds up to [`RedisOptions::cluster_max_retry_wait`] (the crate's defaults would sleep at least
//!   1.28 s per retry, 16 times);
//! - blocking reads lease dedicated connections on the master of their topic's slot (from a slot map kept
//!   from `CLUSTER SLOTS`, reloaded after MOVED/ASK or a broken connection), and an abandoned read's
//!   `CLIENT UNBLOCK` goes to that node (client ids are per node);
//! - a read over several topics in different slots is split by slot and merged in the order of the cursors,
//!   with the results one server gives (certified by the whole conformance suite on a local cluster); a
//!   blocking one blocks on every slot at once and, when one is answered, releases the others and merges
//!   what they had received. A group read split over slots first checks that every topic has the group
//!   (one `XINFO GROUPS` each), as Redis checks before serving any key, so a failing read moves nothing;
//!   a group destroyed between that check and the reads is reported after the other slots were served;
//! - scripts are loaded on every node when a master answers `NOSCRIPT` (after a failover to a replica that
//!   never loaded them), then run again.
//!
//! What a retried command may change: the default indexed publish stays exactly-once (a retry finds the UUID
//! in the index and answers `duplicate`); a plain-mode publish or a raw `append` may be written twice, an
//! `XGROUP CREATE` retried after its reply was lost answers `BUSYGROUP`, `CREATECONSUMER` answers 0, and the
//! counts of `XACK`/`XDEL` may be lower than the entries acknowledged or deleted. An acknowledged write that
//! had not reached a replica is lost if its master fails (Redis replication is asynchronous), unless
//! publishes are durable ([`RedisOptions::durable`]: the script and a `WAIT` for replicas in one round trip;
//! the `WAIT` holds the shared connection until the replicas answer, so keep its timeout short).

//! # Connecting
//! [`RedisBackend::connect`] checks the settings with one connection before it returns, within
//! [`RedisOptions::connect_timeout`] (5 s by default) in all:
//! - what no retry can fix fails at once with [`bus_core::Error::Config`], not retryable, whose kind names the
//!   problem: `auth_failed` (a wrong password, an unknown user, or no password for a server that wants one),
//!   `no_such_database` (`/99` on a server with 16), `tls_mismatch` (a `rediss://` URL on a plain server,
//!   found by a plain `PING` once the TLS handshake has hung for 200 ms, or a certificate not accepted),
//!   `not_redis` (something else answers on the port), `invalid_url` (naming the part: a port above 65535, a
//!   database that is not a number), `unknown_host` (the name does not resolve; a resolver that is down is
//!   retried);
//! - what may pass (refused, reset, no answer, a server still loading) is retried with a doubling backoff
//!   (20 ms to 500 ms) until the connect timeout, then reported as [`bus_core::Error::Connection`] with the last
//!   failure, the number of attempts and the time spent, or as [`bus_core::Error::Timeout`] with the time
//!   really spent when the last attempt got no answer.
//!
//! # Errors and recovery
//! Every error names the operation as the Redis command and its topics (`XADD chat:42`) and never shows a
//! password:
//! - server unreachable (refused, reset, restarted): [`bus_core::Error::Connection`], retryable;
//! - a command without a reply within [`RedisOptions::response_timeout`] (a server that stopped answering):
//!   [`bus_core::Error::Timeout`] with `may_have_executed: true` (retryable: publishes are idempotent in the
//!   default mode, reads have no effect, acks are idempotent);
//! - credentials refused after connecting (a password changed, a user disabled): [`bus_core::Error::Config`]
//!   of kind `auth_failed`, not retryable;
//! - a topic key holding another type: [`bus_core::Error::WrongType`] naming the topic.
//!
//! The backend recovers by itself once the server answers again, without being rebuilt: the shared connection
//! reconnects on the next command after a transport failure (one attempt per command, so a caller meets a
//! retryable error at once rather than a command stalled in a backoff); a dedicated connection that
//! fails is closed together with the idle ones, so the next blocking read opens a fresh one; and the scripts
//! are loaded again when a restarted server answers `NOSCRIPT` (single publishes and batches alike). What a
//! server without persistence lost in the restart (topics, groups) is gone, and the errors say so
//! (`NOGROUP`, …).

mod args;
mod backend;
mod blocking;
mod cluster;
mod connect;
mod dedup;
mod durable;
mod error;
mod keys;
mod lookup;
pub mod options;
mod publish;
mod redact;
mod reply;
mod scripts;
mod shared;
mod spread;
#[cfg(feature = "testing")]
pub mod testing;

pub use backend::RedisBackend;
pub use dedup::RedisDedup;
pub use durable::Durable;

pub use options::{PublishMode, RedisOptions};
pub use redact::redact_url;
