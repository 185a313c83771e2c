//! The strategies of the generated commands, one per command on one topic ([`OnTopic`]), and of their
//! arguments: ids that exist (or pend) on the topic, groups that exist, a small pool of names and UUIDs, and
//! times that are either zero or hours (the model's coarse time).

use bus_command::commands::{
    Ack, Append, AutoClaim, Claim, ConsumerDeleteIfIdle, ExpireTopic, GroupCreate, GroupSetId, Pending, Publish,
    PublishBatch, Range, Read, ReadAfterMessage, ReadGroup, RevRange, Tail, Trim as TrimCommand,
};
use bus_command::{AppendArgs, Command, Streams, TrimArgs};
use bus_core::{AppendId, EntryId, GroupCursor, GroupStart, RangeBound, ReadCursor, Topic, Trim, Uuid};
use proptest::prelude::*;

use super::Profile;
use super::generate::{CONSUMERS, GROUPS, GenState, Step};
use crate::model::LONG_IDLE;

/// [`LONG_IDLE`] in milliseconds, as the commands take it.
const LONG_IDLE_MS: u64 = LONG_IDLE.as_millis() as u64;

/// The UUIDs messages are published under.
fn uuids() -> Vec<Uuid> {
    (1..=4u128)
        .map(|i| Uuid::from_u128(0x7a3c_0000_0000_4000_8000_0000_0000_0000 | i))
        .collect()
}

pub(super) fn count() -> BoxedStrategy<Option<u64>> {
    prop_oneof![Just(None), Just(Some(0)), Just(Some(1)), Just(Some(2)), Just(Some(5))].boxed()
}

fn trim(ids: Vec<EntryId>, approx: bool) -> BoxedStrategy<Trim> {
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
    prop_oneof![6 => Just(None), 1 => trim(ids, approx).prop_map(Some)].boxed()
}

fn bounds(ids: Vec<EntryId>) -> BoxedStrategy<(RangeBound, RangeBound)> {
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

pub(super) fn name(names: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(names).prop_map(str::to_owned).boxed()
}

fn min_idle_ms() -> BoxedStrategy<u64> {
    prop_oneof![3 => Just(0), 1 => Just(LONG_IDLE_MS)].boxed()
}

pub(super) fn read_cursor(ids: Vec<EntryId>) -> BoxedStrategy<ReadCursor> {
    let mut after = ids;
    after.push(EntryId::MIN);
    prop_oneof![
        6 => proptest::sample::select(after).prop_map(ReadCursor::After),
        1 => Just(ReadCursor::New),
    ]
    .boxed()
}

pub(super) fn group_cursor(ids: Vec<EntryId>) -> BoxedStrategy<GroupCursor> {
    prop_oneof![
        6 => Just(GroupCursor::New),
        2 => Just(GroupCursor::History(EntryId::MIN)),
        1 => proptest::sample::select(ids).prop_map(GroupCursor::History),
    ]
    .boxed()
}

/// NOACK, which the delivery profile leaves out (entries delivered without becoming pending).
pub(super) fn no_ack(profile: Profile) -> BoxedStrategy<bool> {
    proptest::bool::weighted(if profile == Profile::Delivery { 0.0 } else { 0.15 }).boxed()
}

/// A command that takes only the topic.
pub(super) fn topic_step<C: Into<Command> + 'static>(topic: &Topic, make: fn(Topic) -> C) -> BoxedStrategy<Step> {
    Just(topic.clone())
        .prop_map(move |topic| Step::one(make(topic)))
        .boxed()
}

/// What the commands on one topic are generated from: the topic and what the model says about it.
pub(super) struct OnTopic {
    topic: Topic,
    profile: Profile,
    /// Ids worth naming: entries, pending ids, and a few that do not exist.
    ids: Vec<EntryId>,
    /// Ids pending in any group.
    pending: Vec<EntryId>,
    /// Group names, mostly of groups that exist.
    pub(super) groups: BoxedStrategy<String>,
    clock: u64,
    last: EntryId,
}

impl OnTopic {
    pub(super) fn new(state: &GenState, topic: &Topic, profile: Profile) -> OnTopic {
        OnTopic {
            topic: topic.clone(),
            profile,
            ids: state.candidate_ids(topic),
            pending: state.pending_ids(topic),
            groups: state.group_names(&[topic]),
            clock: state.clock,
            last: state.model.stream(topic).map_or(EntryId::MIN, |s| s.last_id),
        }
    }

