//! `XDEL key id [id …]`: deletes entries by id. As in Redis, a missing key answers 0 before the ids are
//! parsed; otherwise every id is checked before any is deleted.

use bus_core::Backend;
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{stream_key, strict_id};
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xdel",
    -3,
    &["write", "fast"],
    &["@write", "@stream", "@fast"],
    doc(
        "Deletes entries of a stream.",
        "5.0.0",
        "stream",
        "O(1) for each single item to delete in the stream, regardless of the stream size.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "delete"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let db = client.db();
    let Some(topic) = stream_key(db, &args[1])? else {
        return Ok(Reply::Integer(0));
    };
    let ids = args[2..]
        .iter()
        .map(|id| strict_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = db.delete(&topic, &ids).await?;
    Ok(Reply::Integer(i64::try_from(deleted).unwrap_or(i64::MAX)))
}
