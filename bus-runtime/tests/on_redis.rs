//! The runtime's scenarios (`scenarios/`) on a private redis-server each, on the real clock (compressed
//! timelines, wide margins: see `common::Time`), and what only a server can show: a subscription across a
//! SIGKILL of the server and its restart from the append-only file.
//!
//! Without `redis-server` on `PATH` every test prints a SKIP line and passes, unless `BUS_REQUIRE_REDIS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scenarios;

use std::sync::Arc;
use std::time::Duration;

use bus_core::{Bus, EntryId, Message, Topic};
use bus_redis::testing::TestRedis;
use bus_runtime::{Backoff, StartFrom, Subscription, SubscriptionConfig, SubscriptionItem};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout};

use common::{Rig, Time};

/// A rig on a server of its own, or `None` (after a SKIP line) when there is no server.
async fn rig(name: &str) -> Option<Rig> {
    let server = TestRedis::start(name)?;
    let backend = server.backend().await.expect("connect to the test server");
    let seen = backend.dedup("scenarios", Duration::from_secs(600)).unwrap();
    Some(Rig::new(Arc::new(backend), Time::Real, Some(Box::new(server))).with_seen(Arc::new(seen)))
}

macro_rules! on_redis {
    ($($family:ident { $($scenario:ident),* $(,)? })*) => {$(
        mod $family {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                let name = concat!(stringify!($family), "::", stringify!($scenario));
                let Some(rig) = crate::rig(name).await else {
                    return;
                };
                crate::scenarios::$family::$scenario(rig).await;
            }
        )*}
    )*};
}

scenarios::all!(on_redis);

/// Publishes `payload` with the same message (UUID) until the server accepts it: publishing is idempotent, so
/// a retry after an ambiguous failure returns the entry the first attempt wrote.
async fn publish_retrying(bus: &Bus, topic: &Topic, payload: u64) -> EntryId {
    let message = Message::new(&payload).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match bus.publish_message(topic, &message).await {
            Ok(published) => return published.entry_id,
            Err(err) => {
                assert!(err.is_retryable(), "publish failed for good: {err}");
                assert!(Instant::now() < deadline, "the server never came back: {err}");
                sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Redis only: the memory backend has no process to kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_sees_every_entry_once_across_a_restart_with_aof() {
    let Some(mut server) = TestRedis::start_aof("a_subscription_sees_every_entry_once_across_a_restart_with_aof")
    else {
        return;
    };
    let bus = Bus::new(server.backend().await.unwrap());
    let topic = Topic::stream("restart").unwrap();
    let config = SubscriptionConfig::new()
        .count(7)
        .block(Duration::from_millis(300))
        .retry(Backoff::new(Duration::from_millis(50), Duration::from_millis(500)));
    let mut subscription = Subscription::new(bus.clone(), [(topic.clone(), StartFrom::Start)], config);
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<Result<EntryId, String>>();
    let reader = tokio::spawn(async move {
        while let Some(item) = subscription.next().await {
            let sent = match item {
                Ok(SubscriptionItem::Entry { received, .. }) => seen_tx.send(Ok(received.entry_id())),
                Ok(gap) => seen_tx.send(Err(format!("unexpected gap: {gap:?}"))),
                Err(err) => seen_tx.send(Err(format!("subscription failed: {err}"))),
            };
            if sent.is_err() {
                return;
            }
        }
        let _ = seen_tx.send(Err("the subscription ended".into()));
    });
    let mut seen = Vec::new();
    let mut receive = async |seen: &mut Vec<EntryId>, until: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.len() < until {
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, seen_rx.recv()).await {
                Ok(Some(Ok(id))) => seen.push(id),
                Ok(Some(Err(err))) => panic!("{err}"),
                Ok(None) => panic!("the reader stopped"),
                Err(_) => panic!("only {} of {until} entries within 60 s", seen.len()),
            }
        }
    };

    let mut expected = Vec::new();
    // Before the restart: some entries read while the subscription tails the topic.
    for i in 0..30u64 {
        expected.push(publish_retrying(&bus, &topic, i).await);
        if i % 10 == 9 {
            sleep(Duration::from_millis(100)).await;
        }
    }
    receive(&mut seen, 30).await;
    // Entries the subscription has not read yet when the server dies.
    for i in 30..40u64 {
        expected.push(publish_retrying(&bus, &topic, i).await);
    }

    // Crash (SIGKILL) while the subscription is blocked or reading; stay down a while so its reads fail.
    server.stop().unwrap();
    sleep(Duration::from_millis(800)).await;
    server.restart().unwrap();

    // Keep publishing after the restart.
    for i in 40..80u64 {
        let id = publish_retrying(&bus, &topic, i).await;
        if !expected.contains(&id) {
            expected.push(id);
        }
        if i % 10 == 9 {
            sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(expected.len(), 80, "the persisted topic kept every entry");
    assert!(expected.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(bus.backend().len(&topic).await.unwrap(), 80);

    receive(&mut seen, 80).await;
    assert_eq!(seen, expected, "every entry exactly once, in order, no gap");
    // Nothing more: no duplicate shows up later.
    match timeout(Duration::from_millis(1_500), seen_rx.recv()).await {
        Err(_) => {}
        Ok(item) => panic!("unexpected item after the last entry: {item:?}"),
    }
    reader.abort();
}
