//! `INCR key`: adds one to the integer a string holds (a missing key counts as 0), keeping its time to live;
//! Redis's errors for another type, a string that is no integer, and an overflow.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, topic};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "incr",
    2,
    &["write", "denyoom", "fast"],
    &["@write", "@string", "@fast"],
    doc(
        "Increments the integer value of a key by one.",
        "1.0.0",
        "string",
        "O(1)",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "access", "update"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let key = topic(&args[1])?;
    Ok(Reply::Integer(client.db().incr_by(&key, 1)?))
}
