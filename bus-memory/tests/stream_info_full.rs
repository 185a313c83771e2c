//! XINFO STREAM … FULL (`MemoryBackend::stream_info_full`) and the storage figures of plain XINFO STREAM
//! (`stream_info_with_storage`), compared field by field with a private redis-server 7.0.15 (Redis's default
//! node layout) after the same sequence: appends of several sizes, groups at several positions, reads, acks,
//! claims, deletions and trims. Delivery and seen times are wall-clock times on both sides: they are compared
//! with a wide margin, except those XCLAIM sets with TIME, which must be equal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod differential;

use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, ClaimOptions, EntryId, Fields, GroupCreateOptions, GroupCursor, GroupStart,
    ReadGroupOptions, Topic, Trim,
};
use bus_memory::{
    ConsumerFullInfo, ConsumerPendingEntry, FullPendingEntry, GroupFullInfo, MemoryBackend, NodeLayout, StreamFullInfo,
    StreamStorage,
};
use differential::{Server, array, entries, id, int, map, opt_int, text};
use redis::Value;

/// Redis's FULL reply as the typed record.
fn parse_full(reply: &Value) -> StreamFullInfo {
    let m = map(reply);
    let uint = |name: &str| int(&m[name]) as u64;
    StreamFullInfo {
        length: uint("length"),
        storage: StreamStorage {
            radix_tree_keys: uint("radix-tree-keys"),
            radix_tree_nodes: uint("radix-tree-nodes"),
            recorded_first_entry_id: id(&m["recorded-first-entry-id"]),
        },
        last_generated_id: id(&m["last-generated-id"]),
        max_deleted_entry_id: id(&m["max-deleted-entry-id"]),
        entries_added: int(&m["entries-added"]) as u64,
        entries: entries(&m["entries"])
            .into_iter()
            .map(|(id, fields)| bus_core::Entry::new(id, fields))
            .collect(),
        groups: array(&m["groups"]).iter().map(parse_group).collect(),
    }
}

