//! `RENAME key newkey`: moves a key (any type) to a new name, replacing what was there. Readers blocked on the
//! new name are served from what it now holds, or released as Redis releases them (see bus-memory's
//! `rename`); a missing key answers `ERR no such key`.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler, topic};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "rename",
    3,
    &["write"],
    &["@keyspace", "@write", "@slow"],
    doc("Rename a key", "1.0.0", "generic", "O(1)"),
    handler!(run),
)
.keys(
    (1, 2, 1),
    &[
        KeySpec::first(&["RW", "access", "delete"]),
        KeySpec::first(&["OW", "update"]).at(2),
    ],
);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let Some(from) = existing_topic(&args[1]) else {
        return Err(Reply::error("ERR no such key"));
    };
    client.db().rename(&from, &topic(&args[2])?)?;
    Ok(Reply::ok())
}
