//! `PING [message]`: the liveness check every client sends first; `+PONG`, or the message back as a bulk.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, arity_error, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "ping",
    -1,
    &["fast"],
    &["@fast", "@connection"],
    doc("Answers PONG, or the message given.", "1.0.0", "connection", "O(1)"),
    handler!(run),
)
.tips(&["request_policy:all_shards", "response_policy:all_succeeded"]);

async fn run(_client: &mut Client, args: &[Bytes]) -> CmdResult {
    match args {
        [_] => Ok(Reply::simple("PONG")),
        [_, message] => Ok(Reply::Bulk(message.clone())),
        _ => Err(arity_error("ping")),
    }
}
