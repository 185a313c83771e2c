//! The model-based property suite: random operation sequences run on a backend and on the reference
//! [`Model`], compared after every step; delivery invariants at the end of runs; and the differential mode that
//! runs one sequence on two backends.
//!
//! Sequences come from [`proptest_state_machine`]'s sequential strategy (which also shrinks them), driven here
//! by a [`TestRunner`] so the factory can be an ordinary value and the async backend runs under `block_on`.
//! Ids are explicit (`ms-0` from the generator's own counter, or `ms-*`), so they are the same on every backend.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bus_core::{
    AppendId, AutoClaimOptions, Backend, ClaimOptions, Entry, EntryId, Error, Fields, GroupCursor, GroupEntry,
    GroupInfo, GroupStart, PendingQuery, PendingSummary, RangeBound, StreamInfo, Topic, Trim, Uuid,
};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use proptest_state_machine::ReferenceStateMachine;

use crate::model::{Hint, LONG_IDLE, Model};
use crate::ops::{Op, Outcome, Script};
use crate::{BackendFactory, Failure};

/// Which operations a run may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Every operation.
    Full,
    /// No operation that legitimately breaks the delivery invariants (SETID, consumer delete, NOACK,
    /// RETRYCOUNT, and also FORCE and LASTID, which deliver or skip entries outside `>`); the invariants are
    /// checked at the end.
    Delivery,
    /// For the differential mode: no approximate trims (two backends may differ there by design).
    Differential,
}

/// A compile-time [`Profile`], so the state machine (whose methods take no `self`) knows it.
pub trait ProfileKind: 'static {
    /// The profile.
    const PROFILE: Profile;
}

/// [`Profile::Full`].
#[derive(Debug)]
pub struct FullProfile;
/// [`Profile::Delivery`].
#[derive(Debug)]
pub struct DeliveryProfile;
/// [`Profile::Differential`].
#[derive(Debug)]
pub struct DifferentialProfile;

impl ProfileKind for FullProfile {
    const PROFILE: Profile = Profile::Full;
}
impl ProfileKind for DeliveryProfile {
    const PROFILE: Profile = Profile::Delivery;
}
impl ProfileKind for DifferentialProfile {
    const PROFILE: Profile = Profile::Differential;
}

/// The topics, groups and consumers the sequences use.
pub const TOPICS: [&str; 2] = ["t1", "t2"];
/// Group names.
pub const GROUPS: [&str; 2] = ["g1", "g2"];
/// Consumer names.
pub const CONSUMERS: [&str; 3] = ["c1", "c2", "c3"];

fn topics() -> Vec<Topic> {
    TOPICS.iter().filter_map(|name| Topic::new(name).ok()).collect()
}

fn uuids() -> Vec<Uuid> {
    (1..=4u128)
        .map(|i| Uuid::from_u128(0x7a3c_0000_0000_4000_8000_0000_0000_0000 | i))
        .collect()
}

/// The generator's state: the model (to pick ids that exist) and the id counter.
#[derive(Clone, Debug, Default)]
pub struct GenState {
    /// The reference model as the sequence so far leaves it.
    pub model: Model,
    /// The largest millisecond part used by an append so far.
    pub clock: u64,
}

/// The reference state machine of a profile.
#[derive(Debug)]
pub struct Machine<P>(PhantomData<P>);

fn count_strategy() -> BoxedStrategy<Option<u64>> {
    prop_oneof![Just(None), Just(Some(0)), Just(Some(1)), Just(Some(2)), Just(Some(5))].boxed()
}

fn trim_strategy(ids: Vec<EntryId>, approx: bool) -> BoxedStrategy<Trim> {
    let exact = prop_oneof![
        (0u64..8).prop_map(Trim::maxlen),
        proptest::sample::select(ids.clone()).prop_map(Trim::minid),
    ];
    if !approx {
        return exact.boxed();
    }
    let limit = prop_oneof![Just(None), Just(Some(0u64)), (1u64..150).prop_map(Some)];
    let approximate = (
        prop_oneof![
            (0u64..160).prop_map(Trim::maxlen),
            proptest::sample::select(ids).prop_map(Trim::minid)
        ],
        limit,
    )
        .prop_map(|(trim, limit)| match limit {
            Some(limit) => trim.approx().limit(limit),
            None => trim.approx(),
        });
    prop_oneof![3 => exact, 1 => approximate].boxed()
}

