//! Helpers the checks share: names, fills, group reads, a paused clock and blocked-read probes.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, EntryId, Fields, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, PendingQuery,
    RangeBound, ReadGroupOptions, ReadReply, Topic,
};

use crate::{CheckResult, Failure, ensure_eq};

pub(crate) fn topic(name: &str) -> Result<Topic, Failure> {
    Topic::new(format!("conformance:{name}")).map_err(Failure::from)
}

pub(crate) fn id(ms: u64, seq: u64) -> EntryId {
    EntryId::new(ms, seq)
}

pub(crate) fn fields(n: u64) -> Fields {
    Fields::from_pairs([("n", n.to_string())])
}

/// Appends entries `1-0 ..= n-0`.
pub(crate) async fn fill(backend: &dyn Backend, topic: &Topic, n: u64) -> CheckResult {
    for i in 1..=n {
        backend
            .append(topic, fields(i), &AppendOptions::new().id(id(i, 0)))
            .await?;
    }
    Ok(())
}

/// Creates `g` at 0 and reads everything with consumer `c` (`>`), returning the delivered ids.
pub(crate) async fn deliver_all(backend: &dyn Backend, topic: &Topic, consumer: &str) -> Result<Vec<EntryId>, Failure> {
    let reply = backend
        .read_group(
            "g",
            consumer,
            &[(topic.clone(), GroupCursor::New)],
            &ReadGroupOptions::new(),
        )
        .await?;
    Ok(reply.into_entries().map(|e| e.id()).collect())
}

/// The consumer's pending history after `after` (XREADGROUP with an id).
pub(crate) async fn history(backend: &dyn Backend, topic: &Topic, after: EntryId) -> Result<Vec<GroupEntry>, Failure> {
    let cursors = [(topic.clone(), GroupCursor::History(after))];
    let reply = backend.read_group("g", "c", &cursors, &ReadGroupOptions::new()).await?;
    Ok(reply.into_entries().collect())
}

pub(crate) async fn group_at_zero(backend: &dyn Backend, topic: &Topic) -> CheckResult {
    let options = GroupCreateOptions::new().mkstream();
    backend
        .group_create(topic, "g", GroupStart::Id(EntryId::MIN), &options)
        .await?;
    Ok(())
}

/// Tokio's clock, paused for the rest of a check and resumed when this is dropped (unless it was paused before).
pub(crate) struct PausedClock {
    resume: bool,
}

