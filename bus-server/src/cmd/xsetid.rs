//! `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]`: sets a stream's last id and
//! counters. The id and the options are parsed first (negative ENTRIESADDED, a MAXDELETEDID above the id, in
//! Redis's order), then the key (`ERR no such key`), then bus-memory's checks against the stream.

use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{stream_key, strict_id};
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, integer, is, syntax_error};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xsetid",
    -3,
    &["write", "denyoom", "fast"],
    &["@write", "@stream", "@fast"],
    doc(
        "An internal command for replicating stream values",
        "5.0.0",
        "stream",
        "O(1)",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "update"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let id = strict_id(&args[2])?;
    let (mut entries_added, mut max_deleted) = (None, None);
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(&args[i], "ENTRIESADDED") && more > 0 {
            let n = integer(&args[i + 1])?;
            entries_added = Some(u64::try_from(n).map_err(|_| Reply::error("ERR entries_added must be positive"))?);
        } else if is(&args[i], "MAXDELETEDID") && more > 0 {
            let max = strict_id(&args[i + 1])?;
            if id < max {
                return Err(Reply::error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            max_deleted = Some(max);
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    let db = client.db();
    let Some(topic) = stream_key(db, &args[1])? else {
        return Err(Reply::error("ERR no such key"));
    };
    db.set_stream_id(&topic, id, entries_added, max_deleted)?;
    Ok(Reply::ok())
}
