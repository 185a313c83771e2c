//! The reference model of the property suite: Redis 7.0 Streams semantics written for clarity, not speed.
//!
//! Everything is a `Vec` searched linearly. The model shares no code with any backend; where Redis's own
//! algorithm is intricate (entries-read, lag, trimming by nodes) it follows `t_stream.c` of Redis 7.0 step by
//! step, and says which function it follows.
//!
//! Time is modelled coarsely: a pending entry is either "recently delivered" or "idle for hours" (after
//! `XCLAIM … IDLE` with a large value), so min-idle arguments of 0 or of an hour give the same answer on every
//! backend without a controllable clock.

use std::time::Duration;

use bus_core::{
    AppendId, AutoClaimOptions, AutoClaimed, ClaimOptions, Claimed, Entry, EntryId, Error, Fields, GroupCommand,
    GroupCursor, GroupEntry, GroupInfo, GroupStart, PendingSummary, Published, RangeBound, ReadReply, StreamInfo,
    Topic, TopicCommand, TopicEntries, Trim, TrimStrategy, Uuid,
};

use crate::ops::{Op, Outcome, many_fields};

/// Entries per node (`stream-node-max-entries` 100 with `stream-node-max-bytes 0`).
pub const NODE_ENTRIES: usize = 100;

/// Idle times at least this long are "idle for hours"; shorter ones are "recent".
pub const LONG_IDLE: Duration = Duration::from_secs(3600);

/// Redis's default work bound of approximate trims without LIMIT (`100 * stream-node-max-entries`).
const DEFAULT_APPROX_LIMIT: u64 = 100 * NODE_ENTRIES as u64;

/// One pending entry of a group (a NACK).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// Entry id.
    pub id: EntryId,
    /// The consumer owning it.
    pub owner: String,
    /// Deliveries so far.
    pub delivery_count: u64,
    /// Whether its delivery time lies hours in the past (set by `XCLAIM … IDLE`).
    pub long_idle: bool,
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupModel {
    /// Name.
    pub name: String,
    /// Last delivered id.
    pub last_id: EntryId,
    /// Entries read, `None` where Redis holds `SCG_INVALID_ENTRIES_READ`.
    pub entries_read: Option<u64>,
    /// The pending entries list, sorted by id.
    pub pel: Vec<Nack>,
    /// Consumer names, sorted.
    pub consumers: Vec<String>,
}

/// One node (listpack) of a stream: slots for entries, `false` once deleted (a tombstone).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Node {
    slots: Vec<(EntryId, bool)>,
}

impl Node {
    fn live(&self) -> u64 {
        self.slots.iter().filter(|(_, live)| *live).count() as u64
    }
}

/// One stream.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StreamModel {
    /// Live entries in id order.
    pub entries: Vec<Entry>,
    nodes: Vec<Node>,
    /// Last generated id.
    pub last_id: EntryId,
    /// Largest deleted id.
    pub max_deleted: EntryId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Groups, sorted by name.
    pub groups: Vec<GroupModel>,
}

/// The whole keyspace: topics that exist, by name.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Model {
    /// Streams that exist.
    pub streams: Vec<(Topic, StreamModel)>,
}

/// What the runner observed of an approximate trim on a backend without exact node emulation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hint {
    /// Entries the approximate trim removed on the backend (checked against bounds, then applied).
    pub approx_removed: Option<u64>,
}

/// The UUID in an entry's `id` field, if it holds exactly one canonical one (what a lookup matches).
pub fn uuid_in(fields: &Fields) -> Option<Uuid> {
    let mut ids = fields.iter().filter(|(name, _)| name.as_ref() == b"id");
    let (Some((_, value)), None) = (ids.next(), ids.next()) else {
        return None;
    };
    let text = std::str::from_utf8(value).ok()?;
    let uuid = Uuid::parse_str(text).ok()?;
    (uuid.hyphenated().to_string() == text).then_some(uuid)
}

impl StreamModel {
    fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// `s->first_id`: the first live entry, 0-0 when empty.
    fn first_id(&self) -> EntryId {
        self.entries.first().map_or(EntryId::MIN, |e| e.id)
    }

    fn group(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }

