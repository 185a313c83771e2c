//! Opening a backend: one overall connect timeout, retries for what may pass, and an immediate, typed error
//! for what no retry can fix.
//!
//! [`RedisBackend::connect`](crate::RedisBackend::connect) calls [`establish`], which opens the shared
//! connection (the `redis` crate's connection manager, whose handshake sends `AUTH` and `SELECT`), sends a
//! `PING` on it (what a password-protected server answers `NOAUTH` to when the URL has no password) and sorts
//! the outcome:
//! - **fatal at once** ([`Error::Config`], not retryable): wrong or missing credentials, a database index out
//!   of range, TLS on one side only or a certificate that is not accepted, something that is not Redis on the
//!   port, a host name that does not resolve, a URL the `redis` crate refuses ([`client`] explains which part);
//! - **retried** with a short doubling backoff (20 ms up to 500 ms) until
//!   [`RedisOptions::connect_timeout`] runs out: connection refused or reset, no answer yet, a server still
//!   loading. The error then says how long it tried, how many attempts it made and what the last one met:
//!   [`Error::Connection`] after a transport failure, [`Error::Timeout`] (with the real elapsed time) when
//!   the last attempt got no answer.
//!
//! A `rediss://` URL on a plain server is a handshake that never ends: the server waits for a command line, the
//! client for the TLS server hello. So when a TLS handshake has not finished after [`TLS_PROBE_DELAY`], a
//! second, plain connection sends `PING`; a Redis-protocol answer (`+PONG`, `-NOAUTH …`) proves the server
//! speaks plain Redis, and the connect fails at once with [`ConfigProblem::Tls`]. A healthy TLS server never
//! sees that probe unless its handshake is slow, and then only ignores one malformed connection.
//!
//! The connection manager makes one attempt per connect (`number_of_retries(0)`: its own retries would sleep
//! through failures no retry can fix); the loop here does the retrying. After a transport failure later on, it
//! reconnects by itself on the next command, again one attempt per command, so callers meet a retryable
//! error at once instead of a command stalled in a backoff. Every message names the URL with its password
//! masked and scrubs the password from the `redis` crate's text.

use std::time::Duration;

use bus_core::{ConfigProblem, Error, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::{Client, ConnectionAddr, ErrorKind, RedisError, Value};
use tokio::time::Instant;

use crate::cluster::ClusterUrl;
use crate::options::RedisOptions;
use crate::redact::Secrets;
use crate::shared::Shared;

/// How long a TLS handshake may run before a plain `PING` checks whether the server speaks TLS at all.
pub(crate) const TLS_PROBE_DELAY: Duration = Duration::from_millis(200);

/// The first and the longest pause between two attempts.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(20), Duration::from_millis(500));

/// The URL being connected to, in the forms errors need.
pub(crate) struct Target<'a> {
    /// The URL as given (only parsed, never printed).
    pub(crate) url: &'a str,
    /// The URL with its password masked: the only form printed.
    pub(crate) redacted: &'a str,
    /// The URL's passwords, scrubbed from the `redis` crate's messages.
    pub(crate) secrets: &'a Secrets,
}

impl Target<'_> {
    /// `connect redis://…`: the operation as errors name it.
    fn operation(&self) -> String {
        format!("connect {}", self.redacted)
    }

    fn config(&self, problem: ConfigProblem, what: impl std::fmt::Display) -> Error {
        Error::Config {
            problem,
            message: format!("cannot {}: {what}", self.operation()),
        }
    }
}

/// Where a backend connects: one server, or a cluster through its seeds.
pub(crate) enum Endpoint {
    /// One server.
    Single(Client),
    /// A Redis Cluster: its client and its URL (for the nodes' own connections).
    Cluster(Box<ClusterClient>, ClusterUrl),
}

/// The endpoint a URL names: a cluster for `redis+cluster://` and `rediss+cluster://`, else one server.
pub(crate) fn endpoint(target: &Target<'_>, options: &RedisOptions) -> Result<Endpoint> {
    match ClusterUrl::parse(target.url, target.redacted) {
        Some(url) => {
            let url = url?;
            cluster_client(&url, options)
                .map(|client| Endpoint::Cluster(Box::new(client), url))
                .map_err(|err| target.config(ConfigProblem::Url, explain(&target.secrets.scrub(err.to_string()))))
        }
        None => client(target, options).map(Endpoint::Single),
    }
}

