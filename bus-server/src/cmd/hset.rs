//! `HSET key field value [field value …]`: sets fields of a hash (creating it), answering how many were new;
//! an odd number of arguments is Redis's arity error, checked before the key.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, arity_error, doc, handler, topic};
use crate::keyspace;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "hset",
    -4,
    &["write", "denyoom", "fast"],
    &["@write", "@hash", "@fast"],
    doc(
        "Sets fields of a hash.",
        "2.0.0",
        "hash",
        "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "update"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    if !args.len().is_multiple_of(2) {
        return Err(arity_error("hset"));
    }
    let key = topic(&args[1])?;
    let pairs = args[2..]
        .chunks_exact(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    Ok(keyspace::count(client.db().hset(&key, pairs)?))
}
