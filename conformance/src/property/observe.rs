//! What the properties compare after every step: the observable state of the suite's topics ([`observe`] on a
//! backend, [`model_snapshot`] on the model), the invariants any Redis state satisfies, and replies made
//! coarse in time ([`coarse`]) so a backend's clock and the model's agree.

use std::collections::BTreeMap;
use std::time::Duration;

use bus_command::Output;
use bus_core::{
    Backend, ConsumerDelete, Entry, EntryId, Error, GroupInfo, PendingQuery, PendingSummary, RangeBound, StreamInfo,
    Topic,
};

use super::topics;
use crate::Failure;
use crate::model::{LONG_IDLE, Model, Reply};

/// An idle time as the model knows it: "recent" (zero) or "idle for hours" ([`LONG_IDLE`]).
fn coarse_idle(idle: Duration) -> Duration {
    if idle >= LONG_IDLE { LONG_IDLE } else { Duration::ZERO }
}

/// A TTL rounded up to the whole minute: a deadline set at T whole minutes reads as T while the time left lies
/// in (T - 1 min, T], which is what a PTTL shortly after PEXPIRE reports.
pub fn coarse_ttl(ttl: Duration) -> Duration {
    let minute = Duration::from_secs(60);
    let minutes = ttl.as_millis().div_ceil(minute.as_millis());
    minute * u32::try_from(minutes).unwrap_or(u32::MAX)
}

/// The reply with every time in it made coarse: idle times recent or hours, TTLs to the minute. Two replies
/// agree when their coarse forms are equal.
pub fn coarse(reply: &Reply) -> Reply {
    let Ok(output) = reply else {
        return reply.clone();
    };
    Ok(match output {
        Output::Pending(rows) => Output::Pending(
            rows.iter()
                .cloned()
                .map(|mut row| {
                    row.idle = coarse_idle(row.idle);
                    row
                })
                .collect(),
        ),
        Output::ConsumersInfo(rows) => Output::ConsumersInfo(
            rows.iter()
                .cloned()
                .map(|mut row| {
                    row.idle = coarse_idle(row.idle);
                    row
                })
                .collect(),
        ),
        Output::ConsumerDelete(ConsumerDelete::NotIdle(idle)) => {
            Output::ConsumerDelete(ConsumerDelete::NotIdle(coarse_idle(*idle)))
        }
        Output::Ttl(ttl) => Output::Ttl(ttl.map(coarse_ttl)),
        other => other.clone(),
    })
}

/// The observable state of one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSnapshot {
    /// XINFO GROUPS row.
    pub info: GroupInfo,
    /// XPENDING summary.
    pub summary: PendingSummary,
    /// XPENDING - + (everything): id, owner, delivery count.
    pub pending: Vec<(EntryId, String, u64)>,
    /// XINFO CONSUMERS: name and pending count.
    pub consumers: Vec<(String, u64)>,
}

/// The observable state of one topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicSnapshot {
    /// XRANGE - +.
    pub entries: Vec<Entry>,
    /// XINFO STREAM, `None` when the topic does not exist.
    pub info: Option<StreamInfo>,
    /// PTTL, rounded up to the minute (see [`coarse_ttl`]).
    pub ttl: Option<Duration>,
    /// Its groups.
    pub groups: Vec<GroupSnapshot>,
}

/// Every topic's observable state.
pub type Snapshot = Vec<(Topic, TopicSnapshot)>;

