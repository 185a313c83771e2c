//! `CONFIG GET pattern [pattern …]`, `CONFIG SET parameter value [parameter value …]`, `CONFIG RESETSTAT`,
//! `CONFIG HELP`: the parameters of `settings`, as Redis answers them.
//!
//! `stream-node-max-entries` and `stream-node-max-bytes` change the node layout of every database (bus-memory's
//! `set_node_layout`), from the next append on, as on Redis: approximate trims (`MAXLEN ~`, `MINID ~`, `LIMIT`)
//! and `XINFO STREAM FULL`'s nodes then follow Redis's node boundaries.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, Lock, doc, handler};
use crate::resp::Reply;
use crate::settings::Settings;

const ADMIN: &[&str] = &["@admin", "@slow", "@dangerous"];
const ADMIN_FLAGS: &[&str] = &["admin", "noscript", "loading", "stale"];
const ALL_NODES: &[&str] = &["request_policy:all_nodes", "response_policy:all_succeeded"];

pub(crate) const SPEC: CommandSpec = CommandSpec::container(
    "config",
    doc(
        "A container for server configuration commands.",
        "2.0.0",
        "server",
        "Depends on subcommand.",
    ),
    &[
        CommandSpec::new(
            "get",
            -3,
            ADMIN_FLAGS,
            ADMIN,
            doc(
                "Answers the values of parameters.",
                "2.0.0",
                "server",
                "O(N) when N is the number of configuration parameters provided",
            ),
            handler!(get),
        )
        .lock(Lock::None),
        CommandSpec::new(
            "set",
            -4,
            ADMIN_FLAGS,
            ADMIN,
            doc(
                "Sets parameters.",
                "2.0.0",
                "server",
                "O(N) when N is the number of configuration parameters provided",
            ),
            handler!(set),
        )
        .tips(ALL_NODES)
        .lock(Lock::None),
        CommandSpec::new(
            "resetstat",
            2,
            ADMIN_FLAGS,
            ADMIN,
            doc("Resets the statistics.", "2.0.0", "server", "O(1)"),
            handler!(resetstat),
        )
        .lock(Lock::None),
        CommandSpec::new(
            "help",
            2,
            &["loading", "stale"],
            &["@slow"],
            doc("Lists the subcommands.", "5.0.0", "server", "O(1)"),
            handler!(help),
        )
        .lock(Lock::None),
    ],
);

async fn get(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let patterns: Vec<&[u8]> = args[2..].iter().map(|pattern| pattern.as_ref()).collect();
    Ok(Reply::Map(
        client
            .shared
            .settings
            .matching(&patterns)
            .into_iter()
            .map(|(name, value)| (Reply::bulk(name), Reply::bulk(value)))
            .collect(),
    ))
}

async fn set(client: &mut Client, args: &[Bytes]) -> CmdResult {
    if !args.len().is_multiple_of(2) {
        return Err(crate::command::syntax_error());
    }
    let pairs: Vec<(&[u8], &[u8])> = args[2..]
        .chunks_exact(2)
        .map(|pair| (pair[0].as_ref(), pair[1].as_ref()))
        .collect();
    client
        .shared
        .settings
        .set(&pairs)
        .map_err(|message| Reply::error(format!("ERR {message}")))?;
    if pairs.iter().any(|(name, _)| Settings::is_node_layout(name)) {
        // The values were checked within 0..=i64::MAX, which every layout accepts.
        client.shared.apply_node_layout()?;
    }
    Ok(Reply::ok())
}

async fn resetstat(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    client.shared.stats.reset();
    Ok(Reply::ok())
}

async fn help(_client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Array(
        [
            "CONFIG <subcommand> [<arg> ...]: the subcommands of this server are:",
            "GET <pattern> [<pattern> ...] -- the parameters matching the glob patterns, with their values.",
            "SET <parameter> <value> [<parameter> <value> ...] -- sets parameters, all or none.",
            "RESETSTAT -- zeroes the counters of INFO stats.",
            "HELP -- this list.",
        ]
        .into_iter()
        .map(Reply::simple)
        .collect(),
    ))
}
