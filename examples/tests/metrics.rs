//! The Prometheus endpoint in process: after some traffic through a worker and a subscription, a scrape of
//! `GET /metrics` finds the runtime's counters and gauges with the values that traffic must give, on memory and
//! on Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;
use std::time::Duration;

use bus::{Bus, Topic};
use bus_redis::testing::TestRedis;
use bus_runtime::handler::BoxError;
use bus_runtime::{Json, JsonLayer, StartFrom, Subscription, Worker, WorkerConfig};
use examples::metrics::{install, router, sample, scrape};
use futures::StreamExt;
use metrics_exporter_prometheus::PrometheusHandle;
use tower::ServiceBuilder;

/// The process's one recorder, shared by the tests of this binary (each uses topics of its own).
fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| install().unwrap()).clone()
}

#[derive(serde::Deserialize)]
struct Order {
    #[allow(dead_code)]
    id: u64,
}

async fn traffic_is_counted(bus: Bus, name: &str) {
    // Installed before any traffic: what is counted without a recorder is lost.
    let app = router(prometheus());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let topic = Topic::chat_agent(format!("metrics-test-{name}")).unwrap();
    for id in 0..3 {
        bus.publish(&topic, &serde_json::json!({ "id": id })).await.unwrap();
    }
    bus.publish(&topic, &serde_json::json!("not an order")).await.unwrap();

    let mut subscription = Subscription::one(bus.clone(), topic.clone(), StartFrom::Start);
    for _ in 0..4 {
        subscription.next().await.unwrap().unwrap();
    }
    let stack = ServiceBuilder::new()
        .layer(JsonLayer::<Order>::new())
        .service_fn(|_order: Json<Order>| async { Ok::<(), BoxError>(()) });
    let config = WorkerConfig::new().claim_interval(Duration::from_millis(100));
    let worker = Worker::new(bus.clone(), topic.clone(), "g", "w1", config).spawn_service(stack);

    let labels = [("topic", topic.as_str()), ("group", "g")];
    let mut text = String::new();
    for _ in 0..200 {
        text = scrape(addr).await.unwrap();
        let settled = sample(&text, "bus_runtime_acked_total", &labels) == Some(3.0)
            && sample(&text, "bus_runtime_pending", &labels) == Some(0.0);
        if settled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let value = |metric: &str, extra: &[(&str, &str)]| {
        let all: Vec<(&str, &str)> = labels.iter().chain(extra).copied().collect();
        sample(&text, metric, &all)
    };
    assert_eq!(value("bus_runtime_delivered_total", &[]), Some(4.0), "{text}");
    assert_eq!(value("bus_runtime_acked_total", &[]), Some(3.0), "{text}");
    assert_eq!(value("bus_runtime_failed_total", &[]), Some(1.0), "{text}");
    assert_eq!(
        value("bus_runtime_dead_lettered_total", &[("reason", "permanent")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value("bus_runtime_retried_total", &[]),
        None,
        "nothing was retried: {text}"
    );
    assert_eq!(value("bus_runtime_pending", &[]), Some(0.0), "{text}");
    assert_eq!(value("bus_runtime_lag", &[]), Some(0.0), "{text}");
    assert_eq!(value("bus_runtime_in_flight", &[]), Some(0.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "bus_runtime_subscription_entries_total",
            &[("topic", topic.as_str())]
        ),
        Some(4.0),
        "{text}"
    );
    // What Prometheus needs to type the series, and the help text `observe::describe` gives.
    assert!(text.contains("# TYPE bus_runtime_acked_total counter"), "{text}");
    assert!(text.contains("# TYPE bus_runtime_pending gauge"), "{text}");
    assert!(text.contains("# HELP bus_runtime_dead_lettered_total "), "{text}");

    let report = worker.shutdown().await.unwrap();
    assert_eq!((report.delivered, report.acked, report.dead_lettered), (4, 3, 1));
    server.abort();
}

#[tokio::test]
async fn a_scrape_after_traffic_finds_the_counters_on_memory() {
    traffic_is_counted(bus::MemoryBackend::new().bus(), "memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_after_traffic_finds_the_counters_on_redis() {
    let Some(server) = TestRedis::start("a_scrape_after_traffic_finds_the_counters_on_redis") else {
        return;
    };
    let bus = Bus::new(server.backend().await.unwrap());
    traffic_is_counted(bus, &format!("redis{}", examples::run_id())).await;
}