/// Reads the observable state of the suite's topics from a backend.
pub async fn observe(backend: &dyn Backend) -> Result<Snapshot, Failure> {
    let mut snapshot = Vec::new();
    for topic in topics() {
        let entries = backend.range(&topic, RangeBound::MIN, RangeBound::MAX, None).await?;
        let ttl = backend.topic_ttl(&topic).await?.map(coarse_ttl);
        let info = match backend.stream_info(&topic).await {
            Ok(info) => Some(info),
            Err(Error::NoSuchTopic { .. }) => None,
            Err(err) => return Err(err.into()),
        };
        let mut groups = Vec::new();
        if info.is_some() {
            for info in backend.groups_info(&topic).await? {
                let summary = backend.pending_summary(&topic, &info.name).await?;
                let pending = backend
                    .pending(&topic, &info.name, &PendingQuery::all(100_000))
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p.consumer, p.delivery_count))
                    .collect();
                let consumers = backend
                    .consumers_info(&topic, &info.name)
                    .await?
                    .into_iter()
                    .map(|c| (c.name, c.pending))
                    .collect();
                groups.push(GroupSnapshot {
                    info,
                    summary,
                    pending,
                    consumers,
                });
            }
        }
        snapshot.push((
            topic,
            TopicSnapshot {
                entries,
                info,
                ttl,
                groups,
            },
        ));
    }
    Ok(snapshot)
}

/// The model's view of the same state.
pub fn model_snapshot(model: &Model) -> Snapshot {
    topics()
        .into_iter()
        .map(|topic| {
            let snapshot = match model.stream(&topic) {
                None => TopicSnapshot {
                    entries: Vec::new(),
                    info: None,
                    ttl: None,
                    groups: Vec::new(),
                },
                Some(stream) => TopicSnapshot {
                    entries: stream.entries.clone(),
                    info: Some(stream.info()),
                    ttl: stream.ttl.map(coarse_ttl),
                    groups: stream
                        .groups_info()
                        .into_iter()
                        .zip(&stream.groups)
                        .map(|(info, group)| GroupSnapshot {
                            info,
                            summary: group.summary(),
                            pending: group
                                .pending
                                .iter()
                                .map(|p| (p.id, p.owner.clone(), p.delivery_count))
                                .collect(),
                            consumers: group
                                .consumers_info()
                                .into_iter()
                                .map(|c| (c.name, c.pending))
                                .collect(),
                        })
                        .collect(),
                },
            };
            (topic, snapshot)
        })
        .collect()
}

