//! [`RedisOptions`]: what a deployment tunes besides the URL.
//!
//! [`redact_url`] is re-exported here because it has always been reachable at this path; it lives in
//! `redact`, with the scrubbing of secrets from error messages.

use std::time::Duration;

use bus_core::Error;

pub use crate::redact::redact_url;

/// Tuning of a [`RedisBackend`](crate::RedisBackend). Build with [`RedisOptions::new`] and the setters.
///
/// ```
/// use std::time::Duration;
/// let options = bus_redis::RedisOptions::new().key_prefix("app1:").response_timeout(Duration::from_secs(2));
/// assert_eq!(options.key_prefix, "app1:");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisOptions {
    /// Prepended to every topic name to form its stream key (a namespace). Must not contain `{` or `}`, which
    /// would break the cluster hash tag of the index keys. Default: empty.
    pub key_prefix: String,
    /// How long a non-blocking command may wait for its reply before failing with
    /// [`Error::Timeout`]. Default: 5 s.
    pub response_timeout: Duration,
    /// How long [`RedisBackend::connect`](crate::RedisBackend::connect) may take in all, retries included, and
    /// the most any later connection attempt (a reconnect, a dedicated connection for a blocking read) may
    /// take. Failures that may pass (connection refused or reset, a server still loading, no answer yet) are
    /// retried with a short backoff until it runs out; the error then says how long it tried and what the last
    /// attempt met. Failures no retry can fix (wrong password, a database out of range, TLS on one side only,
    /// not a Redis server, a bad URL, an unknown host) fail at once with [`Error::Config`]. Default: 5 s. Must
    /// be at least 1 ms.
    pub connect_timeout: Duration,
    /// The longest single `BLOCK` sent to the server: longer or infinite blocks are split into chunks of at
    /// most this, each on a connection whose response timeout exceeds it. Default: 10 s.
    pub block_chunk: Duration,
    /// How many entries a [`lookup`](bus_core::Backend::lookup) scans (oldest first) for a UUID the index
    /// does not know, before giving up with an error. Default: 10 000.
    pub lookup_scan_limit: u64,
    /// Entries per page of that scan. Default: 1 000.
    pub lookup_page: u64,
    /// How many stale index entries one trim removes at most (the rest go on the next trim). Default: 1 000.
    pub index_cleanup_batch: u64,
    /// Idle dedicated connections kept for blocking reads; more are opened on demand (up to
    /// [`max_blocking_connections`](Self::max_blocking_connections)) and closed after use. Default: 16.
    pub max_idle_blocking_connections: usize,
    /// The most dedicated connections open at a time, idle ones included: the number of blocking reads
    /// ([`read`](bus_core::Backend::read) or [`read_group`](bus_core::Backend::read_group) with a `block`)
    /// that can run at once on this backend and its clones. Non-blocking commands do not count: they share
    /// one multiplexed connection. Default: 64. Must be at least 1.
    ///
    /// **When the limit is reached**, a further blocking read waits for a connection to come free (first
    /// come, first served), and the wait counts against its own block: if a connection frees up in time, the
    /// read then blocks for what is left of its block; if its block runs out first, it fails with
    /// [`Error::Timeout`] with `may_have_executed: false` (nothing was sent, so it is safe to retry, and
    /// [`Error::is_retryable`] says so), whose operation names the command, the topics and this limit. A read
    /// with an infinite block (`Duration::ZERO`) waits as long as it takes. Non-blocking reads never wait.
    /// The limit bounds what a burst of readers can cost the server (each blocked reader holds a client
    /// there, counted against its `maxclients`); size it to the number of concurrent blocking readers (for
    /// example subscriptions and workers) the application runs.
    pub max_blocking_connections: usize,
    /// How [`publish`](bus_core::Backend::publish) and
    /// [`publish_batch`](bus_core::Backend::publish_batch) write: idempotent and indexed (the default), or
    /// one plain XADD per message. See [`PublishMode`] for the trade-off.
    pub publish_mode: PublishMode,
    /// On a Redis Cluster (`redis+cluster://`), how many times the cluster client retries a request that met a
    /// failover, a MOVED/ASK redirection or a broken node connection, within
    /// [`response_timeout`](Self::response_timeout) in all. Default: 6 (with waits from tens of milliseconds
    /// up to [`cluster_max_retry_wait`](Self::cluster_max_retry_wait), about the 2–3 s a failover takes with
    /// `cluster-node-timeout 1000`).
    pub cluster_retries: u32,
    /// On a Redis Cluster, the longest wait between two retries. Default: 500 ms.
    pub cluster_max_retry_wait: Duration,
    /// Durable publishing (off by default): each indexed [`publish`](bus_core::Backend::publish) waits, in the
    /// same round trip, until this many replicas have the write (`WAIT`), and fails with
    /// [`Error::Timeout`] (`may_have_executed: true`, safe to retry) when fewer acknowledged it within the
    /// timeout. For callers who cannot lose an acknowledged write when a master fails; see the crate
    /// documentation ("Redis Cluster") for its cost. Batches and `append` do not wait.
    pub durable: Option<crate::Durable>,
    /// A CA certificate (PEM) that `rediss://` connections trust instead of the system roots, for servers
    /// with certificates from a private CA. Needs the `tls` feature. Default: none (system roots).
    pub tls_root_certificate: Option<Vec<u8>>,
}

