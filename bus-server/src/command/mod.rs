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
    &cmd::append::SPEC,
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
    &cmd::expire::EXPIREAT,
    &cmd::expire::PEXPIRE,
    &cmd::expire::PEXPIREAT,
    &cmd::flush::FLUSHALL,
    &cmd::flush::FLUSHDB,
    &cmd::function::SPEC,
    &cmd::get::SPEC,
    &cmd::hdel::SPEC,
    &cmd::hello::SPEC,
    &cmd::hget::SPEC,
    &cmd::hgetall::SPEC,
    &cmd::hlen::SPEC,
    &cmd::hset::SPEC,
    &cmd::incr::SPEC,
    &cmd::info::SPEC,
    &cmd::keys::SPEC,
    &cmd::llen::SPEC,
    &cmd::lrange::SPEC,
    &cmd::push::LPUSH,
    &cmd::multi::MULTI,
    &cmd::multi::EXEC,
    &cmd::multi::DISCARD,
    &cmd::multi::UNWATCH,
    &cmd::multi::WATCH,
    &cmd::persist::SPEC,
    &cmd::ping::SPEC,
    &cmd::pop::LPOP,
    &cmd::pop::RPOP,
    &cmd::push::RPUSH,
    &cmd::quit::SPEC,
    &cmd::rename::RENAME,
    &cmd::rename::RENAMENX,
    &cmd::sadd::SPEC,
    &cmd::scan::SPEC,
    &cmd::scard::SPEC,
    &cmd::select::SPEC,
    &cmd::set::SPEC,
    &cmd::setex::PSETEX,
    &cmd::setex::SETEX,
    &cmd::sismember::SPEC,
    &cmd::smembers::SPEC,
    &cmd::srem::SPEC,
    &cmd::ttl::TTL,
    &cmd::ttl::PTTL,
    &cmd::time::SPEC,
    &cmd::ttl::EXPIRETIME,
    &cmd::ttl::PEXPIRETIME,
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

/// This server's extension commands, which exist only when enabled (`BUS.CLOCK`: with the controllable clock).
pub(crate) static EXTENSIONS: &[&CommandSpec] = &[&cmd::clock::SPEC];

/// The commands a server has: Redis's, plus the extensions when it enables them.
pub(crate) fn table(extensions: bool) -> impl Iterator<Item = &'static CommandSpec> {
    let extensions: &[&CommandSpec] = if extensions { EXTENSIONS } else { &[] };
    COMMANDS.iter().chain(extensions).copied()
}

/// The command of this name (any case), extensions included: the dispatcher refuses a disabled one.
pub(crate) fn find(name: &[u8]) -> Option<&'static CommandSpec> {
    table(true).find(|spec| spec.name.as_bytes().eq_ignore_ascii_case(name))
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