fn parse_group(reply: &Value) -> GroupFullInfo {
    let g = map(reply);
    GroupFullInfo {
        name: text(&g["name"]),
        last_delivered_id: id(&g["last-delivered-id"]),
        entries_read: opt_int(&g["entries-read"]),
        lag: opt_int(&g["lag"]),
        pel_count: int(&g["pel-count"]) as u64,
        pending: array(&g["pending"])
            .iter()
            .map(|p| {
                let p = array(p);
                FullPendingEntry {
                    id: id(&p[0]),
                    consumer: text(&p[1]),
                    delivery_time: int(&p[2]) as u64,
                    delivery_count: int(&p[3]) as u64,
                }
            })
            .collect(),
        consumers: array(&g["consumers"])
            .iter()
            .map(|c| {
                let c = map(c);
                ConsumerFullInfo {
                    name: text(&c["name"]),
                    seen_time: int(&c["seen-time"]) as u64,
                    pel_count: int(&c["pel-count"]) as u64,
                    pending: array(&c["pending"])
                        .iter()
                        .map(|p| {
                            let p = array(p);
                            ConsumerPendingEntry {
                                id: id(&p[0]),
                                delivery_time: int(&p[1]) as u64,
                                delivery_count: int(&p[2]) as u64,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// Times before this are the fixed ones XCLAIM's TIME gave; later ones are wall-clock times.
const FIXED_TIMES_BELOW: u64 = 1_000_000;

/// Fails unless two times agree: exactly when XCLAIM fixed them, within a minute when both read a wall clock.
fn same_time(got: u64, want: u64, what: &str) {
    if want < FIXED_TIMES_BELOW {
        assert_eq!(got, want, "{what}");
    } else {
        assert!(got.abs_diff(want) < 60_000, "{what}: {got} against Redis's {want}");
    }
}

/// The record with every time set to 0, after checking each against Redis's.
fn compare(got: &StreamFullInfo, want: &StreamFullInfo, what: &str) {
    fn without_times(info: &StreamFullInfo) -> StreamFullInfo {
        let mut info = info.clone();
        for group in &mut info.groups {
            group.pending.iter_mut().for_each(|p| p.delivery_time = 0);
            for consumer in &mut group.consumers {
                consumer.seen_time = 0;
                consumer.pending.iter_mut().for_each(|p| p.delivery_time = 0);
            }
        }
        info
    }
    assert_eq!(without_times(got), without_times(want), "XINFO STREAM FULL {what}");
    for (g, w) in got.groups.iter().zip(&want.groups) {
        for (p, q) in g.pending.iter().zip(&w.pending) {
            same_time(
                p.delivery_time,
                q.delivery_time,
                &format!("{what}: delivery time of {}", p.id),
            );
        }
        for (c, d) in g.consumers.iter().zip(&w.consumers) {
            same_time(c.seen_time, d.seen_time, &format!("{what}: seen-time of {}", c.name));
            for (p, q) in c.pending.iter().zip(&d.pending) {
                same_time(
                    p.delivery_time,
                    q.delivery_time,
                    &format!("{what}: {}'s {}", c.name, p.id),
                );
            }
        }
    }
}

/// Both sides of the test.
struct Pair {
    redis: Server,
    memory: MemoryBackend,
    topic: Topic,
}

impl Pair {
    fn key(&self) -> String {
        self.topic.as_str().to_owned()
    }

    async fn add(&mut self, at: EntryId, fields: Fields) {
        let key = self.key();
        self.redis.xadd(&key, at, &fields);
        self.memory
            .append(&self.topic, fields, &AppendOptions::new().id(at))
            .await
            .unwrap();
    }

    async fn group(&mut self, name: &str, at: EntryId, entries_read: Option<u64>) {
        let key = self.key();
        let mut args = vec!["XGROUP".to_owned(), "CREATE".into(), key, name.into(), at.to_string()];
        let mut options = GroupCreateOptions::new();
        if let Some(n) = entries_read {
            args.extend(["ENTRIESREAD".to_owned(), n.to_string()]);
            options = options.entries_read(n);
        }
        self.redis.cmd(&args);
        self.memory
            .group_create(&self.topic, name, GroupStart::Id(at), &options)
            .await
            .unwrap();
    }

    async fn read(&mut self, group: &str, consumer: &str, count: u64, no_ack: bool) {
        let key = self.key();
        let count_text = count.to_string();
        let mut args = vec!["XREADGROUP", "GROUP", group, consumer, "COUNT", &count_text];
        if no_ack {
            args.push("NOACK");
        }
        args.extend(["STREAMS", &key, ">"]);
        self.redis.cmd(&args);
        let mut options = ReadGroupOptions::new().count(count);
        options.no_ack = no_ack;
        let cursors = [(self.topic.clone(), GroupCursor::New)];
        self.memory
            .read_group(group, consumer, &cursors, &options)
            .await
            .unwrap();
    }

    /// `XCLAIM key group consumer 0 id TIME time RETRYCOUNT count`.
    async fn claim(&mut self, group: &str, consumer: &str, at: EntryId, time: u64, retry: u64) {
        let key = self.key();
        let (at_text, time_text, retry_text) = (at.to_string(), time.to_string(), retry.to_string());
        self.redis.cmd(&[
            "XCLAIM",
            &key,
            group,
            consumer,
            "0",
            &at_text,
            "TIME",
            &time_text,
            "RETRYCOUNT",
            &retry_text,
        ]);
        let options = ClaimOptions::new().time(time).retry_count(retry);
        self.memory
            .claim(&self.topic, group, consumer, Duration::ZERO, &[at], &options)
            .await
            .unwrap();
    }

    /// Compares FULL with COUNT 10 (Redis's default), 1 and 0 (everything), and the plain storage figures.
    fn check(&mut self, what: &str) {
        let key = self.key();
        for (count, args) in [(10, vec![]), (1, vec!["COUNT", "1"]), (0, vec!["COUNT", "0"])] {
            let mut all = vec![key.as_str(), "FULL"];
            all.extend(args);
            let mut command = vec!["XINFO", "STREAM"];
            command.extend(&all);
            let want = parse_full(&self.redis.cmd(&command));
            let got = self.memory.stream_info_full(&self.topic, count).unwrap();
            compare(&got, &want, &format!("COUNT {count} {what}"));
        }
        let plain = self.redis.xinfo(&[&key]);
        let (_, storage) = self.memory.stream_info_with_storage(&self.topic).unwrap();
        assert_eq!(
            storage.radix_tree_nodes as i64,
            int(&plain["radix-tree-nodes"]),
            "{what}"
        );
        assert_eq!(
            storage.recorded_first_entry_id,
            id(&plain["recorded-first-entry-id"]),
            "{what}"
        );
    }
}

fn payload(n: u64, size: usize) -> Fields {
    Fields::from_pairs([("n", n.to_string().into_bytes()), ("payload", vec![b'p'; size])])
}

#[tokio::test]
async fn full_info_matches_redis_through_reads_claims_deletions_and_trims() {
    let Some(redis) = Server::start("full_info_matches_redis_through_reads_claims_deletions_and_trims") else {
        return;
    };
    let memory = MemoryBackend::new();
    memory.set_node_layout(NodeLayout::REDIS_DEFAULT).unwrap();
    let topic = Topic::new("full").unwrap();
    let mut pair = Pair { redis, memory, topic };
    for n in 1..=60 {
        pair.add(EntryId::new(n * 10, n % 3), payload(n, (n as usize * 37) % 700))
            .await;
    }
    pair.check("after 60 appends");

    pair.group("g1", EntryId::MIN, None).await;
    pair.group("g2", EntryId::new(300, 0), Some(12)).await;
    pair.group("g3", EntryId::MIN, Some(100)).await;
    pair.read("g1", "alice", 5, false).await;
    pair.read("g1", "bob", 3, false).await;
    pair.read("g2", "carol", 4, false).await;
    pair.read("g3", "dave", 2, true).await;
    pair.check("after the group reads");

    let key = pair.key();
    let acked = pair.redis.int(&["XACK", &key, "g1", "20-2", "40-1"]);
    let ids = [EntryId::new(20, 2), EntryId::new(40, 1)];
    assert_eq!(pair.memory.ack(&pair.topic, "g1", &ids).await.unwrap() as i64, acked);
    pair.claim("g1", "bob", EntryId::new(10, 1), 5_000, 7).await;
    pair.claim("g1", "erin", EntryId::new(30, 0), 6_000, 2).await;
    pair.check("after acks and claims");

    let deleted = pair.redis.int(&["XDEL", &key, "10-1", "500-2", "600-0"]);
    let ids = [EntryId::new(10, 1), EntryId::new(500, 2), EntryId::new(600, 0)];
    assert_eq!(pair.memory.delete(&pair.topic, &ids).await.unwrap() as i64, deleted);
    pair.check("after deletions (lags unknown)");

    let trimmed = pair.redis.int(&["XTRIM", &key, "MAXLEN", "~", "30"]);
    let got = pair.memory.trim(&pair.topic, &Trim::maxlen(30).approx()).await.unwrap();
    assert_eq!(got as i64, trimmed);
    pair.read("g1", "alice", 0, false).await;
    pair.check("after a trim and a read to the end");

    pair.redis.cmd(&["XGROUP", "CREATECONSUMER", &key, "g2", "frank"]);
    pair.memory.consumer_create(&pair.topic, "g2", "frank").await.unwrap();
    pair.check("after CREATECONSUMER");
}
