//! `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`: removes the oldest entries. The options are parsed
//! (as XADD's) before the key is looked up; a missing key answers 0.

use bus_core::Backend;
use bytes::Bytes;

use crate::client::Client;
use crate::cmd::stream_args::parse_add_or_trim;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, existing_topic, handler};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "xtrim",
    -4,
    &["write"],
    &["@write", "@stream", "@slow"],
    doc("Removes the oldest entries of a stream.", "5.0.0", "stream", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation."),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RW", "delete"])])
.tips(&["nondeterministic_output"]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let parsed = parse_add_or_trim(args, false)?;
    let Some(trim) = parsed.trim else {
        return Err(crate::command::syntax_error());
    };
    let Some(topic) = existing_topic(&args[1]) else {
        return Ok(Reply::Integer(0));
    };
    let trimmed = client.db().trim(&topic, &trim).await?;
    Ok(Reply::Integer(i64::try_from(trimmed).unwrap_or(i64::MAX)))
}
