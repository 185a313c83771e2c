//! `SELECT index`: switches the connection to database 0 to 15.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler, integer};
use crate::resp::Reply;
use crate::shared::DATABASES;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "select",
    2,
    &["loading", "stale", "fast"],
    &["@fast", "@connection"],
    doc("Changes the selected database.", "1.0.0", "connection", "O(1)"),
    handler!(run),
);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    // Redis parses an `int`: a value outside it is "not an integer", one inside it but not a database is
    // out of range.
    let index = integer(&args[1])?;
    if i32::try_from(index).is_err() {
        return Err(Reply::error(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    let index = usize::try_from(index)
        .ok()
        .filter(|&index| index < DATABASES)
        .ok_or_else(|| Reply::error("ERR DB index is out of range"))?;
    client.db = index;
    client.handle.update(|meta| meta.db = index);
    Ok(Reply::ok())
}
