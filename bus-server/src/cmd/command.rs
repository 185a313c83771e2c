//! `COMMAND`, `COMMAND COUNT`, `COMMAND INFO [name …]`, `COMMAND DOCS [name …]`: the command table as clients
//! read it at connect time (redis-py, node-redis and redis-rs use the names, arities, flags and key positions;
//! cluster clients the key specs). The table is this server's, so COUNT counts its commands, not Redis's 240.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpec, Lock, doc, find, handler, table};
use crate::resp::Reply;

const CONNECTION: &[&str] = &["@slow", "@connection"];
const FLAGS: &[&str] = &["loading", "stale"];
const ORDER: &[&str] = &["nondeterministic_output_order"];

pub(crate) const SPEC: CommandSpec = CommandSpec {
    subcommands: &[
        CommandSpec::new(
            "count",
            2,
            FLAGS,
            CONNECTION,
            doc("Counts the commands.", "2.8.13", "server", "O(1)"),
            handler!(count),
        )
        .lock(Lock::None),
        CommandSpec::new(
            "info",
            -2,
            FLAGS,
            CONNECTION,
            doc(
                "Describes commands.",
                "2.8.13",
                "server",
                "O(N) where N is the number of commands to look up",
            ),
            handler!(info),
        )
        .tips(ORDER)
        .lock(Lock::None),
        CommandSpec::new(
            "docs",
            -2,
            FLAGS,
            CONNECTION,
            doc(
                "Documents commands.",
                "7.0.0",
                "server",
                "O(N) where N is the number of commands to look up",
            ),
            handler!(docs),
        )
        .tips(ORDER)
        .lock(Lock::None),
    ],
    ..CommandSpec::new(
        "command",
        -1,
        FLAGS,
        CONNECTION,
        doc(
            "Describes every command.",
            "2.8.13",
            "server",
            "O(N) where N is the total number of Redis commands",
        ),
        handler!(all),
    )
    .tips(ORDER)
    .lock(Lock::None)
};

async fn all(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Array(
        table(client.shared.extensions())
            .map(|spec| describe(spec, None))
            .collect(),
    ))
}

async fn count(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    let count = table(client.shared.extensions()).count();
    Ok(Reply::Integer(i64::try_from(count).unwrap_or(i64::MAX)))
}

/// A command by name, subcommands as `container|sub` (a disabled extension is no command).
fn by_full_name(client: &Client, name: &[u8]) -> Option<(&'static CommandSpec, Option<&'static str>)> {
    let base = name.split(|&b| b == b'|').next().unwrap_or_default();
    if crate::cmd::clock::is_clock_command(base) && !client.shared.extensions() {
        return None;
    }
    match name.iter().position(|&b| b == b'|') {
        Some(bar) => {
            let container = find(&name[..bar])?;
            Some((container.subcommand(&name[bar + 1..])?, Some(container.name)))
        }
        None => find(name).map(|spec| (spec, None)),
    }
}

async fn info(client: &mut Client, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        return all(client, args).await;
    }
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|name| by_full_name(client, name).map_or(Reply::Null, |(spec, container)| describe(spec, container)))
            .collect(),
    ))
}

async fn docs(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let specs: Vec<(&'static CommandSpec, Option<&'static str>)> = if args.len() == 2 {
        table(client.shared.extensions()).map(|spec| (spec, None)).collect()
    } else {
        args[2..].iter().filter_map(|name| by_full_name(client, name)).collect()
    };
    Ok(Reply::Map(
        specs
            .into_iter()
            .map(|(spec, container)| (Reply::bulk(qualified(spec, container)), document(spec)))
            .collect(),
    ))
}

fn qualified(spec: &CommandSpec, container: Option<&str>) -> String {
    match container {
        Some(container) => format!("{container}|{}", spec.name),
        None => spec.name.to_owned(),
    }
}

fn simple_set(items: &[&'static str]) -> Reply {
    Reply::Set(items.iter().map(|item| Reply::simple(item)).collect())
}

/// One command as `COMMAND INFO` describes it: name, arity, flags, first/last key and step, ACL categories,
/// tips, key specs, subcommands.
fn describe(spec: &'static CommandSpec, container: Option<&str>) -> Reply {
    let (first, last, step) = spec.keys;
    Reply::Array(vec![
        Reply::bulk(qualified(spec, container)),
        Reply::Integer(i64::from(spec.arity)),
        simple_set(spec.flags),
        Reply::Integer(first),
        Reply::Integer(last),
        Reply::Integer(step),
        simple_set(spec.acl),
        Reply::Set(spec.tips.iter().map(|tip| Reply::bulk(*tip)).collect()),
        Reply::Set(spec.key_specs.iter().map(key_spec).collect()),
        // Redis answers "no subcommands" with an empty set, and subcommands with an array.
        if spec.subcommands.is_empty() {
            Reply::Set(Vec::new())
        } else {
            Reply::Array(
                spec.subcommands
                    .iter()
                    .map(|sub| describe(sub, Some(spec.name)))
                    .collect(),
            )
        },
    ])
}

fn pair(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

fn key_spec(spec: &KeySpec) -> Reply {
    let mut fields = Vec::with_capacity(4);
    if let Some(notes) = spec.notes {
        fields.push(pair("notes", Reply::bulk(notes)));
    }
    fields.push(pair("flags", simple_set(spec.flags)));
    let begin = match spec.begin {
        BeginSearch::Index(index) => vec![
            pair("type", Reply::bulk("index")),
            pair("spec", Reply::Map(vec![pair("index", Reply::Integer(index))])),
        ],
        BeginSearch::Keyword { keyword, start_from } => vec![
            pair("type", Reply::bulk("keyword")),
            pair(
                "spec",
                Reply::Map(vec![
                    pair("keyword", Reply::bulk(keyword)),
                    pair("startfrom", Reply::Integer(start_from)),
                ]),
            ),
        ],
    };
    fields.push(pair("begin_search", Reply::Map(begin)));
    let FindKeys::Range {
        last_key,
        key_step,
        limit,
    } = spec.find;
    fields.push(pair(
        "find_keys",
        Reply::Map(vec![
            pair("type", Reply::bulk("range")),
            pair(
                "spec",
                Reply::Map(vec![
                    pair("lastkey", Reply::Integer(last_key)),
                    pair("keystep", Reply::Integer(key_step)),
                    pair("limit", Reply::Integer(limit)),
                ]),
            ),
        ]),
    ));
    Reply::Map(fields)
}

/// One command as `COMMAND DOCS` documents it (without Redis's argument trees).
fn document(spec: &'static CommandSpec) -> Reply {
    let doc = spec.doc;
    let mut fields = vec![
        pair("summary", Reply::bulk(doc.summary)),
        pair("since", Reply::bulk(doc.since)),
        pair("group", Reply::bulk(doc.group)),
        pair("complexity", Reply::bulk(doc.complexity)),
    ];
    if !spec.subcommands.is_empty() {
        let subs = spec
            .subcommands
            .iter()
            .map(|sub| (Reply::bulk(qualified(sub, Some(spec.name))), document(sub)))
            .collect();
        fields.push(pair("subcommands", Reply::Map(subs)));
    }
    Reply::Map(fields)
}
