//! `FUNCTION FLUSH [ASYNC|SYNC]`: Redis's test suite sends it before every test file. This server has no
//! functions, so there is nothing to delete; the option is checked as Redis checks it.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler, is, subcommand_syntax_error};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::container(
    "function",
    doc(
        "A container for function commands.",
        "7.0.0",
        "scripting",
        "Depends on subcommand.",
    ),
    &[CommandSpec::new(
        "flush",
        -2,
        &["write", "noscript"],
        &["@write", "@slow", "@scripting"],
        doc(
            "Deletes every library.",
            "7.0.0",
            "scripting",
            "O(N) where N is the number of functions deleted",
        ),
        handler!(flush),
    )
    .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])],
);

async fn flush(_client: &mut Client, args: &[Bytes]) -> CmdResult {
    match args {
        [_, _] => Ok(Reply::ok()),
        [_, _, mode] if is(mode, "ASYNC") || is(mode, "SYNC") => Ok(Reply::ok()),
        [_, _, _] => Err(Reply::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")),
        _ => Err(subcommand_syntax_error(args)),
    }
}