    /// Approximate trims, except where a profile leaves them out.
    fn approx(&self) -> bool {
        self.profile != Profile::Differential
    }

    /// FORCE, RETRYCOUNT and LASTID deliver or skip entries outside `>`: not in the delivery profile.
    fn outside_delivery(&self) -> bool {
        self.profile != Profile::Delivery
    }

    fn append_id(&self) -> BoxedStrategy<AppendId> {
        let (clock, last) = (self.clock, self.last);
        prop_oneof![
            8 => (1u64..4).prop_map(move |step| AppendId::Explicit(EntryId::new(clock + step, 0))),
            2 => Just(AppendId::AutoSeq(last.ms.max(1))),
            1 => Just(AppendId::Explicit(last.max(EntryId::new(0, 1)))),
        ]
        .boxed()
    }

    /// Ids to ack, claim or delete: pending ones more often than chance would pick them.
    fn id_list(&self) -> BoxedStrategy<Vec<EntryId>> {
        let any = proptest::collection::vec(proptest::sample::select(self.ids.clone()), 1..4);
        if self.pending.is_empty() {
            return any.boxed();
        }
        let pending = proptest::collection::vec(proptest::sample::select(self.pending.clone()), 1..3);
        prop_oneof![1 => any, 2 => pending].boxed()
    }

    /// The topic, for commands built in closures.
    fn t(&self) -> Topic {
        self.topic.clone()
    }

    pub(super) fn append(&self) -> BoxedStrategy<Step> {
        let (t, clock) = (self.t(), self.clock);
        let fields = prop_oneof![
            4 => Just(None),
            1 => proptest::sample::select(uuids()).prop_map(Some),
        ]
        .prop_map(move |uuid| match uuid {
            None => vec!["n".to_owned(), (clock + 1).to_string()],
            Some(uuid) => vec![
                "id".to_owned(),
                uuid.hyphenated().to_string(),
                "payload".to_owned(),
                "{}".to_owned(),
            ],
        });
        let trim = optional_trim(self.ids.clone(), self.approx());
        (self.append_id(), fields, trim, proptest::bool::weighted(0.1))
            .prop_map(move |(id, fields, trim, nomkstream)| {
                Step::one(Append {
                    topic: t.clone(),
                    fields,
                    options: AppendArgs::new(id, trim.as_ref(), nomkstream),
                })
            })
            .boxed()
    }

    /// A fill: up to 149 appends of consecutive ids, so approximate trims find whole nodes.
    pub(super) fn fill(&self) -> BoxedStrategy<Step> {
        let (t, clock) = (self.t(), self.clock);
        (1u64..150)
            .prop_map(move |count| {
                Step(
                    (clock + 1..=clock + count)
                        .map(|ms| {
                            Append {
                                topic: t.clone(),
                                fields: vec!["n".to_owned(), ms.to_string()],
                                options: AppendArgs::new(AppendId::Explicit(EntryId::new(ms, 0)), None, false),
                            }
                            .into()
                        })
                        .collect(),
                )
            })
            .boxed()
    }

    pub(super) fn publish(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        let trim = optional_trim(self.ids.clone(), self.approx());
        let uuid = proptest::sample::select(uuids());
        (self.append_id(), uuid, 0u32..100, trim, proptest::bool::weighted(0.05))
            .prop_map(move |(id, uuid, n, trim, nomkstream)| {
                Step::one(Publish {
                    topic: t.clone(),
                    json: format!("{{\"n\":{n}}}"),
                    id: Some(uuid),
                    options: AppendArgs::new(id, trim.as_ref(), nomkstream),
                })
            })
            .boxed()
    }

    /// Batches of one to four messages from the small UUID pool (so repeats within a batch are common), on
    /// missing topics with NOMKSTREAM too. They never trim approximately: the model checks a backend without
    /// exact node trimming by what one trim removed, which a batch of several trims does not tell.
    pub(super) fn publish_batch(&self) -> BoxedStrategy<Step> {
        let (t, clock, last) = (self.t(), self.clock, self.last);
        let id = prop_oneof![
            4 => (1u64..4).prop_map(move |step| AppendId::AutoSeq(clock + step)),
            1 => Just(AppendId::AutoSeq(last.ms.max(1))),
            1 => Just(AppendId::Explicit(EntryId::new(clock + 1, 0))),
        ];
        let ids = proptest::collection::vec(proptest::sample::select(uuids()), 1..5);
        let trim = optional_trim(self.ids.clone(), false);
        (id, ids, trim, proptest::bool::weighted(0.2))
            .prop_map(move |(id, ids, trim, nomkstream)| {
                Step::one(PublishBatch {
                    topic: t.clone(),
                    payloads: (0..ids.len()).map(|n| format!("{{\"b\":{n}}}")).collect(),
                    ids,
                    options: AppendArgs::new(id, trim.as_ref(), nomkstream),
                })
            })
            .boxed()
    }

