//! `RENAME key newkey` and `RENAMENX key newkey`: move a key's value, with its time to live, to another name
//! (RENAME replaces what the new name held, RENAMENX answers 0 instead). Redis checks the source first: a
//! missing one is `ERR no such key`, even when both names are the same.
//!
//! Blocked readers are served after the move as Redis serves them: those of the new name from the stream it now
//! holds (a group reader gets NOGROUP if that stream lacks its group, `UNBLOCKED` if the key no longer holds a
//! stream), those of the old name as after a deletion (group readers `UNBLOCKED`, plain readers keep waiting).

use bus_core::Error;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler, topic};
use crate::resp::Reply;

pub(crate) const RENAME: CommandSpec = CommandSpec::new(
    "rename",
    3,
    &["write"],
    &["@keyspace", "@write", "@slow"],
    doc(
        "Renames a key, replacing the new name's value.",
        "1.0.0",
        "generic",
        "O(1)",
    ),
    handler!(rename),
)
.keys(
    (1, 2, 1),
    &[
        KeySpec::first(&["RW", "access", "delete"]),
        KeySpec::at(2, &["OW", "update"]),
    ],
);

pub(crate) const RENAMENX: CommandSpec = CommandSpec::new(
    "renamenx",
    3,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc(
        "Renames a key only if the new name does not exist.",
        "1.0.0",
        "generic",
        "O(1)",
    ),
    handler!(renamenx),
)
.keys(
    (1, 2, 1),
    &[
        KeySpec::first(&["RW", "access", "delete"]),
        KeySpec::at(2, &["OW", "insert"]),
    ],
);

fn no_such_key() -> Reply {
    Reply::error("ERR no such key")
}

/// Whether it renamed (RENAMENX refuses an existing new name), or Redis's error.
fn move_key(client: &Client, args: &[Bytes], only_if_absent: bool) -> Result<bool, Reply> {
    let db = client.db();
    let from = existing_topic(&args[1]).filter(|from| db.key_type(from).is_some());
    let Some(from) = from else {
        return Err(no_such_key());
    };
    // A new name bus-memory cannot hold is refused only now: Redis looks at the source first.
    let to = topic(&args[2])?;
    let renamed = if only_if_absent {
        db.renamenx(&from, &to)
    } else {
        db.rename(&from, &to).map(|()| true)
    };
    renamed.map_err(|err| match err {
        Error::NoSuchTopic { .. } => no_such_key(),
        other => Reply::from(other),
    })
}

async fn rename(client: &mut Client, args: &[Bytes]) -> CmdResult {
    move_key(client, args, false).map(|_| Reply::ok())
}

async fn renamenx(client: &mut Client, args: &[Bytes]) -> CmdResult {
    move_key(client, args, true).map(|renamed| Reply::Integer(i64::from(renamed)))
}
