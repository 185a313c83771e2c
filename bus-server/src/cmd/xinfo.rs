//! `XINFO STREAM key [FULL [COUNT count]]`, `XINFO GROUPS key`, `XINFO CONSUMERS key group`, `XINFO HELP`: what
//! a stream holds, its groups, a group's consumers. Maps in RESP3, flat arrays in RESP2, as Redis.
//!
//! Redis's order: the key (`ERR no such key`, WRONGTYPE), then the subcommand's own checks (STREAM: 0, 1 or 3
//! options, `FULL` then `COUNT n`, else the subcommand syntax error; a negative COUNT means 10, 0 means all).
//! Counters Redis keeps signed are replied as Redis does: `entries-added` past `i64::MAX` shows negative, and
//! entries-read and lag are bus-core's signed values (negative lag after an ENTRIESREAD above the entries
//! added, entries-read wrapped past `i64::MAX`).

use bus_core::{Backend, ConsumerInfo, Entry, EntryId, GroupInfo, Topic};
use bus_memory::{ConsumerFullInfo, GroupFullInfo, MemoryBackend, StreamFullInfo};
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{
    count_reply, entries_reply, entry_reply, help_subcommand, id_reply, name, no_such_group, stream_key,
};
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, help_reply, integer, is, subcommand_syntax_error};
use crate::resp::Reply;

const KEYS: &[KeySpec] = &[KeySpec::at(2, &["RO", "access"])];
const ACL: &[&str] = &["@read", "@stream", "@slow"];

const fn sub(
    name: &'static str,
    arity: i32,
    summary: &'static str,
    complexity: &'static str,
    run: crate::command::Handler,
) -> CommandSpec {
    CommandSpec::new(
        name,
        arity,
        &["readonly"],
        ACL,
        doc(summary, "5.0.0", "stream", complexity),
        run,
    )
    .keys((2, 2, 1), KEYS)
}

pub(crate) const SPEC: CommandSpec = CommandSpec::container(
    "xinfo",
    doc(
        "A container for stream introspection commands",
        "5.0.0",
        "stream",
        "Depends on subcommand.",
    ),
    &[
        sub("stream", -3, "Get information about a stream", "O(1)", handler!(stream)),
        help_subcommand(handler!(help)),
        sub(
            "groups",
            3,
            "List the consumer groups of a stream",
            "O(1)",
            handler!(groups),
        ),
        sub(
            "consumers",
            4,
            "List the consumers in a consumer group",
            "O(1)",
            handler!(consumers),
        )
        .tips(&["nondeterministic_output"]),
    ],
);

/// Redis's help text for XINFO (its reply, word for word).
const HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

async fn help(_client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(help_reply(args, HELP))
}

/// The stream at argument 2, or `ERR no such key`.
fn existing(db: &MemoryBackend, args: &[Bytes]) -> Result<Topic, Reply> {
    stream_key(db, &args[2])?.ok_or_else(|| Reply::error("ERR no such key"))
}

fn field(name: &'static str) -> Reply {
    Reply::bulk(Bytes::from_static(name.as_bytes()))
}

/// A counter Redis keeps unsigned but replies signed (the same 64 bits).
fn wrapped(value: u64) -> Reply {
    Reply::Integer(i64::from_ne_bytes(value.to_ne_bytes()))
}

fn optional(value: Option<i64>) -> Reply {
    value.map_or(Reply::Null, Reply::Integer)
}