    /// `streamRangeHasTombstones(s, start, NULL)`.
    fn has_tombstones_from(&self, start: EntryId) -> bool {
        // The stream is empty or has no tombstones.
        if self.len() == 0 || self.max_deleted == EntryId::MIN {
            return false;
        }
        // The latest tombstone is before the first entry.
        if self.first_id() > self.max_deleted {
            return false;
        }
        // start_id <= max_deleted_entry_id <= end_id (end is the maximum id).
        start <= self.max_deleted
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: `None` is `SCG_INVALID_ENTRIES_READ`.
    fn estimate_distance(&self, id: EntryId) -> Option<u64> {
        // The counter of any ID in an empty, never-before-used stream is 0.
        if self.entries_added == 0 {
            return Some(0);
        }
        // In the empty stream, if the ID is smaller or equal to the last ID, it is entries_added.
        if self.len() == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        } else if id > self.last_id {
            return None;
        }
        let first = self.first_id();
        if self.max_deleted == EntryId::MIN || self.max_deleted < first {
            // There's definitely no fragmentation ahead.
            if id < first {
                return Some(self.entries_added - self.len());
            } else if id == first {
                return Some(self.entries_added - self.len() + 1);
            }
        }
        None
    }

    /// `streamReplyWithCGLag`. Redis computes `entries_added - entries_read` as a signed number and replies a
    /// negative lag when ENTRIESREAD was set above the entries added; [`GroupInfo::lag`] is unsigned, so the
    /// model (like bus-core's contract) saturates at 0.
    fn lag(&self, group: &GroupModel) -> Option<u64> {
        if self.entries_added == 0 {
            // The lag of a newly-initialized stream is 0.
            return Some(0);
        }
        if let Some(read) = group.entries_read
            && !self.has_tombstones_from(group.last_id)
        {
            return Some(self.entries_added.saturating_sub(read));
        }
        self.estimate_distance(group.last_id)
            .map(|read| self.entries_added.saturating_sub(read))
    }

    /// `streamAppendItem` after the id checks: a new node when the tail holds `NODE_ENTRIES` slots.
    fn push(&mut self, id: EntryId, fields: Fields) {
        match self.nodes.last_mut() {
            Some(node) if node.slots.len() < NODE_ENTRIES => node.slots.push((id, true)),
            _ => self.nodes.push(Node {
                slots: vec![(id, true)],
            }),
        }
        self.entries.push(Entry::new(id, fields));
        self.entries_added += 1;
        self.last_id = id;
    }

    /// `streamDeleteItem`: marks the slot deleted, frees a node left without live entries.
    fn delete(&mut self, id: EntryId) -> bool {
        let Some(pos) = self.entries.iter().position(|e| e.id == id) else {
            return false;
        };
        self.entries.remove(pos);
        self.kill_slot(id);
        true
    }

    fn kill_slot(&mut self, id: EntryId) {
        for index in 0..self.nodes.len() {
            let Some(node) = self.nodes.get_mut(index) else {
                continue;
            };
            if let Some(slot) = node.slots.iter_mut().find(|(slot_id, live)| *slot_id == id && *live) {
                slot.1 = false;
                if node.live() == 0 {
                    self.nodes.remove(index);
                }
                return;
            }
        }
    }

    fn remove_entry(&mut self, id: EntryId) {
        self.entries.retain(|e| e.id != id);
    }