/// The cluster client: every request bounded by the response timeout, retries included, and a retry budget
/// sized to a failover (see [`RedisOptions::cluster_retries`]).
fn cluster_client(url: &ClusterUrl, options: &RedisOptions) -> redis::RedisResult<ClusterClient> {
    let seeds: Vec<String> = url.seeds.iter().map(|(host, port)| url.node_url(host, *port)).collect();
    let max_wait = u64::try_from(options.cluster_max_retry_wait.as_millis()).unwrap_or(u64::MAX);
    let builder = ClusterClientBuilder::new(seeds)
        .connection_timeout(options.connect_timeout)
        .response_timeout(options.response_timeout)
        .overall_response_timeout(Some(options.response_timeout))
        .retries(options.cluster_retries)
        .min_retry_wait(max_wait.min(10))
        .max_retry_wait(max_wait)
        .retry_wait_formula(20, 2);
    #[cfg(feature = "tls")]
    let builder = match &options.tls_root_certificate {
        Some(pem) => builder.certs(redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.clone()),
        }),
        None => builder,
    };
    builder.build()
}

/// The `redis` client for the URL, trusting `options`' CA certificate when one is given. A URL the `redis`
/// crate refuses is [`ConfigProblem::Url`], with the part that is wrong (its own message says only "did not
/// parse" when the URL is not a URL at all).
pub(crate) fn client(target: &Target<'_>, options: &RedisOptions) -> Result<Client> {
    open_client(target.url, options).map_err(|err| {
        let what = match url::Url::parse(target.url) {
            Err(parse) => describe_parse_error(parse),
            Ok(_) => explain(&target.secrets.scrub(err.to_string())),
        };
        Error::Config {
            problem: ConfigProblem::Url,
            message: format!("invalid Redis URL {}: {what}", target.redacted),
        }
    })
}

pub(crate) fn open_client(url: &str, options: &RedisOptions) -> redis::RedisResult<Client> {
    #[cfg(feature = "tls")]
    if let Some(pem) = &options.tls_root_certificate {
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.clone()),
        };
        return Client::build_with_tls(url, certificates);
    }
    #[cfg(not(feature = "tls"))]
    let _ = options;
    Client::open(url)
}

/// The `redis` crate's message about a URL that parses, with what to write instead.
fn explain(message: &str) -> String {
    let message = message.trim_end_matches(" - InvalidClientConfig");
    let hint = match message {
        "Invalid database number" => {
            " (the database is a number: the path of redis://host:6379/0, or db= of a unix-socket URL)"
        }
        "Missing hostname" => " (expected redis://host[:port][/db])",
        _ => "",
    };
    format!("{message}{hint}")
}

/// What is wrong with a URL that does not parse, in words a person can act on.
fn describe_parse_error(err: url::ParseError) -> String {
    match err {
        url::ParseError::InvalidPort => "invalid port number (a port is a number from 1 to 65535)".to_owned(),
        url::ParseError::EmptyHost => "no host (expected redis://host[:port][/db])".to_owned(),
        url::ParseError::InvalidIpv6Address => {
            "invalid IPv6 address (expected one in brackets, as in redis://[::1]:6379)".to_owned()
        }
        url::ParseError::RelativeUrlWithoutBase => {
            "not a URL (expected redis://[user:password@]host[:port][/db])".to_owned()
        }
        other => other.to_string(),
    }
}

/// Opens the shared connection and checks it, retrying what may pass until `options.connect_timeout` runs out.
pub(crate) async fn establish(endpoint: &Endpoint, target: &Target<'_>, options: &RedisOptions) -> Result<Shared> {
    let started = Instant::now();
    let deadline = started + options.connect_timeout;
    let mut pause = BACKOFF.0;
    let mut attempts = 0u32;
    // The last failure that said something; an attempt cut short by the deadline says nothing (the last one
    // may have had only milliseconds), so a refused server is reported as refused, not as silent.
    let mut last = None;
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, attempt(endpoint, target, options, remaining)).await {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(Failure::Fatal(err))) => return Err(err),
            Ok(Err(Failure::Passing(message))) => last = Some(message),
            Ok(Err(Failure::NoAnswer)) | Err(_) => {}
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(gave_up(target, options, started.elapsed(), attempts, last));
        }
        tokio::time::sleep(pause.min(remaining)).await;
        pause = (pause * 2).min(BACKOFF.1);
    }
}