    /// XRANGE or XREVRANGE.
    pub(super) fn range(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        (bounds(self.ids.clone()), count(), any::<bool>())
            .prop_map(move |((start, end), count, rev)| {
                let topic = t.clone();
                if rev {
                    Step::one(RevRange {
                        topic,
                        end,
                        start,
                        count,
                    })
                } else {
                    Step::one(Range {
                        topic,
                        start,
                        end,
                        count,
                    })
                }
            })
            .boxed()
    }

    pub(super) fn read(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        (read_cursor(self.ids.clone()), count())
            .prop_map(move |(cursor, count)| {
                Step::one(Read {
                    streams: Streams::one(t.clone(), cursor),
                    count,
                    block: None,
                })
            })
            .boxed()
    }

    pub(super) fn read_after_message(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        (proptest::sample::select(uuids()), count())
            .prop_map(move |(uuid, count)| {
                Step::one(ReadAfterMessage {
                    topic: t.clone(),
                    uuid,
                    count,
                })
            })
            .boxed()
    }

    pub(super) fn tail(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        count()
            .prop_map(move |count| {
                Step::one(Tail {
                    topic: t.clone(),
                    count,
                    follow: false,
                })
            })
            .boxed()
    }

    pub(super) fn lookup(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        proptest::sample::select(uuids())
            .prop_map(move |uuid| Step::one(bus_command::commands::Lookup { topic: t.clone(), uuid }))
            .boxed()
    }

    fn group_start(&self) -> BoxedStrategy<GroupStart> {
        prop_oneof![
            2 => Just(GroupStart::Id(EntryId::MIN)),
            2 => Just(GroupStart::Last),
            1 => proptest::sample::select(self.ids.clone()).prop_map(GroupStart::Id),
        ]
        .boxed()
    }

    pub(super) fn group_create(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        let entries_read = prop_oneof![4 => Just(None), 1 => (0u64..6).prop_map(Some)];
        (
            name(&GROUPS),
            self.group_start(),
            proptest::bool::weighted(0.7),
            entries_read,
        )
            .prop_map(move |(group, start, mkstream, entries_read)| {
                Step::one(GroupCreate {
                    topic: t.clone(),
                    group,
                    start,
                    mkstream,
                    entries_read,
                })
            })
            .boxed()
    }

    pub(super) fn group_set_id(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        let entries_read = prop_oneof![Just(None), (0u64..6).prop_map(Some)];
        (self.groups.clone(), self.group_start(), entries_read)
            .prop_map(move |(group, id, entries_read)| {
                Step::one(GroupSetId {
                    topic: t.clone(),
                    group,
                    id,
                    entries_read,
                })
            })
            .boxed()
    }

