//! The generator: [`Machine`], the reference state machine whose transitions are [`Step`]s of
//! [`bus_command::Command`]s, and the weight of each command in each profile.
//!
//! Ids are explicit (`ms-0` from the generator's own clock, or `ms-*`), so they are the same on every backend;
//! every published message has an `--id` from a small pool, so duplicates (within a batch too) happen often.

use std::fmt;
use std::marker::PhantomData;

use bus_command::commands::{
    ConsumerCreate, ConsumerDelete, ConsumersInfo, DropTopic, GroupDestroy, GroupsInfo, Len, PendingSummary, Read,
    ReadGroup, StreamInfo, TopicTtl,
};
use bus_command::{Command, Streams};
use bus_core::{AppendId, EntryId, Topic};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest_state_machine::ReferenceStateMachine;

use super::steps::{OnTopic, count, group_cursor, name, no_ack, read_cursor, topic_step};
use super::{Profile, ProfileKind, topics};
use crate::model::{Hint, Model};

/// Group names.
pub const GROUPS: [&str; 2] = ["g1", "g2"];
/// Consumer names.
pub const CONSUMERS: [&str; 3] = ["c1", "c2", "c3"];

/// One generated transition: one command, or (a fill) many appends of consecutive ids, which give approximate
/// trims whole nodes to remove. Printed one command per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step(pub Vec<Command>);

impl Step {
    pub(super) fn one(command: impl Into<Command>) -> Step {
        Step(vec![command.into()])
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, command) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{command}")?;
        }
        Ok(())
    }
}

/// A sequence of steps, one command per line: what a failing run prints, to paste into `bus shell`.
pub struct Script<'a>(pub &'a [Step]);

impl fmt::Display for Script<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in self.0 {
            writeln!(f, "{step}")?;
        }
        Ok(())
    }
}

/// The commands of a sequence, in order (a fill's appends one by one).
pub fn commands(steps: &[Step]) -> impl Iterator<Item = &Command> {
    steps.iter().flat_map(|step| &step.0)
}

/// The generator's state: the model (to pick ids and groups that exist) and the id clock.
#[derive(Clone, Debug, Default)]
pub struct GenState {
    /// The reference model as the sequence so far leaves it.
    pub model: Model,
    /// The largest millisecond part used by an append so far.
    pub clock: u64,
}

impl GenState {
    /// Ids worth naming on a topic: its entries, pending ids, and a few that do not exist.
    pub(super) fn candidate_ids(&self, topic: &Topic) -> Vec<EntryId> {
        let mut ids = vec![EntryId::new(1, 0), EntryId::new(self.clock + 2, 0)];
        if let Some(stream) = self.model.stream(topic) {
            ids.extend(stream.entries.iter().map(|e| e.id));
            ids.push(stream.last_id);
        }
        ids.extend(self.pending_ids(topic));
        ids.sort();
        ids.dedup();
        ids
    }

    /// The ids pending in any group of the topic.
    pub(super) fn pending_ids(&self, topic: &Topic) -> Vec<EntryId> {
        let mut ids: Vec<EntryId> = self
            .model
            .stream(topic)
            .into_iter()
            .flat_map(|s| &s.groups)
            .flat_map(|g| g.pending.iter().map(|p| p.id))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The group names that exist on every one of the topics.
    fn common_groups(&self, topics: &[&Topic]) -> Vec<String> {
        GROUPS
            .iter()
            .filter(|name| {
                topics
                    .iter()
                    .all(|t| self.model.stream(t).is_some_and(|s| s.group(name).is_some()))
            })
            .map(|name| (*name).to_owned())
            .collect()
    }

    /// Group names to use on these topics: mostly groups that exist on all of them (so group commands do more
    /// than fail with NOGROUP), sometimes any name.
    pub(super) fn group_names(&self, topics: &[&Topic]) -> BoxedStrategy<String> {
        let existing = self.common_groups(topics);
        if existing.is_empty() {
            return name(&GROUPS);
        }
        prop_oneof![4 => proptest::sample::select(existing), 1 => name(&GROUPS)].boxed()
    }
}

/// The reference state machine of a profile.
#[derive(Debug)]
pub struct Machine<P>(PhantomData<P>);

/// A weighted choice of steps; zero weights (commands a profile leaves out) are dropped.
type Choices = Vec<(u32, BoxedStrategy<Step>)>;

impl<P: ProfileKind> Machine<P> {
    /// The commands on one topic, with their weights in this profile.
    fn topic_steps(state: &GenState, topic: &Topic) -> Choices {
        let on = OnTopic::new(state, topic, P::PROFILE);
        // Until the topic has a group, the commands that need one mostly fail with NOGROUP: rarer then.
        let has_group = state.model.stream(topic).is_some_and(|s| !s.groups.is_empty());
        let g = |weight: u32| if has_group { weight } else { weight.div_ceil(4) };
        // SETID and DELCONSUMER break the delivery invariants (entries delivered again, or dropped).
        let admin = if P::PROFILE == Profile::Delivery { 0 } else { 2 };
        vec![
            (12, on.append()),
            (1, on.fill()),
            (5, on.publish()),
            (3, on.publish_batch()),
            (3, on.range()),
            (2, on.read()),
            (1, on.read_after_message()),
            (1, on.tail()),
            (1, on.lookup()),
            (1, topic_step(topic, |topic| Len { topic })),
            (8, on.group_create()),
            (g(1), on.group_step(|topic, group| GroupDestroy { topic, group })),
            (g(admin), on.group_set_id()),
            (
                g(1),
                on.consumer_step(|topic, group, consumer| ConsumerCreate { topic, group, consumer }),
            ),
            (
                g(admin / 2),
                on.consumer_step(|topic, group, consumer| ConsumerDelete { topic, group, consumer }),
            ),
            (g(3), on.consumer_delete_if_idle()),
            (g(20), on.read_group()),
            (g(5), on.ack()),
            (g(1), on.group_step(|topic, group| PendingSummary { topic, group })),
            (g(2), on.pending()),
            (g(4), on.claim()),
            (g(3), on.auto_claim()),
            (3, on.delete()),
            (3, on.trim()),
            (1, topic_step(topic, |topic| DropTopic { topic })),
            (2, on.expire_topic()),
            (1, topic_step(topic, |topic| TopicTtl { topic })),
            (1, topic_step(topic, |topic| StreamInfo { topic })),
            (1, topic_step(topic, |topic| GroupsInfo { topic })),
            (g(1), on.group_step(|topic, group| ConsumersInfo { topic, group })),
        ]
    }