fn optional_trim(ids: Vec<EntryId>, approx: bool) -> BoxedStrategy<Option<Trim>> {
    prop_oneof![6 => Just(None), 1 => trim_strategy(ids, approx).prop_map(Some)].boxed()
}

fn bound_strategy(ids: Vec<EntryId>) -> BoxedStrategy<(RangeBound, RangeBound)> {
    let bound = move |ids: Vec<EntryId>| {
        prop_oneof![
            proptest::sample::select(ids.clone()).prop_map(RangeBound::Inclusive),
            proptest::sample::select(ids).prop_map(RangeBound::Exclusive),
        ]
    };
    prop_oneof![
        2 => Just((RangeBound::MIN, RangeBound::MAX)),
        1 => (bound(ids.clone()), Just(RangeBound::MAX)),
        1 => (Just(RangeBound::MIN), bound(ids.clone())),
        1 => (bound(ids.clone()), bound(ids)),
    ]
    .boxed()
}

fn name(names: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(names).prop_map(str::to_owned).boxed()
}

impl<P: ProfileKind> Machine<P> {
    /// Ids worth naming on a topic: its entries, pending ids, and a few that do not exist.
    fn candidate_ids(state: &GenState, topic: &Topic) -> Vec<EntryId> {
        let mut ids = vec![EntryId::new(1, 0), EntryId::new(state.clock + 2, 0)];
        if let Some(stream) = state.model.stream(topic) {
            ids.extend(stream.entries.iter().map(|e| e.id));
            for group in &stream.groups {
                ids.extend(group.pel.iter().map(|n| n.id));
            }
            ids.push(stream.last_id);
        }
        ids.sort();
        ids.dedup();
        ids
    }

