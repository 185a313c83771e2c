//! `SREM key member [member …]`: removes members from a set (an emptied set is deleted), answering how many
//! were there.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "srem",
    -3,
    &["write", "fast"],
    &["@write", "@set", "@fast"],
    doc(
        "Removes members from a set.",
        "1.0.0",
        "set",
        "O(N) where N is the number of members to be removed.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "delete"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let removed = keyspace::read_key(client, &args[1], 0, |db, key| db.srem(key, &args[2..]))?;
    Ok(keyspace::count(removed))
}
