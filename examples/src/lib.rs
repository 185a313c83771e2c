//! Runnable examples of the bus; see the `examples/` folder of this crate.
//!
//! Run one with `cargo run -p examples --example quickstart` (or `agent_chat`, `worker_pool`, `sse`, `metrics`).
//!
//! The library part holds what an example shares with its tests: [`sse`], the Server-Sent Events router and a
//! minimal SSE client; [`metrics`], the Prometheus recorder, its `/metrics` route and a scraper.

pub mod metrics;
pub mod sse;

/// The README's Rust blocks, compiled as this crate's doc-tests (`cargo test -p examples --doc`), so the README
/// shows code that builds against the current API, with nothing hidden.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

/// The first 8 hex digits of a fresh UUID: examples suffix their topic names with it, so reruns on the same
/// Redis server never see each other's entries.
pub fn run_id() -> String {
    let uuid = bus::Uuid::new_v4().simple().to_string();
    uuid[..8].to_owned()
}

/// Environment variable `name` parsed as a `T`, or `default` when it is not set (a port, a number of seconds).
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T, T::Err> {
    match std::env::var(name) {
        Ok(value) => value.parse(),
        Err(_) => Ok(default),
    }
}

/// The backend URL the examples use: `BUS_URL`, else `memory://`.
pub fn bus_url() -> String {
    std::env::var("BUS_URL").unwrap_or_else(|_| "memory://".to_owned())
}

/// The backend a URL names, as the examples print it first: its kind and the URL without its password, e.g.
/// `memory (memory://)`.
pub fn backend_label(url: &str) -> bus::Result<String> {
    Ok(format!("{} ({})", bus::BackendKind::of_url(url)?, bus::redact_url(url)))
}

/// Runs an example's `body` until it ends, or until the process is asked to stop (Ctrl-C, or SIGTERM as `kill`
/// and service managers send it), whichever comes first: `None` when interrupted, `body` then being dropped
/// mid-way.
///
/// Either way it returns, so the example drops the topics it made: a run stopped early leaves nothing behind in
/// Redis, as a run that finishes does. Work the example spawned (servers, producers, workers) is stopped by the
/// caller before the topics are dropped, or it would write them again.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let answer = examples::or_interrupted(async { 42 }).await;
/// assert_eq!(answer, Some(42));
/// # }
/// ```
pub async fn or_interrupted<T>(body: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::select! {
        output = body => Some(output),
        () = interrupted() => {
            println!("interrupted: cleaning up");
            None
        }
    }
}

/// Resolves at the first SIGINT or SIGTERM; never when the handlers cannot be installed (the example then runs
/// to its end, as before).
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}
