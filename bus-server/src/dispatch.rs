//! Running one request, as Redis 7.0's `processCommand` does, checks in its order: the command exists (or the
//! subcommand), its arity, DEBUG's protection, authentication; then, inside MULTI, it is queued; otherwise it
//! runs on its side of the server-wide lock.

use bytes::Bytes;

use crate::auth::NOAUTH;
use crate::client::Client;
use crate::cmd::clock::is_clock_command;
use crate::command::{CommandSpec, Lock, arity_error, lookup, unknown_command};
use crate::resp::Reply;

/// Commands that run at once inside MULTI instead of being queued.
const NOT_QUEUED: [&str; 6] = ["exec", "discard", "multi", "watch", "quit", "reset"];

/// DEBUG is refused while `enable-debug-command` is `no`, which it always is here.
const DEBUG_REFUSED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", \
     you can run it from a local connection, otherwise you need to set this option in the configuration file, and \
     then restart the server.";

/// Whether the request is a blocking command (the connection writes the replies before it first).
pub(crate) fn is_blocking(args: &[Bytes]) -> bool {
    lookup(args).is_ok_and(|(spec, _)| spec.has_flag("blocking"))
}

/// Runs a request; `None` when the connection must close without a reply (what Redis does to `POST` and
/// `Host:`, the signs of an HTTP request sent to it).
pub(crate) async fn execute(client: &mut Client, args: Vec<Bytes>) -> Option<Reply> {
    let name = args.first()?;
    if name.eq_ignore_ascii_case(b"host:") || name.eq_ignore_ascii_case(b"post") {
        tracing::warn!("possible security attack: an HTTP request was sent to the server");
        client.close = true;
        return None;
    }
    let spec = match check(client, &args) {
        Ok(spec) => spec,
        Err(reply) => {
            if let Some(multi) = client.multi.as_mut() {
                multi.dirty = true;
            }
            client.shared.stats.count_reply(&reply);
            if let Ok((_, full_name)) = lookup(&args) {
                client.shared.stats.count_call(&full_name, 0, true, false);
            }
            return Some(reply);
        }
    };
    if let Some(multi) = client.multi.as_mut()
        && !NOT_QUEUED.contains(&spec.name)
    {
        multi.queued.push(args);
        let queued = i64::try_from(multi.queued.len()).unwrap_or(i64::MAX);
        client.handle.update(|meta| meta.multi = queued);
        return Some(Reply::simple("QUEUED"));
    }
    Some(call_locked(client, spec, &args).await)
}

/// The checks before a command runs or is queued.
fn check(client: &Client, args: &[Bytes]) -> Result<&'static CommandSpec, Reply> {
    // A disabled extension is no command at all, whatever follows its name.
    if args.first().is_some_and(|name| is_clock_command(name)) && !client.shared.extensions() {
        return Err(unknown_command(args));
    }
    let (spec, full_name) = lookup(args)?;
    if !spec.arity_accepts(args.len()) {
        return Err(arity_error(&full_name));
    }
    if spec.name == "debug" {
        return Err(Reply::error(DEBUG_REFUSED));
    }
    if !client.is_authenticated() && !spec.has_flag("no_auth") {
        return Err(Reply::error(NOAUTH));
    }
    Ok(spec)
}

/// Runs a checked command on its side of the server-wide lock.
async fn call_locked(client: &mut Client, spec: &'static CommandSpec, args: &[Bytes]) -> Reply {
    let shared = std::sync::Arc::clone(&client.shared);
    match spec.lock {
        Lock::Shared => {
            let _guard = shared.exec_lock.read().await;
            call(client, spec, args).await
        }
        Lock::Exclusive => {
            let _guard = shared.exec_lock.write().await;
            call(client, spec, args).await
        }
        Lock::None => call(client, spec, args).await,
    }
}

/// Runs a checked command with the lock already taken as it needs (by [`call_locked`], or by EXEC for the
/// commands it runs), counting it in the statistics.
pub(crate) async fn call(client: &mut Client, spec: &'static CommandSpec, args: &[Bytes]) -> Reply {
    let Some(handler) = spec.handler else {
        // Containers always resolve to a subcommand when given one; alone they fail their arity first.
        return arity_error(spec.name);
    };
    client.shared.stats.count_command();
    let full_name = crate::command::full_name(args, spec);
    client.handle.update(|meta| meta.last_command.clone_from(&full_name));
    let started = std::time::Instant::now();
    let reply = handler(client, args).await;
    let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    client
        .shared
        .stats
        .count_call(&full_name, usec, false, reply.is_error());
    client.shared.stats.count_reply(&reply);
    reply
}
