//! What a server is started with: where it listens, who may connect, and its limits.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

pub use bus_memory::NodeLayout;

/// A password, never printed: `Debug` shows `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    /// The password itself, for the one place that shows it: `CONFIG GET requirepass`, as Redis does.
    pub(crate) fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this password, comparing every byte whatever the first difference (so the time
    /// taken does not tell how much of a guess was right).
    pub fn matches(&self, candidate: &[u8]) -> bool {
        let mine = self.0.as_bytes();
        let mut difference = u8::from(mine.len() != candidate.len());
        for (i, &byte) in mine.iter().enumerate() {
            difference |= byte ^ candidate.get(i).copied().unwrap_or(!byte);
        }
        difference == 0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An ACL-style user (`AUTH name password`) with every permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The name given to `AUTH` and `HELLO … AUTH`.
    pub name: String,
    /// Its password.
    pub password: Password,
}

/// Limits, as Redis names and defaults them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// `maxclients`: connections beyond it get `ERR max number of clients reached` and are closed.
    pub max_clients: usize,
    /// `proto-max-bulk-len`: the longest argument (512 MB).
    pub max_bulk_len: i64,
    /// `client-query-buffer-limit`: a client whose unparsed input exceeds it is disconnected (1 GB).
    pub query_buffer_limit: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clients: 10_000,
            max_bulk_len: 512 * 1024 * 1024,
            query_buffer_limit: 1024 * 1024 * 1024,
        }
    }
}

/// The configuration of a [`Server`](crate::Server).
///
/// ```
/// use bus_server::ServerConfig;
/// let config = ServerConfig::new().port(0).requirepass("s3cret").user("alice", "pw");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The TCP address to listen on (`None`: no TCP listener). Default `127.0.0.1:6379`.
    pub tcp: Option<SocketAddr>,
    /// A unix socket to listen on as well (or instead).
    pub unix_socket: Option<PathBuf>,
    /// `requirepass`: the default user's password; without it the default user needs none.
    pub requirepass: Option<Password>,
    /// Further users, authenticated with `AUTH name password`.
    pub users: Vec<User>,
    /// The limits.
    pub limits: Limits,
    /// Run the databases on a clock that moves only when a client sends `BUS.CLOCK ADVANCE <ms>` (and enable
    /// that command, which otherwise does not exist). See [`controllable_clock`](Self::controllable_clock).
    pub controllable_clock: bool,
    /// `stream-node-max-entries` and `stream-node-max-bytes` at start (Redis's defaults, 100 entries and 4096
    /// bytes); `CONFIG SET` changes them while the server runs.
    pub node_layout: NodeLayout,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig::new()
    }
}

impl ServerConfig {
    /// Redis's defaults: TCP on 127.0.0.1:6379, no password, the default limits.
    pub fn new() -> ServerConfig {
        ServerConfig {
            tcp: Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 6379)),
            unix_socket: None,
            requirepass: None,
            users: Vec::new(),
            limits: Limits::default(),
            controllable_clock: false,
            node_layout: NodeLayout::REDIS_DEFAULT,
        }
    }

    /// Listens on this TCP address.
    pub fn bind(mut self, addr: SocketAddr) -> ServerConfig {
        self.tcp = Some(addr);
        self
    }

    /// Keeps the address and changes the port (0: any free port, see [`Server::local_addr`](crate::Server::local_addr)).
    pub fn port(mut self, port: u16) -> ServerConfig {
        let ip = self.tcp.map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |addr| addr.ip());
        self.tcp = Some(SocketAddr::new(ip, port));
        self
    }

    /// No TCP listener (with a unix socket only).
    pub fn no_tcp(mut self) -> ServerConfig {
        self.tcp = None;
        self
    }

    /// Listens on a unix socket too.
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> ServerConfig {
        self.unix_socket = Some(path.into());
        self
    }

    /// Sets the default user's password (`requirepass`).
    pub fn requirepass(mut self, password: impl Into<String>) -> ServerConfig {
        self.requirepass = Some(Password::new(password));
        self
    }

    /// Adds a user.
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> ServerConfig {
        self.users.push(User {
            name: name.into(),
            password: Password::new(password),
        });
        self
    }

    /// Replaces the limits.
    pub fn limits(mut self, limits: Limits) -> ServerConfig {
        self.limits = limits;
        self
    }

    /// Runs the databases on a controllable clock: it starts at the wall-clock time and stands still until a
    /// client sends `BUS.CLOCK ADVANCE <milliseconds>` (`BUS.CLOCK NOW` reads it). Ids of `XADD *`, idle times,
    /// key deadlines and BLOCK timeouts all follow it, so a test in any language drives them deterministically.
    /// Off by default, and then `BUS.CLOCK` answers Redis's unknown-command error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// use bus_server::{Server, ServerConfig};
    ///
    /// let server = Server::bind(ServerConfig::new().port(0).controllable_clock(true)).await?;
    /// let mut conn = tokio::net::TcpStream::connect(server.local_addr().unwrap()).await?;
    /// conn.write_all(b"SET k v PX 1000\r\nBUS.CLOCK ADVANCE 1000\r\nEXISTS k\r\n").await?;
    /// let mut reply = Vec::new();
    /// while !reply.ends_with(b":0\r\n") {
    ///     let mut chunk = [0u8; 64];
    ///     let n = conn.read(&mut chunk).await?;
    ///     assert!(n > 0, "closed early");
    ///     reply.extend_from_slice(&chunk[..n]);
    /// }
    /// assert!(reply.starts_with(b"+OK\r\n:"), "the key expired exactly when the clock reached its deadline");
    /// server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn controllable_clock(mut self, enabled: bool) -> ServerConfig {
        self.controllable_clock = enabled;
        self
    }

    /// `stream-node-max-entries` and `stream-node-max-bytes` at start: how many entries, and how many bytes of
    /// listpack, a stream node takes before the next append opens another (see [`NodeLayout`]). Approximate
    /// trims remove whole nodes, so they remove what Redis removes when both servers have the same layout.
    ///
    /// ```
    /// use bus_server::{NodeLayout, ServerConfig};
    /// let config = ServerConfig::new().node_layout(NodeLayout { max_entries: 10, max_bytes: 0 });
    /// assert_eq!(ServerConfig::new().node_layout, NodeLayout::REDIS_DEFAULT);
    /// # let _ = config;
    /// ```
    pub fn node_layout(mut self, layout: NodeLayout) -> ServerConfig {
        self.node_layout = layout;
        self
    }

    /// `maxclients`.
    pub fn max_clients(mut self, max_clients: usize) -> ServerConfig {
        self.limits.max_clients = max_clients;
        self
    }

    /// `proto-max-bulk-len`.
    pub fn max_bulk_len(mut self, max_bulk_len: i64) -> ServerConfig {
        self.limits.max_bulk_len = max_bulk_len;
        self
    }

    /// `client-query-buffer-limit`.
    pub fn query_buffer_limit(mut self, bytes: usize) -> ServerConfig {
        self.limits.query_buffer_limit = bytes;
        self
    }
}
