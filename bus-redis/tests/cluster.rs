//! bus-redis on a Redis Cluster, beyond what the conformance suite checks (`conformance_cluster.rs`): blocking
//! reads go to the master of their topic's slot, an abandoned one is released on that node, a group read over
//! topics on different masters loses nothing, and cluster URLs that cannot work fail typed. One local cluster
//! for the whole binary (`bus_redis::testing::TestCluster`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bus_core::{
    AppendOptions, Backend, EntryId, GroupCreateOptions, GroupCursor, GroupStart, Message, ReadCursor,
    ReadGroupOptions, ReadOptions, ReadReply, Topic,
};
use bus_redis::testing::TestCluster;
use bus_redis::{RedisBackend, RedisOptions};

fn cluster(name: &str) -> Option<Arc<TestCluster>> {
    TestCluster::shared(name)
}

/// Polls `ready` every 20 ms for up to 10 s (a wide margin: the machine is shared).
async fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(10), "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One topic per master: `(topic, master port)`, found by hashing candidate names.
fn topic_per_master(cluster: &TestCluster, backend: &RedisBackend, base: &str) -> Vec<(Topic, u16)> {
    let masters = cluster.masters().unwrap();
    let mut found: Vec<(Topic, u16)> = Vec::new();
    for n in 0..200 {
        let topic = Topic::new(format!("{base}:{n}")).unwrap();
        let master = cluster.master_of(&backend.stream_key(&topic)).unwrap();
        if !found.iter().any(|(_, m)| *m == master) {
            found.push((topic, master));
        }
        if found.len() == masters.len() {
            break;
        }
    }
    assert_eq!(found.len(), 3, "three masters, a topic on each");
    found
}

