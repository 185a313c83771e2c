//! The one command layer of the bus: the syntax of the `bus` CLI and shell, and how each command runs.
//!
//! - [`Command`]: one variant per command, with typed arguments (ids parse exactly as Redis parses them);
//!   its clap definitions are the parser *and* the `--help` texts, and its `Display` prints the command back in
//!   the same syntax (`parse_line(&command.to_string()) == Ok(command)`).
//! - [`parse_line`]: a line, split with shell-style quoting (`shell-words`, so `'…'`, `"…"`, `\` and `#`
//!   comments), then parsed by clap. Errors keep the bus error's kind and Redis wording where a value was
//!   rejected ([`ParseError`]).
//! - [`Command::execute`]: runs on a [`bus_core::Bus`] and returns the JSON the CLI prints; [`error_json`] is the
//!   error line `{"error":{"kind":…,"message":…}}`. [`Follow`] is `tail --follow`.
//!
//! The conformance suite prints its failing sequences with this syntax, so they can be replayed in `bus shell`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bus = bus_memory::MemoryBackend::new().bus();
//! let publish = bus_command::parse_line(r#"publish chat:1 '{"n":1}' --entry-id 5-0"#)?;
//! assert_eq!(publish.execute(&bus).await?["entry_id"], "5-0");
//! let range = bus_command::parse_line("range chat:1 - +")?;
//! assert_eq!(range.execute(&bus).await?[0]["payload"], serde_json::json!({"n": 1}));
//! let err = bus_command::parse_line("range chat:1 x +").unwrap_err();
//! assert_eq!(err.kind(), "invalid_id");
//! # Ok(()) }
//! ```

mod command;
mod exec;
mod parse;

pub use command::{Command, ReadFrom, TrimArgs};
pub use exec::{DEFAULT_TAIL, Follow, entry_json, error_json, error_parts_json, received_json};
pub use parse::{ParseError, clap_command, parse_line, parse_words, split};
