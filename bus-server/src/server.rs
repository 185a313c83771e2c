//! The running server: its listeners, one task per client, and a graceful shutdown.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::client::{self, Client};
use crate::clients::Peer;
use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::shared::Shared;

/// How long [`Server::shutdown`] lets clients finish before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running server. Dropping it stops accepting connections and drops the clients; [`Server::shutdown`] does
/// so gracefully.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use bus_server::{Server, ServerConfig};
///
/// let server = Server::bind(ServerConfig::new().port(0)).await?;
/// let mut conn = tokio::net::TcpStream::connect(server.local_addr().unwrap()).await?;
/// conn.write_all(b"PING\r\n").await?;
/// let mut reply = [0u8; 7];
/// conn.read_exact(&mut reply).await?;
/// assert_eq!(&reply, b"+PONG\r\n");
/// server.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    shared: Arc<Shared>,
    local_addr: Option<SocketAddr>,
    socket_path: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
    acceptors: JoinSet<()>,
}

impl Server {
    /// Binds the listeners the configuration names and starts serving on the current tokio runtime.
    ///
    /// Refuses a non-loopback TCP address unless `requirepass` is set ([`ServerError::Unprotected`]); an
    /// existing file at the unix socket's path is replaced, as Redis does.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        if config.tcp.is_none() && config.unix_socket.is_none() {
            return Err(ServerError::NoListener);
        }
        if let Some(addr) = config.tcp
            && !addr.ip().is_loopback()
            && config.requirepass.is_none()
        {
            return Err(ServerError::Unprotected { addr });
        }
        let shared = Arc::new(Shared::new(&config));
        shared.apply_node_layout().map_err(|err| ServerError::Config {
            message: err.to_string(),
        })?;
        let (shutdown, _) = watch::channel(false);
        let mut acceptors = JoinSet::new();
        let mut local_addr = None;
        if let Some(addr) = config.tcp {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::Tcp { addr, source })?;
            let bound = listener
                .local_addr()
                .map_err(|source| ServerError::Tcp { addr, source })?;
            shared.settings.set_port(bound.port());
            local_addr = Some(bound);
            acceptors.spawn(accept_tcp(listener, Arc::clone(&shared), shutdown.subscribe()));
        }
        if let Some(path) = &config.unix_socket {
            let _ = std::fs::remove_file(path);
            let listener = UnixListener::bind(path).map_err(|source| ServerError::Unix {
                path: path.clone(),
                source,
            })?;
            acceptors.spawn(accept_unix(
                listener,
                path.clone(),
                Arc::clone(&shared),
                shutdown.subscribe(),
            ));
        }
        Ok(Server {
            shared,
            local_addr,
            socket_path: config.unix_socket,
            shutdown,
            acceptors,
        })
    }

    /// The TCP address the server listens on (with the port chosen when the configuration asked for 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The unix socket the server listens on.
    pub fn socket_path(&self) -> Option<&Path> {
        self.socket_path.as_deref()
    }

    /// Stops accepting connections, releases blocked clients, lets every client finish the command it is
    /// running (for a few seconds at most), closes the connections and removes the unix socket.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        self.shared.clients.unblock_all();
        while self.acceptors.join_next().await.is_some() {}
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Waits until the server stops (it stops only through [`Server::shutdown`] or a listener failure).
    pub async fn wait(&mut self) {
        while self.acceptors.join_next().await.is_some() {}
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Accepts TCP connections until shutdown, then waits for their tasks.
async fn accept_tcp(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut clients = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let laddr = stream.local_addr().map_or_else(|_| String::new(), |addr| addr.to_string());
                let fd = raw_fd(&stream);
                let peer = Peer { addr: peer.to_string(), laddr, fd, unix: false };
                start(stream, peer, &shared, &shutdown, &mut clients).await;
            }
            _ = shutdown.changed() => break,
        }
        while clients.try_join_next().is_some() {}
    }
    drain(clients).await;
}

/// Accepts unix socket connections until shutdown, then waits for their tasks.
async fn accept_unix(listener: UnixListener, path: PathBuf, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut clients = JoinSet::new();
    let name = format!("{}:0", path.display());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let fd = raw_fd(&stream);
                let peer = Peer { addr: name.clone(), laddr: name.clone(), fd, unix: true };
                start(stream, peer, &shared, &shutdown, &mut clients).await;
            }
            _ = shutdown.changed() => break,
        }
        while clients.try_join_next().is_some() {}
    }
    drain(clients).await;
}

fn raw_fd(stream: &impl std::os::fd::AsRawFd) -> i64 {
    i64::from(stream.as_raw_fd())
}

/// Registers a client and spawns its task, or refuses it when `maxclients` are connected.
async fn start<S>(
    mut stream: S,
    peer: Peer,
    shared: &Arc<Shared>,
    shutdown: &watch::Receiver<bool>,
    clients: &mut JoinSet<()>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let Some(handle) = shared.clients.register(peer, shared.settings.max_clients()) else {
        shared.stats.count_connection(false);
        let _ = stream.write_all(b"-ERR max number of clients reached\r\n").await;
        let _ = stream.shutdown().await;
        return;
    };
    shared.stats.count_connection(true);
    let client = Client::new(Arc::clone(shared), handle);
    let shutdown = shutdown.clone();
    clients.spawn(async move {
        let id = client.handle.id;
        let shared = Arc::clone(&client.shared);
        client::serve(stream, client, shutdown).await;
        shared.clients.remove(id);
    });
}

/// Waits for the clients to finish after shutdown, dropping those that take too long.
async fn drain(mut clients: JoinSet<()>) {
    let finished = tokio::time::timeout(SHUTDOWN_GRACE, async { while clients.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        clients.abort_all();
        while clients.join_next().await.is_some() {}
    }
}
