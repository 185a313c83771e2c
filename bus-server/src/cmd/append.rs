//! `APPEND key value`: appends to a string (creating it), answering the new length; WRONGTYPE on another type.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, topic};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "append",
    3,
    &["write", "denyoom", "fast"],
    &["@write", "@string", "@fast"],
    doc(
        "Appends a string to the value of a key.",
        "2.0.0",
        "string",
        "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "insert"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let key = topic(&args[1])?;
    Ok(keyspace::count(client.db().append_string(&key, &args[2])?))
}
