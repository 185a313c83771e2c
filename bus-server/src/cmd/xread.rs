//! `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key …] id [id …]`: reads entries after ids, from one
//! or several streams, blocking until one has some when asked. This is the pattern of the blocking commands:
//! the arguments are checked and `$` resolved under the shared lock, then the lock is released and the wait
//! runs unlocked (it never blocks other clients' EXEC), registered as blocked so `CLIENT UNBLOCK` and
//! `INFO blocked_clients` see it. Inside EXEC it never blocks, as in Redis.

use std::time::Duration;

use bus_core::{Backend, EntryId, ReadCursor, ReadOptions, ReadReply, Topic};
use bytes::Bytes;

use crate::client::{Client, Waited};
use crate::cmd::stream_args::{entries_reply, strict_id};
use crate::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpec, Lock, doc, existing_topic, handler, integer, integer_or,
    is, syntax_error,
};
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
    &[KeySpec {
        notes: None,
        flags: &["RO", "access"],
        begin: BeginSearch::Keyword {
            keyword: "STREAMS",
            start_from: 1,
        },
        find: FindKeys::Range {
            last_key: -1,
            key_step: 1,
            limit: 2,
        },
    }],
)
.lock(Lock::None);

/// The parsed command line.
struct Request {
    count: Option<u64>,
    block: Option<Duration>,
    /// Keys bus-memory can hold, with their cursors; other keys cannot exist and are left out.
    cursors: Vec<(Topic, ReadCursor)>,
}

fn parse(args: &[Bytes]) -> Result<(Option<u64>, Option<Duration>, usize), Reply> {
    let (mut count, mut block) = (None, None);
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let option = &args[i];
        if is(option, "BLOCK") && more > 0 {
            i += 1;
            let ms = integer_or(&args[i], "ERR timeout is not an integer or out of range")?;
            let ms = u64::try_from(ms).map_err(|_| Reply::error("ERR timeout is negative"))?;
            block = Some(Duration::from_millis(ms));
        } else if is(option, "COUNT") && more > 0 {
            i += 1;
            count = Some(u64::try_from(integer(&args[i])?).unwrap_or(0));
        } else if is(option, "STREAMS") && more > 0 {
            let streams = args.len() - i - 1;
            if !streams.is_multiple_of(2) {
                return Err(Reply::error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            return Ok((count, block, i + 1));
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    Err(syntax_error())
}

/// Parses the ids and resolves `$` to each stream's last id now, as Redis does while parsing.
async fn resolve(client: &Client, args: &[Bytes]) -> Result<Request, Reply> {
    let (count, block, first) = parse(args)?;
    let keys = (args.len() - first) / 2;
    let mut cursors = Vec::with_capacity(keys);
    for (key, id) in args[first..first + keys].iter().zip(&args[first + keys..]) {
        let topic = existing_topic(key);
        let cursor = if id.as_ref() == b"$" {
            let last = match &topic {
                Some(topic) => client
                    .db()
                    .stream_info(topic)
                    .await
                    .map_or(EntryId::MIN, |info| info.last_generated_id),
                None => EntryId::MIN,
            };
            ReadCursor::After(last)
        } else {
            ReadCursor::After(strict_id(id)?)
        };
        if let Some(topic) = topic {
            cursors.push((topic, cursor));
        }
    }
    Ok(Request { count, block, cursors })
}

fn options(request: &Request, block: Option<Duration>) -> ReadOptions {
    let mut options = ReadOptions::new();
    if let Some(count) = request.count {
        options = options.count(count);
    }
    if let Some(block) = block {
        options = options.block(block);
    }
    options
}

/// XREAD's reply: a map of key to entries (RESP2: an array of `[key, entries]`), or a null array when nothing came.
fn reply(read: ReadReply<bus_core::Entry>) -> Reply {
    match read {
        ReadReply::Topics(topics) if !topics.is_empty() => Reply::Pairs(
            topics
                .into_iter()
                .map(|topic| {
                    (
                        Reply::bulk(Bytes::copy_from_slice(topic.topic.as_str().as_bytes())),
                        entries_reply(&topic.entries),
                    )
                })
                .collect(),
        ),
        _ => Reply::NullArray,
    }
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
    let now = if request.cursors.is_empty() {
        ReadReply::Topics(Vec::new())
    } else {
        client.db().read(&request.cursors, &options(&request, None)).await?
    };
    let served = !matches!(&now, ReadReply::Topics(topics) if topics.is_empty());
    let block = request.block.filter(|_| !served && !client.in_exec);
    let Some(block) = block else {
        return Ok(reply(now));
    };
    drop(guard);
    let db = client.db().clone();
    let wait = async {
        if request.cursors.is_empty() {
            if !block.is_zero() {
                // On the databases' clock, so a controllable clock times it out too.
                db.clock().sleep(block).await;
            } else {
                std::future::pending::<()>().await;
            }
            return Ok(ReadReply::TimedOut);
        }
        db.read(&request.cursors, &options(&request, Some(block))).await
    };
    match client.wait_unblockable(wait).await {
        Waited::Done(read) => Ok(reply(read?)),
        Waited::Timeout => Ok(Reply::NullArray),
        Waited::Error => Err(Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")),
    }
}
