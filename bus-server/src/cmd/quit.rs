//! `QUIT`: `+OK`, then the server closes the connection (after writing the replies before it).

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, Lock, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "quit",
    -1,
    &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    &["@fast", "@connection"],
    doc("Closes the connection.", "1.0.0", "connection", "O(1)"),
    handler!(run),
)
.lock(Lock::None);

async fn run(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    client.close = true;
    Ok(Reply::ok())
}
