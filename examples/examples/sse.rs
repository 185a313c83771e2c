//! Server-Sent Events: an axum server streams `stream:{conversation_id}` to HTTP clients, each event carrying
//! its entry id as the SSE `id`, and a client that reconnects with `Last-Event-ID` resumes without gap or
//! duplicate (see `examples/src/sse.rs` for the router and the small client).
//!
//! Run with `cargo run -p examples --example sse` (in memory) or
//! `BUS_URL=redis://127.0.0.1:6379/0 cargo run -p examples --example sse` (on Redis). It binds 127.0.0.1 on
//! `PORT` (default 0: a free port, printed), publishes tokens in the background, runs a demo client that
//! disconnects midway and resumes, then keeps serving for `SSE_LINGER_SECS` seconds (default 30) so you can
//! `curl -N` the printed URL, and exits, dropping its topic. Ctrl-C (or SIGTERM) at any point stops the
//! producer and the server and drops the topic too, so an interrupted run leaves nothing in Redis either.

use std::time::Duration;

use bus::Topic;
use examples::sse::{SseClient, router, stream_path};
use serde::{Deserialize, Serialize};

/// A streamed event of the conversation.
#[derive(Debug, Serialize, Deserialize)]
struct Token {
    /// The token's position.
    index: usize,
    /// Its text; empty on the final event.
    token: String,
    /// Whether this is the last event of the reply.
    done: bool,
}

const TEXT: &str = "Server-Sent Events resume after the last id the client saw , with no gap and no duplicate .";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = examples::bus_url();
    let bus = bus::connect(&url).await?;
    let conversation = format!("sse-{}", examples::run_id());
    let topic = Topic::stream(&conversation)?;
    let port: u16 = examples::env_or("PORT", 0)?;
    let linger: u64 = examples::env_or("SSE_LINGER_SECS", 30)?;
    println!("backend: {}; topic: {topic}", examples::backend_label(&url)?);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let path = stream_path(&conversation);
    println!("listening on http://{addr}");
    println!("try: curl -N http://{addr}{path}   (add -H 'Last-Event-ID: <id>' to resume)");
    let app = router(bus.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // The producer: one token every 100 ms, the last one marked `done`.
    let producer_bus = bus.clone();
    let producer_topic = topic.clone();
    let tokens: Vec<String> = TEXT.split(' ').map(str::to_owned).collect();
    let total = tokens.len();
    let mut producer = tokio::spawn(async move {
        for (index, token) in tokens.into_iter().enumerate() {
            let done = index + 1 == total;
            let event = Token { index, token, done };
            let published = producer_bus.publish(&producer_topic, &event).await?;
            println!("published #{index} {:?} as {}", event.token, published.entry_id);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<(), bus::Error>(())
    });

    let outcome = examples::or_interrupted(demo(addr, &path, total, &mut producer, linger)).await;
    // Stopped (and awaited) before the drop, so nothing writes the topic again after it.
    producer.abort();
    if !producer.is_finished() {
        let _ = producer.await;
    }
    server.abort();
    bus.drop_topic(&topic).await?;
    println!("dropped {topic}");
    outcome.unwrap_or(Ok(()))
}

/// The demo client (reads, hangs up, resumes), the accounting, then the linger: everything that runs while the
/// server serves, so that Ctrl-C can end it at any point.
async fn demo(
    addr: std::net::SocketAddr,
    path: &str,
    total: usize,
    producer: &mut tokio::task::JoinHandle<Result<(), bus::Error>>,
    linger: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    // The demo client: reads a few events, hangs up, and comes back with Last-Event-ID.
    let mut received: Vec<(String, Token)> = Vec::new();
    let mut client = SseClient::connect(addr, path, None).await?;
    while received.len() < 5 {
        let Some(event) = client.next_event().await? else { break };
        let token: Token = serde_json::from_str(&event.data)?;
        let id = event.id.unwrap_or_default();
        println!("client: id {id} #{} {:?}", token.index, token.token);
        received.push((id, token));
    }
    drop(client);
    let last_id = received.last().map(|(id, _)| id.clone()).unwrap_or_default();
    println!(
        "client: disconnected after {} events; reconnecting in 500 ms with Last-Event-ID: {last_id}",
        received.len()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut client = SseClient::connect(addr, path, Some(&last_id)).await?;
    loop {
        let Some(event) = tokio::time::timeout(Duration::from_secs(10), client.next_event()).await?? else {
            break;
        };
        if event.event.is_some() {
            println!("client: {:?} event: {}", event.event, event.data);
            continue;
        }
        let token: Token = serde_json::from_str(&event.data)?;
        let id = event.id.unwrap_or_default();
        println!("client: id {id} #{} {:?} (resumed)", token.index, token.token);
        let done = token.done;
        received.push((id, token));
        if done {
            break;
        }
    }
    drop(client);
    producer.await??;

    // Accounting: every token once, in order.
    let indexes: Vec<usize> = received.iter().map(|(_, token)| token.index).collect();
    let missing = (0..total).filter(|i| !indexes.contains(i)).count();
    let duplicated = indexes.len() - (0..total).filter(|i| indexes.contains(i)).count();
    let in_order = indexes.windows(2).all(|pair| pair[0] < pair[1]);
    let text: Vec<&str> = received.iter().map(|(_, token)| token.token.as_str()).collect();
    println!("client: text {:?}", text.join(" "));
    println!(
        "summary: published={total} received={} missing={missing} duplicated={duplicated} in_order={in_order}",
        received.len()
    );

    if linger > 0 {
        println!("serving for {linger} more seconds (SSE_LINGER_SECS); Ctrl-C stops it");
        tokio::time::sleep(Duration::from_secs(linger)).await;
    }
    Ok(())
}