/// The error after the connect timeout ran out: what the last telling attempt met (`None`: no answer at all).
fn gave_up(
    target: &Target<'_>,
    options: &RedisOptions,
    elapsed: Duration,
    attempts: u32,
    last: Option<String>,
) -> Error {
    let elapsed = Duration::from_millis(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
    let tries = if attempts == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{attempts} attempts")
    };
    match last {
        Some(message) => {
            // A TLS server resets a plain client's connection at once.
            let hint = if message.contains("reset by peer") && target.url.to_ascii_lowercase().starts_with("redis://") {
                "; the server closed each connection at once: if it expects TLS, use a rediss:// URL"
            } else {
                ""
            };
            Error::Connection {
                operation: target.operation(),
                message: format!(
                    "{message} (gave up after {tries} in {elapsed:?}: connect_timeout is {:?}{hint})",
                    options.connect_timeout
                ),
            }
        }
        None => Error::Timeout {
            operation: format!("{}: no answer, {tries}", target.operation()),
            elapsed,
            may_have_executed: false,
        },
    }
}

/// Why one attempt failed.
enum Failure {
    /// No retry can fix it.
    Fatal(Error),
    /// It may pass: the message to report if it is the last.
    Passing(String),
    /// The server did not answer in time; it may yet.
    NoAnswer,
}

/// One connection and its `PING`, and for a TLS URL the plain probe racing a slow handshake.
async fn attempt(
    endpoint: &Endpoint,
    target: &Target<'_>,
    options: &RedisOptions,
    budget: Duration,
) -> std::result::Result<Shared, Failure> {
    let client = match endpoint {
        Endpoint::Single(client) => client,
        Endpoint::Cluster(client, url) => {
            let seeds = url
                .seeds
                .iter()
                .map(|(h, p)| format!("{h}:{p}"))
                .collect::<Vec<_>>()
                .join(",");
            return check(async { client.get_async_connection().await.map(Shared::Cluster) })
                .await
                .map_err(|err| classify(&err, target, &seeds, 0));
        }
    };
    let config = ConnectionManagerConfig::new()
        .set_response_timeout(Some(options.response_timeout))
        .set_connection_timeout(Some(options.connect_timeout.min(budget)))
        .set_number_of_retries(0);
    let connected = check(async {
        ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map(Shared::Single)
    });
    let info = client.get_connection_info();
    let (addr, db) = (info.addr().to_string(), info.redis_settings().db());
    let ConnectionAddr::TcpTls { host, port, .. } = info.addr() else {
        return connected.await.map_err(|err| classify(&err, target, &addr, db));
    };
    tokio::select! {
        result = connected => result.map_err(|err| classify(&err, target, &addr, db)),
        () = plain_server(host, *port) => Err(Failure::Fatal(target.config(
            ConfigProblem::Tls,
            format!(
                "the server at {host}:{port} speaks plain Redis, not TLS: use a redis:// URL, or enable TLS \
                 on the server"
            ),
        ))),
    }
}

/// The connection `connect` opens, once a `PING` on it was answered.
async fn check(connect: impl std::future::Future<Output = redis::RedisResult<Shared>>) -> redis::RedisResult<Shared> {
    let mut conn = connect.await?;
    let pong: redis::RedisResult<Value> = redis::cmd("PING").query_async(&mut conn).await;
    match pong {
        // An ACL user without the right to PING has authenticated: that is all this checks.
        Err(err) if err.code() == Some("NOPERM") => Ok(conn),
        other => other.map(|_| conn),
    }
}

/// Completes only when, after [`TLS_PROBE_DELAY`], a plain `PING` to `host:port` gets a Redis-protocol answer
/// (a simple string or an error); otherwise never, leaving the TLS handshake to finish or time out.
async fn plain_server(host: &str, port: u16) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::time::sleep(TLS_PROBE_DELAY).await;
    let answer = async {
        let mut stream = tokio::net::TcpStream::connect((host, port)).await.ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut first = [0u8; 1];
        stream.read_exact(&mut first).await.ok()?;
        Some(first[0])
    };
    if matches!(answer.await, Some(b'+' | b'-')) {
        return;
    }
    std::future::pending::<()>().await;
}

