//! Server-Sent Events over the bus: an axum [`router`] that streams `stream:{conversation_id}` to HTTP clients,
//! and a minimal [`SseClient`] (raw HTTP/1.1 over a `TcpStream`) used by the `sse` example and its tests.
//!
//! Each entry becomes one SSE event whose `id` is the entry id and whose `data` is the message's JSON payload. A
//! client that reconnects sends the last id it saw in the `Last-Event-ID` header (browsers' `EventSource` does
//! it by itself), and the stream resumes right after that entry with a [`Subscription`] started at
//! [`StartFrom::Entry`]: no gap, no duplicate. If the entries after that id were trimmed meanwhile, the client
//! gets an `event: gap` first, so a loss is never silent.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bus::{Bus, EntryId, Received, Topic};
use bus_runtime::{StartFrom, Subscription, SubscriptionItem};
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The path of a conversation's event stream.
pub fn stream_path(conversation_id: &str) -> String {
    format!("/conversations/{conversation_id}/stream")
}

/// The router: `GET /conversations/{conversation_id}/stream` streams `stream:{conversation_id}` as SSE, from the
/// start of the topic, or after the entry named by `Last-Event-ID`.
pub fn router(bus: Bus) -> Router {
    Router::new()
        .route("/conversations/{conversation_id}/stream", get(stream))
        .with_state(bus)
}

async fn stream(
    State(bus): State<Bus>,
    Path(conversation_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, (StatusCode, String)> {
    let bad_request = |err: String| (StatusCode::BAD_REQUEST, err);
    let topic = Topic::stream(&conversation_id).map_err(|err| bad_request(err.to_string()))?;
    let from = match headers.get("last-event-id") {
        None => StartFrom::Start,
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| bad_request("Last-Event-ID is not text".to_owned()))?;
            let id: EntryId = text
                .trim()
                .parse()
                .map_err(|err: bus::Error| bad_request(format!("Last-Event-ID {text:?}: {err}")))?;
            StartFrom::Entry(id)
        }
    };
    let events = Subscription::one(bus, topic, from).map(|item| Ok::<Event, Infallible>(to_event(item)));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

/// One subscription item as an SSE event.
fn to_event(item: bus::Result<SubscriptionItem>) -> Event {
    match item {
        Ok(SubscriptionItem::Entry { received, .. }) => {
            let event = Event::default().id(received.entry_id().to_string());
            match &received {
                Received::Message { message, .. } => event.data(message.payload()),
                Received::Malformed { reason, .. } => event.event("malformed").data(format!("{reason:?}")),
                Received::Deleted { .. } => event.event("deleted").data("{}"),
            }
        }
        Ok(SubscriptionItem::Gap { after, resumed_at, .. }) => Event::default()
            .event("gap")
            .data(format!(r#"{{"after":"{after}","resumed_at":"{resumed_at}"}}"#)),
        // A non-retryable error ends the subscription, so this is the last event.
        Err(err) => Event::default().event("error").data(err.to_string()),
    }
}

/// One event as a client reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id` field (the entry id), if any.
    pub id: Option<String>,
    /// The `event` field; `None` means the default type, `message`.
    pub event: Option<String>,
    /// The `data` lines, joined with `\n`.
    pub data: String,
}

/// A minimal SSE client over one HTTP/1.1 connection; dropping it closes the connection.
#[derive(Debug)]
pub struct SseClient {
    reader: BufReader<TcpStream>,
    chunked: bool,
    /// Body text received but not yet parsed into events.
    pending: String,
    done: bool,
}

impl SseClient {
    /// Opens `GET path` on `addr`, sending `Last-Event-ID` when given; fails unless the answer is `200 OK`.
    pub async fn connect(addr: SocketAddr, path: &str, last_event_id: Option<&str>) -> std::io::Result<SseClient> {
        let mut stream = TcpStream::connect(addr).await?;
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
        if let Some(id) = last_event_id {
            request.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).await?;
        if !status.starts_with("HTTP/1.1 200") {
            return Err(std::io::Error::other(format!("unexpected answer: {}", status.trim())));
        }
        let mut chunked = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        Ok(SseClient {
            reader,
            chunked,
            pending: String::new(),
            done: false,
        })
    }

    /// The next event with data (keep-alive comments are skipped); `None` when the server closed the stream.
    pub async fn next_event(&mut self) -> std::io::Result<Option<SseEvent>> {
        loop {
            while let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                if let Some(event) = parse_event(&block) {
                    return Ok(Some(event));
                }
            }
            if self.done {
                return Ok(None);
            }
            self.read_more().await?;
        }
    }

    /// Reads the next piece of the body into `pending`.
    async fn read_more(&mut self) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        if self.chunked {
            let mut size_line = String::new();
            if self.reader.read_line(&mut size_line).await? == 0 {
                self.done = true;
                return Ok(());
            }
            let size_text = size_line.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| std::io::Error::other(format!("bad chunk size {size_line:?}")))?;
            if size == 0 {
                self.done = true;
                return Ok(());
            }
            bytes.resize(size + 2, 0); // the chunk and its CRLF
            self.reader.read_exact(&mut bytes).await?;
            bytes.truncate(size);
        } else {
            let mut buffer = [0u8; 4096];
            let n = self.reader.read(&mut buffer).await?;
            if n == 0 {
                self.done = true;
            }
            bytes.extend_from_slice(&buffer[..n]);
        }
        let text = String::from_utf8(bytes).map_err(std::io::Error::other)?;
        self.pending.push_str(&text.replace("\r\n", "\n"));
        Ok(())
    }
}

/// Parses one event block; `None` for a block without data (a keep-alive comment).
fn parse_event(block: &str) -> Option<SseEvent> {
    let mut event = SseEvent::default();
    let mut data = Vec::new();
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => event.id = Some(value.to_owned()),
            "event" => event.event = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if data.is_empty() {
        return None;
    }
    event.data = data.join("\n");
    Some(event)
}
