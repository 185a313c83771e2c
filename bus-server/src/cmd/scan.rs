//! `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`: iterates the keys of the selected database.
//!
//! Redis's cursor walks its hash table; bus-memory's ([`MemoryBackend::scan`](bus_memory::MemoryBackend::scan))
//! orders keys by a hash of their name fixed for the server's life and resumes at the cursor's hash, so a key
//! present during the whole iteration is returned exactly once, one created or deleted meanwhile may or may
//! not be, as Redis guarantees. COUNT bounds the keys visited per call (MATCH and TYPE filter them afterwards,
//! so a call may return fewer, even none before the end). A TYPE that names no type matches no key, as in
//! Redis 7.0.

use bus_memory::ScanOptions;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler, integer, is, syntax_error};
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

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[1]).ok_or_else(|| Reply::error("ERR invalid cursor"))?;
    let mut scan = ScanOptions::new();
    let mut options = args[2..].iter();
    while let Some(option) = options.next() {
        let value = options.as_slice().first();
        match value {
            Some(value) if is(option, "COUNT") => {
                let wanted = integer(value)?;
                scan.count = usize::try_from(wanted)
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(syntax_error)?;
            }
            Some(value) if is(option, "MATCH") => scan.pattern = Some(value.to_vec()),
            Some(value) if is(option, "TYPE") => scan.type_name = Some(String::from_utf8_lossy(value).into_owned()),
            _ => return Err(syntax_error()),
        }
        options.next();
    }
    let page = client.db().scan(cursor, &scan);
    Ok(Reply::Array(vec![
        Reply::bulk(page.cursor.to_string()),
        Reply::bulks(
            page.keys
                .into_iter()
                .map(|key| Bytes::copy_from_slice(key.as_str().as_bytes())),
        ),
    ]))
}
