//! The bus in one crate: everything of [`bus_core`] (re-exported here, so `bus::Bus`, `bus::Topic`,
//! `bus::Error`…), the backends behind cargo features, and [`connect`], which turns a URL into a [`Bus`] so an
//! application swaps backends by configuration alone.
//!
//! ```no_run
//! # async fn demo() -> bus::Result<()> {
//! // e.g. BUS_URL=redis://app:secret@redis.internal:6379/0 in production, memory:// in tests
//! let url = std::env::var("BUS_URL").unwrap_or_else(|_| "memory://".to_owned());
//! let bus = bus::connect(&url).await?;
//! let topic = bus::Topic::chat_agent("DevAgent")?;
//! bus.publish(&topic, &serde_json::json!({"content": "hi"})).await?;
//! # Ok(()) }
//! ```
//!
//! # URLs
//!
//! | URL | backend | cargo feature |
//! | --- | --- | --- |
//! | `memory://` | a fresh, empty [`MemoryBackend`] (nothing may follow the scheme) | `memory` |
//! | `redis://[user:password@]host[:port][/db]` | [`RedisBackend`] over TCP | `redis` |
//! | `rediss://…` (same form) | [`RedisBackend`] over TLS (rustls, system roots) | `tls` |
//! | `redis+unix:///path/to/socket[?db=n&user=u&pass=p]` (or `unix://…`) | [`RedisBackend`] on a unix socket | `redis` |
//! | `redis+cluster://[user:password@]host:port[,host:port…]` | [`RedisBackend`] on a Redis Cluster (the nodes given are seeds) | `redis` |
//! | `rediss+cluster://…` (same form) | [`RedisBackend`] on a Redis Cluster over TLS | `tls` |
//!
//! All three features are on by default. Schemes are matched case-insensitively. A Redis URL is handed as it is
//! to [`RedisBackend::connect`]; the Redis tuning that is not part of a URL (key prefix, timeouts, publish mode,
//! connection limits) goes through [`connect_with`] and [`RedisOptions`]. No query options of their own are
//! defined here.
//!
//! An unknown scheme, or a scheme whose feature this build leaves out, fails with
//! [`Error::InvalidArgument`] naming the scheme and the feature. Errors never quote the URL (only its scheme),
//! so a password in it cannot leak; to log which backend is in use, print [`redact_url`]`(url)`.
//!
//! # Agents, workers and subscriptions: [`runtime`]
//!
//! A [`Bus`] is the handle for single calls. What agents run on top of it is the runtime, crate [`bus_runtime`],
//! re-exported here as [`runtime`] (cargo feature `runtime`, on by default): a [`Worker`](runtime::Worker)
//! consumes a topic through a consumer group with retries, dead letters and recovery of crashed consumers; a
//! [`Subscription`](runtime::Subscription) tails topics as a fan-out stream that resumes without gaps; an
//! [`Agent`](runtime::Agent) is a worker on its inbox that follows pause and resume on its control topic;
//! [`Publisher`](runtime::Publisher) publishes with retention; handlers are closures or `tower` stacks
//! ([`runtime::handler`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> bus::Result<()> {
//! use bus::runtime::{Delivery, Worker, WorkerConfig};
//!
//! let bus = bus::connect("memory://").await?;
//! let topic = bus::Topic::chat_agent("DevAgent")?;
//! bus.publish(&topic, &serde_json::json!({"content": "hi"})).await?;
//! let (handled, mut payloads) = tokio::sync::mpsc::unbounded_channel();
//! // A new group starts at the beginning of the topic, so the worker sees the message published above.
//! let worker = Worker::new(bus.clone(), topic, "DevAgent", "replica-1", WorkerConfig::new()).spawn(
//!     move |delivery: Delivery| {
//!         let _ = handled.send(delivery.message.payload().to_owned());
//!         async { Ok::<(), bus::Error>(()) }
//!     },
//! );
//! assert_eq!(payloads.recv().await.as_deref(), Some(r#"{"content":"hi"}"#));
//! worker.shutdown().await?;
//! # Ok(()) }
//! ```

