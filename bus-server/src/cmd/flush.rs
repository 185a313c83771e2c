//! `FLUSHALL [ASYNC|SYNC]` and `FLUSHDB [ASYNC|SYNC]`: empty every database, or the selected one. They hold
//! the server-wide lock exclusively, so no command sees a half-emptied database; blocked group readers are
//! released as by DEL, and the watches of the keys that existed are touched (a watched key that did not exist
//! is not, as in Redis 7.0).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, Lock, doc, handler, is, syntax_error};
use crate::resp::Reply;

const FLAGS: &[&str] = &["write"];
const ACL: &[&str] = &["@keyspace", "@write", "@slow", "@dangerous"];
const TIPS: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

pub(crate) const FLUSHALL: CommandSpec = CommandSpec::new(
    "flushall",
    -1,
    FLAGS,
    ACL,
    doc(
        "Deletes every key of every database.",
        "1.0.0",
        "server",
        "O(N) where N is the total number of keys in all databases",
    ),
    handler!(flushall),
)
.tips(TIPS)
.lock(Lock::Exclusive);

pub(crate) const FLUSHDB: CommandSpec = CommandSpec::new(
    "flushdb",
    -1,
    FLAGS,
    ACL,
    doc(
        "Deletes every key of the selected database.",
        "1.0.0",
        "server",
        "O(N) where N is the number of keys in the selected database",
    ),
    handler!(flushdb),
)
.tips(TIPS)
.lock(Lock::Exclusive);

/// Redis's `getFlushCommandFlags`: at most one argument, ASYNC or SYNC (both flush at once here).
fn check_mode(args: &[Bytes]) -> Result<(), Reply> {
    match args {
        [_] => Ok(()),
        [_, mode] if is(mode, "ASYNC") || is(mode, "SYNC") => Ok(()),
        _ => Err(syntax_error()),
    }
}

async fn flushall(client: &mut Client, args: &[Bytes]) -> CmdResult {
    check_mode(args)?;
    for db in &client.shared.databases {
        db.flush();
    }
    Ok(Reply::ok())
}

async fn flushdb(client: &mut Client, args: &[Bytes]) -> CmdResult {
    check_mode(args)?;
    client.db().flush();
    Ok(Reply::ok())
}
