//! `LPUSH key element [element …]`: a list, created when missing (WRONGTYPE on a key of another type).
//!
//! Minimal, for Redis's stream tests (type changes and WRONGTYPE): LPUSH only, until the keyspace commands
//! bring the other list commands.

use bus_memory::ListEnd;
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::count_reply;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, topic};

pub(crate) const LPUSH: CommandSpec = CommandSpec::new(
    "lpush",
    -3,
    &["write", "denyoom", "fast"],
    &["@write", "@list", "@fast"],
    doc(
        "Prepend one or multiple elements to a list",
        "1.0.0",
        "list",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "insert"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let pushed = client
        .db()
        .push(&topic(&args[1])?, ListEnd::Left, args[2..].to_vec(), false)?;
    Ok(count_reply(pushed))
}
