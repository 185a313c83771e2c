//! `ECHO message`: the message back, as a bulk (clients use it to test a connection end to end).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "echo",
    2,
    &["loading", "stale", "fast"],
    &["@fast", "@connection"],
    doc("Answers the message given.", "1.0.0", "connection", "O(1)"),
    handler!(run),
);

async fn run(_client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Bulk(args[1].clone()))
}
