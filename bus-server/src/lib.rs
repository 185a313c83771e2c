//! `bus serve`: the memory backend (`bus-memory`) behind the Redis protocol, so any Redis client, in any
//! language, tests against the emulator.
//!
//! [`Server::bind`] starts a server on TCP and/or a unix socket; it speaks RESP2 and RESP3 (`HELLO`), takes
//! inline and pipelined commands, authenticates (`requirepass`, named users), applies Redis's limits, and
//! answers each command as Redis 7.0.15 does, error texts included. It has 16 databases (`SELECT 0..15`),
//! each a `MemoryBackend` on one clock.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use bus_server::{Server, ServerConfig};
//!
//! let server = Server::bind(ServerConfig::new().port(0)).await?;
//! let mut conn = tokio::net::TcpStream::connect(server.local_addr().unwrap()).await?;
//! conn.write_all(b"*3\r\n$4\r\nXADD\r\n$1\r\ns\r\n$3\r\n1-1\r\n").await?; // too few arguments
//! let mut reply = vec![0u8; 64];
//! let n = conn.read(&mut reply).await?;
//! assert_eq!(&reply[..n], b"-ERR wrong number of arguments for 'xadd' command\r\n");
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`resp`]: the request parser and the replies (RESP2/RESP3);
//! - `server` and `client`: listeners, one task per connection, pipelining; `clients`: the registry behind
//!   CLIENT LIST/UNBLOCK and `maxclients`; `auth`: users; `settings`: CONFIG GET/SET;
//! - `dispatch`: Redis's order of checks before a command runs; `command`: the table, specs and argument
//!   helpers; `cmd`: one module per command.
//!
//! # The keyspace
//! Every key command works on keys of any type, through bus-memory's keyspace: DEL/UNLINK, EXISTS, TYPE,
//! KEYS, SCAN (MATCH, COUNT, TYPE), DBSIZE, EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (NX, XX, GT, LT), TTL/PTTL,
//! EXPIRETIME/PEXPIRETIME, PERSIST, RENAME/RENAMENX,
//! FLUSHDB/FLUSHALL. Besides streams, strings (SET with NX/XX/GET/EX/PX/EXAT/PXAT/KEEPTTL, SETEX, PSETEX, GET, INCR,
//! APPEND),
//! lists (LPUSH, RPUSH, LPOP, RPOP, LRANGE, LLEN), sets (SADD, SREM, SMEMBERS, SCARD, SISMEMBER) and hashes
//! (HSET, HGET, HGETALL, HLEN, HDEL) exist, enough for type checks: a command on a key of another type answers
//! `WRONGTYPE Operation against a key holding the wrong kind of value`, stream commands included. WATCH uses
//! bus-memory's key versions, and EXEC serves blocked readers only once the transaction is over (see `cmd::multi`).
//! `CONFIG SET stream-node-max-entries|stream-node-max-bytes` changes every database's node layout (Redis's
//! defaults, 100 entries and 4096 bytes, unless [`ServerConfig::node_layout`] says otherwise).
//!
//! # The controllable clock
//! With [`ServerConfig::controllable_clock`] (`bus serve --controllable-clock`) the databases run on a clock
//! that stands still until a client sends `BUS.CLOCK ADVANCE <milliseconds>` (`BUS.CLOCK NOW` reads it, in
//! Unix ms): ids of `XADD *`, idle times, claims, key deadlines and BLOCK timeouts follow it, so a test in any
//! language drives them as Rust tests do with paused tokio time. Without the option `BUS.CLOCK` does not exist
//! (Redis's unknown-command error, and `COMMAND` does not list it).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use bus_server::{Server, ServerConfig};
//!
//! let server = Server::bind(ServerConfig::new().port(0).controllable_clock(true)).await?;
//! let mut reader = tokio::net::TcpStream::connect(server.local_addr().unwrap()).await?;
//! let mut driver = tokio::net::TcpStream::connect(server.local_addr().unwrap()).await?;
//! reader.write_all(b"XREAD BLOCK 1000 STREAMS s $\r\n").await?;
//! # let mut info = Vec::new();
//! # while !String::from_utf8_lossy(&info).contains("blocked_clients:1") {
//! #     driver.write_all(b"INFO clients\r\n").await?;
//! #     let mut chunk = [0u8; 1024];
//! #     let n = driver.read(&mut chunk).await?;
//! #     info = chunk[..n].to_vec();
//! # }
//! driver.write_all(b"BUS.CLOCK ADVANCE 1000\r\n").await?; // the block times out now, not in a second
//! let mut reply = [0u8; 5];
//! reader.read_exact(&mut reply).await?;
//! assert_eq!(&reply, b"*-1\r\n");
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Blocking reads
//! Blocking reads (XREAD, XREADGROUP) are served or registered as blocked while the command still holds the
//! server-wide lock, so another client's command cannot come in between; group reads are released through
//! bus-memory's `Unblocker`, so an entry handed to a reader is never lost. Commands sent by different clients
//! run in the order the runtime wakes their connections: `bus serve` runs on a single-thread (FIFO)
//! runtime, as Redis serves its clients in arrival order.
//!
//! # Differences from Redis 7.0.15
//! - Keys are bus-memory topics ([`bus_core::Topic::from_redis_key`]): any UTF-8 name Redis accepts
//!   (`mystream{t}`, names with spaces, the empty name), but a key that is not UTF-8 cannot be stored (reads
//!   see it missing, writes answer an error saying so).
//! - Sorted sets, and the commands of the other types not listed above, do not exist (unknown command).
//! - There is no scripting: EVAL, EVALSHA and SCRIPT are unknown commands. bus-redis's default (indexed) publish,
//!   its UUID index, its trims and its idle-consumer deletes are Lua scripts, so through `bus serve` bus-redis
//!   passes the conformance suite except the checks that use them (`bus-redis/tests/serve.rs` lists them and
//!   fails when one starts passing).
//! - KEYS lists keys sorted, SMEMBERS sets in insertion order (intsets in numeric order, as Redis), HGETALL
//!   hashes in field order; Redis's hash-table orders are unspecified. SCAN's cursor is a hash of the next key,
//!   not Redis's table cursor (a cursor from Redis means nothing here, and the reverse).
//! - APPEND does not refuse a string growing past `proto-max-bulk-len` (Redis: `string exceeds maximum allowed
//!   size`); every argument is bounded by that limit already.
//! - RESTORE restores streams only (a payload of another type answers `ERR Bad data format`); IDLETIME and
//!   FREQ are checked and ignored.
//! - XCLAIM with no id (only options after min-idle-time) answers an empty array as Redis does, but does not
//!   apply its LASTID (bus-memory raises a group's last id only within a claim).
//! - `COMMAND COUNT` and `COMMAND DOCS` cover the commands this server has; DOCS has no argument trees.

mod auth;
mod client;
mod clients;
mod cmd;
mod command;
mod config;
mod dispatch;
mod error;
pub mod glob;
mod keyspace;
mod rdb;
pub mod resp;
mod server;
mod settings;
mod shared;

pub use config::{Limits, NodeLayout, Password, ServerConfig, User};
pub use error::ServerError;
pub use server::Server;
pub use shared::DATABASES;