/// Sorts a failed attempt on `addr` (database `db`): fatal configuration problems, and failures that may pass.
fn classify(err: &RedisError, target: &Target<'_>, addr: &str, db: i64) -> Failure {
    if err.kind() == ErrorKind::AuthenticationFailed || matches!(err.code(), Some("WRONGPASS")) {
        return Failure::Fatal(target.config(
            ConfigProblem::Auth,
            "authentication failed: the server refused the URL's username/password (a wrong password, or an \
             unknown or disabled user)",
        ));
    }
    match err.code() {
        Some("NOAUTH") => {
            return Failure::Fatal(target.config(
                ConfigProblem::Auth,
                "authentication failed: the server requires a password and the URL gives none \
                 (redis://:password@host, or redis://user:password@host for an ACL user)",
            ));
        }
        Some("ERR") if err.detail().is_some_and(|d| d.contains("cluster support disabled")) => {
            return Failure::Fatal(target.config(
                ConfigProblem::NotCluster,
                format!("{addr} is not in cluster mode (use a redis:// URL for a single server)"),
            ));
        }
        Some("ERR") if err.detail().is_some_and(|d| d.starts_with("DB index is out of range")) => {
            return Failure::Fatal(target.config(
                ConfigProblem::Database,
                format!(
                    "the server has no database {db} (SELECT {db}: DB index is out of range); its `databases` \
                     setting decides how many it has (16 by default, numbered 0 to 15)"
                ),
            ));
        }
        Some("LOADING" | "BUSY" | "TRYAGAIN" | "MASTERDOWN" | "CLUSTERDOWN") => {
            return Failure::Passing(target.secrets.scrub(err.to_string()));
        }
        Some(code) => {
            let detail = target.secrets.scrub(err.detail().unwrap_or_default().to_owned());
            return Failure::Fatal(Error::Backend {
                message: format!(
                    "cannot {}: the server refused the setup: {code} {detail}",
                    target.operation()
                ),
                retryable: false,
            });
        }
        None => {}
    }
    if matches!(err.kind(), ErrorKind::Parse | ErrorKind::UnexpectedReturnType) {
        return Failure::Fatal(target.config(
            ConfigProblem::NotRedis,
            format!(
                "what answers on {addr} does not speak the Redis protocol (is it a Redis server? is the port \
                 right?)"
            ),
        ));
    }
    if let Some(tls) = tls_error(err) {
        return Failure::Fatal(target.config(ConfigProblem::Tls, tls));
    }
    let message = target.secrets.scrub(err.to_string());
    if is_unknown_host(&message) {
        return Failure::Fatal(target.config(
            ConfigProblem::UnknownHost,
            format!("the host name of {addr} does not resolve ({message})"),
        ));
    }
    if err.is_timeout() {
        return Failure::NoAnswer;
    }
    if err.is_io_error() {
        return Failure::Passing(message);
    }
    Failure::Fatal(Error::Backend {
        message: format!("cannot {}: {message}", target.operation()),
        retryable: false,
    })
}

/// The I/O error inside a `redis` crate error, if it wraps one.
fn io_error(err: &RedisError) -> Option<&std::io::Error> {
    let source = std::error::Error::source(err)?;
    let shared = source.downcast_ref::<std::sync::Arc<dyn std::error::Error + Send + Sync>>()?;
    shared.downcast_ref::<std::io::Error>()
}

/// What a failed TLS handshake says, when the failure is the handshake's (rustls) and not the transport's.
fn tls_error(err: &RedisError) -> Option<String> {
    #[cfg(feature = "tls")]
    {
        let tls = io_error(err)?.get_ref()?.downcast_ref::<rustls::Error>()?;
        let hint = match tls {
            rustls::Error::InvalidCertificate(_) => {
                " (a certificate from a private CA needs RedisOptions::tls_root_certificate)"
            }
            _ => " (does the server speak TLS on this port? a plain server needs a redis:// URL)",
        };
        Some(format!("the TLS handshake failed: {tls}{hint}"))
    }
    #[cfg(not(feature = "tls"))]
    {
        let _ = io_error(err);
        None
    }
}

/// Whether a resolver's message says the name does not exist (glibc, musl, macOS, Windows wording), as
/// opposed to a temporary failure of the resolver, which may pass.
fn is_unknown_host(message: &str) -> bool {
    [
        "Name or service not known",
        "No address associated with hostname",
        "nodename nor servname provided",
        "No such host is known",
        "Name does not resolve",
    ]
    .iter()
    .any(|wording| message.contains(wording))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_say_which_part_is_wrong() {
        assert!(describe_parse_error(url::ParseError::InvalidPort).contains("1 to 65535"));
        assert!(describe_parse_error(url::ParseError::InvalidIpv6Address).contains("brackets"));
    }

    #[test]
    fn only_a_missing_name_is_an_unknown_host() {
        assert!(is_unknown_host(
            "failed to lookup address information: Name or service not known"
        ));
        assert!(!is_unknown_host(
            "failed to lookup address information: Temporary failure in name resolution"
        ));
    }
}
