//! PEXPIRE and PTTL of topics: deadlines, deletion and what it releases.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{AppendOptions, Backend, GroupCursor, Message, ReadGroupOptions};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// PEXPIRE/PTTL: a deadline survives writes, and a topic past it is gone with everything it held.
pub async fn topics_expire_after_their_ttl(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("expiring")?;
    let hour = Duration::from_secs(3600);
    ensure!(
        !backend.expire_topic(&topic, hour).await?,
        "expiring a missing topic reported success"
    );
    let message = Message::from_json(bus_core::Uuid::new_v4(), "1")?;
    backend.publish(&topic, &message, &AppendOptions::new()).await?;
    ensure_eq!(backend.topic_ttl(&topic).await?, None, "a new topic has no deadline");
    ensure!(backend.expire_topic(&topic, hour).await?, "expiring an existing topic");
    backend.append(&topic, fields(2), &AppendOptions::new()).await?;
    let ttl = backend.topic_ttl(&topic).await?;
    ensure!(
        ttl.is_some_and(|ttl| ttl <= hour && ttl > hour - Duration::from_secs(60)),
        "the deadline survives a write: {ttl:?}"
    );
    ensure!(
        backend.expire_topic(&topic, Duration::ZERO).await?,
        "a zero TTL on an existing topic"
    );
    ensure_eq!(backend.len(&topic).await?, 0, "length after expiry");
    ensure_eq!(backend.lookup(&topic, message.id()).await?, None, "lookup after expiry");
    ensure_eq!(backend.topic_ttl(&topic).await?, None, "TTL of an expired topic");
    ensure!(
        backend.stream_info(&topic).await.is_err(),
        "an expired topic still has stream info"
    );
    let again = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    ensure!(
        again.is_some_and(|p| !p.duplicate),
        "publishing into the expired topic starts afresh: {again:?}"
    );
    ensure_eq!(
        backend.topic_ttl(&topic).await?,
        None,
        "a topic created anew has no deadline"
    );
    Ok(())
}

/// A group reader blocked on a topic is released with `UNBLOCKED` when the topic expires (paused time).
pub async fn expiry_releases_blocked_group_readers(backend: Arc<dyn Backend>) -> CheckResult {
    let _clock = PausedClock::start()?;
    let topic = topic("expiring-blocked")?;
    group_at_zero(backend.as_ref(), &topic).await?;
    backend.expire_topic(&topic, Duration::from_secs(10)).await?;
    let reader = {
        let backend = backend.clone();
        let topic = topic.clone();
        tokio::spawn(async move {
            let options = ReadGroupOptions::new().block(Duration::ZERO);
            backend
                .read_group("g", "c", &[(topic, GroupCursor::New)], &options)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(9_999)).await;
    ensure!(!reader.is_finished(), "the reader was released before the deadline");
    tokio::time::sleep(Duration::from_millis(2)).await;
    let result = tokio::time::timeout(Duration::from_secs(1), reader)
        .await
        .map_err(|_| Failure("the blocked reader was not released by the expiry".into()))?
        .map_err(|err| Failure(format!("reader task failed: {err}")))?;
    let Err(err) = result else {
        return Err(Failure(format!("the reader got {result:?} instead of UNBLOCKED")));
    };
    ensure_eq!(
        err.to_string(),
        "UNBLOCKED the stream key no longer exists",
        "error of the released reader"
    );
    Ok(())
}
