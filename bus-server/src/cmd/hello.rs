//! `HELLO [protover [AUTH username password] [SETNAME clientname]]`: the RESP3 handshake. Chooses the protocol,
//! optionally authenticates and names the connection, and answers the server's description (a map, so a
//! RESP3 client sees `%7` and a RESP2 client a flat array).

use bytes::Bytes;

use crate::auth::WRONGPASS;
use crate::client::Client;
use crate::cmd::auth::NO_AUTH_FLAGS;
use crate::cmd::client::{check_name, set_name};
use crate::command::{CmdResult, CommandSpec, Lock, c_str, doc, handler, integer_or, is};
use crate::resp::{Protocol, Reply};

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "hello",
    -1,
    NO_AUTH_FLAGS,
    &["@fast", "@connection"],
    doc("Handshakes with the server.", "6.0.0", "connection", "O(1)"),
    handler!(run),
)
.lock(Lock::None);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let mut protocol = None;
    if let Some(version) = args.get(1) {
        let version = integer_or(version, "ERR Protocol version is not an integer or out of range")?;
        protocol = Some(match version {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(Reply::error("NOPROTO unsupported protocol version")),
        });
    }
    let (mut credentials, mut name) = (None, None);
    let mut rest = args.iter().skip(2);
    while let Some(option) = rest.next() {
        let remaining = rest.len();
        if is(option, "AUTH") && remaining >= 2 {
            credentials = rest.next().zip(rest.next());
        } else if is(option, "SETNAME") && remaining >= 1 {
            let candidate = rest.next().cloned().unwrap_or_default();
            check_name(&candidate)?;
            name = Some(candidate);
        } else {
            return Err(Reply::error(format!(
                "ERR Syntax error in HELLO option '{}'",
                c_str(option, usize::MAX)
            )));
        }
    }
    if let Some((user, password)) = credentials
        && !client.authenticate(user, password)
    {
        return Err(Reply::error(WRONGPASS));
    }
    if !client.is_authenticated() {
        return Err(Reply::error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> \
             <pass> option can be used to authenticate the client and select the RESP protocol version at the \
             same time",
        ));
    }
    if let Some(name) = name {
        set_name(client, &name);
    }
    if let Some(protocol) = protocol {
        client.protocol = protocol;
        client.handle.update(|meta| meta.protocol = protocol);
    }
    let id = i64::try_from(client.handle.id).unwrap_or(i64::MAX);
    Ok(Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (Reply::bulk("version"), Reply::bulk(crate::cmd::info::REDIS_VERSION)),
        (Reply::bulk("proto"), Reply::Integer(client.protocol.number())),
        (Reply::bulk("id"), Reply::Integer(id)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(Vec::new())),
    ]))
}
