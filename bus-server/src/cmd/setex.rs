//! `SETEX key seconds value` and `PSETEX key milliseconds value`: SET with EX or PX, with their own command
//! name in the expire-time error. Like SET they replace a key of any type.

use bus_memory::{SetExpiry, SetOptions};
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::set::{Unit, deadline};
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, topic};
use crate::resp::Reply;

const FLAGS: &[&str] = &["write", "denyoom"];
const ACL: &[&str] = &["@write", "@string", "@slow"];
const KEYS: &[KeySpec] = &[KeySpec::first(&["OW", "update"])];

pub(crate) const SETEX: CommandSpec = CommandSpec::new(
    "setex",
    4,
    FLAGS,
    ACL,
    doc(
        "Sets a string with a time to live in seconds.",
        "2.0.0",
        "string",
        "O(1)",
    ),
    handler!(setex),
)
.keys((1, 1, 1), KEYS);

pub(crate) const PSETEX: CommandSpec = CommandSpec::new(
    "psetex",
    4,
    FLAGS,
    ACL,
    doc(
        "Sets a string with a time to live in milliseconds.",
        "2.6.0",
        "string",
        "O(1)",
    ),
    handler!(psetex),
)
.keys((1, 1, 1), KEYS);

async fn setex(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_expiring(client, args, Unit::Seconds, "setex")
}

async fn psetex(client: &mut Client, args: &[Bytes]) -> CmdResult {
    set_expiring(client, args, Unit::Millis, "psetex")
}

fn set_expiring(client: &Client, args: &[Bytes], unit: Unit, name: &str) -> CmdResult {
    let at = deadline(client, unit, &args[2], name)?;
    let key = topic(&args[1])?;
    let options = SetOptions {
        expiry: SetExpiry::At(at),
        ..SetOptions::new()
    };
    client.db().set(&key, args[3].clone(), &options)?;
    Ok(Reply::ok())
}