/// The first difference between two snapshots, described.
pub fn compare(got: &Snapshot, want: &Snapshot, got_name: &str, want_name: &str) -> Result<(), String> {
    for ((topic, g), (_, w)) in got.iter().zip(want) {
        if g.entries != w.entries {
            let ids = |s: &TopicSnapshot| s.entries.iter().map(|e| e.id.to_string()).collect::<Vec<_>>().join(" ");
            return Err(format!(
                "XRANGE {topic} - +: {got_name} has [{}], {want_name} has [{}]\n  {got_name}: {:?}\n  {want_name}: {:?}",
                ids(g),
                ids(w),
                g.entries,
                w.entries
            ));
        }
        if g.info != w.info {
            return Err(format!(
                "XINFO STREAM {topic}:\n  {got_name}: {:?}\n  {want_name}: {:?}",
                g.info, w.info
            ));
        }
        if g.ttl != w.ttl {
            return Err(format!(
                "PTTL {topic} (rounded up to the minute): {got_name} has {:?}, {want_name} has {:?}",
                g.ttl, w.ttl
            ));
        }
        let names = |s: &TopicSnapshot| s.groups.iter().map(|g| g.info.name.clone()).collect::<Vec<_>>();
        if names(g) != names(w) {
            return Err(format!(
                "groups of {topic}: {got_name} has {:?}, {want_name} has {:?}",
                names(g),
                names(w)
            ));
        }
        for (gg, wg) in g.groups.iter().zip(&w.groups) {
            let group = &gg.info.name;
            for (what, differs, a, b) in [
                (
                    "XINFO GROUPS",
                    gg.info != wg.info,
                    format!("{:?}", gg.info),
                    format!("{:?}", wg.info),
                ),
                (
                    "XPENDING (extended: id, owner, deliveries)",
                    gg.pending != wg.pending,
                    format!("{:?}", gg.pending),
                    format!("{:?}", wg.pending),
                ),
                (
                    "XPENDING (summary)",
                    gg.summary != wg.summary,
                    format!("{:?}", gg.summary),
                    format!("{:?}", wg.summary),
                ),
                (
                    "XINFO CONSUMERS (name, pending)",
                    gg.consumers != wg.consumers,
                    format!("{:?}", gg.consumers),
                    format!("{:?}", wg.consumers),
                ),
            ] {
                if differs {
                    return Err(format!(
                        "{what} of {topic} {group}:\n  {got_name}: {a}\n  {want_name}: {b}"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Invariants any Redis state satisfies: each pending entry has exactly one owner, a known consumer; the
/// per-consumer counts of XPENDING, XINFO CONSUMERS and the summary agree and sum to the group's count.
pub fn structural_invariants(snapshot: &Snapshot) -> Result<(), String> {
    for (topic, t) in snapshot {
        for g in &t.groups {
            let group = &g.info.name;
            let mut ids: Vec<EntryId> = g.pending.iter().map(|p| p.0).collect();
            let sorted = ids.windows(2).all(|w| w[0] < w[1]);
            ids.dedup();
            if !sorted || ids.len() != g.pending.len() {
                return Err(format!(
                    "{topic} {group}: a pending id is listed twice (two owners) or out of order: {:?}",
                    g.pending
                ));
            }
            let mut owned: BTreeMap<&str, u64> = BTreeMap::new();
            for (_, owner, _) in &g.pending {
                *owned.entry(owner.as_str()).or_default() += 1;
            }
            for owner in owned.keys() {
                if !g.consumers.iter().any(|(name, _)| name == owner) {
                    return Err(format!(
                        "{topic} {group}: pending entries are owned by `{owner}`, which XINFO CONSUMERS does not list"
                    ));
                }
            }
            for (name, count) in &g.consumers {
                if owned.get(name.as_str()).copied().unwrap_or(0) != *count {
                    return Err(format!(
                        "{topic} {group}: XINFO CONSUMERS says {name} has {count} pending, XPENDING lists {}",
                        owned.get(name.as_str()).copied().unwrap_or(0)
                    ));
                }
            }
            let sum: u64 = g.consumers.iter().map(|(_, n)| n).sum();
            let summary_sum: u64 = g.summary.consumers.iter().map(|(_, n)| n).sum();
            if sum != g.info.pending || g.summary.count != g.info.pending || summary_sum != g.info.pending {
                return Err(format!(
                    "{topic} {group}: pending counts disagree: XINFO GROUPS {}, XPENDING summary {} (per consumer sum \
                     {summary_sum}), XINFO CONSUMERS sum {sum}",
                    g.info.pending, g.summary.count
                ));
            }
            if g.info.consumers != g.consumers.len() as u64 {
                return Err(format!(
                    "{topic} {group}: XINFO GROUPS counts {} consumers, XINFO CONSUMERS lists {}",
                    g.info.consumers,
                    g.consumers.len()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ttl_reads_as_set_within_the_minute_below_it() {
        let hour = Duration::from_secs(3600);
        assert_eq!(coarse_ttl(hour), hour);
        assert_eq!(coarse_ttl(hour - Duration::from_millis(59_999)), hour);
        assert_ne!(coarse_ttl(hour - Duration::from_secs(60)), hour);
        assert_ne!(coarse_ttl(hour + Duration::from_millis(1)), hour);
    }

    #[test]
    fn idle_times_are_recent_or_hours() {
        let reply: Reply = Ok(Output::ConsumerDelete(ConsumerDelete::NotIdle(Duration::from_millis(
            3,
        ))));
        let coarse_reply = coarse(&reply);
        assert_eq!(
            coarse_reply,
            Ok(Output::ConsumerDelete(ConsumerDelete::NotIdle(Duration::ZERO)))
        );
        assert_eq!(coarse_idle(LONG_IDLE * 2), LONG_IDLE);
    }
}