pub use bus_core::*;

#[cfg(feature = "memory")]
pub use bus_memory::{self, MemoryBackend};
#[cfg(feature = "redis")]
pub use bus_redis::{self, PublishMode, RedisBackend, RedisOptions, redact_url};
#[cfg(feature = "runtime")]
pub use bus_runtime as runtime;

/// The backend a URL selects (see the [crate documentation](crate#urls)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// `memory://`: [`bus_memory::MemoryBackend`].
    Memory,
    /// `redis://`, `rediss://`, `redis+unix://`, `unix://`: `bus_redis::RedisBackend`.
    Redis,
}

impl BackendKind {
    /// The backend `url` names, from its scheme alone, whether or not this build includes it.
    ///
    /// ```
    /// assert_eq!(bus::BackendKind::of_url("rediss://:pw@host:6380/0")?, bus::BackendKind::Redis);
    /// assert!(bus::BackendKind::of_url("kafka://host").is_err());
    /// # Ok::<(), bus::Error>(())
    /// ```
    pub fn of_url(url: &str) -> Result<BackendKind> {
        Ok(Scheme::of_url(url)?.kind())
    }

    /// `"memory"` or `"redis"`.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Memory => "memory",
            BackendKind::Redis => "redis",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The schemes [`connect`] knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Memory,
    Redis,
    Rediss,
    RedisUnix,
    Unix,
    RedisCluster,
    RedissCluster,
}

/// What an error says the accepted schemes are.
const EXPECTED: &str = "expected memory:// (feature `memory`), redis://, redis+unix:// or redis+cluster:// (feature `redis`), or rediss:// or rediss+cluster:// (feature `tls`)";

impl Scheme {
    fn of_url(url: &str) -> Result<Scheme> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(Error::invalid_argument(format!("bus URL without a scheme: {EXPECTED}")));
        };
        // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Anything else is not quoted: it may be a secret.
        let well_formed = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !well_formed {
            return Err(Error::invalid_argument(format!(
                "bus URL with a malformed scheme: {EXPECTED}"
            )));
        }
        let parsed = match scheme.to_ascii_lowercase().as_str() {
            "memory" => Scheme::Memory,
            "redis" => Scheme::Redis,
            "rediss" => Scheme::Rediss,
            "redis+unix" => Scheme::RedisUnix,
            "unix" => Scheme::Unix,
            "redis+cluster" => Scheme::RedisCluster,
            "rediss+cluster" => Scheme::RedissCluster,
            _ => {
                return Err(Error::invalid_argument(format!(
                    "unknown bus URL scheme '{scheme}': {EXPECTED}"
                )));
            }
        };
        if parsed == Scheme::Memory && !rest.is_empty() {
            return Err(Error::invalid_argument(
                "the memory:// URL takes nothing after the scheme (each connect makes a fresh, empty backend)",
            ));
        }
        Ok(parsed)
    }

    fn kind(self) -> BackendKind {
        match self {
            Scheme::Memory => BackendKind::Memory,
            Scheme::Redis
            | Scheme::Rediss
            | Scheme::RedisUnix
            | Scheme::Unix
            | Scheme::RedisCluster
            | Scheme::RedissCluster => BackendKind::Redis,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Scheme::Memory => "memory",
            Scheme::Redis => "redis",
            Scheme::Rediss => "rediss",
            Scheme::RedisUnix => "redis+unix",
            Scheme::Unix => "unix",
            Scheme::RedisCluster => "redis+cluster",
            Scheme::RedissCluster => "rediss+cluster",
        }
    }

    /// The cargo feature of this crate the scheme needs.
    fn feature(self) -> &'static str {
        match self {
            Scheme::Memory => "memory",
            Scheme::Rediss | Scheme::RedissCluster => "tls",
            Scheme::Redis | Scheme::RedisUnix | Scheme::Unix | Scheme::RedisCluster => "redis",
        }
    }

    fn enabled(self) -> bool {
        match self {
            Scheme::Memory => cfg!(feature = "memory"),
            Scheme::Rediss | Scheme::RedissCluster => cfg!(feature = "tls"),
            Scheme::Redis | Scheme::RedisUnix | Scheme::Unix | Scheme::RedisCluster => cfg!(feature = "redis"),
        }
    }

    /// The error for a scheme this build leaves out.
    fn disabled(self) -> Error {
        Error::invalid_argument(format!(
            "bus URL scheme '{}' needs cargo feature `{}` of crate `bus`, which this build does not enable",
            self.text(),
            self.feature()
        ))
    }
}

