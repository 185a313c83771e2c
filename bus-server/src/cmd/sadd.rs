//! `SADD key member [member …]`: a set, created when missing (WRONGTYPE on a key of another type).
//!
//! Minimal, for Redis's stream tests (type changes), until the keyspace commands bring the other set commands.

use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::count_reply;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, topic};

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "sadd",
    -3,
    &["write", "denyoom", "fast"],
    &["@write", "@set", "@fast"],
    doc(
        "Add one or more members to a set",
        "1.0.0",
        "set",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "insert"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(count_reply(client.db().sadd(&topic(&args[1])?, args[2..].to_vec())?))
}
