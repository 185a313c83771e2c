//! The command framework: the table of commands (one module of `cmd` each), their lookup as Redis does it
//! (case-insensitive, one level of subcommands), and the argument helpers every command uses.
//!
//! To add a command: write `cmd/<name>.rs` with a doc comment, an `async fn run(client, args) -> CmdResult`
//! and a `pub(crate) const SPEC: CommandSpec` (arity, flags, keys and ACL categories as `COMMAND INFO <name>`
//! shows them on Redis 7.0.15), then list the SPEC in [`COMMANDS`].

mod args;
mod spec;

use bytes::Bytes;

pub(crate) use args::{
    arity_error, c_str, existing_topic, help_reply, integer, integer_or, is, subcommand_syntax_error, syntax_error,
    text, topic, unknown_command, unknown_subcommand,
};
pub(crate) use spec::{BeginSearch, BoxFuture, CmdResult, CommandSpec, FindKeys, Handler, KeySpec, Lock, doc, handler};

use crate::cmd;
use crate::resp::Reply;

/// Every command of the server.
pub(crate) static COMMANDS: &[&CommandSpec] = &[
    &cmd::auth::SPEC,
    &cmd::client::SPEC,
    &cmd::command::SPEC,
    &cmd::config::SPEC,
    &cmd::dbsize::SPEC,
    &cmd::debug::SPEC,
    &cmd::del::DEL,
    &cmd::del::UNLINK,
    &cmd::echo::SPEC,
    &cmd::exists::SPEC,
    &cmd::expire::EXPIRE,
    &cmd::expire::PEXPIRE,
    &cmd::flush::FLUSHALL,
    &cmd::flush::FLUSHDB,
    &cmd::function::SPEC,
    &cmd::hello::SPEC,
    &cmd::info::SPEC,
    &cmd::keys::SPEC,
    &cmd::push::LPUSH,
    &cmd::multi::MULTI,
    &cmd::multi::EXEC,
    &cmd::multi::DISCARD,
    &cmd::multi::WATCH,
    &cmd::multi::UNWATCH,
    &cmd::persist::SPEC,
    &cmd::ping::SPEC,
    &cmd::quit::SPEC,
    &cmd::rename::SPEC,
    &cmd::restore::SPEC,
    &cmd::sadd::SPEC,
    &cmd::scan::SPEC,
    &cmd::select::SPEC,
    &cmd::set::SPEC,
    &cmd::ttl::TTL,
    &cmd::ttl::PTTL,
    &cmd::type_::SPEC,
    &cmd::xack::SPEC,
    &cmd::xadd::SPEC,
    &cmd::xautoclaim::SPEC,
    &cmd::xclaim::SPEC,
    &cmd::xdel::SPEC,
    &cmd::xgroup::SPEC,
    &cmd::xinfo::SPEC,
    &cmd::xlen::SPEC,
    &cmd::xpending::SPEC,
    &cmd::xrange::XRANGE,
    &cmd::xrange::XREVRANGE,
    &cmd::xread::SPEC,
    &cmd::xreadgroup::SPEC,
    &cmd::xsetid::SPEC,
    &cmd::xtrim::SPEC,
];

/// The command of this name (any case).
pub(crate) fn find(name: &[u8]) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .copied()
        .find(|spec| spec.name.as_bytes().eq_ignore_ascii_case(name))
}

/// The command a request runs and its full name (`client|setname`), or Redis's unknown command or unknown
/// subcommand error.
pub(crate) fn lookup(args: &[Bytes]) -> Result<(&'static CommandSpec, String), Reply> {
    let Some(name) = args.first() else {
        return Err(unknown_command(args));
    };
    let Some(base) = find(name) else {
        return Err(unknown_command(args));
    };
    match args.get(1) {
        Some(sub) if !base.subcommands.is_empty() => base
            .subcommand(sub)
            .map(|spec| (spec, format!("{}|{}", base.name, spec.name)))
            .ok_or_else(|| unknown_subcommand(name, sub)),
        _ => Ok((base, base.name.to_owned())),
    }
}

/// The full name of a request's command (`client|setname` for a subcommand).
pub(crate) fn full_name(args: &[Bytes], spec: &CommandSpec) -> String {
    match args.first().and_then(|name| find(name)) {
        Some(base) if !std::ptr::eq(base, spec) => format!("{}|{}", base.name, spec.name),
        _ => spec.name.to_owned(),
    }
}
