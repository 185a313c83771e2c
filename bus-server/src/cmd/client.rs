//! `CLIENT ID|SETNAME|GETNAME|INFO|LIST|UNBLOCK|HELP`: the connection's identity, the list of connections, and
//! the release of a blocked client. (Redis 7.0 has no `CLIENT SETINFO`, so it is an unknown subcommand here
//! too; clients that send it at connect time ignore the error.)

use bytes::Bytes;

use crate::client::Client;
use crate::clients::{ClientHandle, Unblock};
use crate::command::{
    CmdResult, CommandSpec, Lock, doc, handler, integer, is, subcommand_syntax_error, syntax_error, text,
};
use crate::resp::Reply;

const CONNECTION: &[&str] = &["@slow", "@connection"];
const ADMIN: &[&str] = &["@admin", "@slow", "@dangerous", "@connection"];
const FLAGS: &[&str] = &["noscript", "loading", "stale"];
const ADMIN_FLAGS: &[&str] = &["admin", "noscript", "loading", "stale"];

const fn sub(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    acl: &'static [&'static str],
    summary: &'static str,
    since: &'static str,
    run: crate::command::Handler,
) -> CommandSpec {
    CommandSpec::new(name, arity, flags, acl, doc(summary, since, "connection", "O(1)"), run).lock(Lock::None)
}

pub(crate) const SPEC: CommandSpec = CommandSpec::container(
    "client",
    doc(
        "A container for client connection commands.",
        "2.4.0",
        "connection",
        "Depends on subcommand.",
    ),
    &[
        sub(
            "id",
            2,
            FLAGS,
            CONNECTION,
            "Answers the connection's id.",
            "5.0.0",
            handler!(id),
        ),
        sub(
            "setname",
            3,
            FLAGS,
            CONNECTION,
            "Names the connection.",
            "2.6.9",
            handler!(setname),
        ),
        sub(
            "getname",
            2,
            FLAGS,
            CONNECTION,
            "Answers the connection's name.",
            "2.6.9",
            handler!(getname),
        ),
        sub(
            "info",
            2,
            FLAGS,
            CONNECTION,
            "Describes the connection.",
            "6.2.0",
            handler!(info),
        )
        .tips(&["nondeterministic_output"]),
        sub(
            "list",
            -2,
            ADMIN_FLAGS,
            ADMIN,
            "Describes the open connections.",
            "2.4.0",
            handler!(list),
        )
        .tips(&["nondeterministic_output"]),
        sub(
            "unblock",
            -3,
            ADMIN_FLAGS,
            ADMIN,
            "Releases a client blocked in a blocking command.",
            "5.0.0",
            handler!(unblock),
        ),
        sub(
            "help",
            2,
            &["loading", "stale"],
            CONNECTION,
            "Lists the subcommands.",
            "5.0.0",
            handler!(help),
        ),
    ],
);

/// Redis's rule for client names: printable ASCII without spaces (an empty name clears it).
pub(crate) fn check_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(Reply::error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// Names the connection (checked by [`check_name`]).
pub(crate) fn set_name(client: &mut Client, name: &[u8]) {
    client.name = text(name);
    let name = client.name.clone();
    client.handle.update(|meta| meta.name = name);
}

async fn id(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Integer(i64::try_from(client.handle.id).unwrap_or(i64::MAX)))
}

async fn setname(client: &mut Client, args: &[Bytes]) -> CmdResult {
    check_name(&args[2])?;
    set_name(client, &args[2]);
    Ok(Reply::ok())
}

async fn getname(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    if client.name.is_empty() {
        return Ok(Reply::Null);
    }
    Ok(Reply::bulk(client.name.clone()))
}

async fn info(client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Verbatim(Bytes::from(describe(&client.handle))))
}

async fn list(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let mut clients = client.shared.clients.all();
    match &args[2..] {
        [] => {}
        [option, kind] if is(option, "TYPE") => {
            let kind = text(kind).to_ascii_lowercase();
            match kind.as_str() {
                "normal" => {}
                "master" | "replica" | "slave" | "pubsub" => clients.clear(),
                _ => return Err(Reply::error(format!("ERR Unknown client type '{}'", text(&args[3])))),
            }
        }
        [option, ids @ ..] if is(option, "ID") && !ids.is_empty() => {
            let mut wanted = Vec::with_capacity(ids.len());
            for id in ids {
                let id = integer(id)
                    .ok()
                    .and_then(|id| u64::try_from(id).ok())
                    .ok_or_else(|| Reply::error("ERR Invalid client ID"))?;
                wanted.push(id);
            }
            clients.retain(|handle| wanted.contains(&handle.id));
        }
        _ => return Err(syntax_error()),
    }
    let text: String = clients.iter().map(|handle| describe(handle)).collect();
    Ok(Reply::Verbatim(Bytes::from(text)))
}

async fn unblock(client: &mut Client, args: &[Bytes]) -> CmdResult {
    if args.len() > 4 {
        return Err(subcommand_syntax_error(args));
    }
    let how = match args.get(3) {
        None => Unblock::Timeout,
        Some(reason) if is(reason, "TIMEOUT") => Unblock::Timeout,
        Some(reason) if is(reason, "ERROR") => Unblock::Error,
        Some(_) => return Err(Reply::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
    };
    let id = integer(&args[2])?;
    let released = u64::try_from(id)
        .ok()
        .and_then(|id| client.shared.clients.get(id))
        .is_some_and(|target| target.unblock(how));
    Ok(Reply::Integer(i64::from(released)))
}

async fn help(_client: &mut Client, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Array(
        [
            "CLIENT <subcommand> [<arg> ...]: the subcommands of this server are:",
            "ID -- the id of this connection.",
            "GETNAME -- the name of this connection, or nil.",
            "SETNAME <name> -- names this connection (no spaces; empty clears it).",
            "INFO -- one line describing this connection.",
            "LIST [TYPE <type>] [ID <id> ...] -- one line per connection.",
            "UNBLOCK <id> [TIMEOUT|ERROR] -- releases a client waiting in a blocking command.",
            "HELP -- this list.",
        ]
        .into_iter()
        .map(Reply::simple)
        .collect(),
    ))
}

/// One line of CLIENT LIST, with Redis's fields (the buffer sizes are this server's, not Redis's).
pub(crate) fn describe(handle: &ClientHandle) -> String {
    let meta = handle.meta();
    let mut flags = String::new();
    if meta.multi >= 0 {
        flags.push('x');
    }
    if handle.is_blocked() {
        flags.push('b');
    }
    if handle.unix {
        flags.push('U');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db={} sub=0 psub=0 ssub=0 multi={} \
         qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=0 events=r \
         cmd={} user={} redir=-1 resp={}\n",
        handle.id,
        handle.addr,
        handle.laddr,
        handle.fd,
        meta.name,
        handle.created.elapsed().as_secs(),
        meta.last_interaction.elapsed().as_secs(),
        meta.db,
        meta.multi,
        meta.last_command,
        meta.user,
        meta.protocol.number(),
    )
}
