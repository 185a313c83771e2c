//! The SSE router in process: a client reads some events, hangs up, and resumes with `Last-Event-ID` without
//! gap or duplicate, on memory and on Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use bus::{Bus, Topic};
use bus_redis::testing::TestRedis;
use examples::sse::{SseClient, SseEvent, router, stream_path};

async fn serve(bus: Bus) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(bus)).await.unwrap();
    });
    (addr, server)
}

async fn next(client: &mut SseClient) -> SseEvent {
    tokio::time::timeout(Duration::from_secs(10), client.next_event())
        .await
        .expect("an event within 10 s")
        .unwrap()
        .expect("the stream stays open")
}

async fn drop_resume_without_gap(bus: Bus, conversation: &str) {
    let topic = Topic::stream(conversation).unwrap();
    let (addr, server) = serve(bus.clone()).await;
    let path = stream_path(conversation);
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            bus.publish(&topic, &serde_json::json!({"n": n}))
                .await
                .unwrap()
                .entry_id
                .to_string(),
        );
    }

    // First connection: from the start, four events, then hang up.
    let mut seen: Vec<SseEvent> = Vec::new();
    let mut client = SseClient::connect(addr, &path, None).await.unwrap();
    for _ in 0..4 {
        seen.push(next(&mut client).await);
    }
    drop(client);

    // Published while disconnected.
    for n in 10..15 {
        ids.push(
            bus.publish(&topic, &serde_json::json!({"n": n}))
                .await
                .unwrap()
                .entry_id
                .to_string(),
        );
    }

    // Resume after the last id seen; then one more published live.
    let last = seen.last().and_then(|e| e.id.clone()).unwrap();
    let mut client = SseClient::connect(addr, &path, Some(&last)).await.unwrap();
    for _ in 4..15 {
        seen.push(next(&mut client).await);
    }
    ids.push(
        bus.publish(&topic, &serde_json::json!({"n": 15}))
            .await
            .unwrap()
            .entry_id
            .to_string(),
    );
    seen.push(next(&mut client).await);
    drop(client);

    let seen_ids: Vec<String> = seen.iter().map(|e| e.id.clone().unwrap()).collect();
    assert_eq!(seen_ids, ids, "every entry once, in order, with its entry id as SSE id");
    for (n, event) in seen.iter().enumerate() {
        assert_eq!(event.event, None);
        assert_eq!(event.data, format!(r#"{{"n":{n}}}"#));
    }

    // A Last-Event-ID that is not an entry id is refused.
    let refused = SseClient::connect(addr, &path, Some("not-an-id")).await.unwrap_err();
    assert!(refused.to_string().contains("400"), "{refused}");

    server.abort();
    bus.drop_topic(&topic).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_resumes_from_last_event_id_on_memory() {
    drop_resume_without_gap(bus::connect("memory://").await.unwrap(), "sse-test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_resumes_from_last_event_id_on_redis() {
    let Some(server) = TestRedis::start("sse_resumes_from_last_event_id_on_redis") else {
        return;
    };
    let bus = bus::connect(server.url()).await.unwrap();
    let conversation = format!(
        "{}sse-test-{}",
        server.prefix().replace([':', '{', '}'], "-"),
        examples::run_id()
    );
    drop_resume_without_gap(bus, &conversation).await;
}