    /// `streamTrim`, node by node from the head.
    fn trim_by_nodes(&mut self, strategy: TrimStrategy, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some(node) = self.nodes.first() {
            if let TrimStrategy::MaxLen(max) = strategy
                && self.len() <= max
            {
                break;
            }
            let entries = node.live();
            // Check if we exceeded the amount of work we could do.
            if limit != 0 && deleted + entries > limit {
                break;
            }
            // Check if we can remove the whole node.
            let remove_node = match strategy {
                TrimStrategy::MaxLen(max) => self.len() - entries >= max,
                // The node's last id, tombstone or not (`lpGetEdgeStreamID`), is below the threshold.
                TrimStrategy::MinId(min) => node.slots.last().is_some_and(|(last, _)| *last < min),
            };
            if remove_node {
                let node = self.nodes.remove(0);
                for (id, live) in node.slots {
                    if live {
                        self.remove_entry(id);
                    }
                }
                deleted += entries;
                continue;
            }
            // If we cannot remove a whole element, and approx is true, stop here.
            if approx {
                break;
            }
            // Mark entries of this node deleted until the strategy is satisfied; the node stays, even when
            // no live entry is left in it.
            let mut index = 0;
            while let Some(&(id, live)) = self.nodes.first().and_then(|n| n.slots.get(index)) {
                let stop = match strategy {
                    TrimStrategy::MaxLen(max) => self.len() <= max,
                    TrimStrategy::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                if live {
                    if let Some(slot) = self.nodes.first_mut().and_then(|n| n.slots.get_mut(index)) {
                        slot.1 = false;
                    }
                    self.remove_entry(id);
                    deleted += 1;
                }
                index += 1;
            }
            break;
        }
        deleted
    }

    /// A trim. Approximate trims follow the nodes, unless the backend's count is given (no exact node emulation):
    /// then it is checked to lie within Redis's bounds and the oldest entries are removed accordingly.
    fn trim(&mut self, trim: &Trim, hint: Hint) -> Result<u64, String> {
        let limit = match (trim.approx, trim.limit) {
            (false, _) => 0,
            (true, Some(limit)) => limit,
            (true, None) => DEFAULT_APPROX_LIMIT,
        };
        match (trim.approx, hint.approx_removed) {
            (true, Some(removed)) => {
                let exact = self.clone().trim_by_nodes(trim.strategy, false, 0);
                if removed > exact || (limit != 0 && removed > limit) {
                    return Err(format!(
                        "approximate trim `{}` removed {removed} entries; an exact trim removes {exact}, LIMIT is {limit} \
                         (0: none): it may remove fewer, never more",
                        crate::ops::TrimArgs(trim)
                    ));
                }
                for _ in 0..removed {
                    if let Some(first) = self.entries.first().map(|e| e.id) {
                        self.remove_entry(first);
                        self.kill_slot(first);
                    }
                }
                Ok(removed)
            }
            _ => Ok(self.trim_by_nodes(trim.strategy, trim.approx, limit)),
        }
    }

    fn range(&self, start: EntryId, end: EntryId) -> impl DoubleEndedIterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.id >= start && e.id <= end)
    }

    /// XINFO STREAM.
    pub fn info(&self) -> StreamInfo {
        StreamInfo {
            length: self.len(),
            last_generated_id: self.last_id,
            max_deleted_entry_id: self.max_deleted,
            entries_added: self.entries_added,
            groups: self.groups.len() as u64,
            first_entry: self.entries.first().cloned(),
            last_entry: self.entries.last().cloned(),
        }
    }

    /// XINFO GROUPS.
    pub fn groups_info(&self) -> Vec<GroupInfo> {
        self.groups
            .iter()
            .map(|g| GroupInfo {
                name: g.name.clone(),
                consumers: g.consumers.len() as u64,
                pending: g.pel.len() as u64,
                last_delivered_id: g.last_id,
                entries_read: g.entries_read,
                lag: self.lag(g),
            })
            .collect()
    }

    /// The oldest live entry holding the UUID.
    fn lookup(&self, uuid: Uuid) -> Option<EntryId> {
        self.entries
            .iter()
            .find(|e| uuid_in(&e.fields) == Some(uuid))
            .map(|e| e.id)
    }
}

impl GroupModel {
    fn ensure_consumer(&mut self, name: &str) -> bool {
        if self.consumers.iter().any(|c| c == name) {
            return false;
        }
        self.consumers.push(name.to_owned());
        self.consumers.sort();
        true
    }

    fn nack(&mut self, id: EntryId) -> Option<&mut Nack> {
        self.pel.iter_mut().find(|n| n.id == id)
    }

    fn insert_nack(&mut self, nack: Nack) {
        self.pel.push(nack);
        self.pel.sort_by_key(|n| n.id);
    }

    /// XPENDING summary.
    pub fn summary(&self) -> PendingSummary {
        let mut consumers: Vec<(String, u64)> = Vec::new();
        for name in &self.consumers {
            let owned = self.pel.iter().filter(|n| &n.owner == name).count() as u64;
            if owned > 0 {
                consumers.push((name.clone(), owned));
            }
        }
        PendingSummary {
            count: self.pel.len() as u64,
            min: self.pel.first().map(|n| n.id),
            max: self.pel.last().map(|n| n.id),
            consumers,
        }
    }

    /// Consumers with the number of entries each owns (XINFO CONSUMERS without idle times).
    pub fn consumer_counts(&self) -> Vec<(String, u64)> {
        self.consumers
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    self.pel.iter().filter(|n| &n.owner == name).count() as u64,
                )
            })
            .collect()
    }
}

