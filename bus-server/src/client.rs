//! One connection: its state ([`Client`]) and its task, which reads requests, runs them one at a time in order
//! and writes their replies (pipelined requests get their replies in order, written together).

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::clients::ClientHandle;
use crate::dispatch;
use crate::resp::{ParserLimits, Protocol, Reply, RequestParser};
use crate::shared::Shared;

/// How much is read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// A transaction being queued (between MULTI and EXEC).
#[derive(Debug, Default)]
pub(crate) struct Multi {
    pub(crate) queued: Vec<Vec<Bytes>>,
    /// A command was refused while queueing: EXEC will answer EXECABORT.
    pub(crate) dirty: bool,
}

/// The state of one connection, handed to every command it runs.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) shared: Arc<Shared>,
    pub(crate) handle: Arc<ClientHandle>,
    pub(crate) protocol: Protocol,
    pub(crate) db: usize,
    pub(crate) name: String,
    /// The authenticated user; `None` until AUTH when the default user has a password.
    pub(crate) user: Option<String>,
    pub(crate) multi: Option<Multi>,
    /// The keys WATCH watches, each in the database it was selected in; dropped by EXEC, DISCARD, UNWATCH and
    /// the end of the connection.
    pub(crate) watched: Vec<bus_memory::KeyWatch>,
    /// Inside EXEC: blocking commands do not block.
    pub(crate) in_exec: bool,
    /// Close the connection once the current reply is written (QUIT, protocol errors).
    pub(crate) close: bool,
}

impl Client {
    pub(crate) fn new(shared: Arc<Shared>, handle: Arc<ClientHandle>) -> Client {
        let requirepass = shared.settings.get("requirepass").unwrap_or_default();
        Client {
            user: requirepass.is_empty().then(|| "default".to_owned()),
            shared,
            handle,
            protocol: Protocol::Resp2,
            db: 0,
            name: String::new(),
            multi: None,
            watched: Vec::new(),
            in_exec: false,
            close: false,
        }
    }

    /// The database the client selected.
    pub(crate) fn db(&self) -> &bus_memory::MemoryBackend {
        self.shared.db(self.db)
    }

    /// Whether the client may run commands other than AUTH, HELLO and QUIT.
    pub(crate) fn is_authenticated(&self) -> bool {
        self.user.is_some()
    }

    /// Authenticates as `user` when the pair is valid.
    pub(crate) fn authenticate(&mut self, user: &[u8], password: &[u8]) -> bool {
        let requirepass = self.shared.settings.get("requirepass").unwrap_or_default();
        if !self.shared.users.authenticate(&requirepass, user, password) {
            return false;
        }
        let user = String::from_utf8_lossy(user).into_owned();
        self.handle.update(|meta| meta.user.clone_from(&user));
        self.user = Some(user);
        true
    }
}

/// How a blocking wait ended.
pub(crate) enum Waited<T> {
    /// The wait completed (served, timed out, or failed) by itself.
    Done(T),
    /// `CLIENT UNBLOCK id TIMEOUT`: answer as if the timeout had expired.
    Timeout,
    /// `CLIENT UNBLOCK id ERROR`: answer `UNBLOCKED`.
    Error,
}

impl Client {
    /// Runs a blocking wait as Redis's blocked clients: counted in `blocked_clients`, flagged `b` in CLIENT
    /// LIST, and released by `CLIENT UNBLOCK` (or the server's shutdown), which drops the wait.
    ///
    /// Dropping the wait is safe for plain reads, which change nothing. A group read must not be dropped once
    /// bus-memory may have delivered entries to it: that needs bus-memory's cancellable blocking read, which
    /// hands back a batch served at the same instant (until then, a group read released here would leave such
    /// entries pending for the consumer, as a client timing out at that instant does).
    pub(crate) async fn wait_unblockable<T>(&self, wait: impl std::future::Future<Output = T>) -> Waited<T> {
        let released = self.handle.block();
        let waited = tokio::select! {
            done = wait => Waited::Done(done),
            how = released => match how {
                Ok(crate::clients::Unblock::Error) | Err(_) => Waited::Error,
                Ok(crate::clients::Unblock::Timeout) => Waited::Timeout,
            },
        };
        self.handle.unblocked();
        waited
    }
}

