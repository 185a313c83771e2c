//! `XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]`: scans a group's pending list
//! from `start` and takes over the entries idle long enough; answers the cursor of the next call, what it
//! claimed, and the pending ids whose entries were deleted (dropped from the list on the way).
//!
//! Redis's order: min-idle-time, the start id, the options (COUNT from 1 to `LONG_MAX / 16`, `COUNT must be >
//! 0` otherwise), then the key and the group (NOGROUP).

use bus_core::{AutoClaimOptions, Backend, Claimed};
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{entries_reply, id_reply, ids_reply, interval, name, stream_with_group};
use crate::cmd::xclaim::min_idle;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, is, syntax_error};
use crate::resp::{Reply, parse_i64};

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xautoclaim",
    -6,
    &["write", "fast"],
    &["@write", "@stream", "@fast"],
    doc(
        "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        "6.2.0",
        "stream",
        "O(1) if COUNT is small.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "delete"])])
.tips(&["nondeterministic_output"]);

fn options(args: &[Bytes]) -> Result<AutoClaimOptions, Reply> {
    let mut options = AutoClaimOptions::new();
    let mut j = 0;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(&args[j], "COUNT") && more > 0 {
            let count = parse_i64(&args[j + 1])
                .and_then(|n| u64::try_from(n).ok())
                .filter(|n| (1..=AutoClaimOptions::MAX_COUNT).contains(n))
                .ok_or_else(|| Reply::error("ERR COUNT must be > 0"))?;
            options = options.count(count);
            j += 1;
        } else if is(&args[j], "JUSTID") {
            options = options.just_id();
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(options)
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let min_idle = min_idle(&args[4], "XAUTOCLAIM")?;
    let start = interval(&args[5], true)?;
    let options = options(&args[6..])?;
    let db = client.db();
    let topic = stream_with_group(db, &args[1], &args[2], "").await?;
    let claimed = db
        .auto_claim(&topic, &name(&args[2]), &name(&args[3]), min_idle, start, &options)
        .await?;
    let entries = match &claimed.claimed {
        Claimed::Entries(entries) => entries_reply(entries),
        Claimed::Ids(ids) => ids_reply(ids),
    };
    Ok(Reply::Array(vec![
        id_reply(claimed.next),
        entries,
        ids_reply(&claimed.deleted),
    ]))
}
