//! Subscriptions: resumption after errors, gaps after trims, cursors, backpressure.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bus_core::forward::Forwarding;
use bus_core::{Bus, EntryId, Error, Fields, RangeBound, Topic, Trim};
use bus_runtime::{Backoff, StartFrom, Subscription, SubscriptionConfig, SubscriptionItem};
use futures::StreamExt;

use crate::common::{FlakyBackend, Rig, Time};

/// Publishes the payloads `0..n`; their entry ids.
async fn publish_n(bus: &Bus, topic: &Topic, n: u64) -> Vec<EntryId> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(bus.publish(topic, &i).await.unwrap().entry_id);
    }
    ids
}

async fn next_item(t: Time, subscription: &mut Subscription) -> SubscriptionItem {
    t.within(Duration::from_secs(600), "the next item", subscription.next())
        .await
        .expect("stream ended")
        .expect("stream failed")
}

async fn next_entry_id(t: Time, subscription: &mut Subscription) -> EntryId {
    match next_item(t, subscription).await {
        SubscriptionItem::Entry { received, .. } => received.entry_id(),
        gap => panic!("expected an entry, got {gap:?}"),
    }
}

pub async fn resumes_after_injected_errors_without_gap_or_duplicate(rig: Rig) {
    let t = rig.time;
    let flaky = FlakyBackend::new(rig.backend(), 3);
    let bus = Bus::new(Forwarding(flaky.clone()));
    let topic = Topic::stream("c1").unwrap();
    let mut expected = publish_n(&bus, &topic, 20).await;
    // The rest arrive while the subscription is tailing, some while it is blocked.
    let publisher = {
        let bus = bus.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 20..60 {
                tokio::time::sleep(t.ms(7 * (i % 5) + 1)).await;
                ids.push(bus.publish(&topic, &i).await.unwrap().entry_id);
            }
            ids
        })
    };
    let config = SubscriptionConfig::new()
        .count(4)
        .block(t.ms(20))
        .retry(Backoff::new(t.ms(5), t.ms(50)));
    let mut subscription = Subscription::new(bus.clone(), [(topic.clone(), StartFrom::Start)], config);
    let mut seen = Vec::new();
    while seen.len() < 60 {
        seen.push(next_entry_id(t, &mut subscription).await);
    }
    expected.extend(publisher.await.unwrap());
    assert_eq!(seen, expected, "every entry exactly once, in order");
    assert!(flaky.failures.load(Ordering::SeqCst) >= 5, "errors were injected");
    // Nothing more: the next read blocks (and times out repeatedly) instead of yielding a duplicate.
    assert!(
        tokio::time::timeout(t.quiet(Duration::from_secs(1)), subscription.next())
            .await
            .is_err()
    );
}

pub async fn yields_a_gap_when_the_cursor_was_trimmed_then_continues_from_the_oldest(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::stream("c1").unwrap();
    let ids = publish_n(&bus, &topic, 10).await;
    let config = SubscriptionConfig::new().count(3);
    let mut subscription = Subscription::new(bus.clone(), [(topic.clone(), StartFrom::Start)], config);
    for expected in &ids[..3] {
        assert_eq!(next_entry_id(t, &mut subscription).await, *expected);
    }
    // The first batch (3 entries) is drained; trim away everything but the last two.
    bus.backend().trim(&topic, &Trim::maxlen(2)).await.unwrap();
    assert_eq!(
        next_item(t, &mut subscription).await,
        SubscriptionItem::Gap {
            topic: topic.clone(),
            after: ids[2],
            resumed_at: ids[8],
        }
    );
    assert_eq!(next_entry_id(t, &mut subscription).await, ids[8]);
    assert_eq!(next_entry_id(t, &mut subscription).await, ids[9]);
    // After the gap it follows new entries normally, without another gap.
    let later = bus.publish(&topic, &"later").await.unwrap().entry_id;
    assert_eq!(next_entry_id(t, &mut subscription).await, later);
}

pub async fn no_gap_when_entries_were_only_deleted_after_the_cursor(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::stream("c1").unwrap();
    let ids = publish_n(&bus, &topic, 6).await;
    let mut subscription = Subscription::new(
        bus.clone(),
        [(topic.clone(), StartFrom::Start)],
        SubscriptionConfig::new().count(2),
    );
    assert_eq!(next_entry_id(t, &mut subscription).await, ids[0]);
    assert_eq!(next_entry_id(t, &mut subscription).await, ids[1]);
    // A hole in the middle (XDEL) is not a trim: the cursor entry is still there.
    bus.backend().delete(&topic, &[ids[2], ids[3]]).await.unwrap();
    assert_eq!(next_entry_id(t, &mut subscription).await, ids[4]);
    assert_eq!(next_entry_id(t, &mut subscription).await, ids[5]);
}

