//! `AUTH [username] password`: authenticates the connection as the default user (`requirepass`) or a named
//! user, with Redis's replies for each failure.

use bytes::Bytes;

use crate::auth::WRONGPASS;
use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, Lock, doc, handler, syntax_error};
use crate::resp::Reply;

/// The flags of the connection commands a client may send before authenticating.
pub(crate) const NO_AUTH_FLAGS: &[&str] = &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"];

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "auth",
    -2,
    NO_AUTH_FLAGS,
    &["@fast", "@connection"],
    doc(
        "Authenticates the connection.",
        "1.0.0",
        "connection",
        "O(N) where N is the number of passwords defined for the user",
    ),
    handler!(run),
)
.lock(Lock::None);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let (user, password): (&[u8], &[u8]) = match args {
        [_, password] => {
            if client.shared.settings.get("requirepass").unwrap_or_default().is_empty() {
                return Err(Reply::error(
                    "ERR AUTH <password> called without any password configured for the default user. Are you \
                     sure your configuration is correct?",
                ));
            }
            (b"default", password)
        }
        [_, user, password] => (user, password),
        _ => return Err(syntax_error()),
    };
    if client.authenticate(user, password) {
        Ok(Reply::ok())
    } else {
        Err(Reply::error(WRONGPASS))
    }
}
