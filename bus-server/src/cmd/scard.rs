//! `SCARD key`: a set's number of members, 0 for a missing key.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "scard",
    2,
    &["readonly", "fast"],
    &["@read", "@set", "@fast"],
    doc("Counts the members of a set.", "1.0.0", "set", "O(1)"),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let members = keyspace::read_key(client, &args[1], 0, |db, key| db.scard(key))?;
    Ok(keyspace::count(members))
}
