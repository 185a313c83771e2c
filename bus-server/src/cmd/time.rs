//! `TIME`: the server's time as `[unix-seconds, microseconds]`. It reads the databases' clock, so with the
//! controllable clock it answers the controlled time (a client computing EXPIREAT deadlines from TIME stays
//! consistent with TTL); the clock counts milliseconds, so the microseconds are a multiple of 1000.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, Lock, doc, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "time",
    1,
    &["loading", "stale", "fast"],
    &["@fast"],
    doc("Answers the server's time.", "2.6.0", "server", "O(1)"),
    handler!(run),
)
.tips(&["nondeterministic_output"])
.lock(Lock::None);

async fn run(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    let ms = client.shared.clock.now_ms();
    Ok(Reply::Array(vec![
        Reply::bulk((ms / 1000).to_string()),
        Reply::bulk((ms % 1000 * 1000).to_string()),
    ]))
}