pub async fn an_entry_cursor_already_trimmed_reports_the_gap_first(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::stream("c1").unwrap();
    let ids = publish_n(&bus, &topic, 5).await;
    bus.backend().trim(&topic, &Trim::maxlen(2)).await.unwrap();
    let mut subscription = Subscription::one(bus.clone(), topic.clone(), StartFrom::Entry(ids[1]));
    assert_eq!(
        next_item(t, &mut subscription).await,
        SubscriptionItem::Gap {
            topic: topic.clone(),
            after: ids[1],
            resumed_at: ids[3],
        }
    );
    assert_eq!(next_entry_id(t, &mut subscription).await, ids[3]);
}

pub async fn cursors_start_end_message_and_several_topics(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let a = Topic::stream("a").unwrap();
    let b = Topic::stream("b").unwrap();
    let a1 = bus.publish(&a, &"a1").await.unwrap();
    let a2 = bus.publish(&a, &"a2").await.unwrap().entry_id;
    let b1 = bus.publish(&b, &"b1").await.unwrap().entry_id;
    let message_uuid = bus.tail(&a, 2).await.unwrap()[0].message().unwrap().id();
    assert_eq!(bus.lookup(&a, message_uuid).await.unwrap(), Some(a1.entry_id));

    // `a` after its first message, `b` from its end: only a2, then what is published later.
    let mut subscription = Subscription::new(
        bus.clone(),
        [
            (a.clone(), StartFrom::Message(message_uuid)),
            (b.clone(), StartFrom::End),
        ],
        SubscriptionConfig::new(),
    );
    assert_eq!(next_entry_id(t, &mut subscription).await, a2);
    let b2 = bus.publish(&b, &"b2").await.unwrap().entry_id;
    let a3 = bus.publish(&a, &"a3").await.unwrap().entry_id;
    let mut ids = Vec::new();
    for _ in 0..2 {
        match next_item(t, &mut subscription).await {
            SubscriptionItem::Entry { topic, received } => ids.push((topic, received.entry_id())),
            gap => panic!("unexpected {gap:?}"),
        }
    }
    // By topic: the order across topics is not defined (on a real clock both ids can have the same time).
    ids.sort();
    assert_eq!(ids, vec![(a.clone(), a3), (b.clone(), b2)]);
    assert!(b1 < b2);

    // A malformed entry is yielded as such, not skipped.
    bus.backend()
        .append(
            &a,
            Fields::from_pairs([("foo", "bar")]),
            &bus_core::AppendOptions::new(),
        )
        .await
        .unwrap();
    match next_item(t, &mut subscription).await {
        SubscriptionItem::Entry { received, .. } => assert!(received.message().is_none()),
        gap => panic!("unexpected {gap:?}"),
    }
}

pub async fn an_unknown_message_cursor_fails_once_and_ends_the_stream(rig: Rig) {
    let (bus, t) = (rig.bus(), rig.time);
    let topic = Topic::stream("c1").unwrap();
    bus.publish(&topic, &1).await.unwrap();
    let mut subscription = Subscription::one(bus, topic, StartFrom::Message(bus_core::Uuid::new_v4()));
    let err = t
        .within(Duration::from_secs(60), "the error", subscription.next())
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::UnknownCursor { .. }), "{err}");
    assert!(subscription.next().await.is_none());
}

pub async fn buffers_at_most_one_batch_and_reads_only_when_polled(rig: Rig) {
    let t = rig.time;
    let flaky = FlakyBackend::new(rig.backend(), 0);
    let bus = Bus::new(Forwarding(flaky.clone()));
    let topic = Topic::stream("c1").unwrap();
    for i in 0..10 {
        bus.publish(&topic, &i).await.unwrap();
    }
    let mut subscription = Subscription::new(
        bus.clone(),
        [(topic.clone(), StartFrom::Start)],
        SubscriptionConfig::new().count(4),
    );
    assert_eq!(
        flaky.reads.load(Ordering::SeqCst),
        0,
        "nothing read before the first poll"
    );
    for _ in 0..4 {
        next_item(t, &mut subscription).await;
    }
    assert_eq!(
        flaky.reads.load(Ordering::SeqCst),
        1,
        "one read of COUNT 4 served four items"
    );
    next_item(t, &mut subscription).await;
    assert_eq!(flaky.reads.load(Ordering::SeqCst), 2);
    let all = bus
        .backend()
        .range(&topic, RangeBound::MIN, RangeBound::MAX, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 10);
}