/// Polls a future once: its output if it is ready at once, `Pending` otherwise (the future keeps its state,
/// e.g. a blocking read registered as blocked, and is awaited later).
pub(crate) async fn poll_once<F: std::future::Future>(mut future: std::pin::Pin<&mut F>) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(future.as_mut().poll(cx))).await
}

impl Client {
    /// Runs a blocking bus-memory read that `unblocker` can release, as [`Client::wait_unblockable`] does, but
    /// without dropping it: `CLIENT UNBLOCK` (or the shutdown) is passed on to the read, which then returns as
    /// timed out or fails with `UNBLOCKED`, unless an append served it at the same instant, in which case it
    /// returns that batch. Group reads wait this way, so no entry is delivered to a read that is then dropped.
    pub(crate) async fn wait_released<T>(
        &self,
        unblocker: &bus_memory::Unblocker,
        wait: impl std::future::Future<Output = T>,
    ) -> T {
        let released = self.handle.block();
        tokio::pin!(wait);
        let done = tokio::select! {
            // The read first: polled once, it is registered (and the unblocker armed) before a release is seen.
            biased;
            done = &mut wait => done,
            how = released => {
                let mode = match how {
                    Ok(crate::clients::Unblock::Timeout) => bus_memory::UnblockMode::Timeout,
                    Ok(crate::clients::Unblock::Error) | Err(_) => bus_memory::UnblockMode::Error,
                };
                unblocker.unblock(mode);
                wait.await
            }
        };
        self.handle.unblocked();
        done
    }
}

/// Serves one connection until the client leaves, breaks the protocol, or the server shuts down.
pub(crate) async fn serve<S>(stream: S, mut client: Client, mut shutdown: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut parser = RequestParser::new(ParserLimits::default());
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut output = BytesMut::new();
    loop {
        loop {
            parser.set_limits(ParserLimits {
                max_bulk_len: client.shared.settings.max_bulk_len(),
            });
            match parser.next_request(&mut input, client.is_authenticated()) {
                Ok(Some(args)) if args.is_empty() => {}
                Ok(Some(args)) => {
                    client.handle.update(|meta| meta.last_interaction = Instant::now());
                    if dispatch::is_blocking(&args) && !flush(&mut writer, &mut output).await {
                        return;
                    }
                    if let Some(reply) = dispatch::execute(&mut client, args).await {
                        reply.encode(client.protocol, &mut output);
                    }
                    if client.close {
                        flush(&mut writer, &mut output).await;
                        return;
                    }
                }
                Ok(None) => break,
                Err(err) => {
                    let reply = Reply::error(err.message());
                    reply.encode(client.protocol, &mut output);
                    client.shared.stats.count_reply(&reply);
                    flush(&mut writer, &mut output).await;
                    return;
                }
            }
        }
        if !flush(&mut writer, &mut output).await {
            return;
        }
        // Redis disconnects, without a reply, a client whose unparsed input outgrows the limit.
        if input.len() + parser.buffered_len() > client.shared.settings.query_buffer_limit() {
            tracing::warn!(
                client = client.handle.id,
                "closing client that reached max query buffer length"
            );
            return;
        }
        input.reserve(READ_CHUNK);
        tokio::select! {
            read = reader.read_buf(&mut input) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Writes what is buffered; false when the connection is gone.
async fn flush<W: AsyncWrite + Unpin>(writer: &mut W, output: &mut BytesMut) -> bool {
    if output.is_empty() {
        return true;
    }
    let written = writer.write_all(output).await.is_ok() && writer.flush().await.is_ok();
    output.clear();
    written
}
