//! Subscriptions on bus-memory with paused time: resumption after errors, gaps after trims, cursors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bus_core::forward::Forwarding;
use bus_core::{Bus, EntryId, Error, Fields, RangeBound, Topic, Trim};
use bus_runtime::{Backoff, StartFrom, Subscription, SubscriptionConfig, SubscriptionItem};
use futures::StreamExt;

use common::{FlakyBackend, memory};

async fn next_item(subscription: &mut Subscription) -> SubscriptionItem {
    tokio::time::timeout(Duration::from_secs(600), subscription.next())
        .await
        .expect("no item within 10 minutes")
        .expect("stream ended")
        .expect("stream failed")
}

async fn next_entry_id(subscription: &mut Subscription) -> EntryId {
    match next_item(subscription).await {
        SubscriptionItem::Entry { received, .. } => received.entry_id(),
        gap => panic!("expected an entry, got {gap:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn resumes_after_injected_errors_without_gap_or_duplicate() {
    let flaky = FlakyBackend::new(memory(), 3);
    let bus = Bus::new(Forwarding(flaky.clone()));
    let topic = Topic::stream("c1").unwrap();
    let mut expected = Vec::new();
    for i in 0..20 {
        expected.push(bus.publish(&topic, &i).await.unwrap().entry_id);
    }
    // The rest arrive while the subscription is tailing, some while it is blocked.
    let publisher = {
        let bus = bus.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 20..60 {
                tokio::time::sleep(Duration::from_millis(7 * (i % 5) + 1)).await;
                ids.push(bus.publish(&topic, &i).await.unwrap().entry_id);
            }
            ids
        })
    };
    let config = SubscriptionConfig::new()
        .count(4)
        .block(Duration::from_millis(20))
        .retry(Backoff::new(Duration::from_millis(5), Duration::from_millis(50)));
    let mut subscription = Subscription::new(bus.clone(), [(topic.clone(), StartFrom::Start)], config);
    let mut seen = Vec::new();
    while seen.len() < 60 {
        seen.push(next_entry_id(&mut subscription).await);
    }
    expected.extend(publisher.await.unwrap());
    assert_eq!(seen, expected, "every entry exactly once, in order");
    assert!(
        flaky.failures.load(std::sync::atomic::Ordering::SeqCst) >= 5,
        "errors were injected"
    );
    // Nothing more: the next read blocks (and times out repeatedly) instead of yielding a duplicate.
    assert!(
        tokio::time::timeout(Duration::from_secs(1), subscription.next())
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn yields_a_gap_when_the_cursor_was_trimmed_then_continues_from_the_oldest() {
    let backend = memory();
    let bus = backend.bus();
    let topic = Topic::stream("c1").unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(bus.publish(&topic, &i).await.unwrap().entry_id);
    }
    let config = SubscriptionConfig::new().count(3);
    let mut subscription = Subscription::new(bus.clone(), [(topic.clone(), StartFrom::Start)], config);
    for expected in &ids[..3] {
        assert_eq!(next_entry_id(&mut subscription).await, *expected);
    }
    // The first batch (3 entries) is drained; trim away everything but the last two.
    bus.backend().trim(&topic, &Trim::maxlen(2)).await.unwrap();
    assert_eq!(
        next_item(&mut subscription).await,
        SubscriptionItem::Gap {
            topic: topic.clone(),
            after: ids[2],
            resumed_at: ids[8],
        }
    );
    assert_eq!(next_entry_id(&mut subscription).await, ids[8]);
    assert_eq!(next_entry_id(&mut subscription).await, ids[9]);
    // After the gap it follows new entries normally, without another gap.
    let later = bus.publish(&topic, &"later").await.unwrap().entry_id;
    assert_eq!(next_entry_id(&mut subscription).await, later);
}

#[tokio::test(start_paused = true)]
async fn no_gap_when_entries_were_only_deleted_after_the_cursor() {
    let bus = memory().bus();
    let topic = Topic::stream("c1").unwrap();
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(bus.publish(&topic, &i).await.unwrap().entry_id);
    }
    let mut subscription = Subscription::new(
        bus.clone(),
        [(topic.clone(), StartFrom::Start)],
        SubscriptionConfig::new().count(2),
    );
    assert_eq!(next_entry_id(&mut subscription).await, ids[0]);
    assert_eq!(next_entry_id(&mut subscription).await, ids[1]);
    // A hole in the middle (XDEL) is not a trim: the cursor entry is still there.
    bus.backend().delete(&topic, &[ids[2], ids[3]]).await.unwrap();
    assert_eq!(next_entry_id(&mut subscription).await, ids[4]);
    assert_eq!(next_entry_id(&mut subscription).await, ids[5]);
}

#[tokio::test(start_paused = true)]
async fn an_entry_cursor_already_trimmed_reports_the_gap_first() {
    let bus = memory().bus();
    let topic = Topic::stream("c1").unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(bus.publish(&topic, &i).await.unwrap().entry_id);
    }
    bus.backend().trim(&topic, &Trim::maxlen(2)).await.unwrap();
    let mut subscription = Subscription::one(bus.clone(), topic.clone(), StartFrom::Entry(ids[1]));
    assert_eq!(
        next_item(&mut subscription).await,
        SubscriptionItem::Gap {
            topic: topic.clone(),
            after: ids[1],
            resumed_at: ids[3],
        }
    );
    assert_eq!(next_entry_id(&mut subscription).await, ids[3]);
}

#[tokio::test(start_paused = true)]
async fn cursors_start_end_message_and_several_topics() {
    let bus = memory().bus();
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
    assert_eq!(next_entry_id(&mut subscription).await, a2);
    let b2 = bus.publish(&b, &"b2").await.unwrap().entry_id;
    let a3 = bus.publish(&a, &"a3").await.unwrap().entry_id;
    let mut got = vec![next_item(&mut subscription).await, next_item(&mut subscription).await];
    got.sort_by_key(|item| match item {
        SubscriptionItem::Entry { received, .. } => received.entry_id(),
        SubscriptionItem::Gap { .. } => EntryId::MAX,
    });
    let ids: Vec<(Topic, EntryId)> = got
        .into_iter()
        .map(|item| match item {
            SubscriptionItem::Entry { topic, received } => (topic, received.entry_id()),
            gap => panic!("unexpected {gap:?}"),
        })
        .collect();
    assert_eq!(ids, vec![(b.clone(), b2), (a.clone(), a3)]);
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
    match next_item(&mut subscription).await {
        SubscriptionItem::Entry { received, .. } => assert!(received.message().is_none()),
        gap => panic!("unexpected {gap:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_unknown_message_cursor_fails_once_and_ends_the_stream() {
    let bus = memory().bus();
    let topic = Topic::stream("c1").unwrap();
    bus.publish(&topic, &1).await.unwrap();
    let mut subscription = Subscription::one(bus, topic, StartFrom::Message(bus_core::Uuid::new_v4()));
    let err = subscription.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::UnknownCursor { .. }), "{err}");
    assert!(subscription.next().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn buffers_at_most_one_batch_and_reads_only_when_polled() {
    let flaky = FlakyBackend::new(memory(), 0);
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
        flaky.reads.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing read before the first poll"
    );
    for _ in 0..4 {
        next_item(&mut subscription).await;
    }
    assert_eq!(
        flaky.reads.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one read of COUNT 4 served four items"
    );
    next_item(&mut subscription).await;
    assert_eq!(flaky.reads.load(std::sync::atomic::Ordering::SeqCst), 2);
    let all = bus
        .backend()
        .range(&topic, RangeBound::MIN, RangeBound::MAX, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 10);
}