    fn topic_ops(state: &GenState, topic: Topic) -> BoxedStrategy<Op> {
        let profile = P::PROFILE;
        let ids = Self::candidate_ids(state, &topic);
        let clock = state.clock;
        let last = state.model.stream(&topic).map_or(EntryId::MIN, |s| s.last_id);
        let approx = profile != Profile::Differential;
        let t = topic.clone();
        let append_id = prop_oneof![
            8 => (1u64..4).prop_map(move |step| AppendId::Explicit(EntryId::new(clock + step, 0))),
            2 => Just(AppendId::AutoSeq(last.ms.max(1))),
            1 => Just(AppendId::Explicit(last.max(EntryId::new(0, 1)))),
        ];
        let fields = prop_oneof![
            4 => Just(None),
            1 => proptest::sample::select(uuids()).prop_map(Some),
        ]
        .prop_map(move |uuid| match uuid {
            None => Fields::from_pairs([("n".to_owned(), (clock + 1).to_string())]),
            Some(uuid) => Fields::from_pairs([
                ("id".to_owned(), uuid.hyphenated().to_string()),
                ("payload".to_owned(), "{}".to_owned()),
            ]),
        });
        let append = (
            append_id.clone(),
            fields,
            optional_trim(ids.clone(), approx),
            proptest::bool::weighted(0.1),
        )
            .prop_map({
                let t = t.clone();
                move |(id, fields, trim, no_mkstream)| Op::Append {
                    topic: t.clone(),
                    id,
                    fields,
                    trim,
                    no_mkstream,
                }
            });
        let append_many = (1u64..150).prop_map({
            let t = t.clone();
            move |count| Op::AppendMany {
                topic: t.clone(),
                first_ms: clock + 1,
                count,
            }
        });
        let publish = (
            append_id,
            proptest::sample::select(uuids()),
            0u32..100,
            optional_trim(ids.clone(), approx),
        )
            .prop_map({
                let t = t.clone();
                move |(id, uuid, n, trim)| Op::Publish {
                    topic: t.clone(),
                    id,
                    uuid,
                    payload: format!("{{\"n\":{n}}}"),
                    trim,
                }
            });
        let range = (bound_strategy(ids.clone()), count_strategy(), any::<bool>()).prop_map({
            let t = t.clone();
            move |((start, end), count, rev)| {
                if rev {
                    Op::RevRange {
                        topic: t.clone(),
                        end,
                        start,
                        count,
                    }
                } else {
                    Op::Range {
                        topic: t.clone(),
                        start,
                        end,
                        count,
                    }
                }
            }
        });
        let mut read_after = ids.clone();
        read_after.push(EntryId::MIN);
        let read = (proptest::sample::select(read_after), count_strategy()).prop_map({
            let t = t.clone();
            move |(after, count)| Op::Read {
                topic: t.clone(),
                after,
                count,
            }
        });
        let read_uuid = (proptest::sample::select(uuids()), count_strategy()).prop_map({
            let t = t.clone();
            move |(uuid, count)| Op::ReadAfterUuid {
                topic: t.clone(),
                uuid,
                count,
            }
        });
        let start = prop_oneof![
            2 => Just(GroupStart::Id(EntryId::MIN)),
            2 => Just(GroupStart::Last),
            1 => proptest::sample::select(ids.clone()).prop_map(GroupStart::Id),
        ];
        let group_create = (
            name(&GROUPS),
            start.clone(),
            proptest::bool::weighted(0.7),
            prop_oneof![4 => Just(None), 1 => (0u64..6).prop_map(Some)],
        )
            .prop_map({
                let t = t.clone();
                move |(group, start, mkstream, entries_read)| Op::GroupCreate {
                    topic: t.clone(),
                    group,
                    start,
                    mkstream,
                    entries_read,
                }
            });
        let group_destroy = name(&GROUPS).prop_map({
            let t = t.clone();
            move |group| Op::GroupDestroy {
                topic: t.clone(),
                group,
            }
        });
        let set_id = (name(&GROUPS), start, prop_oneof![Just(None), (0u64..6).prop_map(Some)]).prop_map({
            let t = t.clone();
            move |(group, id, entries_read)| Op::GroupSetId {
                topic: t.clone(),
                group,
                id,
                entries_read,
            }
        });
        let consumer_create = (name(&GROUPS), name(&CONSUMERS)).prop_map({
            let t = t.clone();
            move |(group, consumer)| Op::ConsumerCreate {
                topic: t.clone(),
                group,
                consumer,
            }
        });
        let consumer_delete = (name(&GROUPS), name(&CONSUMERS)).prop_map({
            let t = t.clone();
            move |(group, consumer)| Op::ConsumerDelete {
                topic: t.clone(),
                group,
                consumer,
            }
        });
        let cursor = prop_oneof![
            6 => Just(GroupCursor::New),
            2 => Just(GroupCursor::History(EntryId::MIN)),
            1 => proptest::sample::select(ids.clone()).prop_map(GroupCursor::History),
        ];
        let no_ack = if profile == Profile::Delivery {
            Just(false).boxed()
        } else {
            proptest::bool::weighted(0.15).boxed()
        };
        let read_group = (name(&GROUPS), name(&CONSUMERS), cursor, count_strategy(), no_ack).prop_map({
            let t = t.clone();
            move |(group, consumer, cursor, count, no_ack)| Op::ReadGroup {
                topic: t.clone(),
                group,
                consumer,
                cursor,
                count,
                no_ack,
            }
        });
        let id_list = proptest::collection::vec(proptest::sample::select(ids.clone()), 1..4);
        let ack = (name(&GROUPS), id_list.clone()).prop_map({
            let t = t.clone();
            move |(group, ids)| Op::Ack {
                topic: t.clone(),
                group,
                ids,
            }
        });
        let pending = (
            name(&GROUPS),
            prop_oneof![3 => Just(None), 1 => Just(Some(LONG_IDLE))],
            bound_strategy(ids.clone()),
            prop_oneof![Just(1u64), Just(3), Just(100)],
            prop_oneof![2 => Just(None), 1 => name(&CONSUMERS).prop_map(Some)],
        )
            .prop_map({
                let t = t.clone();
                move |(group, min_idle, (start, end), count, consumer)| Op::Pending {
                    topic: t.clone(),
                    group,
                    min_idle,
                    start,
                    end,
                    count,
                    consumer,
                }
            });
        let min_idle = prop_oneof![3 => Just(Duration::ZERO), 1 => Just(LONG_IDLE)];
        let full = profile != Profile::Delivery;
        let claim_options = (
            proptest::bool::weighted(0.2),
            proptest::bool::weighted(if full { 0.2 } else { 0.0 }),
            proptest::bool::weighted(0.3),
            prop_oneof![5 => Just(None), (if full { 1 } else { 0 }) => (0u64..5).prop_map(Some)],
            proptest::bool::weighted(if full { 0.1 } else { 0.0 }),
            proptest::sample::select(ids.clone()),
        )
            .prop_map(|(idle, force, just_id, retry, last_id, some_id)| {
                let mut options = ClaimOptions::new();
                if idle {
                    options = options.idle(LONG_IDLE * 2);
                }
                if force {
                    options = options.force();
                }
                if just_id {
                    options = options.just_id();
                }
                if let Some(n) = retry {
                    options = options.retry_count(n);
                }
                if last_id {
                    options = options.last_id(some_id);
                }
                options
            });
        let claim = (
            name(&GROUPS),
            name(&CONSUMERS),
            min_idle.clone(),
            id_list.clone(),
            claim_options,
        )
            .prop_map({
                let t = t.clone();
                move |(group, consumer, min_idle, ids, options)| Op::Claim {
                    topic: t.clone(),
                    group,
                    consumer,
                    min_idle,
                    ids,
                    options,
                }
            });
        let auto_claim = (
            name(&GROUPS),
            name(&CONSUMERS),
            min_idle,
            prop_oneof![
                2 => Just(RangeBound::MIN),
                1 => proptest::sample::select(ids.clone()).prop_map(RangeBound::Inclusive),
                1 => proptest::sample::select(ids.clone()).prop_map(RangeBound::Exclusive),
            ],
            1u64..4,
            any::<bool>(),
        )
            .prop_map({
                let t = t.clone();
                move |(group, consumer, min_idle, start, count, just_id)| {
                    let mut options = AutoClaimOptions::new().count(count);
                    if just_id {
                        options = options.just_id();
                    }
                    Op::AutoClaim {
                        topic: t.clone(),
                        group,
                        consumer,
                        min_idle,
                        start,
                        options,
                    }
                }
            });
        let delete = id_list.prop_map({
            let t = t.clone();
            move |ids| Op::Delete { topic: t.clone(), ids }
        });
        let trim = trim_strategy(ids, approx).prop_map(move |trim| Op::Trim { topic: t.clone(), trim });

        let admin = if full { 2 } else { 0 };
        let options: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (12, append.boxed()),
            (1, append_many.boxed()),
            (5, publish.boxed()),
            (3, range.boxed()),
            (2, read.boxed()),
            (2, read_uuid.boxed()),
            (8, group_create.boxed()),
            (1, group_destroy.boxed()),
            (admin, set_id.boxed()),
            (1, consumer_create.boxed()),
            (admin / 2, consumer_delete.boxed()),
            (20, read_group.boxed()),
            (5, ack.boxed()),
            (2, pending.boxed()),
            (4, claim.boxed()),
            (3, auto_claim.boxed()),
            (3, delete.boxed()),
            (3, trim.boxed()),
        ];
        Union::new_weighted(options.into_iter().filter(|(w, _)| *w > 0).collect()).boxed()
    }
}