    /// A command on the topic and a group.
    pub(super) fn group_step<C: Into<Command> + 'static>(&self, make: fn(Topic, String) -> C) -> BoxedStrategy<Step> {
        let t = self.t();
        self.groups
            .clone()
            .prop_map(move |group| Step::one(make(t.clone(), group)))
            .boxed()
    }

    /// A command on the topic, a group and a consumer.
    pub(super) fn consumer_step<C: Into<Command> + 'static>(
        &self,
        make: fn(Topic, String, String) -> C,
    ) -> BoxedStrategy<Step> {
        let t = self.t();
        (self.groups.clone(), name(&CONSUMERS))
            .prop_map(move |(group, consumer)| Step::one(make(t.clone(), group, consumer)))
            .boxed()
    }

    pub(super) fn consumer_delete_if_idle(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        let min_idle_ms = prop_oneof![Just(0), Just(LONG_IDLE_MS)];
        (self.groups.clone(), name(&CONSUMERS), min_idle_ms)
            .prop_map(move |(group, consumer, min_idle_ms)| {
                Step::one(ConsumerDeleteIfIdle {
                    topic: t.clone(),
                    group,
                    consumer,
                    min_idle_ms,
                })
            })
            .boxed()
    }

    pub(super) fn read_group(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        let cursor = group_cursor(self.ids.clone());
        (
            self.groups.clone(),
            name(&CONSUMERS),
            cursor,
            count(),
            no_ack(self.profile),
        )
            .prop_map(move |(group, consumer, cursor, count, noack)| {
                Step::one(ReadGroup {
                    group,
                    consumer,
                    streams: Streams::one(t.clone(), cursor),
                    count,
                    block: None,
                    noack,
                })
            })
            .boxed()
    }

    pub(super) fn ack(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        (self.groups.clone(), self.id_list())
            .prop_map(move |(group, ids)| {
                Step::one(Ack {
                    topic: t.clone(),
                    group,
                    ids,
                })
            })
            .boxed()
    }

    pub(super) fn pending(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        (
            self.groups.clone(),
            prop_oneof![3 => Just(None), 1 => Just(Some(LONG_IDLE_MS))],
            bounds(self.ids.clone()),
            prop_oneof![Just(1u64), Just(3), Just(100)],
            prop_oneof![2 => Just(None), 1 => name(&CONSUMERS).prop_map(Some)],
        )
            .prop_map(move |(group, idle, (start, end), count, consumer)| {
                Step::one(Pending {
                    topic: t.clone(),
                    group,
                    start,
                    end,
                    count,
                    consumer,
                    idle,
                })
            })
            .boxed()
    }

    pub(super) fn claim(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        let outside = if self.outside_delivery() { 0.2 } else { 0.0 };
        let retry =
            prop_oneof![5 => Just(None), (if self.outside_delivery() { 1 } else { 0 }) => (0u64..5).prop_map(Some)];
        (
            (self.groups.clone(), name(&CONSUMERS), min_idle_ms(), self.id_list()),
            (
                proptest::bool::weighted(0.2),
                proptest::bool::weighted(outside),
                proptest::bool::weighted(0.3),
                retry,
                proptest::bool::weighted(outside / 2.0),
                proptest::sample::select(self.ids.clone()),
            ),
        )
            .prop_map(
                move |((group, consumer, min_idle_ms, ids), (idle, force, justid, retrycount, last_id, some_id))| {
                    Step::one(Claim {
                        topic: t.clone(),
                        group,
                        consumer,
                        min_idle_ms,
                        ids,
                        idle: idle.then_some(2 * LONG_IDLE_MS),
                        time: None,
                        retrycount,
                        force,
                        justid,
                        lastid: last_id.then_some(some_id),
                    })
                },
            )
            .boxed()
    }

    pub(super) fn auto_claim(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        let start = prop_oneof![
            2 => Just(RangeBound::MIN),
            1 => proptest::sample::select(self.ids.clone()).prop_map(RangeBound::Inclusive),
            1 => proptest::sample::select(self.ids.clone()).prop_map(RangeBound::Exclusive),
        ];
        (
            self.groups.clone(),
            name(&CONSUMERS),
            min_idle_ms(),
            start,
            1u64..4,
            any::<bool>(),
        )
            .prop_map(move |(group, consumer, min_idle_ms, start, count, justid)| {
                Step::one(AutoClaim {
                    topic: t.clone(),
                    group,
                    consumer,
                    min_idle_ms,
                    start,
                    count: Some(count),
                    justid,
                })
            })
            .boxed()
    }

    pub(super) fn delete(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        self.id_list()
            .prop_map(move |ids| Step::one(bus_command::commands::Delete { topic: t.clone(), ids }))
            .boxed()
    }

    pub(super) fn trim(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        trim(self.ids.clone(), self.approx())
            .prop_map(move |trim| {
                Step::one(TrimCommand {
                    topic: t.clone(),
                    trim: TrimArgs::from_trim(Some(&trim)),
                })
            })
            .boxed()
    }

    /// PEXPIRE: now (0), or in one or two hours.
    pub(super) fn expire_topic(&self) -> BoxedStrategy<Step> {
        let t = self.t();
        prop_oneof![Just(0u64), Just(LONG_IDLE_MS), Just(2 * LONG_IDLE_MS)]
            .prop_map(move |ttl_ms| {
                Step::one(ExpireTopic {
                    topic: t.clone(),
                    ttl_ms,
                })
            })
            .boxed()
    }
}
