//! Runnable examples of the bus; see the `examples/` folder of this crate.
//!
//! Run one with `cargo run -p examples --example quickstart` (or `agent_chat`, `worker_pool`, `sse`, `metrics`).
//!
//! The library part holds what an example shares with its tests: [`sse`], the Server-Sent Events router and a
//! minimal SSE client; [`metrics`], the Prometheus recorder, its `/metrics` route and a scraper.

pub mod metrics;
pub mod sse;

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