/// How a [`RedisBackend`](crate::RedisBackend) publishes messages (see the crate documentation, "Publishing
/// modes").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublishMode {
    /// One Lua script per message: a UUID the topic already holds returns the existing entry (`duplicate:
    /// true`) instead of appending, and the entry is added to the UUID index, so a publish retried after a
    /// timeout never duplicates and a lookup by UUID costs O(1). The default.
    #[default]
    Indexed,
    /// One plain `XADD` per message, nothing else: the cheapest write, for high-volume topics that need
    /// neither. A retried publish appends the message again (`duplicate` is always false), and a lookup
    /// by UUID falls back to the bounded scan of
    /// [`RedisOptions::lookup_scan_limit`], which fails with an error on topics longer than that limit.
    Plain,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            key_prefix: String::new(),
            response_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            block_chunk: Duration::from_secs(10),
            lookup_scan_limit: 10_000,
            lookup_page: 1_000,
            index_cleanup_batch: 1_000,
            max_idle_blocking_connections: 16,
            max_blocking_connections: 64,
            publish_mode: PublishMode::Indexed,
            durable: None,
            cluster_retries: 6,
            cluster_max_retry_wait: Duration::from_millis(500),
            tls_root_certificate: None,
        }
    }
}

impl RedisOptions {
    /// The defaults.
    pub fn new() -> RedisOptions {
        RedisOptions::default()
    }

    /// Sets the key prefix (namespace).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> RedisOptions {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets the response timeout of non-blocking commands.
    pub fn response_timeout(mut self, timeout: Duration) -> RedisOptions {
        self.response_timeout = timeout;
        self
    }

    /// Sets the overall connect timeout (see [`RedisOptions::connect_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = bus_redis::RedisOptions::new().connect_timeout(Duration::from_millis(500));
    /// assert_eq!(options.connect_timeout, Duration::from_millis(500));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> RedisOptions {
        self.connect_timeout = timeout;
        self
    }

    /// The former name of [`connect_timeout`](Self::connect_timeout), which it now sets (it used to bound
    /// each attempt; it now bounds the whole connect).
    #[deprecated(note = "use `connect_timeout`, the overall connect timeout")]
    pub fn connection_timeout(self, timeout: Duration) -> RedisOptions {
        self.connect_timeout(timeout)
    }

    /// Sets the longest single `BLOCK` sent to the server.
    pub fn block_chunk(mut self, chunk: Duration) -> RedisOptions {
        self.block_chunk = chunk;
        self
    }

    /// Sets how many entries a lookup scans for an unindexed UUID before giving up.
    pub fn lookup_scan_limit(mut self, limit: u64) -> RedisOptions {
        self.lookup_scan_limit = limit;
        self
    }

    /// Sets how many idle dedicated connections are kept for blocking reads.
    pub fn max_idle_blocking_connections(mut self, max: usize) -> RedisOptions {
        self.max_idle_blocking_connections = max;
        self
    }

    /// Sets the most dedicated connections for blocking reads open at a time (see
    /// [`RedisOptions::max_blocking_connections`] for what happens when they are all in use).
    pub fn max_blocking_connections(mut self, max: usize) -> RedisOptions {
        self.max_blocking_connections = max;
        self
    }

    /// Sets the publish mode ([`PublishMode::Indexed`] by default).
    pub fn publish_mode(mut self, mode: PublishMode) -> RedisOptions {
        self.publish_mode = mode;
        self
    }

    /// Sets the retries of a cluster request (see [`RedisOptions::cluster_retries`]).
    pub fn cluster_retries(mut self, retries: u32) -> RedisOptions {
        self.cluster_retries = retries;
        self
    }

    /// Makes every indexed publish wait for `replicas` replicas, at most `timeout` (see
    /// [`RedisOptions::durable`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = bus_redis::RedisOptions::new().durable(1, Duration::from_millis(50));
    /// assert_eq!(options.durable.map(|d| d.replicas), Some(1));
    /// ```
    pub fn durable(mut self, replicas: u32, timeout: Duration) -> RedisOptions {
        self.durable = Some(crate::Durable { replicas, timeout });
        self
    }

    /// Trusts this CA certificate (PEM) for `rediss://` instead of the system roots.
    pub fn tls_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> RedisOptions {
        self.tls_root_certificate = Some(pem.into());
        self
    }

    /// Checks the values.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.tls_root_certificate.is_some() && !cfg!(feature = "tls") {
            return Err(Error::invalid_argument(
                "tls_root_certificate needs bus-redis's `tls` feature",
            ));
        }
        if self.key_prefix.contains(['{', '}']) {
            return Err(Error::invalid_argument(format!(
                "invalid key prefix {:?}: braces are reserved for the index keys' cluster hash tag",
                self.key_prefix
            )));
        }
        if self.block_chunk < Duration::from_millis(1) {
            return Err(Error::invalid_argument("block_chunk must be at least 1 ms"));
        }
        if self.connect_timeout < Duration::from_millis(1) {
            return Err(Error::invalid_argument("connect_timeout must be at least 1 ms"));
        }
        if let Some(durable) = self.durable
            && (durable.replicas == 0
                || durable.timeout < Duration::from_millis(1)
                || durable.timeout >= self.response_timeout)
        {
            return Err(Error::invalid_argument(
                "durable needs at least 1 replica and a WAIT timeout of at least 1 ms, shorter than response_timeout",
            ));
        }
        if self.max_blocking_connections == 0 {
            return Err(Error::invalid_argument("max_blocking_connections must be at least 1"));
        }
        if self.lookup_page == 0 || self.index_cleanup_batch == 0 {
            return Err(Error::invalid_argument(
                "lookup_page and index_cleanup_batch must be positive",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_in_the_prefix_are_refused() {
        assert!(RedisOptions::new().key_prefix("a{b}:").validate().is_err());
        assert!(RedisOptions::new().key_prefix("app:").validate().is_ok());
    }
}
