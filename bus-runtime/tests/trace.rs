//! Trace propagation (feature `otel`): the publisher's span context travels in the `traceparent`/`tracestate`
//! headers to the `bus.delivery` spans of workers and subscriptions; messages without them, and foreign readers
//! (redis-py), work as before.
//!
//! Each test installs a tracer provider with an in-memory exporter as the thread's default subscriber, on a
//! current-thread runtime, so the worker's tasks report their spans to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus_core::{AppendOptions, Bus, Fields, RangeBound, Topic};
use bus_redis::testing::TestRedis;
use bus_redis::{PublishMode, RedisOptions};
use bus_runtime::trace::{TRACEPARENT, TRACESTATE};
use bus_runtime::{Delivery, Publisher, RetentionPolicy, StartFrom, Subscription, Worker, WorkerConfig};
use futures::StreamExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanId, TraceContextExt, TraceId, TracerProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use tracing::Instrument;
use tracing::subscriber::DefaultGuard;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

/// The OpenTelemetry pipeline of a test, installed for this thread while it lives.
struct Tracing {
    exporter: InMemorySpanExporter,
    _provider: SdkTracerProvider,
    _guard: DefaultGuard,
}

impl Tracing {
    fn install() -> Tracing {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        Tracing {
            exporter,
            _provider: provider,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// The ended spans named `bus.delivery`.
    fn deliveries(&self) -> Vec<SpanData> {
        let spans = self.exporter.get_finished_spans().unwrap();
        spans.into_iter().filter(|span| span.name == "bus.delivery").collect()
    }
}

/// The OpenTelemetry ids of a tracing span.
fn ids(span: &tracing::Span) -> (TraceId, SpanId) {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    assert!(span_context.is_valid(), "the span has an OpenTelemetry context");
    (span_context.trace_id(), span_context.span_id())
}

/// The names and values of an entry's fields, as text.
async fn stored_fields(bus: &Bus, topic: &Topic) -> Vec<Vec<(String, String)>> {
    let entries = bus
        .backend()
        .range(topic, RangeBound::MIN, RangeBound::MAX, None)
        .await
        .unwrap();
    entries
        .iter()
        .map(|entry| {
            entry
                .fields
                .iter()
                .map(|(n, v)| {
                    (
                        String::from_utf8(n.to_vec()).unwrap(),
                        String::from_utf8(v.to_vec()).unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(n, _)| n.as_str()).collect()
}

/// Runs a worker until it has handled `n` messages, recording the trace id each handler call ran in.
async fn handle(bus: &Bus, topic: &Topic, n: usize) -> Vec<TraceId> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handle = Worker::new(bus.clone(), topic.clone(), "g", "w1", WorkerConfig::new()).spawn({
        let seen = Arc::clone(&seen);
        move |_delivery: Delivery| {
            seen.lock().unwrap().push(ids(&tracing::Span::current()).0);
            async { Ok::<(), String>(()) }
        }
    });
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.acked, n as u64);
    seen.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn the_published_span_is_the_parent_of_the_worker_delivery_span() {
    let tracing = Tracing::install();
    let bus = bus_memory::MemoryBackend::new().bus();
    let topic = Topic::chat_agent("A").unwrap();
    let publisher = Publisher::new(bus.clone(), RetentionPolicy::default());
    let request = tracing::info_span!("handle request");
    let (trace_id, span_id) = ids(&request);
    publisher
        .publish(&topic, &json!({ "content": "hi" }))
        .instrument(request.clone())
        .await
        .unwrap();
    drop(request);

    let stored = stored_fields(&bus, &topic).await;
    assert_eq!(
        names(&stored[0]),
        ["id", "payload", TRACEPARENT],
        "beside id and payload, after them"
    );
    assert_eq!(stored[0][2].1, format!("00-{trace_id}-{span_id}-01"));

    assert_eq!(
        handle(&bus, &topic, 1).await,
        [trace_id],
        "the handler runs in the publisher's trace"
    );
    let deliveries = tracing.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].span_context.trace_id(), trace_id);
    assert_eq!(
        deliveries[0].parent_span_id, span_id,
        "the publishing span is its parent"
    );
    assert!(deliveries[0].parent_span_is_remote);
}

#[tokio::test(start_paused = true)]
async fn a_subscription_delivery_span_follows_the_publisher_and_tracestate_travels() {
    let tracing = Tracing::install();
    let bus = bus_memory::MemoryBackend::new().bus();
    let topic = Topic::stream("c1").unwrap();
    let publisher = Publisher::new(bus.clone(), RetentionPolicy::default());
    // A request that came in with a trace state (as from an upstream service).
    let upstream = std::collections::HashMap::from([
        (
            TRACEPARENT.to_owned(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
        ),
        (TRACESTATE.to_owned(), "vendor=value".to_owned()),
    ]);
    let request = tracing::info_span!("handle request");
    request
        .set_parent(TraceContextPropagator::new().extract(&upstream))
        .unwrap();
    let (trace_id, span_id) = ids(&request);
    assert_eq!(trace_id.to_string(), "0af7651916cd43dd8448eb211c80319c");
    publisher
        .publish(&topic, &json!({ "token": "Hel" }))
        .instrument(request.clone())
        .await
        .unwrap();
    drop(request);
    let stored = stored_fields(&bus, &topic).await;
    assert_eq!(names(&stored[0]), ["id", "payload", TRACEPARENT, TRACESTATE]);
    assert_eq!(stored[0][3].1, "vendor=value");

    let mut subscription = Subscription::one(bus.clone(), topic.clone(), StartFrom::Start);
    let item = subscription.next().await.unwrap().unwrap();
    {
        let span = item.delivery_span();
        let _entered = span.enter();
        assert_eq!(ids(&tracing::Span::current()).0, trace_id);
    }
    let deliveries = tracing.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].parent_span_id, span_id);
    assert_eq!(deliveries[0].span_context.trace_state().header(), "vendor=value");
}

#[tokio::test(start_paused = true)]
async fn messages_without_a_trace_context_are_written_as_before_and_start_their_own_traces() {
    let tracing = Tracing::install();
    let bus = bus_memory::MemoryBackend::new().bus();
    let topic = Topic::chat_agent("A").unwrap();
    let publisher = Publisher::new(bus.clone(), RetentionPolicy::default());
    // Outside any span: nothing to carry, the seed's wire format.
    publisher.publish(&topic, &json!(1)).await.unwrap();
    // A foreign producer's entry with a traceparent that does not parse.
    let foreign = Fields::from_pairs([
        ("id", "0b1c6a3e-62e2-4b1f-9d5c-3a8e2f1b7c40"),
        ("payload", "2"),
        ("traceparent", "not a trace"),
    ]);
    bus.backend()
        .append(&topic, foreign, &AppendOptions::new())
        .await
        .unwrap();
    let stored = stored_fields(&bus, &topic).await;
    assert_eq!(
        names(&stored[0]),
        ["id", "payload"],
        "written exactly as without the feature"
    );

    let traces = handle(&bus, &topic, 2).await;
    assert_eq!(traces.len(), 2);
    assert_ne!(traces[0], traces[1], "each delivery is a trace of its own");
    let deliveries = tracing.deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(
        deliveries.iter().all(|span| span.parent_span_id == SpanId::INVALID),
        "roots"
    );
}

/// Reads a topic as the seed's redis-py reader does (only `id` and `payload`, then a group read and an ack), and
/// prints what it saw, every field included, as JSON.
const READ_PY: &str = r#"
import json, sys, redis

url, topic = sys.argv[1], sys.argv[2]
r = redis.Redis.from_url(url, decode_responses=True)
tail = [{"id": f.get("id"), "payload": json.loads(f.get("payload", "{}")), "fields": list(f)}
        for _, f in r.xrange(topic, "-", "+")]
r.xgroup_create(topic, "py", id="0")
acked = [e for _, items in r.xreadgroup("py", "c1", {topic: ">"}, count=10) for e, _ in items]
print(json.dumps({"tail": tail, "acked": r.xack(topic, "py", *acked)}))
"#;

/// Whether python3 with redis-py is here; a loud SKIP when not, a failure with `BUS_REQUIRE_REDIS=1`.
fn redis_py(test: &str) -> bool {
    let missing = match Command::new("python3").args(["-c", "import redis"]).output() {
        Ok(output) if output.status.success() => return true,
        Ok(output) => format!(
            "python3 has no `redis` module: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(err) => format!("no python3: {err}"),
    };
    assert!(
        !std::env::var("BUS_REQUIRE_REDIS").is_ok_and(|v| v == "1"),
        "BUS_REQUIRE_REDIS=1 but {test} cannot run: {missing}"
    );
    let _ = writeln!(std::io::stderr(), "\n**********\nSKIP {test}: {missing}\n**********\n");
    false
}

#[tokio::test]
async fn redis_py_reads_entries_with_trace_headers_as_before() {
    const TEST: &str = "redis_py_reads_entries_with_trace_headers_as_before";
    let Some(server) = TestRedis::start(TEST) else {
        return;
    };
    if !redis_py(TEST) {
        return;
    }
    let _tracing = Tracing::install();
    // Both ways the Redis backend writes a message.
    for (mode, name) in [(PublishMode::Indexed, "indexed"), (PublishMode::Plain, "plain")] {
        let backend = server
            .backend_with(RedisOptions::new().publish_mode(mode))
            .await
            .unwrap();
        let bus = Bus::new(backend);
        let topic = Topic::new(format!("{}chat:{name}", server.prefix())).unwrap();
        let publisher = Publisher::new(bus.clone(), RetentionPolicy::default());
        let request = tracing::info_span!("handle request");
        let published = publisher
            .publish(&topic, &json!({ "content": "hello" }))
            .instrument(request)
            .await
            .unwrap();
        let stored = stored_fields(&bus, &topic).await;
        assert_eq!(names(&stored[0]), ["id", "payload", TRACEPARENT], "{name}");

        // redis-py spells a unix socket URL `unix://`.
        let url = server.url().replacen("redis+unix://", "unix://", 1);
        let output = Command::new("python3")
            .args(["-c", READ_PY, &url, topic.as_str()])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "redis-py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let uuid = bus
            .backend()
            .range(&topic, RangeBound::MIN, RangeBound::MAX, None)
            .await
            .unwrap()[0]
            .message()
            .unwrap()
            .id();
        assert_eq!(
            seen["tail"],
            json!([{
                "id": uuid.to_string(),
                "payload": { "content": "hello" },
                "fields": ["id", "payload", "traceparent"],
            }]),
            "{name}"
        );
        assert_eq!(seen["acked"], 1, "{name}: the group read and ack work as on any entry");
        assert!(!published.duplicate);
    }
}
