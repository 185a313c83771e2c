//! Metrics you can scrape: the runtime's counters and gauges in Prometheus's text format on `GET /metrics`,
//! after a worker with a handler stack (typed decoding, dedup, a timeout) has handled some traffic: orders that
//! succeed, one whose payload does not decode (dead-lettered at once), one that fails once (retried), and a copy
//! of an order a producer wrote twice (skipped).
//!
//! Run with `cargo run -p examples --example metrics` (in memory) or
//! `BUS_URL=redis://127.0.0.1:6379/0 cargo run -p examples --example metrics` (on Redis). It binds 127.0.0.1 on
//! `PORT` (default 0: a free port, printed), scrapes itself once the traffic is handled and prints the runtime's
//! samples, then keeps serving for `METRICS_LINGER_SECS` seconds (default 30) so you can `curl` the printed URL
//! or point a Prometheus at it (Ctrl-C ends the wait), and exits, dropping its topics.
//!
//! The metric names and labels are listed in `bus_runtime::observe` (and the README).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bus::{AppendOptions, Message, Topic};
use bus_runtime::handler::BoxError;
use bus_runtime::{
    Backoff, DedupLayer, Json, JsonLayer, RecentUuids, StartFrom, Subscription, Worker, WorkerConfig, dead_letter_topic,
};
use examples::metrics::{METRICS_PATH, install, router, sample, scrape};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tower::ServiceBuilder;

#[derive(Debug, Serialize, Deserialize)]
struct Order {
    id: u64,
    /// This one fails on its first delivery.
    flaky: bool,
}

const GROUP: &str = "billing";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prometheus = install()?;
    let url = examples::bus_url();
    let bus = bus::connect(&url).await?;
    let topic = Topic::chat_agent(format!("metrics-{}", examples::run_id()))?;
    let port: u16 = examples::env_or("PORT", 0)?;
    let linger: u64 = examples::env_or("METRICS_LINGER_SECS", 30)?;
    println!("backend: {}; topic: {topic}", examples::backend_label(&url)?);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    println!("metrics on http://{addr}{METRICS_PATH}");
    let server = tokio::spawn(async move { axum::serve(listener, router(prometheus)).await });

    // The traffic: three orders, a payload that is not an order, a flaky order, and a copy of the first order
    // under its UUID (a producer's retry that bypassed the index).
    let first = Message::new(&Order { id: 1, flaky: false })?;
    bus.publish_message(&topic, &first).await?;
    for id in 2..=3 {
        bus.publish(&topic, &Order { id, flaky: false }).await?;
    }
    bus.publish(&topic, &serde_json::json!({ "note": "not an order" }))
        .await?;
    bus.publish(&topic, &Order { id: 4, flaky: true }).await?;
    bus.backend()
        .append(&topic, first.to_fields(), &AppendOptions::new())
        .await?;
    println!("published 6 entries");

    // A subscription tails the topic too (its metric counts what it yields).
    let mut tail = Subscription::one(bus.clone(), topic.clone(), StartFrom::Start);
    let tailed = tokio::spawn(async move {
        for _ in 0..6 {
            if tail.next().await.is_none() {
                break;
            }
        }
    });

    let failed_once = Arc::new(AtomicBool::new(false));
    let stack = ServiceBuilder::new()
        .layer(DedupLayer::new(Arc::new(RecentUuids::new(10_000))))
        .timeout(Duration::from_secs(10))
        .layer(JsonLayer::<Order>::new())
        .service_fn(move |order: Json<Order>| {
            let fail = order.flaky && !failed_once.swap(true, Ordering::SeqCst);
            async move {
                if fail {
                    return Err::<(), BoxError>("the payment service is unavailable".into());
                }
                println!(
                    "handled order {} (delivery {})",
                    order.id, order.delivery.delivery_count
                );
                Ok(())
            }
        });
    // One at a time, so the copy comes after the first order's work is recorded; quick retries for the demo.
    let config = WorkerConfig::new()
        .concurrency(1)
        .retry_backoff(Backoff::new(Duration::from_millis(200), Duration::from_secs(2)))
        .retry_scan_interval(Duration::from_millis(100))
        .claim_interval(Duration::from_millis(500));
    let worker = Worker::new(bus.clone(), topic.clone(), GROUP, "billing-1", config).spawn_service(stack);

    // Scrape until the worker has acknowledged the five entries that can succeed.
    let labels = [("topic", topic.as_str()), ("group", GROUP)];
    for _ in 0..300 {
        if sample(&scrape(addr).await?, "bus_runtime_acked_total", &labels) == Some(5.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tailed.await?;
    let text = scrape(addr).await?;
    println!("--- GET {METRICS_PATH} (the runtime's samples)");
    for line in text.lines().filter(|line| line.contains("bus_runtime_")) {
        println!("{line}");
    }
    println!("---");
    let get = |name: &str, extra: &[(&str, &str)]| {
        let all: Vec<(&str, &str)> = labels.iter().chain(extra).copied().collect();
        sample(&text, name, &all).unwrap_or(0.0)
    };
    println!(
        "scraped: delivered={} acked={} failed={} retried={} dead_lettered_permanent={} duplicates={} subscription_entries={}",
        get("bus_runtime_delivered_total", &[]),
        get("bus_runtime_acked_total", &[]),
        get("bus_runtime_failed_total", &[]),
        get("bus_runtime_retried_total", &[]),
        get("bus_runtime_dead_lettered_total", &[("reason", "permanent")]),
        get("bus_runtime_duplicates_total", &[]),
        sample(
            &text,
            "bus_runtime_subscription_entries_total",
            &[("topic", topic.as_str())]
        )
        .unwrap_or(0.0),
    );

    let report = worker.shutdown().await?;
    println!("worker report: {report:?}");
    if linger > 0 {
        println!("serving for {linger} s more (Ctrl-C to stop): curl http://{addr}{METRICS_PATH}");
        // Ctrl-C (or SIGTERM) ends the wait early, so the topics are dropped all the same.
        examples::or_interrupted(tokio::time::sleep(Duration::from_secs(linger))).await;
    }
    server.abort();
    bus.drop_topic(&topic).await?;
    bus.drop_topic(&dead_letter_topic(&topic, GROUP)?).await?;
    println!("dropped {topic} and its dead-letter topic");
    Ok(())
}
