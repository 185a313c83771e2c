//! `XRANGE key start end [COUNT count]` and `XREVRANGE key end start [COUNT count]`: entries between two ids,
//! oldest or newest first. Checks in Redis's order: the start id (and its exclusive form), the end id, COUNT,
//! then the key (missing: an empty array), then COUNT 0 (a null array).

use bus_core::Backend;
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{entries_reply, interval, stream_key};
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, integer, is, syntax_error};
use crate::resp::Reply;

const KEYS: &[KeySpec] = &[KeySpec::first(&["RO", "access"])];
const COMPLEXITY: &str = "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).";

pub(crate) const XRANGE: CommandSpec = CommandSpec::new(
    "xrange",
    -4,
    &["readonly"],
    &["@read", "@stream", "@slow"],
    doc(
        "Answers the entries of a stream between two ids.",
        "5.0.0",
        "stream",
        COMPLEXITY,
    ),
    handler!(xrange),
)
.keys((1, 1, 1), KEYS);

pub(crate) const XREVRANGE: CommandSpec = CommandSpec::new(
    "xrevrange",
    -4,
    &["readonly"],
    &["@read", "@stream", "@slow"],
    doc(
        "Answers the entries of a stream between two ids, newest first.",
        "5.0.0",
        "stream",
        COMPLEXITY,
    ),
    handler!(xrevrange),
)
.keys((1, 1, 1), KEYS);

async fn xrange(client: &mut Client, args: &[Bytes]) -> CmdResult {
    range(client, args, &args[2], &args[3], false).await
}

async fn xrevrange(client: &mut Client, args: &[Bytes]) -> CmdResult {
    range(client, args, &args[3], &args[2], true).await
}

async fn range(client: &mut Client, args: &[Bytes], start: &[u8], end: &[u8], reverse: bool) -> CmdResult {
    let (start, end) = (interval(start, true)?, interval(end, false)?);
    let mut count = None;
    let mut options = args[4..].iter();
    while let Some(option) = options.next() {
        match options.next() {
            Some(value) if is(option, "COUNT") => count = Some(u64::try_from(integer(value)?).unwrap_or(0)),
            _ => return Err(syntax_error()),
        }
    }
    let db = client.db();
    let Some(topic) = stream_key(db, &args[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == Some(0) {
        return Ok(Reply::NullArray);
    }
    let entries = if reverse {
        db.rev_range(&topic, end, start, count).await?
    } else {
        db.range(&topic, start, end, count).await?
    };
    Ok(entries_reply(&entries))
}