fn no_group(topic: &Topic, group: &str, command: GroupCommand) -> Outcome {
    Outcome::Error(
        Error::NoGroup {
            topic: topic.to_string(),
            group: group.to_owned(),
            command,
        }
        .to_string(),
    )
}

fn no_topic(topic: &Topic, command: TopicCommand) -> Outcome {
    Outcome::Error(
        Error::NoSuchTopic {
            topic: topic.to_string(),
            command,
        }
        .to_string(),
    )
}

/// Whether a pending entry passes a min-idle filter: always for 0, else only when idle for hours.
fn idle_enough(min_idle: Duration, long_idle: bool) -> bool {
    min_idle.is_zero() || (long_idle && min_idle <= LONG_IDLE)
}

impl Model {
    /// The stream of a topic, if it exists.
    pub fn stream(&self, topic: &Topic) -> Option<&StreamModel> {
        self.streams.iter().find(|(t, _)| t == topic).map(|(_, s)| s)
    }

    fn stream_mut(&mut self, topic: &Topic) -> Option<&mut StreamModel> {
        self.streams.iter_mut().find(|(t, _)| t == topic).map(|(_, s)| s)
    }

    fn stream_or_create(&mut self, topic: &Topic) -> &mut StreamModel {
        if let Some(pos) = self.streams.iter().position(|(t, _)| t == topic) {
            return &mut self.streams[pos].1;
        }
        self.streams.push((topic.clone(), StreamModel::default()));
        let last = self.streams.len() - 1;
        &mut self.streams[last].1
    }

