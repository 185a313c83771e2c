//! The runtime's metrics in Prometheus's text format: the recorder of `metrics-exporter-prometheus` installed
//! for the [`metrics`](bus_runtime::observe) facade the runtime emits through, a `GET /metrics` route serving
//! its rendering (mounted on an axum router, so an application serves it beside its own routes instead of on a
//! second listener), and the small client the `metrics` example and its tests scrape it with.
//!
//! The metric names and labels are documented in one table, in [`bus_runtime::observe`].

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The path the route serves.
pub const METRICS_PATH: &str = "/metrics";

/// Installs the Prometheus recorder as the process's global `metrics` recorder, gives the runtime's metrics their
/// help text ([`bus_runtime::observe::describe`]), and keeps its upkeep running (in a tokio task: call it inside
/// a runtime). Fails if a recorder is already installed.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new().install_recorder()?;
    bus_runtime::observe::describe();
    // Upkeep drains histogram buckets; the runtime has none today, but a recorder shared with the application may.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// A router serving `GET /metrics` with what `handle` renders (content type `text/plain; version=0.0.4`, what
/// Prometheus scrapes).
pub fn router(handle: PrometheusHandle) -> Router {
    Router::new().route(
        METRICS_PATH,
        get(move || {
            let handle = handle.clone();
            async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response() }
        }),
    )
}

/// Scrapes `http://{addr}/metrics` as Prometheus would (one HTTP/1.1 GET) and returns the body.
pub async fn scrape(addr: SocketAddr) -> io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {METRICS_PATH} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8(response).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no end of the response headers"))?;
    if !head.starts_with("HTTP/1.1 200") {
        let status = head.lines().next().unwrap_or_default();
        return Err(io::Error::other(format!("the scrape answered {status}")));
    }
    Ok(body.to_owned())
}

/// The value of the sample of metric `name` whose labels include every `(name, value)` of `labels`, in a
/// scrape's text; `None` when there is none.
///
/// ```
/// let text = "# TYPE hits_total counter\nhits_total{topic=\"chat:a\",group=\"g\"} 3\nhits_total{topic=\"chat:b\",group=\"g\"} 1\n";
/// assert_eq!(examples::metrics::sample(text, "hits_total", &[("topic", "chat:b")]), Some(1.0));
/// assert_eq!(examples::metrics::sample(text, "hits_total", &[("roup", "g")]), None);
/// assert_eq!(examples::metrics::sample(text, "hits", &[]), None);
/// ```
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|line| !line.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, series_labels) = match series.split_once('{') {
            Some((metric, rest)) => (metric, parse_labels(rest.strip_suffix('}')?)?),
            None => (series, Vec::new()),
        };
        let matches = metric == name
            && labels
                .iter()
                .all(|&(key, value)| series_labels.iter().any(|(k, v)| *k == key && v == value));
        if matches { value.parse().ok() } else { None }
    })
}

/// `k="v",k2="v2"` (values escaped as Prometheus writes them: `\\`, `\"`, `\n`) as pairs.
fn parse_labels(mut text: &str) -> Option<Vec<(&str, String)>> {
    let mut pairs = Vec::new();
    while !text.is_empty() {
        let (key, rest) = text.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        pairs.push((key, value));
        text = rest[end + 1..].strip_prefix(',').unwrap_or(&rest[end + 1..]);
    }
    Some(pairs)
}
