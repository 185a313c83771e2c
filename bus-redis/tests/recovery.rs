//! Connections: the limit on blocking connections, and the typed errors and recovery of failures on a server
//! the test controls: refused connections, authentication failures (the password never shown), a server that
//! stops answering (a DEBUG SLEEP, or SIGSTOP), and a server killed and started again on the same socket, which
//! the same backend instance must survive by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use std::future::Future;
use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, ConfigProblem, EntryId, Error, GroupCreateOptions, GroupCursor, GroupStart, Message,
    RangeBound, ReadCursor, ReadGroupOptions, ReadOptions, ReadReply,
};
use bus_redis::{PublishMode, RedisBackend, RedisOptions};
use common::{TestRedis, fields, raw, topic};
use tokio::time::Instant;

/// Generous: the machine is shared, and recovery includes the connection manager's backoff.
const RECOVERY: Duration = Duration::from_secs(30);

/// Runs `attempt` until it succeeds or `RECOVERY` passes; the errors met on the way must all be retryable.
async fn until_ok<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bus_core::Result<T>>,
{
    let started = Instant::now();
    let mut failures = 0u32;
    loop {
        match attempt().await {
            Ok(value) => {
                eprintln!("{what}: ok after {failures} failed attempts, {:?}", started.elapsed());
                return value;
            }
            Err(err) => {
                failures += 1;
                eprintln!("{what}: {err}");
                assert!(
                    err.is_retryable(),
                    "{what}: a non-retryable error while recovering: {err:?}"
                );
                assert!(
                    started.elapsed() < RECOVERY,
                    "{what}: no recovery within {RECOVERY:?}; last error: {err:?}"
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A private server, or a SKIP (these tests kill, freeze and reconfigure their server).
fn private(name: &str) -> Option<TestRedis> {
    let server = TestRedis::start(name)?;
    if !server.is_private() {
        eprintln!("SKIP {name}: needs a private redis-server (BUS_REDIS_URL is set)");
        return None;
    }
    Some(server)
}

/// Message `n`: the same UUID every time, as retries of one logical publish use.
fn message(n: u64) -> Message {
    Message::with_id(
        uuid::Uuid::from_u128(0x5eed_0000 + u128::from(n)),
        &serde_json::json!({ "n": n }),
    )
    .unwrap()
}

fn clients_connected(server: &TestRedis) -> u64 {
    let info: String = raw(server, &["INFO", "clients"]);
    info.lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_reads_beyond_the_limit_wait_then_time_out() {
    let Some(server) = TestRedis::start("blocking_reads_beyond_the_limit_wait_then_time_out") else {
        return;
    };
    let backend = server
        .backend_with(RedisOptions::new().max_blocking_connections(1))
        .await
        .unwrap();
    let (a, b) = (topic("limit:a"), topic("limit:b"));
    let baseline = server.is_private().then(|| clients_connected(&server));

    // A holds the only dedicated connection for up to 20 s.
    let holder = tokio::spawn({
        let (backend, a) = (backend.clone(), a.clone());
        async move {
            backend
                .read(
                    &[(a, ReadCursor::New)],
                    &ReadOptions::new().block(Duration::from_secs(20)),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // B waits for a connection for its whole block, then fails without having sent anything.
    let started = Instant::now();
    let err = backend
        .read(
            &[(b.clone(), ReadCursor::After(EntryId::MIN))],
            &ReadOptions::new().block(Duration::from_millis(400)),
        )
        .await
        .unwrap_err();
    let waited = started.elapsed();
    match &err {
        Error::Timeout {
            operation,
            elapsed,
            may_have_executed: false,
        } => {
            assert!(operation.starts_with("XREAD limit:b"), "{operation}");
            assert!(operation.contains("max_blocking_connections"), "{operation}");
            assert_eq!(*elapsed, Duration::from_millis(400));
        }
        other => panic!("expected a Timeout that did not execute, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    // Only one dedicated connection was opened for the two readers.
    if let Some(baseline) = baseline {
        assert_eq!(clients_connected(&server), baseline + 1);
    }
    // Non-blocking commands and reads never wait for the limit.
    let reply = backend
        .read(&[(b.clone(), ReadCursor::After(EntryId::MIN))], &ReadOptions::new())
        .await
        .unwrap();
    assert_eq!(reply, ReadReply::Topics(vec![]));

    // C waits (a long block), gets the connection as soon as A is done, and reads what arrives for it.
    let waiter = tokio::spawn({
        let (backend, b) = (backend.clone(), b.clone());
        async move {
            backend
                .read(
                    &[(b, ReadCursor::After(EntryId::MIN))],
                    &ReadOptions::new().block(Duration::from_secs(20)),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiter.is_finished());
    backend
        .append(&a, fields(&[("for", "a")]), &AppendOptions::new())
        .await
        .unwrap();
    let got = holder.await.unwrap().unwrap().into_topics();
    assert_eq!(got[0].topic, a);
    backend
        .append(&b, fields(&[("for", "b")]), &AppendOptions::new())
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(15), waiter)
        .await
        .expect("the waiting reader got the freed connection")
        .unwrap()
        .unwrap()
        .into_topics();
    assert_eq!(got[0].topic, b);
    assert_eq!(got[0].entries.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_must_be_positive() {
    let err = RedisBackend::connect("redis://127.0.0.1:1", RedisOptions::new().max_blocking_connections(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_show_and_failures_are_typed() {
    let Some(server) = common::TestRedis::start("secrets_never_show_and_failures_are_typed") else {
        return;
    };
    if !server.prefix().is_empty() {
        eprintln!("SKIP secrets test: needs a private server (BUS_REDIS_URL is set)");
        return;
    }
    raw::<()>(&server, &["CONFIG", "SET", "requirepass", "hunter2-secret"]);
    let good = format!("{}?pass=hunter2-secret", server.url());
    let backend = RedisBackend::connect(&good, RedisOptions::new()).await.unwrap();
    let debug = format!("{backend:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("pass=***"), "{debug}");
    assert_eq!(backend.len(&topic("t")).await.unwrap(), 0);

    let bad = format!("{}?pass=wrong-secret", server.url());
    let err = RedisBackend::connect(&bad, RedisOptions::new()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wrong-secret"), "{text}");
    assert!(text.contains("connect"), "{text}");

    // Refused connection: a typed, retryable error naming the operation.
    let quick_connect = RedisOptions::new().connect_timeout(Duration::from_millis(200));
    let err = RedisBackend::connect("redis+unix:///nonexistent/redis.sock", quick_connect)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        err.to_string()
            .starts_with("connection error during connect redis+unix:///nonexistent/redis.sock")
    );

    // A server that stops answering: Timeout naming the operation and topic.
    let quick = RedisBackend::connect(&good, RedisOptions::new().response_timeout(Duration::from_millis(100)))
        .await
        .unwrap();
    let sleeper = std::thread::spawn({
        let url = good.clone();
        move || {
            let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
            redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg("0.5")
                .query::<()>(&mut conn)
                .unwrap();
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = quick.len(&topic("slow")).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { ref operation, may_have_executed: true, .. } if operation == "XLEN slow"),
        "{err:?}"
    );
    sleeper.join().unwrap();
    let mut conn = redis::Client::open(good).unwrap().get_connection().unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("")
        .query::<()>(&mut conn)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_failures_are_typed_without_the_password() {
    let Some(server) = private("authentication_failures_are_typed_without_the_password") else {
        return;
    };
    raw::<()>(
        &server,
        &["ACL", "SETUSER", "app", "on", ">app-s3cret", "~*", "&*", "+@all"],
    );
    raw::<()>(&server, &["CONFIG", "SET", "requirepass", "default-s3cret"]);
    let is_auth_failure = |err: &Error| matches!(err, Error::Config { problem: ConfigProblem::Auth, message } if message.contains("authentication failed"));
    for (url, secret) in [
        (
            format!("{}?user=app&pass=wrong-app-s3cret", server.url()),
            "wrong-app-s3cret",
        ),
        (
            format!("{}?pass=wrong-default-s3cret", server.url()),
            "wrong-default-s3cret",
        ),
    ] {
        let err = RedisBackend::connect(&url, RedisOptions::new()).await.unwrap_err();
        assert!(is_auth_failure(&err), "{err:?}");
        assert!(!err.is_retryable());
        let text = format!("{err} {err:?}");
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains("connect redis+unix://"), "{text}");
    }
    // No password at all: the server answers NOAUTH, at connect or on the first command.
    let t = topic("auth:t");
    let err = match RedisBackend::connect(server.url(), RedisOptions::new()).await {
        Err(err) => err,
        Ok(backend) => {
            let err = backend.len(&t).await.unwrap_err();
            assert!(err.to_string().contains("XLEN auth:t"), "{err}");
            err
        }
    };
    assert!(is_auth_failure(&err), "{err:?}");
    // The right credentials work, for the ACL user as for the default one.
    for url in [
        format!("{}?user=app&pass=app-s3cret", server.url()),
        format!("{}?pass=default-s3cret", server.url()),
    ] {
        let backend = RedisBackend::connect(&url, RedisOptions::new()).await.unwrap();
        backend.publish(&t, &message(1), &AppendOptions::new()).await.unwrap();
        assert!(!format!("{backend:?}").contains("s3cret"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_times_out_then_the_backend_recovers() {
    let Some(server) = private("a_frozen_server_times_out_then_the_backend_recovers") else {
        return;
    };
    let backend = server
        .backend_with(RedisOptions::new().response_timeout(Duration::from_millis(500)))
        .await
        .unwrap();
    let t = topic("frozen");
    let none = AppendOptions::new();
    backend.publish(&t, &message(0), &none).await.unwrap();
    // A dedicated connection in the idle pool, as after any blocking read.
    backend
        .read(
            &[(t.clone(), ReadCursor::After(EntryId::MIN))],
            &ReadOptions::new().block(Duration::from_millis(10)),
        )
        .await
        .unwrap();

    server.pause().unwrap();
    let result = {
        let (backend, t, none) = (backend.clone(), t.clone(), none.clone());
        async move {
            let err = backend.len(&t).await.unwrap_err();
            assert!(
                matches!(err, Error::Timeout { ref operation, may_have_executed: true, .. } if operation == "XLEN frozen"),
                "{err:?}"
            );
            assert!(err.is_retryable());
            // A publish that times out may have executed: retrying it later must not duplicate.
            let err = backend.publish(&t, &message(1), &none).await.unwrap_err();
            assert!(
                matches!(err, Error::Timeout { ref operation, may_have_executed: true, .. } if operation == "XADD frozen"),
                "{err:?}"
            );
            // A blocking read times out after its block plus the response timeout.
            let started = Instant::now();
            let err = backend
                .read(
                    &[(t.clone(), ReadCursor::New)],
                    &ReadOptions::new().block(Duration::from_millis(200)),
                )
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::Timeout { ref operation, may_have_executed: true, .. } if operation == "XREAD frozen"),
                "{err:?}"
            );
            assert!(
                started.elapsed() >= Duration::from_millis(700),
                "{:?}",
                started.elapsed()
            );
        }
    };
    // Resume the server whatever happened, so a failed assertion does not leave a stopped process behind.
    let outcome = tokio::spawn(result).await;
    server.resume().unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }

    let len = until_ok("XLEN after SIGCONT", || async { backend.len(&t).await }).await;
    assert!(len >= 1, "{len}");
    // The retried publish finds the one that executed when the server woke up (or publishes it now).
    let retried = until_ok("publish after SIGCONT", || async {
        backend.publish(&t, &message(1), &none).await
    })
    .await;
    assert!(retried.is_some());
    assert_eq!(backend.len(&t).await.unwrap(), 2);
    let reply = until_ok("blocking read after SIGCONT", || async {
        backend
            .read(
                &[(t.clone(), ReadCursor::After(EntryId::MIN))],
                &ReadOptions::new().block(Duration::from_millis(100)),
            )
            .await
    })
    .await
    .into_topics();
    assert_eq!(reply[0].entries.len(), 2);
}

/// Every operation against a dead server fails with a typed, retryable error naming the operation.
fn assert_down(err: &Error, operation: &str) {
    assert!(err.is_retryable(), "{operation}: {err:?}");
    match err {
        Error::Connection { operation: op, .. } | Error::Timeout { operation: op, .. } => {
            assert!(op.starts_with(operation), "expected {operation}, got {op}")
        }
        other => panic!("{operation}: expected Connection or Timeout, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_is_reconnected_by_the_same_backend() {
    let Some(mut server) = private("a_restarted_server_is_reconnected_by_the_same_backend") else {
        return;
    };
    let options = RedisOptions::new()
        .response_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2));
    let backend = server.backend_with(options).await.unwrap();
    let plain = server
        .backend_with(RedisOptions::new().publish_mode(PublishMode::Plain))
        .await
        .unwrap();
    let t = topic("restart");
    let none = AppendOptions::new();
    // Everything in use before the crash: scripts loaded, a group, an idle dedicated connection.
    backend.publish(&t, &message(0), &none).await.unwrap();
    backend
        .publish_batch(&t, &[message(1), message(2)], &none)
        .await
        .unwrap();
    backend
        .group_create(&t, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    backend
        .read_group(
            "g",
            "c",
            &[(t.clone(), GroupCursor::New)],
            &ReadGroupOptions::new().block(Duration::from_millis(10)),
        )
        .await
        .unwrap()
        .into_topics();

    server.stop().unwrap();
    // Refused: typed, retryable, naming the operation and the topic.
    let err = backend.len(&t).await.unwrap_err();
    assert_down(&err, "XLEN restart");
    let err = until_ok("a refused connection", || async {
        match backend.len(&t).await {
            Err(err @ Error::Connection { .. }) => Ok(err),
            Err(err) => Err(err),
            Ok(len) => panic!("XLEN answered {len} with the server down"),
        }
    })
    .await;
    assert!(
        err.to_string().starts_with("connection error during XLEN restart: "),
        "{err}"
    );
    assert_down(
        &backend.publish(&t, &message(3), &none).await.unwrap_err(),
        "XADD restart",
    );
    assert_down(
        &backend.publish_batch(&t, &[message(3)], &none).await.unwrap_err(),
        "XADD restart",
    );
    assert_down(
        &plain.publish(&t, &message(3), &none).await.unwrap_err(),
        "XADD restart",
    );
    assert_down(
        &backend
            .read(
                &[(t.clone(), ReadCursor::After(EntryId::MIN))],
                &ReadOptions::new().block(Duration::from_millis(100)),
            )
            .await
            .unwrap_err(),
        "XREAD restart",
    );
    assert_down(
        &backend
            .read_group(
                "g",
                "c",
                &[(t.clone(), GroupCursor::New)],
                &ReadGroupOptions::new().block(Duration::from_millis(100)),
            )
            .await
            .unwrap_err(),
        "XREADGROUP restart",
    );
    assert_down(
        &backend
            .range(&t, RangeBound::MIN, RangeBound::MAX, None)
            .await
            .unwrap_err(),
        "XRANGE restart",
    );

    // Back on the same socket, empty (no persistence) and without the scripts.
    server.restart().unwrap();
    assert_eq!(
        until_ok("XLEN after restart", || async { backend.len(&t).await }).await,
        0
    );
    // The publish script is loaded again after NOSCRIPT, for single publishes and batches.
    let first = until_ok("publish after restart", || async {
        backend.publish(&t, &message(10), &none).await
    })
    .await
    .unwrap();
    assert!(!first.duplicate);
    let again = backend.publish(&t, &message(10), &none).await.unwrap().unwrap();
    assert!(again.duplicate);
    assert_eq!(again.entry_id, first.entry_id);
    raw::<()>(&server, &["SCRIPT", "FLUSH"]);
    let batch = until_ok("publish_batch after restart", || async {
        backend
            .publish_batch(&t, &[message(11), message(12), message(10)], &none)
            .await
    })
    .await;
    assert_eq!(batch.len(), 3);
    assert!(batch[2].as_ref().unwrap().duplicate);
    until_ok("plain publish after restart", || async {
        plain.publish(&t, &message(13), &none).await
    })
    .await;
    assert_eq!(backend.len(&t).await.unwrap(), 4);
    // Blocking reads get fresh dedicated connections.
    let reply = until_ok("blocking read after restart", || async {
        backend
            .read(
                &[(t.clone(), ReadCursor::After(EntryId::MIN))],
                &ReadOptions::new().block(Duration::from_millis(100)),
            )
            .await
    })
    .await
    .into_topics();
    assert_eq!(reply[0].entries.len(), 4);
    // The group was lost with the data: NOGROUP says so; recreated, it works again.
    let err = backend
        .read_group(
            "g",
            "c",
            &[(t.clone(), GroupCursor::New)],
            &ReadGroupOptions::new().block(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoGroup { .. }), "{err:?}");
    backend
        .group_create(&t, "g", GroupStart::Id(EntryId::MIN), &GroupCreateOptions::new())
        .await
        .unwrap();
    let got = backend
        .read_group(
            "g",
            "c",
            &[(t.clone(), GroupCursor::New)],
            &ReadGroupOptions::new().block(Duration::from_secs(1)),
        )
        .await
        .unwrap()
        .into_topics();
    assert_eq!(got[0].entries.len(), 4);
    // A blocking read waiting when the server dies fails typed; after the restart a new one works at once.
    let waiting = tokio::spawn({
        let (backend, t) = (backend.clone(), t.clone());
        async move {
            backend
                .read(
                    &[(t, ReadCursor::New)],
                    &ReadOptions::new().block(Duration::from_secs(20)),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.stop().unwrap();
    let err = tokio::time::timeout(Duration::from_secs(15), waiting)
        .await
        .expect("the blocked read noticed the crash")
        .unwrap()
        .unwrap_err();
    assert_down(&err, "XREAD restart");
    server.restart().unwrap();
    until_ok("publish after the second restart", || async {
        backend.publish(&t, &message(20), &none).await
    })
    .await;
    let reply = until_ok("blocking read after the second restart", || async {
        backend
            .read(
                &[(t.clone(), ReadCursor::After(EntryId::MIN))],
                &ReadOptions::new().block(Duration::from_millis(100)),
            )
            .await
    })
    .await
    .into_topics();
    assert_eq!(reply[0].entries.len(), 1);
}