fn millis(duration: std::time::Duration) -> Reply {
    Reply::Integer(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
}

async fn groups(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let db = client.db();
    let topic = existing(db, args)?;
    let groups = db.groups_info(&topic).await?;
    Ok(Reply::Array(groups.iter().map(group_reply).collect()))
}

fn group_reply(group: &GroupInfo) -> Reply {
    Reply::Map(vec![
        (field("name"), Reply::bulk(group.name.clone())),
        (field("consumers"), count_reply(group.consumers)),
        (field("pending"), count_reply(group.pending)),
        (field("last-delivered-id"), id_reply(group.last_delivered_id)),
        (field("entries-read"), optional(group.entries_read)),
        (field("lag"), optional(group.lag)),
    ])
}

async fn consumers(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let db = client.db();
    let topic = existing(db, args)?;
    let group = &args[3];
    if !crate::cmd::stream_args::has_group(db, &topic, group).await? {
        return Err(no_such_group(&args[2], group));
    }
    let consumers = db.consumers_info(&topic, &name(group)).await?;
    Ok(Reply::Array(consumers.iter().map(consumer_reply).collect()))
}

fn consumer_reply(consumer: &ConsumerInfo) -> Reply {
    Reply::Map(vec![
        (field("name"), Reply::bulk(consumer.name.clone())),
        (field("pending"), count_reply(consumer.pending)),
        (field("idle"), millis(consumer.idle)),
    ])
}

/// STREAM's options: `None` for the summary, `Some(count)` for FULL.
fn full_count(args: &[Bytes]) -> Result<Option<u64>, Reply> {
    let options = &args[3..];
    match options.len() {
        0 => return Ok(None),
        1 | 3 if is(&options[0], "FULL") => {}
        _ => return Err(subcommand_syntax_error(args)),
    }
    let Some(count) = options.get(2) else {
        return Ok(Some(10));
    };
    if !is(&options[1], "COUNT") {
        return Err(subcommand_syntax_error(args));
    }
    Ok(Some(u64::try_from(integer(count)?).unwrap_or(10)))
}

async fn stream(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let db = client.db();
    let topic = existing(db, args)?;
    match full_count(args)? {
        Some(count) => Ok(full_reply(db.stream_info_full(&topic, count)?)),
        None => {
            let (info, storage) = db.stream_info_with_storage(&topic)?;
            let entry = |entry: &Option<Entry>| entry.as_ref().map_or(Reply::Null, entry_reply);
            Ok(Reply::Map(vec![
                (field("length"), count_reply(info.length)),
                (field("radix-tree-keys"), count_reply(storage.radix_tree_keys)),
                (field("radix-tree-nodes"), count_reply(storage.radix_tree_nodes)),
                (field("last-generated-id"), id_reply(info.last_generated_id)),
                (field("max-deleted-entry-id"), id_reply(info.max_deleted_entry_id)),
                (field("entries-added"), wrapped(info.entries_added)),
                (
                    field("recorded-first-entry-id"),
                    id_reply(storage.recorded_first_entry_id),
                ),
                (field("groups"), count_reply(info.groups)),
                (field("first-entry"), entry(&info.first_entry)),
                (field("last-entry"), entry(&info.last_entry)),
            ]))
        }
    }
}

fn full_reply(info: StreamFullInfo) -> Reply {
    Reply::Map(vec![
        (field("length"), count_reply(info.length)),
        (field("radix-tree-keys"), count_reply(info.storage.radix_tree_keys)),
        (field("radix-tree-nodes"), count_reply(info.storage.radix_tree_nodes)),
        (field("last-generated-id"), id_reply(info.last_generated_id)),
        (field("max-deleted-entry-id"), id_reply(info.max_deleted_entry_id)),
        (field("entries-added"), wrapped(info.entries_added)),
        (
            field("recorded-first-entry-id"),
            id_reply(info.storage.recorded_first_entry_id),
        ),
        (field("entries"), entries_reply(&info.entries)),
        (
            field("groups"),
            Reply::Array(info.groups.iter().map(full_group_reply).collect()),
        ),
    ])
}

fn pending_reply(id: EntryId, consumer: Option<&str>, delivery_time: u64, delivery_count: u64) -> Reply {
    let mut items = vec![id_reply(id)];
    if let Some(consumer) = consumer {
        items.push(Reply::bulk(consumer.to_owned()));
    }
    items.push(count_reply(delivery_time));
    items.push(count_reply(delivery_count));
    Reply::Array(items)
}

fn full_group_reply(group: &GroupFullInfo) -> Reply {
    let pending = group
        .pending
        .iter()
        .map(|p| pending_reply(p.id, Some(&p.consumer), p.delivery_time, p.delivery_count))
        .collect();
    Reply::Map(vec![
        (field("name"), Reply::bulk(group.name.clone())),
        (field("last-delivered-id"), id_reply(group.last_delivered_id)),
        (field("entries-read"), optional(group.entries_read)),
        (field("lag"), optional(group.lag)),
        (field("pel-count"), count_reply(group.pel_count)),
        (field("pending"), Reply::Array(pending)),
        (
            field("consumers"),
            Reply::Array(group.consumers.iter().map(full_consumer_reply).collect()),
        ),
    ])
}

fn full_consumer_reply(consumer: &ConsumerFullInfo) -> Reply {
    let pending = consumer
        .pending
        .iter()
        .map(|p| pending_reply(p.id, None, p.delivery_time, p.delivery_count))
        .collect();
    Reply::Map(vec![
        (field("name"), Reply::bulk(consumer.name.clone())),
        (field("seen-time"), count_reply(consumer.seen_time)),
        (field("pel-count"), count_reply(consumer.pel_count)),
        (field("pending"), Reply::Array(pending)),
    ])
}
