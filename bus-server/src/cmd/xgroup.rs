//! `XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP`: the consumer groups of a stream and their
//! consumers.
//!
//! Every subcommand runs Redis 7.0's one `xgroupCommand`, so the checks come in its order whatever the
//! subcommand: the options after argument 4 (`MKSTREAM` for CREATE, `ENTRIESREAD n` for CREATE and SETID;
//! anything else is the subcommand syntax error), the key (WRONGTYPE; missing, unless MKSTREAM: the "requires
//! the key to exist" error), the group (NOGROUP for SETID, CREATECONSUMER and DELCONSUMER), the number of
//! arguments of the subcommand, then the id.

use bus_core::{Backend, GroupCreateOptions, GroupStart, Topic};
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{
    count_reply, has_group, help_subcommand, name, no_such_group, stream_key, strict_id, utf8,
};
use crate::command::{
    CmdResult, CommandSpec, KeySpec, doc, handler, help_reply, integer, is, subcommand_syntax_error, topic,
};
use crate::resp::Reply;

const KEYS_INSERT: &[KeySpec] = &[KeySpec::at(2, &["RW", "insert"])];
const KEYS_UPDATE: &[KeySpec] = &[KeySpec::at(2, &["RW", "update"])];
const KEYS_DELETE: &[KeySpec] = &[KeySpec::at(2, &["RW", "delete"])];
const ACL: &[&str] = &["@write", "@stream", "@slow"];

const fn sub(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    keys: &'static [KeySpec],
    summary: &'static str,
    since: &'static str,
    complexity: &'static str,
) -> CommandSpec {
    CommandSpec::new(
        name,
        arity,
        flags,
        ACL,
        doc(summary, since, "stream", complexity),
        handler!(run),
    )
    .keys((2, 2, 1), keys)
}

pub(crate) const SPEC: CommandSpec = CommandSpec::container(
    "xgroup",
    doc(
        "A container for consumer groups commands",
        "5.0.0",
        "stream",
        "Depends on subcommand.",
    ),
    &[
        sub(
            "createconsumer",
            5,
            &["write", "denyoom"],
            KEYS_INSERT,
            "Create a consumer in a consumer group.",
            "6.2.0",
            "O(1)",
        ),
        sub(
            "create",
            -5,
            &["write", "denyoom"],
            KEYS_INSERT,
            "Create a consumer group.",
            "5.0.0",
            "O(1)",
        ),
        sub(
            "delconsumer",
            5,
            &["write"],
            KEYS_DELETE,
            "Delete a consumer from a consumer group.",
            "5.0.0",
            "O(1)",
        ),
        help_subcommand(handler!(help)),
        sub(
            "destroy",
            4,
            &["write"],
            KEYS_DELETE,
            "Destroy a consumer group.",
            "5.0.0",
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        ),
        sub(
            "setid",
            -5,
            &["write"],
            KEYS_UPDATE,
            "Set a consumer group to an arbitrary last delivered ID value.",
            "5.0.0",
            "O(1)",
        ),
    ],
);

/// Redis's help text for XGROUP (its reply, word for word).
const HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

async fn help(_client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(help_reply(args, HELP))
}

/// The options after the id: MKSTREAM and the entries-read counter (`None`: unknown, Redis's -1).
fn options(args: &[Bytes], create: bool, setid: bool) -> Result<(bool, Option<u64>), Reply> {
    let (mut mkstream, mut entries_read) = (false, None);
    let mut i = 5;
    while i < args.len() {
        if create && is(&args[i], "MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(&args[i], "ENTRIESREAD") && i + 1 < args.len() {
            let value = integer(&args[i + 1])?;
            entries_read = match value {
                -1 => None,
                n => Some(
                    u64::try_from(n).map_err(|_| Reply::error("ERR value for ENTRIESREAD must be positive or -1"))?,
                ),
            };
            i += 2;
        } else {
            return Err(subcommand_syntax_error(args));
        }
    }
    Ok((mkstream, entries_read))
}

const KEY_REQUIRED: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to \
     use the MKSTREAM option to create an empty stream automatically.";

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    let (create, setid) = (is(sub, "CREATE"), is(sub, "SETID"));
    let (mkstream, entries_read) = options(args, create, setid)?;
    let db = client.db();
    let (key, group) = (&args[2], &args[3]);
    let stream = stream_key(db, key)?;
    let group_name = name(group);
    let mut group_exists = false;
    if !mkstream {
        let Some(topic) = &stream else {
            return Err(Reply::error(KEY_REQUIRED));
        };
        group_exists = has_group(db, topic, group).await?;
        if !group_exists && (setid || is(sub, "CREATECONSUMER") || is(sub, "DELCONSUMER")) {
            return Err(no_such_group(key, group));
        }
    }
    let argc = args.len();
    if create && (5..=8).contains(&argc) {
        let start = if args[4].as_ref() == b"$" {
            GroupStart::Last
        } else {
            GroupStart::Id(strict_id(&args[4])?)
        };
        let topic = match stream {
            Some(topic) => topic,
            None => topic(key)?,
        };
        let mut options = GroupCreateOptions::new();
        if mkstream {
            options = options.mkstream();
        }
        if let Some(n) = entries_read {
            options = options.entries_read(n);
        }
        db.group_create(&topic, &group_name, start, &options).await?;
        return Ok(Reply::ok());
    }
    // Every other subcommand found the key and, but DESTROY, the group (MKSTREAM is CREATE's only).
    let Some(topic) = stream else {
        return Err(subcommand_syntax_error(args));
    };
    if setid && (argc == 5 || argc == 7) {
        let start = GroupStart::parse_setid(utf8(&args[4])?)?;
        db.group_set_id(&topic, &group_name, start, entries_read).await?;
        Ok(Reply::ok())
    } else if is(sub, "DESTROY") && argc == 4 {
        let destroyed = group_exists && db.group_destroy(&topic, &group_name).await?;
        Ok(Reply::Integer(i64::from(destroyed)))
    } else if is(sub, "CREATECONSUMER") && argc == 5 {
        let created = db.consumer_create(&topic, &group_name, &name(&args[4])).await?;
        Ok(Reply::Integer(i64::from(created)))
    } else if is(sub, "DELCONSUMER") && argc == 5 {
        delconsumer(db, &topic, &group_name, &args[4]).await
    } else {
        Err(subcommand_syntax_error(args))
    }
}

/// DELCONSUMER answers the pending entries the consumer owned, 0 for no such consumer.
async fn delconsumer(db: &bus_memory::MemoryBackend, topic: &Topic, group: &str, consumer: &[u8]) -> CmdResult {
    let consumer = name(consumer);
    let known = db
        .consumers_info(topic, group)
        .await?
        .iter()
        .any(|info| info.name == consumer);
    if !known {
        return Ok(Reply::Integer(0));
    }
    Ok(count_reply(db.consumer_delete(topic, group, &consumer).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|arg| Bytes::copy_from_slice(arg.as_bytes())).collect()
    }

    #[test]
    fn options_follow_redis() {
        let args = words(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM", "ENTRIESREAD", "-1"]);
        assert_eq!(options(&args, true, false), Ok((true, None)));
        let args = words(&["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "7"]);
        assert_eq!(options(&args, false, true), Ok((false, Some(7))));
        let args = words(&["XGROUP", "SETID", "s", "g", "$", "MKSTREAM"]);
        assert!(options(&args, false, true).is_err());
        let args = words(&["XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD", "-2"]);
        assert_eq!(
            options(&args, true, false),
            Err(Reply::error("ERR value for ENTRIESREAD must be positive or -1"))
        );
    }
}
