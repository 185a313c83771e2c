//! `SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-seconds|PXAT unix-milliseconds|KEEPTTL]`:
//! writes a string, replacing a key of any type (a stream's blocked group readers are released with
//! `UNBLOCKED`). Options are parsed as Redis 7.0's `parseExtendedStringArgumentsOrReply` parses them (a repeated
//! option is allowed, the last amount wins; conflicting ones are a syntax error), then the amount is checked,
//! then GET answers the old value (WRONGTYPE on another type, nothing written).

use bus_memory::{SetCondition, SetExpiry, SetOptions};
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, integer, is, syntax_error, topic};
use crate::keyspace;
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "set",
    -3,
    &["write", "denyoom"],
    &["@write", "@string", "@slow"],
    doc(
        "Sets the string value of a key, with options.",
        "1.0.0",
        "string",
        "O(1)",
    ),
    handler!(run),
)
.keys(
    (1, 1, 1),
    &[KeySpec::first(&["RW", "access", "update", "variable_flags"])
        .noted("RW and ACCESS due to the optional `GET` argument")],
);

/// Which expiry option was given, with its amount.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Seconds,
    Millis,
    UnixSeconds,
    UnixMillis,
}

struct Parsed<'a> {
    options: SetOptions,
    expiry: Option<(Unit, &'a Bytes)>,
}

fn parse(args: &[Bytes]) -> Result<Parsed<'_>, Reply> {
    let mut options = SetOptions::new();
    let mut expiry: Option<(Unit, &Bytes)> = None;
    let mut keep_ttl = false;
    let mut i = 3;
    while i < args.len() {
        let option = &args[i];
        let next = args.get(i + 1);
        let unit = [
            ("EX", Unit::Seconds),
            ("PX", Unit::Millis),
            ("EXAT", Unit::UnixSeconds),
            ("PXAT", Unit::UnixMillis),
        ]
        .into_iter()
        .find(|(name, _)| is(option, name))
        .map(|(_, unit)| unit);
        if is(option, "NX") && options.condition != SetCondition::IfExists {
            options.condition = SetCondition::IfMissing;
        } else if is(option, "XX") && options.condition != SetCondition::IfMissing {
            options.condition = SetCondition::IfExists;
        } else if is(option, "GET") {
            options.get = true;
        } else if is(option, "KEEPTTL") && expiry.is_none() {
            keep_ttl = true;
        } else if let (Some(unit), Some(amount)) = (unit, next)
            && !keep_ttl
            && expiry.is_none_or(|(given, _)| given == unit)
        {
            expiry = Some((unit, amount));
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if keep_ttl {
        options.expiry = SetExpiry::Keep;
    }
    Ok(Parsed { options, expiry })
}

/// Redis's `getExpireMillisecondsOrReply` for command `name`: a positive amount, made absolute, that does not
/// overflow.
pub(crate) fn deadline(client: &Client, unit: Unit, amount: &[u8], name: &str) -> Result<u64, Reply> {
    let invalid = || Reply::error(format!("ERR invalid expire time in '{name}' command"));
    let amount = integer(amount)?;
    if amount <= 0 {
        return Err(invalid());
    }
    let ms = match unit {
        Unit::Seconds | Unit::UnixSeconds => amount.checked_mul(1000).ok_or_else(invalid)?,
        Unit::Millis | Unit::UnixMillis => amount,
    };
    let ms = match unit {
        Unit::Seconds | Unit::Millis => {
            let now = i64::try_from(client.shared.clock.now_ms()).unwrap_or(i64::MAX);
            ms.checked_add(now).ok_or_else(invalid)?
        }
        Unit::UnixSeconds | Unit::UnixMillis => ms,
    };
    u64::try_from(ms).map_err(|_| invalid())
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let Parsed { mut options, expiry } = parse(args)?;
    if let Some((unit, amount)) = expiry {
        options.expiry = SetExpiry::At(deadline(client, unit, amount, "set")?);
    }
    let key = topic(&args[1])?;
    let reply = client.db().set(&key, args[2].clone(), &options)?;
    Ok(match (options.get, reply.written) {
        (true, _) => keyspace::bulk_or_null(reply.old),
        (false, true) => Reply::ok(),
        (false, false) => Reply::Null,
    })
}