    /// Applies one operation and returns what Redis would answer; `Err` when an observed approximate trim broke
    /// its bounds.
    pub fn apply(&mut self, op: &Op, hint: Hint) -> Result<Outcome, String> {
        Ok(match op {
            Op::Append {
                topic,
                id,
                fields,
                trim,
                no_mkstream,
            } => {
                if *no_mkstream && self.stream(topic).is_none() {
                    return Ok(Outcome::Appended(None));
                }
                match self.xadd(topic, *id, fields.clone(), trim.as_ref(), hint)? {
                    Ok(id) => Outcome::Appended(Some(id)),
                    Err(message) => Outcome::Error(message),
                }
            }
            Op::AppendMany { topic, first_ms, count } => {
                let mut ids = Vec::new();
                for ms in *first_ms..first_ms.saturating_add(*count) {
                    let id = AppendId::Explicit(EntryId::new(ms, 0));
                    match self.xadd(topic, id, many_fields(ms), None, hint)? {
                        Ok(id) => ids.push(id),
                        Err(message) => return Ok(Outcome::Error(message)),
                    }
                }
                Outcome::AppendedMany(ids)
            }
            Op::Publish {
                topic,
                id,
                uuid,
                payload,
                trim,
            } => {
                if let Some(existing) = self.stream(topic).and_then(|s| s.lookup(*uuid)) {
                    return Ok(Outcome::Published(Some(Published {
                        entry_id: existing,
                        duplicate: true,
                    })));
                }
                let fields = Fields::from_pairs([
                    ("id".to_owned(), uuid.hyphenated().to_string()),
                    ("payload".to_owned(), payload.clone()),
                ]);
                match self.xadd(topic, *id, fields, trim.as_ref(), hint)? {
                    Ok(entry_id) => Outcome::Published(Some(Published {
                        entry_id,
                        duplicate: false,
                    })),
                    Err(message) => Outcome::Error(message),
                }
            }
            Op::Range {
                topic,
                start,
                end,
                count,
            } => self.xrange(topic, *start, *end, *count, false),
            Op::RevRange {
                topic,
                end,
                start,
                count,
            } => self.xrange(topic, *start, *end, *count, true),
            Op::Read { topic, after, count } => Outcome::Read {
                lookup: None,
                reply: Some(ReadReply::Topics(self.xread(topic, *after, *count))),
            },
            Op::ReadAfterUuid { topic, uuid, count } => {
                let found = self.stream(topic).and_then(|s| s.lookup(*uuid));
                Outcome::Read {
                    lookup: Some(found),
                    reply: found.map(|after| ReadReply::Topics(self.xread(topic, after, *count))),
                }
            }
            Op::GroupCreate {
                topic,
                group,
                start,
                mkstream,
                entries_read,
            } => {
                if self.stream(topic).is_none() && !*mkstream {
                    return Ok(no_topic(topic, TopicCommand::Group));
                }
                let stream = self.stream_or_create(topic);
                let last_id = match start {
                    GroupStart::Id(id) => *id,
                    GroupStart::Last => stream.last_id,
                };
                if stream.group(group).is_some() {
                    return Ok(Outcome::Error(
                        Error::GroupExists {
                            topic: topic.to_string(),
                            group: group.clone(),
                        }
                        .to_string(),
                    ));
                }
                stream.groups.push(GroupModel {
                    name: group.clone(),
                    last_id,
                    entries_read: *entries_read,
                    pel: Vec::new(),
                    consumers: Vec::new(),
                });
                stream.groups.sort_by(|a, b| a.name.cmp(&b.name));
                Outcome::Done
            }
            Op::GroupDestroy { topic, group } => {
                let Some(stream) = self.stream_mut(topic) else {
                    return Ok(no_topic(topic, TopicCommand::Group));
                };
                match stream.group(group) {
                    Some(index) => {
                        stream.groups.remove(index);
                        Outcome::Flag(true)
                    }
                    None => Outcome::Flag(false),
                }
            }
            Op::GroupSetId {
                topic,
                group,
                id,
                entries_read,
            } => {
                let Some(stream) = self.stream_mut(topic) else {
                    return Ok(no_topic(topic, TopicCommand::Group));
                };
                let stream_last = stream.last_id;
                let Some(g) = stream.group(group).and_then(|i| stream.groups.get_mut(i)) else {
                    return Ok(no_group(topic, group, GroupCommand::Admin));
                };
                g.last_id = match id {
                    GroupStart::Id(id) => *id,
                    GroupStart::Last => stream_last,
                };
                g.entries_read = *entries_read;
                Outcome::Done
            }
            Op::ConsumerCreate { topic, group, consumer } => {
                let Some(stream) = self.stream_mut(topic) else {
                    return Ok(no_topic(topic, TopicCommand::Group));
                };
                let Some(g) = stream.group(group).and_then(|i| stream.groups.get_mut(i)) else {
                    return Ok(no_group(topic, group, GroupCommand::Admin));
                };
                Outcome::Flag(g.ensure_consumer(consumer))
            }
            Op::ConsumerDelete { topic, group, consumer } => {
                let Some(stream) = self.stream_mut(topic) else {
                    return Ok(no_topic(topic, TopicCommand::Group));
                };
                let Some(g) = stream.group(group).and_then(|i| stream.groups.get_mut(i)) else {
                    return Ok(no_group(topic, group, GroupCommand::Admin));
                };
                let Some(index) = g.consumers.iter().position(|c| c == consumer) else {
                    return Ok(Outcome::Count(0));
                };
                g.consumers.remove(index);
                let before = g.pel.len();
                g.pel.retain(|n| &n.owner != consumer);
                Outcome::Count((before - g.pel.len()) as u64)
            }
            Op::ReadGroup {
                topic,
                group,
                consumer,
                cursor,
                count,
                no_ack,
            } => self.xreadgroup(topic, group, consumer, *cursor, count.unwrap_or(0), *no_ack),
            Op::Ack { topic, group, ids } => {
                let Some(g) = self
                    .stream_mut(topic)
                    .and_then(|s| s.group(group).and_then(|i| s.groups.get_mut(i)))
                else {
                    return Ok(Outcome::Count(0));
                };
                let mut acked = 0;
                for id in ids {
                    if let Some(pos) = g.pel.iter().position(|n| n.id == *id) {
                        g.pel.remove(pos);
                        acked += 1;
                    }
                }
                Outcome::Count(acked)
            }
            Op::Pending {
                topic,
                group,
                min_idle,
                start,
                end,
                count,
                consumer,
            } => {
                // The interval is parsed before the key is looked up (`xpendingCommand`).
                let (start, end) = match (start.resolve_start(), end.resolve_end()) {
                    (Ok(start), Ok(end)) => (start, end),
                    (Err(err), _) | (_, Err(err)) => return Ok(Outcome::Error(err.to_string())),
                };
                let Some(g) = self
                    .stream(topic)
                    .and_then(|s| s.group(group).and_then(|i| s.groups.get(i)))
                else {
                    return Ok(no_group(topic, group, GroupCommand::Pending));
                };
                if let Some(name) = consumer
                    && !g.consumers.contains(name)
                {
                    return Ok(Outcome::Pending(Vec::new()));
                }
                let rows = g
                    .pel
                    .iter()
                    .filter(|n| n.id >= start && n.id <= end)
                    .filter(|n| consumer.as_ref().is_none_or(|c| &n.owner == c))
                    .filter(|n| min_idle.is_none_or(|idle| idle_enough(idle, n.long_idle)))
                    .take(usize::try_from(*count).unwrap_or(usize::MAX))
                    .map(|n| (n.id, n.owner.clone(), n.delivery_count))
                    .collect();
                Outcome::Pending(rows)
            }
            Op::Claim {
                topic,
                group,
                consumer,
                min_idle,
                ids,
                options,
            } => self.xclaim(topic, group, consumer, *min_idle, ids, options),
            Op::AutoClaim {
                topic,
                group,
                consumer,
                min_idle,
                start,
                options,
            } => self.xautoclaim(topic, group, consumer, *min_idle, *start, options),
            Op::Delete { topic, ids } => {
                let Some(stream) = self.stream_mut(topic) else {
                    return Ok(Outcome::Count(0));
                };
                let mut deleted = 0;
                for id in ids {
                    if stream.delete(*id) {
                        stream.max_deleted = stream.max_deleted.max(*id);
                        deleted += 1;
                    }
                }
                Outcome::Count(deleted)
            }
            Op::Trim { topic, trim } => match self.stream_mut(topic) {
                None => Outcome::Count(0),
                Some(stream) => Outcome::Count(stream.trim(trim, hint)?),
            },
        })
    }

