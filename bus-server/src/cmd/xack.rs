//! `XACK key group id [id …]`: acknowledges pending entries, answering how many were pending. As in Redis, a
//! missing key or group answers 0 before the ids are parsed (the typed API checks the ids first); otherwise
//! every id is checked before any is acknowledged.

use bus_core::Backend;
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::{count_reply, has_group, name, stream_key, strict_id};
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xack",
    -4,
    &["write", "fast"],
    &["@write", "@stream", "@fast"],
    doc(
        "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        "5.0.0",
        "stream",
        "O(1) for each message ID processed.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "update"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let db = client.db();
    let Some(topic) = stream_key(db, &args[1])? else {
        return Ok(Reply::Integer(0));
    };
    if !has_group(db, &topic, &args[2]).await? {
        return Ok(Reply::Integer(0));
    }
    let ids = args[3..]
        .iter()
        .map(|id| strict_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(count_reply(db.ack(&topic, &name(&args[2]), &ids).await?))
}
