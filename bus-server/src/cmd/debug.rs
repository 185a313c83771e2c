//! `DEBUG …`: refused, as Redis refuses it while `enable-debug-command` is `no` (the refusal is in `dispatch`,
//! where Redis checks it: after the arity, before authentication).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler, unknown_command};

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "debug",
    -2,
    &["admin", "noscript", "loading", "stale"],
    &["@admin", "@slow", "@dangerous"],
    doc(
        "Debugging commands (disabled).",
        "1.0.0",
        "server",
        "Depends on subcommand.",
    ),
    handler!(run),
);

async fn run(_client: &mut Client, args: &[Bytes]) -> CmdResult {
    // Not reached: dispatch refuses DEBUG before it runs.
    Err(unknown_command(args))
}
