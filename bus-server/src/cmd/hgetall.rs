//! `HGETALL key`: a hash's fields and values (a RESP3 map; a flat array in RESP2), in the order the fields were
//! first set.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::keyspace;
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "hgetall",
    2,
    &["readonly"],
    &["@read", "@hash", "@slow"],
    doc(
        "Answers every field and value of a hash.",
        "2.0.0",
        "hash",
        "O(N) where N is the size of the hash.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO", "access"])])
.tips(&["nondeterministic_output_order"]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let pairs = keyspace::read_key(client, &args[1], Vec::new(), |db, key| db.hgetall(key))?;
    Ok(Reply::Map(
        pairs
            .into_iter()
            .map(|(field, value)| (Reply::Bulk(field), Reply::Bulk(value)))
            .collect(),
    ))
}
