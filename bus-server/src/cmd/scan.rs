//! `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`: iterates the keys of the selected database.
//!
//! Redis's cursor walks its hash table; here keys are ordered by a fixed 64-bit hash of their name and the
//! cursor is the hash to resume at, so a key present during the whole iteration is returned (keys sharing a
//! hash are returned together), one created or deleted meanwhile may or may not be, as Redis guarantees. COUNT
//! bounds the keys visited per call (MATCH and TYPE filter them afterwards, so a call may return fewer).

use std::hash::{DefaultHasher, Hash, Hasher};

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler, integer, is, syntax_error};
use crate::glob;
use crate::resp::{Reply, parse_cursor};

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "scan",
    -2,
    &["readonly"],
    &["@keyspace", "@read", "@slow"],
    doc("Iterates over the keys of the database.", "2.8.0", "generic", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."),
    handler!(run),
)
.tips(&["nondeterministic_output", "request_policy:special"]);

/// A key's place in the iteration (never 0, which ends it).
fn position(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish().max(1)
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[1]).ok_or_else(|| Reply::error("ERR invalid cursor"))?;
    let (mut count, mut pattern, mut kind) = (10usize, None, None);
    let mut options = args[2..].iter();
    while let Some(option) = options.next() {
        let value = options.as_slice().first();
        match value {
            Some(value) if is(option, "COUNT") => {
                let wanted = integer(value)?;
                count = usize::try_from(wanted)
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(syntax_error)?;
            }
            Some(value) if is(option, "MATCH") => pattern = Some(value.clone()),
            Some(value) if is(option, "TYPE") => kind = Some(value.clone()),
            _ => return Err(syntax_error()),
        }
        options.next();
    }
    let mut keys: Vec<(u64, String)> = client
        .db()
        .topics()
        .into_iter()
        .map(|topic| (position(topic.as_str()), topic.as_str().to_owned()))
        .filter(|(at, _)| *at >= cursor)
        .collect();
    keys.sort_unstable();
    let mut batch = Vec::new();
    let mut next = 0;
    for (at, key) in keys {
        if batch.len() >= count && batch.last().is_some_and(|(last, _)| *last != at) {
            next = at;
            break;
        }
        batch.push((at, key));
    }
    let listed = batch
        .into_iter()
        .map(|(_, key)| key)
        .filter(|key| pattern.as_ref().is_none_or(|p| glob::matches(p, key.as_bytes(), false)))
        .filter(|_| kind.as_ref().is_none_or(|kind| kind.eq_ignore_ascii_case(b"stream")));
    Ok(Reply::Array(vec![
        Reply::bulk(next.to_string()),
        Reply::bulks(listed.map(Bytes::from)),
    ]))
}