    /// XADD's checks and append, then its trim. The inner `Err` is Redis's error reply.
    fn xadd(
        &mut self,
        topic: &Topic,
        id: AppendId,
        fields: Fields,
        trim: Option<&Trim>,
        hint: Hint,
    ) -> Result<Result<EntryId, String>, String> {
        let last = self.stream(topic).map_or(EntryId::MIN, |s| s.last_id);
        // `streamAppendItem`'s id generation (only explicit and `ms-*` ids are generated by the suite).
        let new_id = match id {
            AppendId::Explicit(id) => id,
            AppendId::AutoSeq(ms) if ms == last.ms => match last.seq.checked_add(1) {
                Some(seq) => EntryId::new(ms, seq),
                None => last,
            },
            AppendId::AutoSeq(ms) => EntryId::new(ms, 0),
            AppendId::Auto => return Ok(Err("the model does not generate `*` ids".into())),
        };
        if new_id <= last {
            // Redis creates the key before failing (streamTypeLookupWriteOrCreate), but an empty stream it
            // just created is never seen: XADD with an id not above 0-0 is only `0-0` itself, rejected earlier.
            return Ok(Err(Error::IdNotGreater {
                topic: topic.to_string(),
                last_id: last,
            }
            .to_string()));
        }
        let stream = self.stream_or_create(topic);
        stream.push(new_id, fields);
        if let Some(trim) = trim {
            stream.trim(trim, hint)?;
        }
        Ok(Ok(new_id))
    }

    fn xrange(&self, topic: &Topic, start: RangeBound, end: RangeBound, count: Option<u64>, rev: bool) -> Outcome {
        let (start, end) = match (start.resolve_start(), end.resolve_end()) {
            (Ok(start), Ok(end)) => (start, end),
            (Err(err), _) | (_, Err(err)) => return Outcome::Error(err.to_string()),
        };
        let Some(stream) = self.stream(topic) else {
            return Outcome::Entries(Vec::new());
        };
        let limit = match count {
            Some(0) => return Outcome::Entries(Vec::new()),
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => usize::MAX,
        };
        let entries = if rev {
            stream.range(start, end).rev().take(limit).cloned().collect()
        } else {
            stream.range(start, end).take(limit).cloned().collect()
        };
        Outcome::Entries(entries)
    }

