//! `SMEMBERS key`: a set's members (a RESP3 set; see bus-memory's `smembers` for their order).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "smembers",
    2,
    &["readonly"],
    &["@read", "@set", "@slow"],
    doc(
        "Answers the members of a set.",
        "1.0.0",
        "set",
        "O(N) where N is the set cardinality.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO", "access"])])
.tips(&["nondeterministic_output_order"]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let members = keyspace::read_key(client, &args[1], Vec::new(), |db, key| db.smembers(key))?;
    Ok(Reply::Set(members.into_iter().map(Reply::Bulk).collect()))
}