    /// Reads over both topics, in either order.
    fn multi_topic_steps(state: &GenState) -> Choices {
        let Ok([a, b]) = <[Topic; 2]>::try_from(topics()) else {
            return Vec::new();
        };
        let (ids_a, ids_b) = (state.candidate_ids(&a), state.candidate_ids(&b));
        let groups = state.group_names(&[&a, &b]);
        let common_group = !state.common_groups(&[&a, &b]).is_empty();
        let read = (
            any::<bool>(),
            read_cursor(ids_a.clone()),
            read_cursor(ids_b.clone()),
            count(),
        )
            .prop_filter_map("two topics", {
                let (a, b) = (a.clone(), b.clone());
                move |(swap, x, y, count)| {
                    Some(Step::one(Read {
                        streams: both(&a, &b, swap, x, y)?,
                        count,
                        block: None,
                    }))
                }
            });
        let read_group = (
            (any::<bool>(), group_cursor(ids_a), group_cursor(ids_b)),
            (groups, name(&CONSUMERS), count(), no_ack(P::PROFILE)),
        )
            .prop_filter_map("two topics", move |((swap, x, y), (group, consumer, count, noack))| {
                Some(Step::one(ReadGroup {
                    group,
                    consumer,
                    streams: both(&a, &b, swap, x, y)?,
                    count,
                    block: None,
                    noack,
                }))
            });
        vec![
            (4, read.boxed()),
            (if common_group { 10 } else { 2 }, read_group.boxed()),
        ]
    }
}

/// Both topics with their cursors, in either order.
fn both<C>(a: &Topic, b: &Topic, swap: bool, x: C, y: C) -> Option<Streams<C>> {
    let (a, b) = ((a.clone(), x), (b.clone(), y));
    Streams::new(if swap { vec![b, a] } else { vec![a, b] }).ok()
}

/// The largest millisecond part an append command names (0 for other commands).
fn clock_of(command: &Command) -> u64 {
    let id = match command {
        Command::Append(c) => c.options.entry_id,
        Command::Publish(c) => c.options.entry_id,
        Command::PublishBatch(c) => c.options.entry_id,
        _ => None,
    };
    match id {
        Some(AppendId::Explicit(id)) => id.ms,
        Some(AppendId::AutoSeq(ms)) => ms,
        _ => 0,
    }
}

impl<P: ProfileKind> ReferenceStateMachine for Machine<P> {
    type State = GenState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<GenState> {
        Just(GenState::default()).boxed()
    }

    fn transitions(state: &GenState) -> BoxedStrategy<Step> {
        let mut choices: Choices = topics().iter().flat_map(|t| Self::topic_steps(state, t)).collect();
        choices.extend(Self::multi_topic_steps(state));
        choices.retain(|(weight, _)| *weight > 0);
        Union::new_weighted(choices).boxed()
    }

    fn apply(mut state: GenState, step: &Step) -> GenState {
        for command in &step.0 {
            // The model with node emulation; a bound violation only matters when checking a backend.
            let _ = state.model.apply(command, Hint::default());
            state.clock = state.clock.max(clock_of(command));
        }
        state
    }
}