    /// XREAD of one topic after an id (non-blocking): the topic is listed only when it has entries to give.
    fn xread(&self, topic: &Topic, after: EntryId, count: Option<u64>) -> Vec<TopicEntries<Entry>> {
        let Some(stream) = self.stream(topic) else {
            return Vec::new();
        };
        let limit = match count {
            Some(0) | None => usize::MAX,
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let entries: Vec<Entry> = stream
            .entries
            .iter()
            .filter(|e| e.id > after)
            .take(limit)
            .cloned()
            .collect();
        if entries.is_empty() {
            return Vec::new();
        }
        vec![TopicEntries {
            topic: topic.clone(),
            entries,
        }]
    }

    /// XREADGROUP on one topic (`xreadCommand` with `streamReplyWithRange`).
    fn xreadgroup(
        &mut self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        cursor: GroupCursor,
        count: u64,
        no_ack: bool,
    ) -> Outcome {
        let Some(stream) = self.stream_mut(topic) else {
            return no_group(topic, group, GroupCommand::ReadGroup);
        };
        let Some(gi) = stream.group(group) else {
            return no_group(topic, group, GroupCommand::ReadGroup);
        };
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count).unwrap_or(usize::MAX)
        };
        match cursor {
            GroupCursor::History(after) => {
                // Served from the consumer's own PEL (`streamReplyWithRangeFromConsumerPEL`), from after+1.
                let start = after.next().unwrap_or(EntryId::MIN);
                let live: Vec<Entry> = stream.entries.clone();
                let Some(g) = stream.groups.get_mut(gi) else {
                    return no_group(topic, group, GroupCommand::ReadGroup);
                };
                g.ensure_consumer(consumer);
                let mut out = Vec::new();
                for nack in g.pel.iter_mut().filter(|n| n.owner == consumer && n.id >= start) {
                    if out.len() >= limit {
                        break;
                    }
                    match live.iter().find(|e| e.id == nack.id) {
                        Some(entry) => {
                            nack.delivery_count += 1;
                            nack.long_idle = false;
                            out.push(GroupEntry::Present(entry.clone()));
                        }
                        None => out.push(GroupEntry::Deleted(nack.id)),
                    }
                }
                Outcome::GroupRead(ReadReply::Topics(vec![TopicEntries {
                    topic: topic.clone(),
                    entries: out,
                }]))
            }
            GroupCursor::New => {
                let group_last = stream.groups.get(gi).map_or(EntryId::MIN, |g| g.last_id);
                // Served only when the last live entry is above the group's last id (`streamLastValidID`).
                let last_valid = stream.entries.last().map(|e| e.id);
                if last_valid.is_none_or(|last| last <= group_last) {
                    return Outcome::GroupRead(ReadReply::Topics(Vec::new()));
                }
                let start = group_last.next().unwrap_or(EntryId::MIN);
                let candidates: Vec<Entry> = stream.entries.iter().filter(|e| e.id >= start).cloned().collect();
                let mut out = Vec::new();
                if let Some(g) = stream.groups.get_mut(gi) {
                    g.ensure_consumer(consumer);
                }
                for entry in candidates {
                    // `streamReplyWithRange`: update the group's last id and entries-read.
                    let (has_tombstones, estimate, added) = (
                        stream.has_tombstones_from(entry.id),
                        stream.estimate_distance(entry.id),
                        stream.entries_added,
                    );
                    let Some(g) = stream.groups.get_mut(gi) else {
                        break;
                    };
                    if entry.id > g.last_id {
                        match g.entries_read {
                            Some(read) if !has_tombstones => g.entries_read = Some(read + 1),
                            _ if added != 0 => g.entries_read = estimate,
                            _ => {}
                        }
                        g.last_id = entry.id;
                    }
                    if !no_ack {
                        match g.nack(entry.id) {
                            // Already pending (after a SETID): reassigned, with its delivery count reset.
                            Some(nack) => {
                                nack.owner = consumer.to_owned();
                                nack.delivery_count = 1;
                                nack.long_idle = false;
                            }
                            None => g.insert_nack(Nack {
                                id: entry.id,
                                owner: consumer.to_owned(),
                                delivery_count: 1,
                                long_idle: false,
                            }),
                        }
                    }
                    out.push(GroupEntry::Present(entry));
                    if out.len() >= limit {
                        break;
                    }
                }
                Outcome::GroupRead(ReadReply::Topics(vec![TopicEntries {
                    topic: topic.clone(),
                    entries: out,
                }]))
            }
        }
    }

    /// `xclaimCommand`.
    fn xclaim(
        &mut self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        ids: &[EntryId],
        options: &ClaimOptions,
    ) -> Outcome {
        let Some(stream) = self.stream_mut(topic) else {
            return no_group(topic, group, GroupCommand::Pending);
        };
        let live = stream.entries.clone();
        let Some(g) = stream.group(group).and_then(|i| stream.groups.get_mut(i)) else {
            return no_group(topic, group, GroupCommand::Pending);
        };
        if let Some(last_id) = options.last_id
            && last_id > g.last_id
        {
            g.last_id = last_id;
        }
        let long_idle = options.idle.is_some_and(|idle| idle >= LONG_IDLE);
        let mut claimed_entries = Vec::new();
        let mut claimed_ids = Vec::new();
        for id in ids {
            let entry = live.iter().find(|e| e.id == *id);
            let Some(entry) = entry else {
                // A pending entry that no longer exists is dropped from the PEL.
                g.pel.retain(|n| n.id != *id);
                continue;
            };
            let mut fresh = false;
            if options.force && g.nack(*id).is_none() {
                // `streamCreateNACK(NULL)`: no owner yet, delivery count 1.
                g.insert_nack(Nack {
                    id: *id,
                    owner: String::new(),
                    delivery_count: 1,
                    long_idle: false,
                });
                fresh = true;
            }
            let Some(idle_ok) = g.nack(*id).map(|n| n.long_idle) else {
                continue;
            };
            // The idle check applies to NACKs that have an owner.
            if !(fresh || idle_enough(min_idle, idle_ok)) {
                continue;
            }
            g.ensure_consumer(consumer);
            if let Some(nack) = g.nack(*id) {
                nack.owner = consumer.to_owned();
                nack.long_idle = long_idle;
                if let Some(n) = options.retry_count {
                    nack.delivery_count = n;
                } else if !options.just_id {
                    nack.delivery_count += 1;
                }
            }
            if options.just_id {
                claimed_ids.push(*id);
            } else {
                claimed_entries.push(entry.clone());
            }
        }
        Outcome::Claimed(if options.just_id {
            Claimed::Ids(claimed_ids)
        } else {
            Claimed::Entries(claimed_entries)
        })
    }

    /// `xautoclaimCommand`.
    fn xautoclaim(
        &mut self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        start: RangeBound,
        options: &AutoClaimOptions,
    ) -> Outcome {
        let start = match start.resolve_start() {
            Ok(start) => start,
            Err(err) => return Outcome::Error(err.to_string()),
        };
        let Some(stream) = self.stream_mut(topic) else {
            return no_group(topic, group, GroupCommand::Pending);
        };
        let live = stream.entries.clone();
        let Some(g) = stream.group(group).and_then(|i| stream.groups.get_mut(i)) else {
            return no_group(topic, group, GroupCommand::Pending);
        };
        let mut count = options.count;
        let mut attempts = count.saturating_mul(10);
        let mut claimed_entries = Vec::new();
        let mut claimed_ids = Vec::new();
        let mut deleted = Vec::new();
        let mut cursor = start;
        let mut visited_any = false;
        let mut last_visited = EntryId::MIN;
        while attempts > 0 && count > 0 {
            attempts -= 1;
            let Some(id) = g.pel.iter().map(|n| n.id).find(|id| *id >= cursor) else {
                break;
            };
            visited_any = true;
            last_visited = id;
            cursor = id.next().unwrap_or(EntryId::MAX);
            let Some(entry) = live.iter().find(|e| e.id == id) else {
                g.pel.retain(|n| n.id != id);
                deleted.push(id);
                count -= 1;
                continue;
            };
            let long_idle = g.nack(id).is_some_and(|n| n.long_idle);
            if !idle_enough(min_idle, long_idle) {
                continue;
            }
            g.ensure_consumer(consumer);
            if let Some(nack) = g.nack(id) {
                nack.owner = consumer.to_owned();
                nack.long_idle = false;
                if !options.just_id {
                    nack.delivery_count += 1;
                }
            }
            if options.just_id {
                claimed_ids.push(id);
            } else {
                claimed_entries.push(entry.clone());
            }
            count -= 1;
        }
        // The cursor: the next pending id after the last one visited, 0-0 at the end.
        let next = if visited_any {
            g.pel.iter().map(|n| n.id).find(|id| *id > last_visited)
        } else {
            None
        };
        Outcome::AutoClaimed(AutoClaimed {
            next: next.unwrap_or(EntryId::MIN),
            claimed: if options.just_id {
                Claimed::Ids(claimed_ids)
            } else {
                Claimed::Entries(claimed_entries)
            },
            deleted,
        })
    }
}
