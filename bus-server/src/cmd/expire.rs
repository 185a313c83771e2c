//! `EXPIRE key seconds [NX|XX|GT|LT]` and `PEXPIRE key milliseconds [NX|XX|GT|LT]`: set a key's time to live,
//! with Redis 7.0's option checks, overflow errors, and its rule that a deadline already past deletes the key.

use bus_memory::ExpireCondition;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, c_str, doc, existing_topic, handler, integer, is};
use crate::resp::Reply;

const KEYS: &[KeySpec] = &[KeySpec::first(&["RW", "update"])];

pub(crate) const EXPIRE: CommandSpec = CommandSpec::new(
    "expire",
    -3,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc("Sets a key's time to live in seconds.", "1.0.0", "generic", "O(1)"),
    handler!(expire),
)
.keys((1, 1, 1), KEYS);

pub(crate) const PEXPIRE: CommandSpec = CommandSpec::new(
    "pexpire",
    -3,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc("Sets a key's time to live in milliseconds.", "2.6.0", "generic", "O(1)"),
    handler!(pexpire),
)
.keys((1, 1, 1), KEYS);

async fn expire(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_deadline(client, args, 1000, "expire").await
}

async fn pexpire(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_deadline(client, args, 1, "pexpire").await
}

/// The NX, XX, GT and LT options, checked for compatibility as Redis checks them (before the amount).
fn conditions(options: &[Bytes]) -> Result<ExpireCondition, Reply> {
    let mut found = ExpireCondition::default();
    for option in options {
        let flag = match () {
            () if is(option, "NX") => &mut found.nx,
            () if is(option, "XX") => &mut found.xx,
            () if is(option, "GT") => &mut found.gt,
            () if is(option, "LT") => &mut found.lt,
            () => {
                return Err(Reply::error(format!(
                    "ERR Unsupported option {}",
                    c_str(option, usize::MAX)
                )));
            }
        };
        *flag = true;
    }
    if found.nx && (found.xx || found.gt || found.lt) {
        return Err(Reply::error(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if found.gt && found.lt {
        return Err(Reply::error(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(found)
}

/// Redis's `expireGenericCommand`: options, then the amount and its overflow against the clock, then the key
/// (bus-memory applies the conditions, and deletes the key for a deadline already past).
async fn set_deadline(client: &mut Client, args: &[Bytes], unit_ms: i64, name: &str) -> CmdResult {
    let condition = conditions(&args[3..])?;
    let invalid = || Reply::error(format!("ERR invalid expire time in '{name}' command"));
    let amount = integer(&args[2])?;
    let relative = amount.checked_mul(unit_ms).ok_or_else(invalid)?;
    let now = i64::try_from(client.shared.clock.now_ms()).unwrap_or(i64::MAX);
    let when = relative.checked_add(now).ok_or_else(invalid)?;
    let applied = existing_topic(&args[1]).is_some_and(|topic| client.db().pexpire_at(&topic, when, condition));
    Ok(Reply::Integer(i64::from(applied)))
}
