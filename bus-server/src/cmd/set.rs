//! `SET key value`: a string value, replacing whatever the key held (a blocked stream reader of the key is
//! released, as Redis releases it when the key changes type).
//!
//! Minimal, for Redis's stream tests (type changes): only the plain form; any option answers a syntax error
//! (a documented deviation, until the keyspace commands bring the whole of SET).

use bus_memory::SetOptions;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, syntax_error, topic};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "set",
    -3,
    &["write", "denyoom"],
    &["@write", "@string", "@slow"],
    doc("Set the string value of a key", "1.0.0", "string", "O(1)"),
    handler!(run),
)
.keys(
    (1, 1, 1),
    &[KeySpec::first(&["RW", "access", "update", "variable_flags"])
        .noted("RW and ACCESS due to the optional `GET` argument")],
);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    if args.len() != 3 {
        return Err(syntax_error());
    }
    client
        .db()
        .set(&topic(&args[1])?, args[2].clone(), &SetOptions::new())?;
    Ok(Reply::ok())
}
