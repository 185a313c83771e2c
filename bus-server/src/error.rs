//! Why a server could not start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure of [`Server::bind`](crate::Server::bind).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A non-loopback address without `requirepass`: anyone on the network could use the server.
    #[error(
        "refusing to listen on {addr}: it is not a loopback address and no password is set \
         (set requirepass, or bind 127.0.0.1)"
    )]
    Unprotected {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// A setting out of its range (the message is `CONFIG SET`'s for it).
    #[error("invalid configuration: {message}")]
    Config {
        /// Why.
        message: String,
    },
    /// Neither a TCP address nor a unix socket.
    #[error("nothing to listen on: give a TCP address or a unix socket")]
    NoListener,
    /// The TCP address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Tcp {
        /// The address asked for.
        addr: SocketAddr,
        /// The system's error.
        source: std::io::Error,
    },
    /// The unix socket could not be bound.
    #[error("cannot listen on unix socket {}: {source}", path.display())]
    Unix {
        /// The path asked for.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
}
