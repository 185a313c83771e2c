//! `EXPIRE key seconds [NX|XX|GT|LT]`, `PEXPIRE key milliseconds …`, `EXPIREAT key unix-seconds …` and
//! `PEXPIREAT key unix-milliseconds …`: set a key's deadline, with Redis 7.0's option checks, overflow errors,
//! and its rule that a deadline already past deletes the key. Relative times count from the databases' clock.

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

pub(crate) const EXPIREAT: CommandSpec = CommandSpec::new(
    "expireat",
    -3,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc(
        "Sets a key's deadline as a Unix time in seconds.",
        "1.2.0",
        "generic",
        "O(1)",
    ),
    handler!(expireat),
)
.keys((1, 1, 1), KEYS);

pub(crate) const PEXPIREAT: CommandSpec = CommandSpec::new(
    "pexpireat",
    -3,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc(
        "Sets a key's deadline as a Unix time in milliseconds.",
        "2.6.0",
        "generic",
        "O(1)",
    ),
    handler!(pexpireat),
)
.keys((1, 1, 1), KEYS);

async fn expire(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_deadline(client, args, 1000, true, "expire").await
}

async fn pexpire(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_deadline(client, args, 1, true, "pexpire").await
}

async fn expireat(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_deadline(client, args, 1000, false, "expireat").await
}

async fn pexpireat(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_deadline(client, args, 1, false, "pexpireat").await
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

/// Redis's `expireGenericCommand`: options, then the amount and its overflow (against the clock for a relative
/// time), then the key
/// (bus-memory applies the conditions, and deletes the key for a deadline already past).
async fn set_deadline(client: &mut Client, args: &[Bytes], unit_ms: i64, relative: bool, name: &str) -> CmdResult {
    let condition = conditions(&args[3..])?;
    let invalid = || Reply::error(format!("ERR invalid expire time in '{name}' command"));
    let amount = integer(&args[2])?;
    let ms = amount.checked_mul(unit_ms).ok_or_else(invalid)?;
    let base = if relative {
        i64::try_from(client.shared.clock.now_ms()).unwrap_or(i64::MAX)
    } else {
        0
    };
    let when = ms.checked_add(base).ok_or_else(invalid)?;
    let applied = existing_topic(&args[1]).is_some_and(|topic| client.db().pexpire_at(&topic, when, condition));
    Ok(Reply::Integer(i64::from(applied)))
}
