//! Consumer groups: creation, group reads, pending lists, acks, claims and info, errors included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use bus_core::{
    AppendOptions, AutoClaimOptions, Backend, ClaimOptions, Claimed, EntryId, Error, GroupCommand, GroupCreateOptions,
    GroupCursor, GroupEntry, GroupStart, PendingQuery, RangeBound, ReadGroupOptions, ReadReply, TopicCommand,
};
use common::{entry, fields, id, topic};

const START: GroupStart = GroupStart::Id(EntryId::MIN);

async fn seeded(backend: &bus_redis::RedisBackend, name: &str, n: u64) -> bus_core::Topic {
    let t = topic(name);
    for ms in 1..=n {
        backend
            .append(&t, fields(&[("n", "v")]), &AppendOptions::new().id(id(ms, 0)))
            .await
            .unwrap();
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_admin_and_its_errors() {
    let (_server, backend) = setup!("group_admin_and_its_errors");
    let missing = topic("missing");
    let err = backend
        .group_create(&missing, "g", START, &GroupCreateOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoSuchTopic { ref topic, command: TopicCommand::Group } if topic == "missing"));
    assert_eq!(
        err.to_string(),
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    backend
        .group_create(&missing, "g", START, &GroupCreateOptions::new().mkstream())
        .await
        .unwrap();
    let err = backend
        .group_create(&missing, "g", START, &GroupCreateOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::GroupExists { ref topic, ref group } if topic == "missing" && group == "g"));
    assert_eq!(err.to_string(), "BUSYGROUP Consumer Group name already exists");

    let t = seeded(&backend, "admin:1", 3).await;
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    backend
        .group_create(&t, "h", START, &GroupCreateOptions::new().entries_read(1))
        .await
        .unwrap();
    let groups = backend.groups_info(&t).await.unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!((groups[0].name.as_str(), groups[0].last_delivered_id), ("g", id(3, 0)));
    // Redis 7.0 reports entries-read nil (and lag 0) for a group created at `$`.
    assert_eq!((groups[0].entries_read, groups[0].lag), (None, Some(0)));
    assert_eq!(
        (groups[1].name.as_str(), groups[1].entries_read, groups[1].lag),
        ("h", Some(1), Some(2))
    );
    backend
        .group_set_id(&t, "h", GroupStart::Id(id(2, 0)), Some(2))
        .await
        .unwrap();
    let h = &backend.groups_info(&t).await.unwrap()[1];
    assert_eq!(
        (h.last_delivered_id, h.entries_read, h.lag),
        (id(2, 0), Some(2), Some(1))
    );

    assert!(backend.consumer_create(&t, "g", "c1").await.unwrap());
    assert!(!backend.consumer_create(&t, "g", "c1").await.unwrap());
    let consumers = backend.consumers_info(&t, "g").await.unwrap();
    assert_eq!(consumers.len(), 1);
    assert_eq!((consumers[0].name.as_str(), consumers[0].pending), ("c1", 0));
    assert_eq!(backend.consumer_delete(&t, "g", "c1").await.unwrap(), 0);
    assert_eq!(backend.consumer_delete(&t, "g", "nobody").await.unwrap(), 0);

    // NOGROUP wording of the admin commands.
    let admin = "NOGROUP No such consumer group 'x' for key name 'admin:1'";
    let err = backend.group_set_id(&t, "x", START, None).await.unwrap_err();
    assert!(matches!(
        err,
        Error::NoGroup {
            command: GroupCommand::Admin,
            ..
        }
    ));
    assert_eq!(err.to_string(), admin);
    assert_eq!(
        backend.consumer_create(&t, "x", "c").await.unwrap_err().to_string(),
        admin
    );
    assert_eq!(
        backend.consumer_delete(&t, "x", "c").await.unwrap_err().to_string(),
        admin
    );
    assert_eq!(backend.consumers_info(&t, "x").await.unwrap_err().to_string(), admin);
    // Missing topic for the XGROUP subcommands, and XINFO CONSUMERS.
    let gone = topic("gone");
    for err in [
        backend.group_set_id(&gone, "g", START, None).await.unwrap_err(),
        backend.consumer_create(&gone, "g", "c").await.map(|_| ()).unwrap_err(),
        backend.group_destroy(&gone, "g").await.map(|_| ()).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::NoSuchTopic {
                    command: TopicCommand::Group,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(
        backend.consumers_info(&gone, "g").await.unwrap_err().to_string(),
        "ERR no such key"
    );

    assert!(backend.group_destroy(&t, "g").await.unwrap());
    assert!(!backend.group_destroy(&t, "g").await.unwrap());
    let err = backend
        .group_create(&t, "e", START, &GroupCreateOptions::new().entries_read(u64::MAX))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR value is not an integer or out of range");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_reads_pending_and_acks() {
    let (_server, backend) = setup!("group_reads_pending_and_acks");
    let t = seeded(&backend, "work:1", 3).await;
    backend
        .group_create(&t, "g", START, &GroupCreateOptions::new())
        .await
        .unwrap();
    let new = [(t.clone(), GroupCursor::New)];
    let read = backend
        .read_group("g", "c1", &new, &ReadGroupOptions::new().count(2))
        .await
        .unwrap()
        .into_topics();
    assert_eq!(read.len(), 1);
    assert_eq!(
        read[0].entries,
        vec![
            GroupEntry::Present(entry(1, 0, &[("n", "v")])),
            GroupEntry::Present(entry(2, 0, &[("n", "v")]))
        ]
    );
    let read = backend
        .read_group("g", "c2", &new, &ReadGroupOptions::new())
        .await
        .unwrap()
        .into_topics();
    assert_eq!(read[0].entries, vec![GroupEntry::Present(entry(3, 0, &[("n", "v")]))]);
    // Nothing new: Some(empty) without BLOCK, None with it.
    assert_eq!(
        backend
            .read_group("g", "c1", &new, &ReadGroupOptions::new())
            .await
            .unwrap(),
        ReadReply::Topics(vec![])
    );
    let blocked = backend
        .read_group(
            "g",
            "c1",
            &new,
            &ReadGroupOptions::new().block(Duration::from_millis(30)),
        )
        .await
        .unwrap();
    assert_eq!(blocked, ReadReply::TimedOut);

    let summary = backend.pending_summary(&t, "g").await.unwrap();
    assert_eq!(summary.count, 3);
    assert_eq!((summary.min, summary.max), (Some(id(1, 0)), Some(id(3, 0))));
    assert_eq!(summary.consumers, vec![("c1".to_owned(), 2), ("c2".to_owned(), 1)]);
    let pending = backend
        .pending(&t, "g", &PendingQuery::all(10).consumer("c1"))
        .await
        .unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|p| (p.id, p.consumer.as_str(), p.delivery_count))
            .collect::<Vec<_>>(),
        vec![(id(1, 0), "c1", 1), (id(2, 0), "c1", 1)]
    );
    let idle = backend
        .pending(
            &t,
            "g",
            &PendingQuery::new(RangeBound::Exclusive(id(1, 0)), RangeBound::MAX, 10)
                .min_idle(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    assert!(idle.is_empty());

    // History: a deleted pending entry comes back as Deleted; reading history bumps the delivery count.
    backend.delete(&t, &[id(2, 0)]).await.unwrap();
    let history = [(t.clone(), GroupCursor::History(EntryId::MIN))];
    let read = backend
        .read_group("g", "c1", &history, &ReadGroupOptions::new())
        .await
        .unwrap()
        .into_topics();
    assert_eq!(
        read[0].entries,
        vec![
            GroupEntry::Present(entry(1, 0, &[("n", "v")])),
            GroupEntry::Deleted(id(2, 0))
        ]
    );
    let pending = backend.pending(&t, "g", &PendingQuery::all(1)).await.unwrap();
    assert_eq!(pending[0].delivery_count, 2);

    assert_eq!(backend.ack(&t, "g", &[id(1, 0), id(2, 0), id(9, 0)]).await.unwrap(), 2);
    assert_eq!(backend.ack(&t, "g", &[id(1, 0)]).await.unwrap(), 0);
    assert_eq!(backend.ack(&t, "nogroup", &[id(1, 0)]).await.unwrap(), 0);
    let groups = backend.groups_info(&t).await.unwrap();
    assert_eq!(
        (groups[0].pending, groups[0].entries_read, groups[0].lag),
        (1, Some(3), Some(0))
    );

    // NOACK: delivered without becoming pending.
    backend
        .append(&t, fields(&[("n", "v")]), &AppendOptions::new().id(id(4, 0)))
        .await
        .unwrap();
    let read = backend
        .read_group("g", "c3", &new, &ReadGroupOptions::new().no_ack())
        .await
        .unwrap()
        .into_topics();
    assert_eq!(read[0].entries.len(), 1);
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 1);

    // NOGROUP wordings.
    let err = backend
        .read_group("x", "c", &new, &ReadGroupOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "NOGROUP No such key 'work:1' or consumer group 'x' in XREADGROUP with GROUP option"
    );
    let other = [(topic("other"), GroupCursor::New), (t.clone(), GroupCursor::New)];
    let err = backend
        .read_group("g", "c", &other, &ReadGroupOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoGroup { ref topic, command: GroupCommand::ReadGroup, .. } if topic == "other"));
    let pending_form = "NOGROUP No such key 'work:1' or consumer group 'x'";
    assert_eq!(
        backend.pending_summary(&t, "x").await.unwrap_err().to_string(),
        pending_form
    );
    assert_eq!(
        backend
            .pending(&t, "x", &PendingQuery::all(1))
            .await
            .unwrap_err()
            .to_string(),
        pending_form
    );
    let err = backend
        .claim(&t, "x", "c", Duration::ZERO, &[id(1, 0)], &ClaimOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), pending_form);
    let err = backend
        .auto_claim(&t, "x", "c", Duration::ZERO, RangeBound::MIN, &AutoClaimOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), pending_form);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_move_entries_between_consumers() {
    let (_server, backend) = setup!("claims_move_entries_between_consumers");
    let t = seeded(&backend, "claim:1", 4).await;
    backend
        .group_create(&t, "g", START, &GroupCreateOptions::new())
        .await
        .unwrap();
    let new = [(t.clone(), GroupCursor::New)];
    backend
        .read_group("g", "c1", &new, &ReadGroupOptions::new().count(3))
        .await
        .unwrap();

    // Not idle long enough: nothing.
    let none = backend
        .claim(
            &t,
            "g",
            "c2",
            Duration::from_secs(3600),
            &[id(1, 0)],
            &ClaimOptions::new(),
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    let claimed = backend
        .claim(
            &t,
            "g",
            "c2",
            Duration::ZERO,
            &[id(1, 0)],
            &ClaimOptions::new().retry_count(7),
        )
        .await
        .unwrap();
    assert_eq!(claimed, Claimed::Entries(vec![entry(1, 0, &[("n", "v")])]));
    let p = backend.pending(&t, "g", &PendingQuery::all(1)).await.unwrap();
    assert_eq!((p[0].consumer.as_str(), p[0].delivery_count), ("c2", 7));
    // JUSTID does not bump the count; FORCE claims an entry never delivered (count 1); LASTID moves the group.
    let claimed = backend
        .claim(
            &t,
            "g",
            "c3",
            Duration::ZERO,
            &[id(2, 0), id(4, 0)],
            &ClaimOptions::new()
                .just_id()
                .force()
                .last_id(id(4, 0))
                .idle(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(claimed, Claimed::Ids(vec![id(2, 0), id(4, 0)]));
    let p = backend
        .pending(&t, "g", &PendingQuery::all(10).consumer("c3"))
        .await
        .unwrap();
    assert_eq!(
        p.iter().map(|p| (p.id, p.delivery_count)).collect::<Vec<_>>(),
        vec![(id(2, 0), 1), (id(4, 0), 1)]
    );
    assert!(p.iter().all(|p| p.idle >= Duration::from_secs(60)));
    assert_eq!(backend.groups_info(&t).await.unwrap()[0].last_delivered_id, id(4, 0));

    // XAUTOCLAIM: a deleted pending entry is reported and dropped.
    backend.delete(&t, &[id(3, 0)]).await.unwrap();
    let auto = backend
        .auto_claim(
            &t,
            "g",
            "c4",
            Duration::ZERO,
            RangeBound::MIN,
            &AutoClaimOptions::new().count(2),
        )
        .await
        .unwrap();
    assert_eq!(auto.next, id(3, 0));
    assert_eq!(
        auto.claimed,
        Claimed::Entries(vec![entry(1, 0, &[("n", "v")]), entry(2, 0, &[("n", "v")])])
    );
    assert!(auto.deleted.is_empty());
    let auto = backend
        .auto_claim(
            &t,
            "g",
            "c4",
            Duration::ZERO,
            RangeBound::Inclusive(auto.next),
            &AutoClaimOptions::new().just_id(),
        )
        .await
        .unwrap();
    assert_eq!(auto.next, EntryId::MIN);
    assert_eq!(auto.claimed, Claimed::Ids(vec![id(4, 0)]));
    assert_eq!(auto.deleted, vec![id(3, 0)]);
    let auto = backend
        .auto_claim(&t, "g", "c5", Duration::ZERO, RangeBound::MIN, &AutoClaimOptions::new())
        .await
        .unwrap();
    assert_eq!(auto.claimed.ids(), vec![id(1, 0), id(2, 0), id(4, 0)]);
    let err = backend
        .auto_claim(
            &t,
            "g",
            "c5",
            Duration::ZERO,
            RangeBound::MIN,
            &AutoClaimOptions::new().count(0),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR COUNT must be > 0");
    assert_eq!(backend.consumer_delete(&t, "g", "c5").await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xautoclaim_reports_deleted_entries() {
    let (_server, backend) = setup!("xautoclaim_reports_deleted_entries");
    let t = seeded(&backend, "claim:2", 2).await;
    backend
        .group_create(&t, "g", START, &GroupCreateOptions::new())
        .await
        .unwrap();
    backend
        .read_group("g", "c1", &[(t.clone(), GroupCursor::New)], &ReadGroupOptions::new())
        .await
        .unwrap();
    backend.delete(&t, &[id(1, 0)]).await.unwrap();
    let auto = backend
        .auto_claim(&t, "g", "c2", Duration::ZERO, RangeBound::MIN, &AutoClaimOptions::new())
        .await
        .unwrap();
    assert_eq!(auto.deleted, vec![id(1, 0)]);
    assert_eq!(auto.claimed, Claimed::Entries(vec![entry(2, 0, &[("n", "v")])]));
    assert_eq!(backend.pending_summary(&t, "g").await.unwrap().count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_group_readers_learn_of_deletion() {
    let (_server, backend) = setup!("blocked_group_readers_learn_of_deletion");
    let t = seeded(&backend, "blocked:1", 1).await;
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    let reader = backend.clone();
    let rt = t.clone();
    let task = tokio::spawn(async move {
        reader
            .read_group(
                "g",
                "c",
                &[(rt, GroupCursor::New)],
                &ReadGroupOptions::new().block(Duration::from_secs(5)),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(backend.drop_topic(&t).await.unwrap());
    let err = task.await.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::TopicDeleted { ref topic } if topic == "blocked:1"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "UNBLOCKED the stream key no longer exists");

    let t = seeded(&backend, "blocked:2", 1).await;
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    let reader = backend.clone();
    let rt = t.clone();
    let task = tokio::spawn(async move {
        reader
            .read_group(
                "g",
                "c",
                &[(rt, GroupCursor::New)],
                &ReadGroupOptions::new().block(Duration::ZERO),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(backend.group_destroy(&t, "g").await.unwrap());
    let err = task.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoGroup {
                command: GroupCommand::Blocked,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "NOGROUP the consumer group this client was blocked on no longer exists"
    );

    // A blocked reader gets new entries as they arrive.
    backend
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await
        .unwrap();
    let reader = backend.clone();
    let rt = t.clone();
    let task = tokio::spawn(async move {
        reader
            .read_group(
                "g",
                "c",
                &[(rt, GroupCursor::New)],
                &ReadGroupOptions::new().block(Duration::from_secs(5)),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    backend
        .append(&t, fields(&[("x", "1")]), &AppendOptions::new().id(id(7, 0)))
        .await
        .unwrap();
    let got = task.await.unwrap().unwrap().into_topics();
    assert_eq!(got[0].entries, vec![GroupEntry::Present(entry(7, 0, &[("x", "1")]))]);
}
