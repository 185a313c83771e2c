//! `DEL key [key …]` and `UNLINK key [key …]`: delete keys, answering how many existed. Blocked group readers
//! of a deleted stream are released with `UNBLOCKED`, as Redis releases them.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::keyspace;
use crate::resp::Reply;

const KEYS: &[KeySpec] = &[KeySpec::all(&["RM", "delete"])];
const TIPS: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];

pub(crate) const DEL: CommandSpec = CommandSpec::new(
    "del",
    -2,
    &["write"],
    &["@keyspace", "@write", "@slow"],
    doc(
        "Deletes keys.",
        "1.0.0",
        "generic",
        "O(N) where N is the number of keys that will be removed.",
    ),
    handler!(run),
)
.keys((1, -1, 1), KEYS)
.tips(TIPS);

pub(crate) const UNLINK: CommandSpec = CommandSpec::new(
    "unlink",
    -2,
    &["write", "fast"],
    &["@keyspace", "@write", "@fast"],
    doc(
        "Deletes keys (Redis frees their memory in the background).",
        "4.0.0",
        "generic",
        "O(1) for each key removed regardless of its size.",
    ),
    handler!(run),
)
.keys((1, -1, 1), KEYS)
.tips(TIPS);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let mut deleted = 0;
    for key in &args[1..] {
        if let Some(topic) = existing_topic(key)
            && keyspace::delete(client.db(), &topic).await
        {
            deleted += 1;
        }
    }
    Ok(Reply::Integer(deleted))
}
