//! `HDEL key field [field …]`: removes fields of a hash (an emptied hash is deleted), answering how many were
//! there.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "hdel",
    -3,
    &["write", "fast"],
    &["@write", "@hash", "@fast"],
    doc(
        "Removes fields of a hash.",
        "2.0.0",
        "hash",
        "O(N) where N is the number of fields to be removed.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "delete"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let removed = keyspace::read_key(client, &args[1], 0, |db, key| db.hdel(key, &args[2..]))?;
    Ok(keyspace::count(removed))
}
