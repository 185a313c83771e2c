//! `BUS.CLOCK NOW` and `BUS.CLOCK ADVANCE <milliseconds>`: this server's extension command, driving the
//! databases' clock when the server was started with a controllable clock
//! ([`ServerConfig::controllable_clock`](crate::ServerConfig::controllable_clock), `bus serve
//! --controllable-clock`). Without it the command does not exist: it answers Redis's unknown-command error and
//! `COMMAND` does not list it.
//!
//! The clock is bus-core's [`Clock::manual`](bus_core::Clock::manual), started at the wall-clock time: it stands
//! still until ADVANCE moves it. Everything the databases time moves with it, and only with it: ids made by
//! `XADD *`, idle times (XPENDING, XCLAIM's min-idle-time, XAUTOCLAIM), key deadlines (EXPIRE, SET PX, TTL), and
//! BLOCK timeouts (an `XREAD BLOCK 1000` times out once ADVANCE has moved the clock 1000 ms past the moment it
//! blocked). A test in any language so drives them as Rust tests do with paused tokio time.

use std::time::Duration;

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, doc, handler, integer};
use crate::resp::Reply;

/// The command's name, as clients send it (any case).
pub(crate) const NAME: &str = "bus.clock";

const FLAGS: &[&str] = &["noscript", "loading", "stale", "fast"];
const ACL: &[&str] = &["@fast", "@dangerous"];

pub(crate) const SPEC: CommandSpec = CommandSpec::container(
    NAME,
    doc(
        "Reads or advances the controllable clock (bus serve --controllable-clock).",
        "bus",
        "server",
        "Depends on subcommand.",
    ),
    &[
        CommandSpec::new(
            "now",
            2,
            FLAGS,
            ACL,
            doc(
                "Answers the clock's time in Unix milliseconds.",
                "bus",
                "server",
                "O(1)",
            ),
            handler!(now),
        ),
        CommandSpec::new(
            "advance",
            3,
            FLAGS,
            ACL,
            doc(
                "Moves the clock forward and answers its new time in Unix milliseconds.",
                "bus",
                "server",
                "O(N) where N is the number of timers the move reaches",
            ),
            handler!(advance),
        ),
        CommandSpec::new(
            "help",
            2,
            &["loading", "stale"],
            &["@slow"],
            doc("Lists the subcommands.", "bus", "server", "O(1)"),
            handler!(help),
        ),
    ],
);

/// Whether a request names this command (whatever the case).
pub(crate) fn is_clock_command(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(NAME.as_bytes())
}

fn time(ms: u64) -> Reply {
    Reply::Integer(i64::try_from(ms).unwrap_or(i64::MAX))
}

async fn now(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(time(client.shared.clock.now_ms()))
}

async fn advance(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let by = integer(&args[2])?;
    let by = u64::try_from(by).map_err(|_| Reply::error("ERR the clock only moves forward: give milliseconds >= 0"))?;
    let now = client.shared.clock.advance(Duration::from_millis(by))?;
    Ok(time(now))
}

async fn help(_client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Array(
        [
            "BUS.CLOCK <subcommand> [<arg> ...]: the controllable clock of bus serve:",
            "NOW -- the clock's time, in Unix milliseconds.",
            "ADVANCE <milliseconds> -- moves the clock forward (ids, idle times, TTLs, BLOCK timeouts follow).",
            "HELP -- this list.",
        ]
        .into_iter()
        .map(Reply::simple)
        .collect(),
    ))
}
