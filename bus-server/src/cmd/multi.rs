//! `MULTI`, `EXEC`, `DISCARD`, `WATCH key [key …]`, `UNWATCH`: transactions. Commands after MULTI are checked
//! and queued (`+QUEUED`); EXEC runs them holding the server-wide lock exclusively, so no other client's command
//! runs in between, and answers their replies in an array. A command refused while queueing (unknown, wrong
//! arity) makes EXEC answer `EXECABORT`.
//!
//! WATCH takes bus-memory's key versions ([`KeyWatch`](bus_memory::KeyWatch)): EXEC answers a null array, and
//! runs nothing, when a watched key was touched since (written, deleted, expired, renamed, flushed while it
//! existed: what Redis 7.0 counts, see bus-memory's `transaction` module), checked under the exclusive lock.
//! EXECABORT wins over a touched key, and both EXEC and DISCARD forget the watches, as in Redis.
//!
//! While EXEC runs, bus-memory holds back the serving of blocked readers (`hold_wakeups`, on every database) and
//! serves them at the end from what the keys then hold, as Redis serves them after the transaction: `MULTI;
//! XADD s …; DEL s; EXEC` wakes no reader of `s`.

use bytes::Bytes;

use crate::client::{Client, Multi};
use crate::command::{CmdResult, CommandSpec, KeySpec, Lock, doc, existing_topic, handler, lookup};
use crate::dispatch;
use crate::resp::Reply;

const FLAGS: &[&str] = &["noscript", "loading", "stale", "fast", "allow_busy"];
const ACL_FAST: &[&str] = &["@fast", "@transaction"];

pub(crate) const MULTI: CommandSpec = CommandSpec::new(
    "multi",
    1,
    FLAGS,
    ACL_FAST,
    doc("Starts a transaction.", "1.2.0", "transactions", "O(1)"),
    handler!(multi),
)
.lock(Lock::None);

pub(crate) const EXEC: CommandSpec = CommandSpec::new(
    "exec",
    1,
    &["noscript", "loading", "stale", "skip_slowlog"],
    &["@slow", "@transaction"],
    doc(
        "Runs the queued commands of a transaction.",
        "1.2.0",
        "transactions",
        "Depends on commands in the transaction",
    ),
    handler!(exec),
)
.lock(Lock::Exclusive);

pub(crate) const DISCARD: CommandSpec = CommandSpec::new(
    "discard",
    1,
    FLAGS,
    ACL_FAST,
    doc(
        "Drops the queued commands of a transaction.",
        "2.0.0",
        "transactions",
        "O(N), when N is the number of queued commands",
    ),
    handler!(discard),
)
.lock(Lock::None);

pub(crate) const WATCH: CommandSpec = CommandSpec::new(
    "watch",
    -2,
    FLAGS,
    ACL_FAST,
    doc(
        "Makes the next transaction conditional on keys staying unchanged.",
        "2.2.0",
        "transactions",
        "O(1) for every key.",
    ),
    handler!(watch),
)
.keys((1, -1, 1), &[KeySpec::all(&["RO"])]);

pub(crate) const UNWATCH: CommandSpec = CommandSpec::new(
    "unwatch",
    1,
    FLAGS,
    ACL_FAST,
    doc("Forgets the watched keys.", "2.2.0", "transactions", "O(1)"),
    handler!(unwatch),
)
.lock(Lock::None);

/// Ends the transaction (and forgets the watches, as Redis's `discardTransaction`).
fn leave_multi(client: &mut Client) -> Option<Multi> {
    client.handle.update(|meta| meta.multi = -1);
    client.watched.clear();
    client.multi.take()
}

async fn multi(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    if client.multi.is_some() {
        return Err(Reply::error("ERR MULTI calls can not be nested"));
    }
    client.multi = Some(Multi::default());
    client.handle.update(|meta| meta.multi = 0);
    Ok(Reply::ok())
}

async fn exec(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    if client.multi.is_none() {
        return Err(Reply::error("ERR EXEC without MULTI"));
    }
    // Checked, then dropped, whatever EXEC answers.
    let watched = std::mem::take(&mut client.watched);
    let Some(multi) = leave_multi(client) else {
        return Err(Reply::error("ERR EXEC without MULTI"));
    };
    if multi.dirty {
        return Err(Reply::error(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if watched.iter().any(bus_memory::KeyWatch::is_touched) {
        return Ok(Reply::NullArray);
    }
    drop(watched);
    // The exclusive lock is held by the dispatcher for EXEC: the queued commands run without taking it again.
    let holds: Vec<_> = client.shared.databases.iter().map(|db| db.hold_wakeups()).collect();
    client.in_exec = true;
    // Blocked readers are served at the end, from what the keys then hold (as Redis serves them after EXEC).
    let _held = client
        .shared
        .databases
        .iter()
        .map(|db| db.hold_wakeups())
        .collect::<Vec<_>>();
    let mut replies = Vec::with_capacity(multi.queued.len());
    for args in &multi.queued {
        let reply = match lookup(args) {
            Ok((spec, _)) => dispatch::call(client, spec, args).await,
            Err(reply) => reply,
        };
        replies.push(reply);
    }
    client.in_exec = false;
    drop(holds);
    Ok(Reply::Array(replies))
}

async fn discard(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    match leave_multi(client) {
        Some(_) => Ok(Reply::ok()),
        None => Err(Reply::error("ERR DISCARD without MULTI")),
    }
}

async fn watch(client: &mut Client, args: &[Bytes]) -> CmdResult {
    if client.multi.is_some() {
        return Err(Reply::error("ERR WATCH inside MULTI is not allowed"));
    }
    for key in &args[1..] {
        // A key bus-memory cannot name can never exist, so it can never be touched.
        if let Some(topic) = existing_topic(key) {
            let watch = client.db().watch(&topic);
            client.watched.push(watch);
        }
    }
    Ok(Reply::ok())
}

async fn unwatch(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    client.watched.clear();
    Ok(Reply::ok())
}