impl<P: ProfileKind> ReferenceStateMachine for Machine<P> {
    type State = GenState;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<GenState> {
        Just(GenState::default()).boxed()
    }

    fn transitions(state: &GenState) -> BoxedStrategy<Op> {
        let per_topic: Vec<BoxedStrategy<Op>> = topics().into_iter().map(|t| Self::topic_ops(state, t)).collect();
        Union::new(per_topic).boxed()
    }

    fn apply(mut state: GenState, op: &Op) -> GenState {
        // The model with node emulation; a bound violation only matters when checking a backend.
        let _ = state.model.apply(op, Hint::default());
        let used = match op {
            Op::Append {
                id: AppendId::Explicit(id),
                ..
            }
            | Op::Publish {
                id: AppendId::Explicit(id),
                ..
            } => id.ms,
            Op::Append {
                id: AppendId::AutoSeq(ms),
                ..
            }
            | Op::Publish {
                id: AppendId::AutoSeq(ms),
                ..
            } => *ms,
            Op::AppendMany { first_ms, count, .. } => first_ms + count,
            _ => 0,
        };
        state.clock = state.clock.max(used);
        state
    }
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
        snapshot.push((topic, TopicSnapshot { entries, info, groups }));
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
                    groups: Vec::new(),
                },
                Some(stream) => TopicSnapshot {
                    entries: stream.entries.clone(),
                    info: Some(stream.info()),
                    groups: stream
                        .groups_info()
                        .into_iter()
                        .zip(&stream.groups)
                        .map(|(info, group)| GroupSnapshot {
                            info,
                            summary: group.summary(),
                            pending: group
                                .pel
                                .iter()
                                .map(|n| (n.id, n.owner.clone(), n.delivery_count))
                                .collect(),
                            consumers: group.consumer_counts(),
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

/// What the delivery invariants track of one group, from the backend's answers only.
#[derive(Debug, Default)]
struct GroupLedger {
    start: EntryId,
    appended: Vec<EntryId>,
    delivered: Vec<EntryId>,
    acked: Vec<EntryId>,
    removed_before_delivery: Vec<EntryId>,
}

/// The delivery invariants of [`Profile::Delivery`] runs.
#[derive(Debug, Default)]
struct Ledger {
    groups: BTreeMap<(String, String), GroupLedger>,
}

fn group_of<'a>(snapshot: &'a Snapshot, topic: &Topic, group: &str) -> Option<&'a GroupSnapshot> {
    snapshot
        .iter()
        .find(|(t, _)| t == topic)
        .and_then(|(_, t)| t.groups.iter().find(|g| g.info.name == group))
}

impl Ledger {
    fn observe(&mut self, op: &Op, got: &Outcome, before: &Snapshot, after: &Snapshot) -> Result<(), String> {
        let topic = op.topic();
        match (op, got) {
            (Op::GroupCreate { group, .. }, Outcome::Done) => {
                let start = group_of(after, topic, group).map_or(EntryId::MIN, |g| g.info.last_delivered_id);
                self.groups.insert(
                    (topic.to_string(), group.clone()),
                    GroupLedger {
                        start,
                        ..GroupLedger::default()
                    },
                );
            }
            (Op::GroupDestroy { group, .. }, Outcome::Flag(true)) => {
                self.groups.remove(&(topic.to_string(), group.clone()));
            }
            (
                Op::ReadGroup {
                    group,
                    cursor: GroupCursor::New,
                    ..
                },
                Outcome::GroupRead(reply),
            ) => {
                if let Some(ledger) = self.groups.get_mut(&(topic.to_string(), group.clone())) {
                    for entry in reply.topics().iter().flat_map(|t| &t.entries) {
                        let id = entry.id();
                        if ledger.acked.contains(&id) {
                            return Err(format!("`>` delivered {id} again after it was acknowledged"));
                        }
                        if ledger.delivered.contains(&id) {
                            return Err(format!("`>` delivered {id} twice"));
                        }
                        ledger.delivered.push(id);
                    }
                }
            }
            (Op::Ack { group, ids, .. }, _) => {
                if let Some(ledger) = self.groups.get_mut(&(topic.to_string(), group.clone())) {
                    let was = group_of(before, topic, group)
                        .map(|g| g.pending.clone())
                        .unwrap_or_default();
                    let now = group_of(after, topic, group)
                        .map(|g| g.pending.clone())
                        .unwrap_or_default();
                    for id in ids {
                        if was.iter().any(|p| p.0 == *id) && !now.iter().any(|p| p.0 == *id) {
                            ledger.acked.push(*id);
                        }
                    }
                }
            }
            _ => {}
        }
        let appended: Vec<EntryId> = match got {
            Outcome::Appended(Some(id)) => vec![*id],
            Outcome::AppendedMany(ids) => ids.clone(),
            Outcome::Published(Some(p)) if !p.duplicate => vec![p.entry_id],
            _ => Vec::new(),
        };
        let entries = |s: &Snapshot| -> Vec<EntryId> {
            s.iter()
                .find(|(t, _)| t == topic)
                .map(|(_, t)| t.entries.iter().map(|e| e.id).collect())
                .unwrap_or_default()
        };
        let (was, now) = (entries(before), entries(after));
        for ((t, group), ledger) in &mut self.groups {
            if t.as_str() != topic.as_str() {
                continue;
            }
            ledger.appended.extend(appended.iter().filter(|id| **id > ledger.start));
            for id in was.iter().chain(&appended).filter(|id| !now.contains(id)) {
                if !ledger.delivered.contains(id) {
                    ledger.removed_before_delivery.push(*id);
                }
            }
            // Delivery counts never decrease while an entry stays pending.
            let old = group_of(before, topic, group)
                .map(|g| g.pending.clone())
                .unwrap_or_default();
            let new = group_of(after, topic, group)
                .map(|g| g.pending.clone())
                .unwrap_or_default();
            for (id, _, count) in &new {
                if let Some((_, _, previous)) = old.iter().find(|p| p.0 == *id)
                    && count < previous
                {
                    return Err(format!(
                        "{topic} {group}: the delivery count of {id} went down from {previous} to {count}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Drains every group with `>` and checks that no entry appended after the group's start was lost.
    async fn finish(&mut self, backend: &dyn Backend) -> Result<(), String> {
        for ((topic, group), ledger) in &mut self.groups {
            let topic = Topic::new(topic).map_err(|e| e.to_string())?;
            let reply = backend
                .read_group(
                    group,
                    "drain",
                    &[(topic.clone(), GroupCursor::New)],
                    &bus_core::ReadGroupOptions::new(),
                )
                .await
                .map_err(|e| format!("final XREADGROUP GROUP {group} drain STREAMS {topic} > failed: {e}"))?;
            for entry in reply.into_entries() {
                let id = entry.id();
                if ledger.acked.contains(&id) {
                    return Err(format!(
                        "final drain: `>` delivered {id} of {topic} {group} again after its ack"
                    ));
                }
                if let GroupEntry::Present(_) = entry {
                    ledger.delivered.push(id);
                }
            }
            for id in &ledger.appended {
                if !ledger.delivered.contains(id) && !ledger.removed_before_delivery.contains(id) {
                    return Err(format!(
                        "{topic} {group}: entry {id}, appended after the group's start {}, was lost: never delivered \
                         by `>` (even by a final drain), and not deleted or trimmed before delivery",
                        ledger.start
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The number of cases: `PROPTEST_CASES` if set, else `default`, times 20 with `BUS_CONFORMANCE_STRESS=1`.
pub fn cases(default: u32) -> u32 {
    let base = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    if stress() { base.saturating_mul(20) } else { base }
}

fn stress() -> bool {
    std::env::var("BUS_CONFORMANCE_STRESS").is_ok_and(|v| v == "1")
}

/// Default number of cases per property when `PROPTEST_CASES` is unset.
pub const DEFAULT_CASES: u32 = 128;

/// How a property runs: how many cases, how long each sequence, where failures are kept, which seed.
///
/// [`Settings::from_env`] is what the macro uses (cases from `PROPTEST_CASES`, longer runs with
/// `BUS_CONFORMANCE_STRESS=1`, regressions saved next to the calling test file, a random seed).
/// [`Settings::fixed`] pins everything, for tests that must be fast and deterministic (the crate's mutant tests).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Cases to generate.
    pub cases: u32,
    /// Longest operation sequence.
    pub max_ops: usize,
    /// The test file whose `proptest-regressions` directory keeps failing seeds; `None` keeps nothing.
    pub source_file: Option<&'static str>,
    /// Shrinking steps at most.
    pub max_shrink_iters: u32,
    /// A fixed seed (the same sequences every run), or `None` for a random one.
    pub seed: Option<[u8; 32]>,
}

impl Settings {
    /// The environment's settings: see [`cases`] and the stress mode.
    pub fn from_env(source_file: &'static str) -> Settings {
        Settings {
            cases: cases(DEFAULT_CASES),
            max_ops: max_ops(),
            source_file: Some(source_file),
            max_shrink_iters: 2048,
            seed: None,
        }
    }

    /// Deterministic settings: `cases` sequences from `seed`, nothing persisted, little shrinking.
    pub fn fixed(cases: u32, seed: u8) -> Settings {
        Settings {
            cases,
            max_ops: 40,
            source_file: None,
            max_shrink_iters: 256,
            seed: Some([seed; 32]),
        }
    }

    fn runner(&self) -> TestRunner {
        let config = Config {
            cases: self.cases,
            source_file: self.source_file,
            failure_persistence: self
                .source_file
                .map(|_| Box::new(FileFailurePersistence::WithSource("proptest-regressions")) as _),
            max_shrink_iters: self.max_shrink_iters,
            ..Config::default()
        };
        match self.seed {
            Some(seed) => {
                let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
                TestRunner::new_with_rng(config, rng)
            }
            None => TestRunner::new(config),
        }
    }
}

fn max_ops() -> usize {
    if stress() { 80 } else { 40 }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))
}

type Case = (GenState, Vec<Op>, Option<Arc<AtomicUsize>>);

fn report(property: &str, error: TestError<Case>) -> String {
    match error {
        TestError::Abort(reason) => format!("property `{property}` aborted: {reason}"),
        TestError::Fail(reason, (_, ops, _)) => format!(
            "property `{property}` failed: {reason}\n\nShrunk sequence ({} commands; the failure is at the step named \
             above):\n{}",
            ops.len(),
            Script(&ops)
        ),
    }
}

fn step_error(index: usize, op: &Op, message: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(format!("step {} `{op}`: {message}", index + 1))
}

/// Runs one case on a fresh backend against the model.
async fn model_case<F: BackendFactory + ?Sized>(
    factory: &F,
    profile: Profile,
    ops: &[Op],
    seen: Option<&AtomicUsize>,
) -> Result<(), TestCaseError> {
    let Some(instance) = factory.create().await else {
        return Err(TestCaseError::fail("the factory could not create a backend"));
    };
    let backend = instance.backend.clone();
    let exact_nodes = factory.capabilities().exact_node_trimming;
    let mut model = Model::default();
    let mut ledger = Ledger::default();
    let mut before = observe(backend.as_ref()).await.map_err(|e| TestCaseError::fail(e.0))?;
    for (index, op) in ops.iter().enumerate() {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        let len_before = model.stream(op.topic()).map_or(0, |s| s.entries.len() as u64);
        let got = op.run(backend.as_ref()).await;
        let mut hint = Hint::default();
        if !exact_nodes && op.approx_trim().is_some() {
            hint.approx_removed = match (op, &got) {
                (Op::Trim { .. }, Outcome::Count(n)) => Some(*n),
                (_, Outcome::Appended(Some(_))) | (_, Outcome::Published(Some(_))) => {
                    let len_after = backend.len(op.topic()).await.map_err(|e| step_error(index, op, e))?;
                    Some((len_before + 1).saturating_sub(len_after))
                }
                _ => None,
            };
        }
        let want = model.apply(op, hint).map_err(|e| step_error(index, op, e))?;
        if got != want {
            return Err(step_error(
                index,
                op,
                format!("the backend returned\n  {got:?}\nRedis 7.0 (the model) returns\n  {want:?}"),
            ));
        }
        let after = observe(backend.as_ref()).await.map_err(|e| step_error(index, op, e))?;
        compare(&after, &model_snapshot(&model), "backend", "model (Redis 7.0)")
            .map_err(|e| step_error(index, op, format!("state differs after the step: {e}")))?;
        structural_invariants(&after).map_err(|e| step_error(index, op, e))?;
        if profile == Profile::Delivery {
            ledger
                .observe(op, &got, &before, &after)
                .map_err(|e| step_error(index, op, format!("delivery invariant broken: {e}")))?;
        }
        before = after;
    }
    if profile == Profile::Delivery {
        ledger
            .finish(backend.as_ref())
            .await
            .map_err(|e| TestCaseError::fail(format!("delivery invariant broken at the end of the run: {e}")))?;
    }
    drop(instance);
    Ok(())
}

fn run_property<P, F>(
    factory: &F,
    property: &str,
    settings: &Settings,
    case: impl Fn(&tokio::runtime::Runtime, Case) -> Result<(), TestCaseError>,
) -> Result<(), String>
where
    P: ProfileKind,
    F: BackendFactory + ?Sized,
{
    let rt = runtime()?;
    // One probe: a factory without a backend (no server) skips the property loudly instead of failing.
    match rt.block_on(factory.create()) {
        Some(instance) => drop(instance),
        None => {
            eprintln!("SKIPPED conformance property `{property}`: the factory could not create a backend");
            return Ok(());
        }
    }
    let mut runner = settings.runner();
    let strategy = Machine::<P>::sequential_strategy(1..settings.max_ops);
    runner
        .run(&strategy, |value| case(&rt, value))
        .map_err(|e| report(property, e))
}

/// Runs a model-based property on backends from the factory: random sequences of the profile's operations, each
/// step's result and the whole observable state compared with the model, and (for [`Profile::Delivery`]) the
/// delivery invariants. `source_file` decides where proptest keeps regression seeds (pass `file!()`).
pub fn model_property<F: BackendFactory + ?Sized>(
    factory: &F,
    profile: Profile,
    source_file: &'static str,
) -> Result<(), String> {
    model_property_with(factory, profile, &Settings::from_env(source_file))
}

/// [`model_property`] with explicit [`Settings`] (a fixed seed and a bounded number of cases, say).
pub fn model_property_with<F: BackendFactory + ?Sized>(
    factory: &F,
    profile: Profile,
    settings: &Settings,
) -> Result<(), String> {
    match profile {
        Profile::Full => run_property::<FullProfile, F>(factory, "model_based_sequences", settings, |rt, case| {
            rt.block_on(model_case(factory, Profile::Full, &case.1, case.2.as_deref()))
        }),
        Profile::Delivery => {
            run_property::<DeliveryProfile, F>(factory, "delivery_invariants", settings, |rt, case| {
                rt.block_on(model_case(factory, Profile::Delivery, &case.1, case.2.as_deref()))
            })
        }
        Profile::Differential => {
            run_property::<DifferentialProfile, F>(factory, "model_without_approx_trims", settings, |rt, case| {
                rt.block_on(model_case(factory, Profile::Differential, &case.1, case.2.as_deref()))
            })
        }
    }
}

/// Runs one case on a fresh backend of each factory, comparing results op by op and states step by step.
async fn differential_case<L, R>(
    left: (&str, &L),
    right: (&str, &R),
    ops: &[Op],
    seen: Option<&AtomicUsize>,
) -> Result<(), TestCaseError>
where
    L: BackendFactory + ?Sized,
    R: BackendFactory + ?Sized,
{
    let (Some(a), Some(b)) = (left.1.create().await, right.1.create().await) else {
        return Err(TestCaseError::fail("a factory could not create a backend"));
    };
    for (index, op) in ops.iter().enumerate() {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        let got_a = op.run(a.backend.as_ref()).await;
        let got_b = op.run(b.backend.as_ref()).await;
        if got_a != got_b {
            return Err(step_error(
                index,
                op,
                format!("{} returned\n  {got_a:?}\n{} returned\n  {got_b:?}", left.0, right.0),
            ));
        }
        let state_a = observe(a.backend.as_ref())
            .await
            .map_err(|e| step_error(index, op, e))?;
        let state_b = observe(b.backend.as_ref())
            .await
            .map_err(|e| step_error(index, op, e))?;
        compare(&state_a, &state_b, left.0, right.0)
            .map_err(|e| step_error(index, op, format!("state differs after the step: {e}")))?;
        structural_invariants(&state_a).map_err(|e| step_error(index, op, format!("{}: {e}", left.0)))?;
        structural_invariants(&state_b).map_err(|e| step_error(index, op, format!("{}: {e}", right.0)))?;
    }
    Ok(())
}

/// The differential mode: one random sequence (no approximate trims) applied to a backend of each factory, the
/// results compared op by op and the observable states step by step.
pub fn differential<L, R>(left: (&str, &L), right: (&str, &R), source_file: &'static str) -> Result<(), String>
where
    L: BackendFactory + ?Sized,
    R: BackendFactory + ?Sized,
{
    let rt = runtime()?;
    for (name, probe) in [
        (left.0, rt.block_on(left.1.create())),
        (right.0, rt.block_on(right.1.create())),
    ] {
        if probe.is_none() {
            eprintln!("SKIPPED differential property: no {name} backend");
            return Ok(());
        }
    }
    let settings = Settings::from_env(source_file);
    let mut runner = settings.runner();
    let strategy = Machine::<DifferentialProfile>::sequential_strategy(1..settings.max_ops);
    runner
        .run(&strategy, |case| {
            rt.block_on(differential_case(left, right, &case.1, case.2.as_deref()))
        })
        .map_err(|e| report("differential", e))
}
