//! `XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME unix-ms] [RETRYCOUNT count] [FORCE]
//! [JUSTID] [LASTID id]`: takes pending entries over for a consumer.
//!
//! Redis's order: the key and the group (NOGROUP), min-idle-time, then the ids up to the first word that is not
//! one, then the options from there (an unknown word: `Unrecognized XCLAIM option`). IDLE and TIME both set the
//! delivery time, the last one given wins, and a time in the future or before the epoch means now; a negative
//! min-idle-time is 0 and a negative RETRYCOUNT is none.
//!
//! Deviation: a call whose words after min-idle-time are all options (no id) answers an empty array as Redis
//! does, but its LASTID is not applied (bus-memory raises the group's last id only within a claim).

use std::time::Duration;

use bus_core::{Backend, ClaimOptions, Claimed, EntryId};
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{entries_reply, ids_reply, name, stream_with_group, strict_id, utf8};
use crate::command::{CmdResult, CommandSpec, KeySpec, c_str, doc, handler, integer_or, is};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xclaim",
    -6,
    &["write", "fast"],
    &["@write", "@stream", "@fast"],
    doc(
        "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        "5.0.0",
        "stream",
        "O(log N) with N being the number of messages in the PEL of the consumer group.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "update"])])
.tips(&["nondeterministic_output"]);

/// What sets the delivery time (the last of IDLE and TIME).
enum Delivery {
    Idle(i64),
    Time(i64),
}

/// A min-idle-time argument: a signed integer with the command's own error, negative meaning 0.
pub(crate) fn min_idle(arg: &[u8], command: &str) -> Result<Duration, Reply> {
    let ms = integer_or(arg, &format!("ERR Invalid min-idle-time argument for {command}"))?;
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

fn option_value(arg: &[u8], option: &str) -> Result<i64, Reply> {
    integer_or(arg, &format!("ERR Invalid {option} option argument for XCLAIM"))
}

/// The options after the ids, in Redis's loop.
fn options(args: &[Bytes], now: u64) -> Result<ClaimOptions, Reply> {
    let mut options = ClaimOptions::new();
    let mut delivery = None;
    let mut j = 0;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let option = &args[j];
        if is(option, "FORCE") {
            options = options.force();
        } else if is(option, "JUSTID") {
            options = options.just_id();
        } else if is(option, "IDLE") && more > 0 {
            j += 1;
            delivery = Some(Delivery::Idle(option_value(&args[j], "IDLE")?));
        } else if is(option, "TIME") && more > 0 {
            j += 1;
            delivery = Some(Delivery::Time(option_value(&args[j], "TIME")?));
        } else if is(option, "RETRYCOUNT") && more > 0 {
            j += 1;
            if let Ok(count) = u64::try_from(option_value(&args[j], "RETRYCOUNT")?) {
                options = options.retry_count(count);
            }
        } else if is(option, "LASTID") && more > 0 {
            j += 1;
            options = options.last_id(strict_id(&args[j])?);
        } else {
            return Err(Reply::error(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                c_str(option, usize::MAX)
            )));
        }
        j += 1;
    }
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let time = match delivery {
        Some(Delivery::Idle(idle)) => now.checked_sub(idle),
        Some(Delivery::Time(time)) => Some(time),
        None => None,
    };
    // Redis takes a time in the future, or before the epoch, as now.
    if let Some(time) = time
        .filter(|time| (0..=now).contains(time))
        .and_then(|t| u64::try_from(t).ok())
    {
        options = options.time(time);
    }
    Ok(options)
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let db = client.db();
    let topic = stream_with_group(db, &args[1], &args[2], "").await?;
    let min_idle = min_idle(&args[4], "XCLAIM")?;
    let ids: Vec<EntryId> = args[5..]
        .iter()
        .map_while(|arg| utf8(arg).ok().and_then(|text| EntryId::parse_strict(text, 0).ok()))
        .collect();
    let options = options(&args[5 + ids.len()..], db.clock().now_ms())?;
    if ids.is_empty() {
        return Ok(Reply::Array(Vec::new()));
    }
    let claimed = db
        .claim(&topic, &name(&args[2]), &name(&args[3]), min_idle, &ids, &options)
        .await?;
    Ok(match claimed {
        Claimed::Entries(entries) => entries_reply(&entries),
        Claimed::Ids(ids) => ids_reply(&ids),
    })
}
