//! How bus-redis publishes, counted on the server: through the append script, a batch is one transaction of one
//! script call per message, sent again with the script loaded first when the server lost its scripts
//! (NOSCRIPT), publishing nothing twice; the plain mode is one XADD per message, with no script, no dedupe and
//! no index, whose lookups fall back to the scan. What a publish or batch returns is the conformance suite's
//! (`append` family).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use bus_core::{AppendOptions, Backend, EntryId, Error, Message, Published, RangeBound, Uuid};
use bus_redis::{PublishMode, RedisOptions};
use common::{key, message, raw, topic};

/// `exec`, `evalsha` and `script|load` calls since the last `CONFIG RESETSTAT`, from `INFO commandstats`.
fn command_calls(server: &common::TestRedis) -> (u64, u64, u64) {
    let info: String = raw(server, &["INFO", "commandstats"]);
    let calls = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(&format!("cmdstat_{name}:calls=")))
            .and_then(|rest| rest.split(',').next())
            .map_or(0, |n| n.parse::<u64>().unwrap())
    };
    (calls("exec"), calls("evalsha"), calls("script|load"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_is_one_round_trip_and_survives_a_script_flush() {
    let (server, backend) = setup!("batch_is_one_round_trip_and_survives_a_script_flush");
    if !server.prefix().is_empty() {
        eprintln!("SKIP round-trip count: needs a private server (BUS_REDIS_URL is set)");
        return;
    }
    let t = topic("chat:flush");
    // Warm up (loads the script), then count.
    backend.publish(&t, &message(0), &AppendOptions::new()).await.unwrap();
    raw::<()>(&server, &["CONFIG", "RESETSTAT"]);
    let batch: Vec<Message> = (1..=20).map(message).collect();
    let results = backend.publish_batch(&t, &batch, &AppendOptions::new()).await.unwrap();
    assert!(results.iter().all(|r| r.is_some_and(|p| !p.duplicate)));
    // One transaction holding the 20 script calls, and no script load.
    assert_eq!(command_calls(&server), (1, 20, 0));

    // The server lost its scripts (as after a restart): the batch fails with NOSCRIPT as a whole, and is sent
    // again with the script loaded first; nothing is published twice, results and order are right.
    raw::<()>(&server, &["SCRIPT", "FLUSH"]);
    raw::<()>(&server, &["CONFIG", "RESETSTAT"]);
    let batch: Vec<Message> = (21..=30).map(message).collect();
    let results = backend.publish_batch(&t, &batch, &AppendOptions::new()).await.unwrap();
    assert_eq!(command_calls(&server), (2, 20, 1));
    assert!(results.iter().all(|r| r.is_some_and(|p| !p.duplicate)));
    let ids: Vec<EntryId> = results.iter().map(|r| r.unwrap().entry_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let tail = backend
        .range(&t, RangeBound::Exclusive(EntryId::MIN), RangeBound::MAX, None)
        .await
        .unwrap();
    assert_eq!(tail.len(), 31);
    let stored: Vec<Message> = tail[21..].iter().map(|e| e.message().unwrap()).collect();
    assert_eq!(stored, batch);
    assert_eq!(tail[21..].iter().map(|e| e.id).collect::<Vec<_>>(), ids);

    // The same again, now a duplicate of each.
    let again = backend.publish_batch(&t, &batch, &AppendOptions::new()).await.unwrap();
    assert_eq!(
        again,
        ids.iter()
            .map(|&entry_id| Some(Published {
                entry_id,
                duplicate: true
            }))
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_mode_is_one_xadd_without_dedupe_or_index() {
    let Some(server) = common::TestRedis::start("plain_mode_is_one_xadd_without_dedupe_or_index") else {
        return;
    };
    let backend = server
        .backend_with(
            RedisOptions::new()
                .publish_mode(PublishMode::Plain)
                .lookup_scan_limit(10),
        )
        .await
        .unwrap();
    assert_eq!(backend.options().publish_mode, PublishMode::Plain);
    let t = topic("metrics:plain");
    let stream = key(&server, "metrics:plain");
    let m = message(1);
    if server.prefix().is_empty() {
        raw::<()>(&server, &["CONFIG", "RESETSTAT"]);
    }
    let first = backend.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    // A retried publish appends again: no dedupe.
    let second = backend.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    assert!(!first.duplicate && !second.duplicate);
    assert!(second.entry_id > first.entry_id);
    if server.prefix().is_empty() {
        let info: String = raw(&server, &["INFO", "commandstats"]);
        assert!(info.contains("cmdstat_xadd:calls=2,"), "{info}");
        assert!(!info.contains("cmdstat_evalsha"), "{info}");
    }
    // Same wire format, no index keys.
    let entries = backend.range(&t, RangeBound::MIN, RangeBound::MAX, None).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.fields == m.to_fields()));
    assert_eq!(raw::<u64>(&server, &["EXISTS", &format!("{{{stream}}}:ids")]), 0);

    // A batch: one XADD per message, repeats appended again, in order.
    let (a, b) = (message(2), message(3));
    let results = backend
        .publish_batch(&t, &[a.clone(), b.clone(), a.clone()], &AppendOptions::new())
        .await
        .unwrap();
    assert!(results.iter().all(|r| r.is_some_and(|p| !p.duplicate)));
    let ids: Vec<EntryId> = results.iter().map(|r| r.unwrap().entry_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let entries = backend
        .range(&t, RangeBound::Exclusive(second.entry_id), RangeBound::MAX, None)
        .await
        .unwrap();
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!(
        entries.iter().map(|e| e.message().unwrap()).collect::<Vec<_>>(),
        [a.clone(), b.clone(), a.clone()]
    );
    let none = backend
        .publish_batch(&topic("missing"), &[message(9)], &AppendOptions::new().no_mkstream())
        .await
        .unwrap();
    assert_eq!(none, [None]);

    // Lookup falls back to the scan (oldest first), which remembers what it finds in the index.
    assert_eq!(backend.lookup(&t, m.id()).await.unwrap(), Some(first.entry_id));
    assert_eq!(backend.lookup(&t, a.id()).await.unwrap(), Some(ids[0]));
    // Past the scan limit, a lookup of an unknown UUID is an error, not a silent miss.
    let many: Vec<Message> = (10..20).map(message).collect();
    backend.publish_batch(&t, &many, &AppendOptions::new()).await.unwrap();
    let err = backend.lookup(&t, Uuid::new_v4()).await.unwrap_err();
    assert!(matches!(err, Error::Backend { retryable: false, .. }), "{err:?}");

    // The indexed mode on the same topic: dedupes against what the index knows (here `m`, found by the scan).
    let indexed = server.backend().await.unwrap();
    let dup = indexed.publish(&t, &m, &AppendOptions::new()).await.unwrap().unwrap();
    assert_eq!(
        dup,
        Published {
            entry_id: first.entry_id,
            duplicate: true
        }
    );
}
