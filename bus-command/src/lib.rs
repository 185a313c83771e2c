//! The one command layer of the bus: a type per command, the syntax of the `bus` CLI and shell, and how each
//! command runs.
//!
//! - [`commands`]: one module per command (`publish`, `read-group`, `expire-topic`, …: the
//!   [`bus_core::Backend`] methods' names in kebab-case, plus the conveniences `tail` and `read-after-message`),
//!   each a struct owning its arguments (clap definitions, so the parser and `--help` are one), its printed form
//!   (`Display`, so `parse_line(&command.to_string()) == Ok(command)`) and its typed `run` on a backend.
//! - [`Command`]: the enum of those structs; [`Command::run`] returns an [`Output`], whose
//!   [`Output::to_json`] is the JSON the CLI prints, and [`error_json`] is the error line
//!   `{"error":{"kind":…,"message":…}}`. [`Follow`] is `tail --follow`.
//! - [`parse_line`]: a line, split with shell-style quoting (`shell-words`, so `'…'`, `"…"`, `\` and `#`
//!   comments), then parsed by clap. Errors keep the bus error's kind and Redis wording where a value was
//!   rejected ([`ParseError`]).
//!
//! The conformance suite generates these commands, runs them on backends and on its reference model, and prints
//! a failing sequence as their lines, so it can be replayed in `bus shell`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bus_command::Output;
//! let backend = bus_memory::MemoryBackend::new();
//! let publish = bus_command::parse_line(r#"publish chat:1 '{"n":1}' --entry-id 5-0"#)?;
//! assert_eq!(publish.run(&backend).await?.to_json()["entry_id"], "5-0");
//! let range = bus_command::parse_line("range chat:1 - +")?;
//! let Output::Entries(entries) = range.run(&backend).await? else { unreachable!() };
//! assert_eq!(entries[0].id.to_string(), "5-0");
//! assert_eq!(range.execute_json(&backend).await[0]["payload"], serde_json::json!({"n": 1}));
//! let read = bus_command::parse_line("read chat:1 chat:2 0 0")?;
//! assert_eq!(read.to_string(), "read chat:1 chat:2 0-0 0-0");
//! let err = bus_command::parse_line("range chat:1 x +").unwrap_err();
//! assert_eq!(err.kind(), "invalid_id");
//! # Ok(()) }
//! ```

mod args;
mod command;
pub mod commands;
mod follow;
mod line;
mod output;
mod parse;
mod streams;

pub use args::{AppendArgs, TrimArgs};
pub use command::Command;
pub use commands::DEFAULT_TAIL;
pub use follow::Follow;
pub use output::{Output, PublishedMessage, entry_json, error_json, error_parts_json, received_json};
pub use parse::{ParseError, clap_command, parse_line, parse_words, split};
pub use streams::{StreamCursor, Streams};
