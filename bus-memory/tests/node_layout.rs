//! Node layout as Redis configures it (`stream-node-max-entries`, `stream-node-max-bytes`), against a private
//! redis-server 7.0.15 with its default configuration (4096-byte nodes): random sequences of appends of
//! entries of many sizes and encodings, deletions, exact and approximate trims (with and without LIMIT) and
//! configuration changes run on both, and after every step the number of nodes (`radix-tree-keys`), the radix
//! tree's node count, the counters and what each trim removed must be Redis's. A node boundary in a different
//! place shows at the next append (a node too many or too few) or at the next approximate trim.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod differential;

use bus_core::{AppendOptions, Backend, EntryId, Fields, RangeBound, Topic, Trim};
use bus_memory::{MemoryBackend, NodeLayout};
use differential::{Rng, Server, entries, id, int};

/// A value of one of the encodings listpacks distinguish: small and large integers (stored as integers),
/// non-canonical integer texts (stored as strings), strings around the 63/4095-byte header bounds and the
/// 127-byte backlen bound, and now and then one larger than a whole node.
fn value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(12) {
        0 => rng.below(128).to_string().into_bytes(),
        1 => (rng.below(9000) as i64 - 4500).to_string().into_bytes(),
        2 => (rng.next() as i64).to_string().into_bytes(),
        3 => format!("0{}", rng.below(100)).into_bytes(),
        4 => vec![b'x'; 60 + rng.below(8) as usize],
        5 => vec![b'y'; 120 + rng.below(12) as usize],
        6 => vec![b'z'; 4090 + rng.below(10) as usize],
        7 if rng.chance(20) => vec![b'w'; 5000 + rng.below(3000) as usize],
        _ => vec![b'v'; rng.below(40) as usize],
    }
}

/// One to four fields, usually with the same names (entries then share the master entry's names).
fn fields(rng: &mut Rng) -> Fields {
    const NAMES: [&str; 5] = [
        "type",
        "payload",
        "n",
        "a",
        "a-much-longer-field-name-that-grows-entries",
    ];
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = if rng.chance(70) {
        vec![(b"type".to_vec(), value(rng)), (b"payload".to_vec(), value(rng))]
    } else {
        (0..=rng.below(4))
            .map(|_| (NAMES[rng.below(5) as usize].as_bytes().to_vec(), value(rng)))
            .collect()
    };
    Fields::from_pairs(pairs)
}

/// The next id: mostly a few ms later, sometimes the same ms, sometimes far later (large ms deltas), with
/// sequences that may be below the node's master (negative seq deltas).
fn next_id(rng: &mut Rng, last: EntryId) -> EntryId {
    match rng.below(10) {
        0 => EntryId::new(last.ms, last.seq + 1 + rng.below(3)),
        1 => EntryId::new(last.ms + 1000 + rng.below(200_000), rng.below(5)),
        2 if rng.chance(10) => EntryId::new(last.ms + (1 << 33), 0),
        3 => EntryId::new(last.ms + 1 + rng.below(5), rng.below(70_000)),
        _ => EntryId::new(last.ms + 1 + rng.below(50), 0),
    }
}

fn layout(rng: &mut Rng) -> NodeLayout {
    const ENTRIES: [u64; 5] = [100, 100, 10, 0, 1000];
    const BYTES: [u64; 5] = [4096, 4096, 0, 512, 100_000];
    NodeLayout {
        max_entries: ENTRIES[rng.below(5) as usize],
        max_bytes: BYTES[rng.below(5) as usize],
    }
}

/// A trim and the same trim as XTRIM arguments.
fn trim(rng: &mut Rng, len: u64, live: &[EntryId]) -> (Trim, Vec<String>) {
    let approx = rng.chance(85);
    let (mut trim, mut args) = if rng.chance(60) || live.is_empty() {
        let max = len.saturating_sub(rng.below(len / 2 + 2));
        (Trim::maxlen(max), vec!["MAXLEN".to_owned()])
    } else {
        let min = live[rng.below(live.len() as u64) as usize];
        (Trim::minid(min), vec!["MINID".to_owned()])
    };
    if approx {
        trim = trim.approx();
        args.push("~".to_owned());
    }
    args.push(match trim.strategy {
        bus_core::TrimStrategy::MaxLen(n) => n.to_string(),
        bus_core::TrimStrategy::MinId(min) => min.to_string(),
    });
    if approx && rng.chance(30) {
        let limit = rng.below(300);
        trim = trim.limit(limit);
        args.extend(["LIMIT".to_owned(), limit.to_string()]);
    }
    (trim, args)
}

