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
//! - Of the other types, only the minimal `SET key value` (no options: a syntax error), `LPUSH` and `SADD`
//!   exist, enough for type changes and WRONGTYPE in stream commands; TYPE still answers `stream` or `none`.
//! - RESTORE restores streams only (a payload of another type answers `ERR Bad data format`); IDLETIME and
//!   FREQ are checked and ignored.
//! - XCLAIM with no id (only options after min-idle-time) answers an empty array as Redis does, but does not
//!   apply its LASTID (bus-memory raises a group's last id only within a claim).
//! - WATCH answers an error (bus-memory has no key versions yet); PERSIST likewise (no way to clear a TTL).
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

pub use config::{Limits, Password, ServerConfig, User};
pub use error::ServerError;
pub use server::Server;
pub use shared::DATABASES;
