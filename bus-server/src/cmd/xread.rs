//! `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key …] id [id …]`: reads entries after ids, from one
//! or several streams, blocking until one has some when asked. This is the pattern of the blocking commands:
//! the arguments are checked and `$` resolved under the shared lock, then the lock is released and the wait
//! runs unlocked (it never blocks other clients' EXEC), registered as blocked so `CLIENT UNBLOCK` and
//! `INFO blocked_clients` see it. Inside EXEC it never blocks, as in Redis.

use std::time::Duration;

use bus_core::{Backend, EntryId, ReadCursor, ReadOptions, ReadReply, Topic};
use bytes::Bytes;

use std::task::Poll;

use crate::client::{Client, Waited, poll_once};
use crate::cmd::read_args;
use crate::cmd::stream_args::{entry_reply, stream_key, streams_reply, strict_id};
use crate::command::{CmdResult, CommandSpec, Lock, doc, existing_topic, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xread",
    -4,
    &["readonly", "blocking", "movablekeys"],
    &["@read", "@stream", "@slow", "@blocking"],
    doc("Reads entries of streams after ids, optionally waiting for them.", "5.0.0", "stream", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data."),
    handler!(run),
)
.keys(
    (0, 0, 0),
    &[read_args::streams_keys(1)],
)
.lock(Lock::None);

/// The parsed command line.
struct Request {
    count: u64,
    block: Option<Duration>,
    /// Keys bus-memory can hold, with their cursors; other keys cannot exist and are left out.
    cursors: Vec<(Topic, ReadCursor)>,
}

/// Parses the ids and resolves `$` to each stream's last id now, as Redis does while parsing.
async fn resolve(client: &Client, args: &[Bytes]) -> Result<Request, Reply> {
    let parsed = read_args::parse(args, false)?;
    let mut cursors = Vec::with_capacity(parsed.keys.len());
    for (key, id) in parsed.keys.iter().zip(parsed.ids) {
        // A missing key is read too: a blocked read waits for it to be created.
        let stream = stream_key(client.db(), key)?;
        let topic = existing_topic(key);
        let cursor = if id.as_ref() == b"$" {
            let last = match &stream {
                Some(topic) => client
                    .db()
                    .stream_info(topic)
                    .await
                    .map_or(EntryId::MIN, |info| info.last_generated_id),
                None => EntryId::MIN,
            };
            ReadCursor::After(last)
        } else if id.as_ref() == b">" {
            return Err(Reply::error(
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            ));
        } else {
            ReadCursor::After(strict_id(id)?)
        };
        if let Some(topic) = topic {
            cursors.push((topic, cursor));
        }
    }
    Ok(Request {
        count: parsed.count,
        block: parsed.block,
        cursors,
    })
}

fn options(request: &Request, block: Option<Duration>) -> ReadOptions {
    let mut options = ReadOptions::new();
    if request.count > 0 {
        options = options.count(request.count);
    }
    if let Some(block) = block {
        options = options.block(block);
    }
    options
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let shared = std::sync::Arc::clone(&client.shared);
    // Inside EXEC the exclusive lock is held already, and nothing blocks.
    let guard = if client.in_exec {
        None
    } else {
        Some(shared.exec_lock.read().await)
    };
    let request = resolve(client, args).await?;
    let block = request.block.filter(|_| !client.in_exec);
    let db = client.db().clone();
    let wait = async {
        if !request.cursors.is_empty() {
            return db.read(&request.cursors, &options(&request, block)).await;
        }
        match block {
            None => {}
            Some(block) if block.is_zero() => std::future::pending::<()>().await,
            // On the databases' clock, so a controllable clock times it out too.
            Some(block) => db.clock().sleep(block).await,
        }
        Ok(ReadReply::TimedOut)
    };
    let mut wait = std::pin::pin!(wait);
    // The first poll, under the lock, serves the read or registers it as blocked: a command of another client
    // cannot come in between (a type change, a deletion) and be missed.
    if let Poll::Ready(read) = poll_once(wait.as_mut()).await {
        return Ok(streams_reply(read?, entry_reply));
    }
    drop(guard);
    match client.wait_unblockable(wait).await {
        Waited::Done(read) => Ok(streams_reply(read?, entry_reply)),
        Waited::Timeout => Ok(Reply::NullArray),
        Waited::Error => Err(Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")),
    }
}
