//! `EXPIRE key seconds [NX|XX|GT|LT]` and `PEXPIRE key milliseconds [NX|XX|GT|LT]`: set a key's time to live,
//! with Redis 7.0's option checks, overflow errors, and its rule that a deadline already past deletes the key.

use std::time::Duration;

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, c_str, doc, existing_topic, handler, integer, is};
use crate::keyspace;
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

/// The NX, XX, GT and LT options, checked for compatibility as Redis checks them.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn conditions(options: &[Bytes]) -> Result<Conditions, Reply> {
    let mut found = Conditions::default();
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

async fn set_deadline(client: &mut Client, args: &[Bytes], unit_ms: i64, name: &str) -> CmdResult {
    let conditions = conditions(&args[3..])?;
    let invalid = || Reply::error(format!("ERR invalid expire time in '{name}' command"));
    let amount = integer(&args[2])?;
    let relative = amount.checked_mul(unit_ms).ok_or_else(invalid)?;
    let now = i64::try_from(client.shared.clock.now_ms()).unwrap_or(i64::MAX);
    let when = relative.checked_add(now).ok_or_else(invalid)?;
    let Some(topic) = existing_topic(&args[1]) else {
        return Ok(Reply::Integer(0));
    };
    let db = client.db();
    if !keyspace::exists(db, &topic).await {
        return Ok(Reply::Integer(0));
    }
    let current = keyspace::ttl(db, &topic)
        .await
        .map(|left| now.saturating_add(i64::try_from(left.as_millis()).unwrap_or(i64::MAX)));
    let refused = match current {
        None => conditions.xx || conditions.gt,
        Some(current) => conditions.nx || (conditions.gt && when <= current) || (conditions.lt && when >= current),
    };
    if refused {
        return Ok(Reply::Integer(0));
    }
    if when <= now {
        keyspace::delete(db, &topic).await;
        return Ok(Reply::Integer(1));
    }
    let ttl = Duration::from_millis(u64::try_from(when - now).unwrap_or(u64::MAX));
    let set = bus_core::Backend::expire_topic(db, &topic, ttl).await?;
    Ok(Reply::Integer(i64::from(set)))
}
