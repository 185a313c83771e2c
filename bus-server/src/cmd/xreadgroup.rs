//! `XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key …] id [id …]`:
//! reads for a consumer of a group, new entries (`>`) or the consumer's own pending ones (an id).
//!
//! The options are parsed as XREAD's (`read_args`), then each stream in turn is checked as Redis does: its
//! type, that it has the group (else NOGROUP), then its id (`$` is refused, `>` or a strict id). A read with
//! nothing to serve and BLOCK waits unlocked, as XREAD does, on bus-memory's blocking group read with an
//! [`Unblocker`]: appends serve it, XGROUP DESTROY and DEL release it with their errors, and `CLIENT UNBLOCK`
//! is passed to the read itself, so an entry it was handed is never lost. Inside EXEC it never blocks.

use std::task::Poll;

use bus_core::{GroupCursor, ReadGroupOptions, Topic};
use bus_memory::Unblocker;
use bytes::Bytes;

use crate::client::{Client, poll_once};
use crate::cmd::read_args::{self, ReadArgs};
use crate::cmd::stream_args::{group_entry_reply, name, stream_with_group, streams_reply, strict_id};
use crate::command::{CmdResult, CommandSpec, Lock, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xreadgroup",
    -7,
    &["write", "blocking", "movablekeys"],
    &["@write", "@stream", "@slow", "@blocking"],
    doc(
        "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        "5.0.0",
        "stream",
        "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
    ),
    handler!(run),
)
.keys(
    (0, 0, 0),
    &[read_args::streams_keys(4)],
)
.lock(Lock::None);

const DOLLAR: &str = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this \
     consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty \
     result set.";

/// The cursors of the streams, checked in Redis's order.
async fn cursors(client: &Client, parsed: &ReadArgs<'_>, group: &[u8]) -> Result<Vec<(Topic, GroupCursor)>, Reply> {
    let mut cursors = Vec::with_capacity(parsed.keys.len());
    for (key, id) in parsed.keys.iter().zip(parsed.ids) {
        let topic = stream_with_group(client.db(), key, group, " in XREADGROUP with GROUP option").await?;
        let cursor = match id.as_ref() {
            b"$" => return Err(Reply::error(DOLLAR)),
            b">" => GroupCursor::New,
            _ => GroupCursor::History(strict_id(id)?),
        };
        cursors.push((topic, cursor));
    }
    Ok(cursors)
}

fn options(parsed: &ReadArgs<'_>) -> ReadGroupOptions {
    let mut options = ReadGroupOptions::new();
    if parsed.count > 0 {
        options = options.count(parsed.count);
    }
    if parsed.no_ack {
        options = options.no_ack();
    }
    options
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let parsed = read_args::parse(args, true)?;
    let Some((group, consumer)) = parsed.group else {
        return Err(crate::command::syntax_error());
    };
    let shared = std::sync::Arc::clone(&client.shared);
    // Inside EXEC the exclusive lock is held already, and nothing blocks.
    let guard = if client.in_exec {
        None
    } else {
        Some(shared.exec_lock.read().await)
    };
    let cursors = cursors(client, &parsed, group).await?;
    let (group, consumer) = (name(group), name(consumer));
    let mut options = options(&parsed);
    if let Some(block) = parsed.block.filter(|_| !client.in_exec) {
        options = options.block(block);
    }
    let db = client.db().clone();
    let unblocker = Unblocker::new();
    let mut wait = std::pin::pin!(db.read_group_with_unblocker(&group, &consumer, &cursors, &options, &unblocker));
    // The first poll, under the lock, serves the read or registers it as blocked: a command of another client
    // (XGROUP DESTROY, DEL, a type change) cannot come in between and be missed.
    if let Poll::Ready(read) = poll_once(wait.as_mut()).await {
        return Ok(streams_reply(read?, group_entry_reply));
    }
    drop(guard);
    let read = client.wait_released(&unblocker, wait).await?;
    Ok(streams_reply(read, group_entry_reply))
}