/// A [`Bus`] on the backend `url` names (see the [crate documentation](crate#urls)), with default Redis
/// options.
///
/// Fails with [`Error::InvalidArgument`] for an unknown or disabled scheme (naming it and its cargo feature),
/// and with the errors of `RedisBackend::connect` otherwise: at once with [`Error::Config`] for what no retry
/// can fix (a bad URL part, wrong credentials, a database out of range, TLS on one side only, not a Redis
/// server, an unknown host; [`Error::kind`] names it), and after `RedisOptions::connect_timeout` (5 s by
/// default) for a server that cannot be reached. Nothing returned or logged contains the URL's password.
pub async fn connect(url: &str) -> Result<Bus> {
    #[cfg(feature = "redis")]
    {
        connect_with(url, RedisOptions::new()).await
    }
    #[cfg(not(feature = "redis"))]
    {
        let scheme = Scheme::of_url(url)?;
        if !scheme.enabled() {
            return Err(scheme.disabled());
        }
        match scheme.kind() {
            #[cfg(feature = "memory")]
            BackendKind::Memory => Ok(Bus::new(MemoryBackend::new())),
            #[allow(unreachable_patterns, reason = "reachable only without the `memory` feature")]
            _ => Err(scheme.disabled()),
        }
    }
}

/// [`connect`] with these options for a Redis URL (they are ignored for `memory://`).
///
/// ```no_run
/// # async fn demo() -> bus::Result<()> {
/// use std::time::Duration;
/// let options = bus::RedisOptions::new().key_prefix("app1:").response_timeout(Duration::from_secs(2));
/// let bus = bus::connect_with("redis://127.0.0.1:6379/0", options).await?;
/// # let _ = bus; Ok(()) }
/// ```
#[cfg(feature = "redis")]
pub async fn connect_with(url: &str, options: RedisOptions) -> Result<Bus> {
    let scheme = Scheme::of_url(url)?;
    if !scheme.enabled() {
        return Err(scheme.disabled());
    }
    match scheme.kind() {
        #[cfg(feature = "memory")]
        BackendKind::Memory => Ok(Bus::new(MemoryBackend::new())),
        BackendKind::Redis => Ok(Bus::new(RedisBackend::connect(url, options).await?)),
        #[allow(unreachable_patterns, reason = "reachable only without the `memory` feature")]
        _ => Err(scheme.disabled()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(url: &str) -> String {
        match Scheme::of_url(url) {
            Err(Error::InvalidArgument { message }) => message,
            other => panic!("expected InvalidArgument for {url:?}, got {other:?}"),
        }
    }

    #[test]
    fn schemes_select_backends() {
        let cases = [
            ("memory://", Scheme::Memory, BackendKind::Memory),
            ("MEMORY://", Scheme::Memory, BackendKind::Memory),
            ("redis://127.0.0.1:6379/0", Scheme::Redis, BackendKind::Redis),
            ("Redis://u:p@host", Scheme::Redis, BackendKind::Redis),
            ("rediss://:pw@host:6380", Scheme::Rediss, BackendKind::Redis),
            ("redis+unix:///tmp/r.sock?db=2", Scheme::RedisUnix, BackendKind::Redis),
            ("unix:///tmp/r.sock", Scheme::Unix, BackendKind::Redis),
            (
                "redis+cluster://h1:7000,h2:7001",
                Scheme::RedisCluster,
                BackendKind::Redis,
            ),
            (
                "rediss+cluster://:pw@h1:7000",
                Scheme::RedissCluster,
                BackendKind::Redis,
            ),
        ];
        for (url, scheme, kind) in cases {
            assert_eq!(Scheme::of_url(url).ok(), Some(scheme), "{url}");
            assert_eq!(BackendKind::of_url(url).ok(), Some(kind), "{url}");
        }
        assert_eq!(Scheme::Rediss.feature(), "tls");
        assert_eq!(Scheme::RedisUnix.feature(), "redis");
        assert_eq!(BackendKind::Redis.to_string(), "redis");
    }

    #[test]
    fn bad_urls_are_typed_errors_that_never_quote_secrets() {
        let unknown = message("kafka://user:s3cret@host:9092");
        assert!(
            unknown.starts_with("unknown bus URL scheme 'kafka': expected memory://"),
            "{unknown}"
        );
        assert!(
            unknown.contains("feature `redis`") && !unknown.contains("s3cret"),
            "{unknown}"
        );

        let no_scheme = message("user:s3cret@localhost:6379");
        assert!(no_scheme.starts_with("bus URL without a scheme"), "{no_scheme}");
        assert!(!no_scheme.contains("s3cret"), "{no_scheme}");

        let malformed = message("u:s3cret@host://x");
        assert!(malformed.starts_with("bus URL with a malformed scheme"), "{malformed}");
        assert!(!malformed.contains("s3cret"), "{malformed}");

        assert!(message("memory://somewhere").starts_with("the memory:// URL takes nothing"));
        assert!(message("").starts_with("bus URL without a scheme"));
    }

    #[test]
    fn disabled_schemes_name_their_feature() {
        assert_eq!(
            Scheme::Rediss.disabled().to_string(),
            "bus URL scheme 'rediss' needs cargo feature `tls` of crate `bus`, which this build does not enable"
        );
        assert!(matches!(Scheme::Memory.disabled(), Error::InvalidArgument { .. }));
        assert_eq!(Scheme::Memory.enabled(), cfg!(feature = "memory"));
        assert_eq!(Scheme::Redis.enabled(), cfg!(feature = "redis"));
        assert_eq!(Scheme::Rediss.enabled(), cfg!(feature = "tls"));
    }

    #[cfg(feature = "memory")]
    #[tokio::test]
    async fn memory_urls_give_fresh_memory_buses() {
        let bus = connect("memory://").await.unwrap();
        assert!(format!("{bus:?}").contains("MemoryBackend"), "{bus:?}");
        let topic = Topic::chat_agent("A").unwrap();
        bus.publish(&topic, &serde_json::json!({"n": 1})).await.unwrap();
        assert_eq!(bus.backend().len(&topic).await.unwrap(), 1);
        // Each connect is a new, empty backend.
        let other = connect("memory://").await.unwrap();
        assert_eq!(other.backend().len(&topic).await.unwrap(), 0);
    }

    #[cfg(not(feature = "redis"))]
    #[tokio::test]
    async fn redis_urls_without_the_feature_fail_clearly() {
        let err = connect("redis://u:s3cret@host").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "bus URL scheme 'redis' needs cargo feature `redis` of crate `bus`, which this build does not enable"
        );
    }

    #[cfg(all(feature = "redis", not(feature = "tls")))]
    #[tokio::test]
    async fn rediss_urls_without_tls_fail_clearly() {
        let err = connect("rediss://:s3cret@host").await.unwrap_err();
        assert!(err.to_string().contains("feature `tls`"), "{err}");
    }
}
