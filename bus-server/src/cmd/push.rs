//! `LPUSH key element [element …]` and `RPUSH key element [element …]`: push onto either end of a list
//! (creating it), answering its new length; WRONGTYPE on another type.

use bus_memory::ListEnd;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, topic};
use crate::keyspace;

const FLAGS: &[&str] = &["write", "denyoom", "fast"];
const ACL: &[&str] = &["@write", "@list", "@fast"];
const KEYS: &[KeySpec] = &[KeySpec::first(&["RW", "insert"])];
const COMPLEXITY: &str =
    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

pub(crate) const LPUSH: CommandSpec = CommandSpec::new(
    "lpush",
    -3,
    FLAGS,
    ACL,
    doc("Prepends elements to a list.", "1.0.0", "list", COMPLEXITY),
    handler!(lpush),
)
.keys((1, 1, 1), KEYS);

pub(crate) const RPUSH: CommandSpec = CommandSpec::new(
    "rpush",
    -3,
    FLAGS,
    ACL,
    doc("Appends elements to a list.", "1.0.0", "list", COMPLEXITY),
    handler!(rpush),
)
.keys((1, 1, 1), KEYS);

async fn lpush(client: &mut Client, args: &[Bytes]) -> CmdResult {
    push(client, args, ListEnd::Left)
}

async fn rpush(client: &mut Client, args: &[Bytes]) -> CmdResult {
    push(client, args, ListEnd::Right)
}

fn push(client: &Client, args: &[Bytes], end: ListEnd) -> CmdResult {
    let key = topic(&args[1])?;
    let length = client.db().push(&key, end, args[2..].to_vec(), false)?;
    Ok(keyspace::count(length))
}