/// Fails unless the stream's figures are Redis's after `step`.
fn compare(backend: &MemoryBackend, redis: &mut Server, topic: &Topic, step: &str) {
    let (info, storage) = backend.stream_info_with_storage(topic).unwrap();
    let want = redis.xinfo(&[topic.as_str()]);
    let got = [
        ("length", info.length as i64),
        ("radix-tree-keys", storage.radix_tree_keys as i64),
        ("radix-tree-nodes", storage.radix_tree_nodes as i64),
        ("entries-added", info.entries_added as i64),
    ];
    for (name, value) in got {
        assert_eq!(value, int(&want[name]), "{name} after {step}");
    }
    let ids = [
        ("last-generated-id", info.last_generated_id),
        ("max-deleted-entry-id", info.max_deleted_entry_id),
        ("recorded-first-entry-id", storage.recorded_first_entry_id),
    ];
    for (name, value) in ids {
        assert_eq!(value, id(&want[name]), "{name} after {step}");
    }
}

/// What a run appends and under which limits.
#[derive(Clone, Copy)]
enum Profile {
    /// Entries of every size and encoding, Redis's default limits, now and then other limits.
    Mixed,
    /// Tiny entries in nodes of thousands of entries, so the master entry's counters outgrow their one-byte and
    /// two-byte encodings (past 127 and 4095), as appends, deletions and trims change them.
    Tiny,
}

async fn run(seed: u64, steps: usize, profile: Profile) {
    let Some(mut redis) = Server::start(&format!("node_layout seed {seed}")) else {
        return;
    };
    let backend = MemoryBackend::new();
    let start = match profile {
        Profile::Mixed => NodeLayout::REDIS_DEFAULT,
        Profile::Tiny => NodeLayout {
            max_entries: 0,
            max_bytes: 100_000,
        },
    };
    redis.set_layout(start);
    backend.set_node_layout(start).unwrap();
    let topic = Topic::new(format!("layout{seed}")).unwrap();
    let key = topic.as_str().to_owned();
    let mut rng = Rng::new(seed);
    let mut last = EntryId::new(1_000_000, 0);
    let mut live: Vec<EntryId> = Vec::new();
    for step in 0..steps {
        let roll = rng.below(100);
        let what = if roll < 80 || live.is_empty() {
            let id = next_id(&mut rng, last);
            let fields = match profile {
                Profile::Mixed => fields(&mut rng),
                Profile::Tiny => Fields::from_pairs([("n", rng.below(200).to_string())]),
            };
            redis.xadd(&key, id, &fields);
            let options = AppendOptions::new().id(id);
            backend.append(&topic, fields, &options).await.unwrap();
            last = id;
            live.push(id);
            format!("XADD {id}")
        } else if roll < 90 {
            let victim = live.remove(rng.below(live.len() as u64) as usize);
            let want = redis.int(&["XDEL", &key, &victim.to_string()]);
            assert_eq!(
                backend.delete(&topic, &[victim]).await.unwrap() as i64,
                want,
                "XDEL {victim}"
            );
            format!("XDEL {victim}")
        } else if roll < 98 {
            let len = live.len() as u64;
            let (trim, args) = trim(&mut rng, len, &live);
            let mut command = vec!["XTRIM".to_owned(), key.clone()];
            command.extend(args);
            let want = redis.int(&command);
            let removed = backend.trim(&topic, &trim).await.unwrap();
            let what = command.join(" ");
            assert_eq!(removed as i64, want, "{what} (seed {seed}, step {step})");
            let kept = backend
                .range(&topic, RangeBound::MIN, RangeBound::MAX, None)
                .await
                .unwrap();
            live = kept.into_iter().map(|e| e.id).collect();
            what
        } else if matches!(profile, Profile::Tiny) {
            continue;
        } else {
            let layout = layout(&mut rng);
            redis.set_layout(layout);
            backend.set_node_layout(layout).unwrap();
            format!("CONFIG SET {layout:?}")
        };
        compare(
            &backend,
            &mut redis,
            &topic,
            &format!("{what} (seed {seed}, step {step})"),
        );
    }
    let want = entries(&redis.cmd(&["XRANGE", &key, "-", "+"]));
    let got: Vec<(EntryId, Fields)> = backend
        .range(&topic, RangeBound::MIN, RangeBound::MAX, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.fields))
        .collect();
    assert_eq!(got, want, "XRANGE - + at the end (seed {seed})");
}

#[tokio::test]
async fn random_sequences_lay_out_nodes_as_redis_does() {
    for seed in 1..=4 {
        run(seed, 2500, Profile::Mixed).await;
    }
}

