//! `XPENDING key group [[IDLE min-idle-time] start end count [consumer]]`: a group's pending entries, in
//! summary (count, smallest and largest id, owners) or listed (id, owner, idle time, deliveries).
//!
//! As Redis: 3 or 6 to 9 words, else a syntax error; the range is parsed before the key is looked up (IDLE,
//! then COUNT, then the start and end ids); a negative COUNT lists nothing and a negative IDLE filters nothing;
//! words after the consumer are ignored.

use std::time::Duration;

use bus_core::{Backend, PendingEntry, PendingQuery, PendingSummary};
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{count_reply, id_reply, interval, name, stream_with_group};
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, integer, is, syntax_error};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xpending",
    -3,
    &["readonly"],
    &["@read", "@stream", "@slow"],
    doc(
        "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        "5.0.0",
        "stream",
        "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO", "access"])])
.tips(&["nondeterministic_output"]);

/// The extended form's query, parsed as Redis does before looking at the key.
fn query(args: &[Bytes]) -> Result<PendingQuery, Reply> {
    let mut start = 3;
    let mut min_idle = None;
    if is(&args[3], "IDLE") {
        let idle = integer(&args[4])?;
        if args.len() < 8 {
            return Err(syntax_error());
        }
        // A negative minimum is no filter.
        min_idle = u64::try_from(idle).ok().filter(|ms| *ms > 0).map(Duration::from_millis);
        start += 2;
    }
    let count = u64::try_from(integer(&args[start + 2])?).unwrap_or(0);
    let (first, last) = (interval(&args[start], true)?, interval(&args[start + 1], false)?);
    let mut query = PendingQuery::new(first, last, count);
    if let Some(consumer) = args.get(start + 3) {
        query = query.consumer(name(consumer));
    }
    if let Some(idle) = min_idle {
        query = query.min_idle(idle);
    }
    Ok(query)
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(syntax_error());
    }
    let query = if argc >= 6 { Some(query(args)?) } else { None };
    let db = client.db();
    let topic = stream_with_group(db, &args[1], &args[2], "").await?;
    let group = name(&args[2]);
    match query {
        None => Ok(summary_reply(db.pending_summary(&topic, &group).await?)),
        Some(query) if query.count == 0 => Ok(Reply::Array(Vec::new())),
        Some(query) => Ok(Reply::Array(
            db.pending(&topic, &group, &query)
                .await?
                .iter()
                .map(entry_reply)
                .collect(),
        )),
    }
}

fn summary_reply(summary: PendingSummary) -> Reply {
    let (Some(min), Some(max)) = (summary.min, summary.max) else {
        return Reply::Array(vec![Reply::Integer(0), Reply::Null, Reply::Null, Reply::NullArray]);
    };
    let owners = summary
        .consumers
        .into_iter()
        .map(|(consumer, count)| Reply::Array(vec![Reply::bulk(consumer), Reply::bulk(count.to_string())]))
        .collect();
    Reply::Array(vec![
        count_reply(summary.count),
        id_reply(min),
        id_reply(max),
        Reply::Array(owners),
    ])
}

fn entry_reply(entry: &PendingEntry) -> Reply {
    Reply::Array(vec![
        id_reply(entry.id),
        Reply::bulk(entry.consumer.clone()),
        Reply::Integer(i64::try_from(entry.idle.as_millis()).unwrap_or(i64::MAX)),
        count_reply(entry.delivery_count),
    ])
}
