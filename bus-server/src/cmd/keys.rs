//! `KEYS pattern`: every key of the selected database, of any type, matching a glob pattern (listed sorted;
//! Redis's order is its hash table's).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "keys",
    2,
    &["readonly"],
    &["@keyspace", "@read", "@slow", "@dangerous"],
    doc("Lists the keys matching a pattern.", "1.0.0", "generic", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length."),
    handler!(run),
)
.tips(&["request_policy:all_shards", "nondeterministic_output_order"]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    Ok(Reply::bulks(
        client
            .db()
            .keys(&args[1])
            .into_iter()
            .map(|topic| Bytes::copy_from_slice(topic.as_str().as_bytes())),
    ))
}