#[tokio::test]
async fn master_entry_counters_change_size_as_redis_encodes_them() {
    run(5, 12_000, Profile::Tiny).await;
}

/// Redis's defaults on entries of three sizes: node boundaries follow the bytes, and `~` trims remove whole
/// nodes of them. The expected figures are the private server's.
#[tokio::test]
async fn four_kilobyte_nodes_hold_as_many_entries_as_fit() {
    let Some(mut redis) = Server::start("four_kilobyte_nodes_hold_as_many_entries_as_fit") else {
        return;
    };
    let backend = MemoryBackend::new();
    backend.set_node_layout(NodeLayout::REDIS_DEFAULT).unwrap();
    let topic = Topic::new("sizes").unwrap();
    let mut ms = 1;
    for size in [10usize, 300, 1500] {
        for _ in 0..40 {
            let fields = Fields::from_pairs([("payload", vec![b'p'; size])]);
            let id = EntryId::new(ms, 0);
            ms += 1;
            redis.xadd("sizes", id, &fields);
            backend
                .append(&topic, fields, &AppendOptions::new().id(id))
                .await
                .unwrap();
        }
    }
    let nodes = backend.stream_nodes(&topic).unwrap();
    let keys = int(&redis.xinfo(&["sizes"])["radix-tree-keys"]);
    assert_eq!(nodes.len() as i64, keys, "nodes: {nodes:?}");
    assert!(nodes.iter().all(|n| n.bytes < 4096 + 1500), "{nodes:?}");
    // By listpack.c's sizes: the master entry of `payload` takes 24 bytes, a 10-byte entry 20, a 300-byte one
    // 312: the first node holds the 40 small ones (824 bytes) and ten 300-byte ones (3944 bytes); an eleventh
    // would bring 3944 + 307 raw bytes past 4096.
    assert_eq!((nodes[0].entries, nodes[0].bytes), (50, 3944), "{nodes:?}");
    for max in [100, 60, 30, 0] {
        let want = redis.int(&["XTRIM", "sizes", "MAXLEN", "~", &max.to_string()]);
        let got = backend.trim(&topic, &Trim::maxlen(max).approx()).await.unwrap();
        assert_eq!(got as i64, want, "XTRIM sizes MAXLEN ~ {max}");
    }
}

/// A layout change applies from the next append on, and the default work bound of `~` follows
/// `stream-node-max-entries`. redis-cli with `stream-node-max-bytes 0`: `XADD c 1-0 n 1` … `50-0`; `CONFIG SET
/// stream-node-max-entries 10`; `XADD c 51-0 n 51` → radix-tree-keys 2 (the 50-entry node is full now); `52-0` …
/// `70-0` → 3; `CONFIG SET stream-node-max-entries 100`; `71-0` … `150-0` → 3 (the tail fills up to 100);
/// `XTRIM c MAXLEN ~ 0 LIMIT 55` → 50; `CONFIG SET stream-node-max-entries 1`; `XTRIM c MAXLEN ~ 0` → 100 (the
/// bound is 100 × 1 entries; both nodes fit it exactly); XLEN → 0.
#[tokio::test]
async fn a_new_layout_applies_from_the_next_append() {
    let backend = MemoryBackend::new();
    let topic = Topic::new("c").unwrap();
    let entries = |max_entries| NodeLayout {
        max_entries,
        max_bytes: 0,
    };
    let keys = |backend: &MemoryBackend| backend.stream_info_with_storage(&topic).unwrap().1.radix_tree_keys;
    let append = async |range: std::ops::RangeInclusive<u64>| {
        for ms in range {
            let fields = Fields::from_pairs([("n", ms.to_string())]);
            let options = AppendOptions::new().id(EntryId::new(ms, 0));
            backend.append(&topic, fields, &options).await.unwrap();
        }
    };
    append(1..=50).await;
    backend.set_node_layout(entries(10)).unwrap();
    append(51..=51).await;
    assert_eq!(keys(&backend), 2);
    append(52..=70).await;
    assert_eq!(keys(&backend), 3);
    backend.set_node_layout(entries(100)).unwrap();
    append(71..=150).await;
    assert_eq!(keys(&backend), 3);
    let limited = Trim::maxlen(0).approx().limit(55);
    assert_eq!(backend.trim(&topic, &limited).await.unwrap(), 50);
    backend.set_node_layout(entries(1)).unwrap();
    assert_eq!(backend.trim(&topic, &Trim::maxlen(0).approx()).await.unwrap(), 100);
    assert_eq!(backend.len(&topic).await.unwrap(), 0);
}
