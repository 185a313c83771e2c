//! Retention applied on publish: the family's bound and idle expiry.

use std::time::Duration;

use bus_core::{Error, Topic};
use bus_runtime::{Publisher, Retention, RetentionPolicy};
use serde_json::json;

use crate::common::Rig;

pub async fn publishing_applies_the_family_bound_and_idle_expiry(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    // The idle TTL, and how far from it the checks stay. A minute on paused time; a real server expires keys on
    // its own clock, so there a TTL of seconds with half a second on either side.
    let (ttl, margin) = if t.paused() {
        (Duration::from_secs(60), Duration::from_secs(1))
    } else {
        (Duration::from_secs(2), Duration::from_millis(500))
    };
    let policy = RetentionPolicy::default().stream(Retention::keep_all().max_len(150).idle_ttl(ttl));
    let publisher = Publisher::new(bus.clone(), policy);
    let topic = Topic::stream("c1").unwrap();
    for token in 0..1_000 {
        publisher.publish(&topic, &json!({ "token": token })).await.unwrap();
    }
    let len = bus.backend().len(&topic).await.unwrap();
    assert!((150..250).contains(&len), "approximate trim keeps whole nodes: {len}");
    let other = Topic::new("audit").unwrap();
    publisher.publish(&other, &json!(1)).await.unwrap();
    assert_eq!(
        bus.backend().topic_ttl(&other).await.unwrap(),
        None,
        "no retention outside the families"
    );

    // Idle for less than the TTL: still there; a publish pushes the deadline back (the two waits add up to more
    // than the TTL).
    tokio::time::sleep(ttl - margin).await;
    publisher.publish(&topic, &json!({ "token": "late" })).await.unwrap();
    tokio::time::sleep(ttl - margin).await;
    assert!(bus.backend().len(&topic).await.unwrap() > 0);
    // Idle past the TTL: the conversation's stream is gone.
    tokio::time::sleep(2 * margin).await;
    assert_eq!(bus.backend().len(&topic).await.unwrap(), 0);
    assert!(
        matches!(bus.backend().stream_info(&topic).await, Err(Error::NoSuchTopic { .. })),
        "the topic no longer exists"
    );
}
