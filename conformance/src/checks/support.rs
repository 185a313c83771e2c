//! Helpers the checks share: names, fills, group reads, a paused clock and blocked-read probes.
#![allow(
    dead_code,
    reason = "shared by the checks being moved here from bus-memory/tests; removed once they all use them"
)]

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, Backend, EntryId, Fields, GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, PendingQuery,
    RangeBound, ReadGroupOptions, ReadReply, Topic,
};

use crate::{CheckResult, Failure, ensure_eq};

/// The topic `conformance:<name>`; Redis's messages that name the key name this whole topic.
pub(crate) fn topic(name: &str) -> Result<Topic, Failure> {
    Topic::new(format!("conformance:{name}")).map_err(Failure::from)
}

/// `ms-seq`.
pub(crate) fn id(ms: u64, seq: u64) -> EntryId {
    EntryId::new(ms, seq)
}

/// An id written as the tests write them (`"3-1"`), parsed as Redis parses an explicit id.
pub(crate) fn eid(text: &str) -> Result<EntryId, Failure> {
    text.parse().map_err(Failure::from)
}

/// One field `n` = `n`.
pub(crate) fn fields(n: u64) -> Fields {
    Fields::from_pairs([("n", n.to_string())])
}

/// Fields from name/value pairs.
pub(crate) fn pairs(pairs: &[(&str, &str)]) -> Fields {
    Fields::from_pairs(pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())))
}

/// Fields a backend storing them as a map, or dropping empty values, would get wrong: `a 1 a 2 b ''`.
pub(crate) fn odd_fields() -> Fields {
    pairs(&[("a", "1"), ("a", "2"), ("b", "")])
}

