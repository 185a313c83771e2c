//! `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value …]`:
//! appends an entry, parsing the options in Redis's order (trim options, then the id, then the arity of the
//! fields, then the 0-0 id).

use bus_core::{AppendOptions, Backend, Fields};
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{id_reply, parse_add_or_trim};
use crate::command::{CmdResult, CommandSpec, KeySpec, arity_error, doc, existing_topic, handler, topic};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xadd",
    -5,
    &["write", "denyoom", "fast"],
    &["@write", "@stream", "@fast"],
    doc(
        "Appends an entry to a stream.",
        "5.0.0",
        "stream",
        "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
    ),
    handler!(run),
)
.keys(
    (1, 1, 1),
    &[KeySpec::first(&["RW", "update"]).noted("UPDATE instead of INSERT because of the optional trimming feature")],
)
.tips(&["nondeterministic_output"]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let parsed = parse_add_or_trim(args, true)?;
    let fields = &args[parsed.id_index + 1..];
    if fields.len() < 2 || !fields.len().is_multiple_of(2) {
        return Err(arity_error("xadd"));
    }
    let mut options = AppendOptions::new().id(parsed.id);
    if parsed.no_mkstream {
        options = options.no_mkstream();
    }
    if let Some(trim) = parsed.trim {
        options = options.trim(trim);
    }
    // The 0-0 check comes before the key is looked up.
    options.validate()?;
    let topic = if parsed.no_mkstream {
        match existing_topic(&args[1]) {
            Some(topic) => topic,
            None => return Ok(Reply::Null),
        }
    } else {
        topic(&args[1])?
    };
    let fields = Fields::from_pairs(fields.chunks_exact(2).map(|pair| (pair[0].clone(), pair[1].clone())));
    match client.db().append(&topic, fields, &options).await? {
        Some(id) => Ok(id_reply(id)),
        None => Ok(Reply::Null),
    }
}