fn message(n: u32) -> Message {
    Message::with_id(bus_core::Uuid::new_v4(), &serde_json::json!({ "n": n })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_reads_wait_on_the_master_of_their_topic() {
    let Some(cluster) = cluster("blocking_reads_wait_on_the_master_of_their_topic") else {
        return;
    };
    let backend = cluster.fresh_backend().await.unwrap();
    assert!(backend.is_cluster());
    let topics = topic_per_master(&cluster, &backend, "spread");
    let before: Vec<u64> = topics
        .iter()
        .map(|(_, m)| cluster.blocked_clients(*m).unwrap())
        .collect();
    let mut reads = Vec::new();
    for (topic, _) in &topics {
        let (backend, topic) = (backend.clone(), topic.clone());
        reads.push(tokio::spawn(async move {
            backend
                .read(
                    &[(topic, ReadCursor::New)],
                    &ReadOptions::new().block(Duration::from_secs(30)),
                )
                .await
        }));
    }
    // Each read blocks on its own topic's master (a read sent elsewhere would be answered MOVED at once).
    for ((_, master), before) in topics.iter().zip(&before) {
        eventually("a read blocked on every master", || {
            cluster.blocked_clients(*master).unwrap() > *before
        })
        .await;
    }
    for (n, (topic, _)) in topics.iter().enumerate() {
        backend
            .publish(topic, &message(n as u32), &AppendOptions::new())
            .await
            .unwrap();
    }
    for (read, (topic, _)) in reads.into_iter().zip(&topics) {
        let reply = read.await.unwrap().unwrap().into_topics();
        assert_eq!(reply.len(), 1);
        assert_eq!(&reply[0].topic, topic);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_read_is_released_on_its_own_node() {
    let Some(cluster) = cluster("an_abandoned_read_is_released_on_its_own_node") else {
        return;
    };
    // Chunks of 60 s: without a CLIENT UNBLOCK on the right node the server would hold the read that long.
    let options = RedisOptions::new()
        .key_prefix(format!("abandon{}:", std::process::id()))
        .block_chunk(Duration::from_secs(60));
    let backend = RedisBackend::connect(cluster.url(), options).await.unwrap();
    for (topic, master) in topic_per_master(&cluster, &backend, "abandon") {
        let before = cluster.blocked_clients(master).unwrap();
        let read = {
            let backend = backend.clone();
            tokio::spawn(async move {
                backend
                    .read(&[(topic, ReadCursor::New)], &ReadOptions::new().block(Duration::ZERO))
                    .await
            })
        };
        eventually("the read blocked", || cluster.blocked_clients(master).unwrap() > before).await;
        read.abort();
        eventually("the abandoned read released on its node", || {
            cluster.blocked_clients(master).unwrap() == before
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_reads_across_masters_merge_in_order_and_lose_nothing() {
    let Some(cluster) = cluster("group_reads_across_masters_merge_in_order_and_lose_nothing") else {
        return;
    };
    let backend = cluster.fresh_backend().await.unwrap();
    let topics = topic_per_master(&cluster, &backend, "merge");
    let (a, b, c) = (topics[0].0.clone(), topics[1].0.clone(), topics[2].0.clone());
    for topic in [&a, &b, &c] {
        backend
            .group_create(
                topic,
                "g",
                GroupStart::Id(EntryId::MIN),
                &GroupCreateOptions::new().mkstream(),
            )
            .await
            .unwrap();
    }
    // Non-blocking, over three slots: the reply lists the topics in the order they were asked for.
    backend.publish(&a, &message(1), &AppendOptions::new()).await.unwrap();
    backend.publish(&c, &message(2), &AppendOptions::new()).await.unwrap();
    let asked = [c.clone(), b.clone(), a.clone()];
    let cursors: Vec<(Topic, GroupCursor)> = asked.iter().map(|t| (t.clone(), GroupCursor::New)).collect();
    let reply = backend
        .read_group("g", "c1", &cursors, &ReadGroupOptions::new())
        .await
        .unwrap()
        .into_topics();
    let order: Vec<&Topic> = reply.iter().map(|t| &t.topic).collect();
    assert_eq!(order, vec![&c, &a]);

    // Blocking: the entry published to b wakes the read; the reads on a and c are released and move nothing.
    let read = {
        let (backend, cursors) = (backend.clone(), cursors.clone());
        tokio::spawn(async move {
            backend
                .read_group(
                    "g",
                    "c1",
                    &cursors,
                    &ReadGroupOptions::new().block(Duration::from_secs(30)),
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    backend.publish(&b, &message(3), &AppendOptions::new()).await.unwrap();
    let reply = read.await.unwrap().unwrap();
    let ReadReply::Topics(reply) = reply else {
        panic!("the read timed out");
    };
    let delivered: usize = reply.iter().map(|t| t.entries.len()).sum();
    assert_eq!(delivered, 1);
    assert_eq!(reply[0].topic, b);
    let pending = |topic: Topic| {
        let backend = backend.clone();
        async move { backend.pending_summary(&topic, "g").await.unwrap().count }
    };
    // a and c hold only what the first read delivered; b exactly the entry just delivered.
    assert_eq!(pending(a.clone()).await, 1);
    assert_eq!(pending(b.clone()).await, 1);
    assert_eq!(pending(c.clone()).await, 1);

    // A group missing on one topic fails the whole read, and moves nothing on the others.
    backend.publish(&a, &message(4), &AppendOptions::new()).await.unwrap();
    let missing = Topic::new("merge:no-group").unwrap();
    let err = backend
        .read_group(
            "g",
            "c1",
            &[(a.clone(), GroupCursor::New), (missing, GroupCursor::New)],
            &ReadGroupOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "no_group");
    assert_eq!(pending(a).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_url_with_no_reachable_seed_is_retried_then_typed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis+cluster://:cl-s3cret@127.0.0.1:{port}");
    let options = RedisOptions::new().connect_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = RedisBackend::connect(&url, options).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(matches!(err.kind(), "connection" | "timeout"), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("redis+cluster://:***@127.0.0.1") && !text.contains("cl-s3cret"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    let err = RedisBackend::connect("redis+cluster://127.0.0.1:99999", RedisOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_url", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_durable_publish_waits_for_its_replica() {
    let Some(cluster) = cluster("a_durable_publish_waits_for_its_replica") else {
        return;
    };
    let prefix = format!("durable{}:", std::process::id());
    let connect = |replicas| {
        let options = RedisOptions::new()
            .key_prefix(prefix.clone())
            .durable(replicas, Duration::from_millis(100));
        RedisBackend::connect(cluster.url(), options)
    };
    let one = connect(1).await.unwrap();
    let two = connect(2).await.unwrap();
    let topic = Topic::new("durable:t").unwrap();
    let first = message(1);
    let published = one
        .publish(&topic, &first, &AppendOptions::new())
        .await
        .unwrap()
        .unwrap();
    assert!(!published.duplicate);
    // Each master has one replica: waiting for two fails after the WAIT timeout, saying the write may be there.
    let second = message(2);
    let err = two.publish(&topic, &second, &AppendOptions::new()).await.unwrap_err();
    assert!(
        matches!(err, bus_core::Error::Timeout { may_have_executed: true, ref operation, .. }
            if operation.contains("1 replica(s) acknowledged")),
        "{err:?}"
    );
    assert!(err.is_retryable());
    // The retry with a reachable count is the same message: a duplicate, written once.
    let retried = one
        .publish(&topic, &second, &AppendOptions::new())
        .await
        .unwrap()
        .unwrap();
    assert!(retried.duplicate);
    assert_eq!(one.len(&topic).await.unwrap(), 2);
    // A WAIT timeout must be shorter than the response timeout.
    let bad = RedisOptions::new().durable(1, Duration::from_secs(10));
    let err = RedisBackend::connect(cluster.url(), bad).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
}