impl PausedClock {
    /// Pauses tokio's clock. Needs a current-thread runtime, which `#[tokio::test]` is.
    pub(crate) fn start() -> Result<PausedClock, Failure> {
        let flavor = tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor());
        if !matches!(flavor, Ok(tokio::runtime::RuntimeFlavor::CurrentThread)) {
            return Err(Failure(
                "checks on paused time need a current-thread tokio runtime (`#[tokio::test]`)".into(),
            ));
        }
        // Paused already (`start_paused`)? Then the clock does not move while the thread sleeps.
        let before = tokio::time::Instant::now();
        std::thread::sleep(Duration::from_millis(1));
        let resume = tokio::time::Instant::now() != before;
        if resume {
            tokio::time::pause();
        }
        Ok(PausedClock { resume })
    }

    /// Moves the clock forward by exactly `by` (firing the timers that are due).
    pub(crate) async fn advance(&self, by: Duration) {
        tokio::time::advance(by).await;
    }

    /// Moves the clock forward by exactly `by` without yielding: timers due at the new time have not fired yet
    /// when this returns, so what the caller does next happens before them, at the same instant.
    pub(crate) async fn advance_before_timers(&self, by: Duration) {
        let mut advance = std::pin::pin!(tokio::time::advance(by));
        // The first poll moves the clock and then yields; we do not wait for the yield.
        std::future::poll_fn(|cx| {
            let _ = advance.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
    }
}

impl Drop for PausedClock {
    fn drop(&mut self) {
        if self.resume {
            tokio::time::resume();
        }
    }
}

pub(crate) const MS: Duration = Duration::from_millis(1);

pub(crate) const SECOND: Duration = Duration::from_secs(1);

/// The pending entry's idle time and owner, from XPENDING.
pub(crate) async fn pending_of(
    backend: &dyn Backend,
    topic: &Topic,
    entry: EntryId,
) -> Result<(Duration, String), Failure> {
    let query = PendingQuery::new(RangeBound::Inclusive(entry), RangeBound::Inclusive(entry), 1);
    let pending = backend.pending(topic, "g", &query).await?;
    let Some(p) = pending.first() else {
        return Err(Failure(format!("{entry} is not pending")));
    };
    Ok((p.idle, p.consumer.clone()))
}

pub(crate) async fn consumer_idle(backend: &dyn Backend, topic: &Topic, consumer: &str) -> Result<Duration, Failure> {
    let consumers = backend.consumers_info(topic, "g").await?;
    let Some(info) = consumers.iter().find(|c| c.name == consumer) else {
        return Err(Failure(format!("XINFO CONSUMERS does not list {consumer}")));
    };
    Ok(info.idle)
}

/// Reads one new entry (`>` COUNT 1) for the consumer.
pub(crate) async fn deliver_one(backend: &dyn Backend, topic: &Topic, consumer: &str) -> Result<Vec<EntryId>, Failure> {
    let reply = backend
        .read_group(
            "g",
            consumer,
            &[(topic.clone(), GroupCursor::New)],
            &ReadGroupOptions::new().count(1),
        )
        .await?;
    Ok(reply.into_entries().map(|e| e.id()).collect())
}

/// The ids and pending state around a blocked group read that ended: whatever the read returned must be exactly
/// what it moved into the consumer's pending list; what it did not return stays undelivered.
pub(crate) async fn blocked_read_kept_everything(
    backend: &dyn Backend,
    topic: &Topic,
    returned: Option<Vec<EntryId>>,
    appended: &[EntryId],
) -> CheckResult {
    let pending: Vec<EntryId> = backend
        .pending(topic, "g", &PendingQuery::all(100))
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    let returned = returned.unwrap_or_default();
    ensure_eq!(
        pending,
        returned,
        "pending entries after the blocked read (it returned {returned:?})"
    );
    let rest = deliver_all(backend, topic, "other").await?;
    let mut all = returned.clone();
    all.extend(rest);
    ensure_eq!(
        all,
        appended.to_vec(),
        "entries the blocked read returned plus those a later `>` read gets"
    );
    Ok(())
}

pub(crate) type BlockedRead = tokio::task::JoinHandle<(bus_core::Result<Option<Vec<EntryId>>>, Duration)>;

/// Spawns `XREADGROUP GROUP g c BLOCK <block> STREAMS <topic> >`, returning its ids (or `None` on timeout) and
/// how long it took.
pub(crate) fn spawn_blocked_read(backend: &Arc<dyn Backend>, topic: &Topic, block: Duration) -> BlockedRead {
    let backend = backend.clone();
    let topic = topic.clone();
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let options = ReadGroupOptions::new().block(block);
        let reply = backend
            .read_group("g", "c", &[(topic, GroupCursor::New)], &options)
            .await
            .map(|reply| match reply {
                ReadReply::TimedOut => None,
                reply => Some(reply.into_entries().map(|e| e.id()).collect()),
            });
        (reply, start.elapsed())
    })
}

pub(crate) async fn join(reader: BlockedRead) -> Result<(Option<Vec<EntryId>>, Duration), Failure> {
    let (reply, elapsed) = reader
        .await
        .map_err(|err| Failure(format!("reader task failed: {err}")))?;
    Ok((reply?, elapsed))
}

/// Lets spawned tasks run until they block, without moving a paused clock.
pub(crate) async fn settle() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}