/// A message under a new UUID, with payload `{"n":<n>}`.
pub(crate) fn message(n: u64) -> Result<bus_core::Message, Failure> {
    Ok(bus_core::Message::from_json(
        bus_core::Uuid::new_v4(),
        format!(r#"{{"n":{n}}}"#),
    )?)
}

/// XADD at an id in any append form (`"5-1"`, `"5-*"`, `"*"`) with the given fields; the id Redis answered.
pub(crate) async fn add(backend: &dyn Backend, topic: &Topic, at: &str, fields: Fields) -> Result<EntryId, Failure> {
    let append_id = at.parse::<bus_core::AppendId>().map_err(Failure::from)?;
    let added = backend
        .append(topic, fields, &AppendOptions::new().id(append_id))
        .await?;
    added.ok_or_else(|| Failure(format!("XADD {topic} {at} without NOMKSTREAM answered nil")))
}

/// XADD `1-1 n 1`, `2-1 n 2`, … `count-1 n count`.
pub(crate) async fn add_numbered(backend: &dyn Backend, topic: &Topic, count: u64) -> CheckResult {
    for i in 1..=count {
        add(backend, topic, &format!("{i}-1"), fields(i)).await?;
    }
    Ok(())
}

/// The error of a call that must fail; `what` names the call in the failure message otherwise.
pub(crate) fn expect_err<T: std::fmt::Debug>(
    result: bus_core::Result<T>,
    what: &str,
) -> Result<bus_core::Error, Failure> {
    match result {
        Ok(value) => Err(Failure(format!(
            "{what} succeeded with {value:?}; Redis answers an error"
        ))),
        Err(err) => Ok(err),
    }
}

/// Fails unless the call failed with exactly Redis's message `message`.
pub(crate) fn expect_error_text<T: std::fmt::Debug>(
    result: bus_core::Result<T>,
    message: &str,
    what: &str,
) -> CheckResult {
    let err = expect_err(result, what)?;
    ensure_eq!(err.to_string(), message.to_owned(), "error of {what}");
    Ok(())
}

/// The ids of entries, as text (`"3-1"`), for readable comparisons.
pub(crate) fn ids(entries: &[bus_core::Entry]) -> Vec<String> {
    entries.iter().map(|e| e.id.to_string()).collect()
}

/// The ids of group entries, as text; a deleted entry is written `"<id>(deleted)"`.
pub(crate) fn group_ids(entries: &[GroupEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| match e {
            GroupEntry::Present(entry) => entry.id.to_string(),
            GroupEntry::Deleted(id) => format!("{id}(deleted)"),
        })
        .collect()
}

/// `(topic, [ids])` per topic of a read reply, in reply order; `None` when the read timed out.
pub(crate) fn reply_ids<E>(reply: &ReadReply<E>, id_of: impl Fn(&E) -> EntryId) -> Option<Vec<(String, Vec<String>)>> {
    match reply {
        ReadReply::TimedOut => None,
        ReadReply::Topics(topics) => Some(
            topics
                .iter()
                .map(|t| {
                    (
                        t.topic.to_string(),
                        t.entries.iter().map(|e| id_of(e).to_string()).collect(),
                    )
                })
                .collect(),
        ),
    }
}

/// The value of field `n` of an entry, as text.
pub(crate) fn n_of(entry: &bus_core::Entry) -> String {
    entry
        .fields
        .get("n")
        .map(|value| String::from_utf8_lossy(value).into_owned())
        .unwrap_or_default()
}

/// Whether the topic exists, as EXISTS answers: XINFO STREAM succeeds only on an existing stream (a topic can
/// exist empty, e.g. after `XGROUP CREATE … MKSTREAM` or deleting every entry).
pub(crate) async fn exists(backend: &dyn Backend, topic: &Topic) -> Result<bool, Failure> {
    match backend.stream_info(topic).await {
        Ok(_) => Ok(true),
        Err(bus_core::Error::NoSuchTopic { .. }) => Ok(false),
        Err(err) => Err(err.into()),
    }
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

/// Reads everything new for group `g` with `consumer` (`>`), returning the delivered ids.
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

/// How long a check waits at most for a blocked read that must end (on paused time, tokio jumps there when
/// nothing else can happen, so a read that never ends fails at once instead of hanging).
pub(crate) const RELEASE_WITHIN: Duration = Duration::from_secs(10);

/// What a spawned read answered, waiting at most [`RELEASE_WITHIN`]; `what` names the read in the failure.
pub(crate) async fn released<T>(
    reader: tokio::task::JoinHandle<bus_core::Result<T>>,
    what: &str,
) -> Result<bus_core::Result<T>, Failure> {
    match tokio::time::timeout(RELEASE_WITHIN, reader).await {
        Err(_) => Err(Failure(format!("{what}: still blocked after {RELEASE_WITHIN:?}"))),
        Ok(Err(err)) => Err(Failure(format!("{what}: reader task failed: {err}"))),
        Ok(Ok(result)) => Ok(result),
    }
}

/// Lets spawned tasks run until they block, without moving a paused clock.
pub(crate) async fn settle() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

/// How long the real-clock checks give a spawned reader to reach the backend and block. A blocked reader is not
/// observable through the trait (Redis creates a group's consumer only when it serves it), so this is generous.
pub(crate) const LET_BLOCK: Duration = Duration::from_millis(200);

/// The wide margin of the checks on a real clock: an entry delivered or claimed during a check is idle for less.
pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// `(id, consumer, delivery count)` of each entry XPENDING lists for the query on group `g`.
pub(crate) async fn pending_rows(
    backend: &dyn Backend,
    topic: &Topic,
    query: &PendingQuery,
) -> Result<Vec<(String, String, u64)>, Failure> {
    let pending = backend.pending(topic, "g", query).await?;
    Ok(pending
        .into_iter()
        .map(|p| (p.id.to_string(), p.consumer, p.delivery_count))
        .collect())
}

/// A row as [`pending_rows`] lists it.
pub(crate) fn row(id: &str, consumer: &str, count: u64) -> (String, String, u64) {
    (id.to_owned(), consumer.to_owned(), count)
}

/// `(id, idle in ms)` of each entry XPENDING lists for the query on group `g`, for the checks on paused time.
pub(crate) async fn pending_idles(
    backend: &dyn Backend,
    topic: &Topic,
    query: &PendingQuery,
) -> Result<Vec<(String, u128)>, Failure> {
    let pending = backend.pending(topic, "g", query).await?;
    Ok(pending
        .into_iter()
        .map(|p| (p.id.to_string(), p.idle.as_millis()))
        .collect())
}

/// Fails unless every entry the query lists was delivered or claimed less than an hour ago: on a real clock, the
/// margin form of the idle time 0 redis-cli shows right after a delivery or claim.
pub(crate) async fn ensure_recent(
    backend: &dyn Backend,
    topic: &Topic,
    query: &PendingQuery,
    what: &str,
) -> CheckResult {
    let pending = backend.pending(topic, "g", query).await?;
    let stale: Vec<(String, Duration)> = pending
        .iter()
        .filter(|p| p.idle >= HOUR)
        .map(|p| (p.id.to_string(), p.idle))
        .collect();
    ensure_eq!(
        stale,
        Vec::<(String, Duration)>::new(),
        "entries idle for an hour or more {what}"
    );
    Ok(())
}

/// Entries `1-1 … count-1` ([`add_numbered`]) and group `g` at 0.
pub(crate) async fn numbered_with_group(backend: &dyn Backend, name: &str, count: u64) -> Result<Topic, Failure> {
    let topic = topic(name)?;
    add_numbered(backend, &topic, count).await?;
    group_at_zero(backend, &topic).await?;
    Ok(topic)
}

/// Entries `1-1 … count-1` and group `g` at 0, all of them read by `c1` (`XREADGROUP GROUP g c1 STREAMS k >`).
pub(crate) async fn delivered_to_c1(backend: &dyn Backend, name: &str, count: u64) -> Result<Topic, Failure> {
    let topic = numbered_with_group(backend, name, count).await?;
    deliver_all(backend, &topic, "c1").await?;
    Ok(topic)
}

/// Five entries `1-1 … 5-1` and group `g` at 0, of which `c1` read two: `XREADGROUP GROUP g c1 COUNT 2 STREAMS k >`
/// → 1-1, 2-1. [`second_reader`] completes the scene.
pub(crate) async fn first_reader(backend: &dyn Backend, name: &str) -> Result<Topic, Failure> {
    let topic = numbered_with_group(backend, name, 5).await?;
    read_two(backend, &topic, "c1").await?;
    Ok(topic)
}

/// `XREADGROUP GROUP g c2 COUNT 2 STREAMS k >` → 3-1, 4-1; 5-1 stays undelivered.
pub(crate) async fn second_reader(backend: &dyn Backend, topic: &Topic) -> CheckResult {
    read_two(backend, topic, "c2").await
}

/// [`first_reader`] and [`second_reader`] one right after the other: c1 owns 1-1 and 2-1, c2 owns 3-1 and 4-1.
pub(crate) async fn two_readers(backend: &dyn Backend, name: &str) -> Result<Topic, Failure> {
    let topic = first_reader(backend, name).await?;
    second_reader(backend, &topic).await?;
    Ok(topic)
}

/// [`two_readers`] with c2 reading exactly 300 ms after c1 on the paused clock, as in the redis-cli sessions (there
/// "about 300 ms"): c1's entries are idle for 300 ms, c2's for 0.
pub(crate) async fn two_readers_300_ms_apart(
    backend: &dyn Backend,
    name: &str,
    clock: &PausedClock,
) -> Result<Topic, Failure> {
    let topic = first_reader(backend, name).await?;
    clock.advance(300 * MS).await;
    second_reader(backend, &topic).await?;
    Ok(topic)
}

async fn read_two(backend: &dyn Backend, topic: &Topic, consumer: &str) -> CheckResult {
    let options = ReadGroupOptions::new().count(2);
    let reply = backend
        .read_group("g", consumer, &[(topic.clone(), GroupCursor::New)], &options)
        .await?;
    ensure_eq!(reply.into_entries().count(), 2, "entries {consumer} read (COUNT 2 >)");
    Ok(())
}
