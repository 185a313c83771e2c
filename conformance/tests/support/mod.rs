//! Deliberately broken backends for the mutant tests: [`MemoryBackend`] behind one wrapper that delegates every
//! method and breaks exactly one behaviour, chosen by [`Bug`]; and [`catches`], which runs the whole suite on a
//! mutant and lists what caught it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bus_core::forward::{Forward, Forwarding};
use bus_core::{
    Backend, ClaimOptions, Claimed, Entry, EntryId, GroupCursor, GroupEntry, GroupInfo, PendingEntry, PendingQuery,
    RangeBound, ReadCursor, ReadGroupOptions, ReadOptions, ReadReply, Result, Topic, TopicEntries,
};
use bus_memory::MemoryBackend;
use conformance::property::{Profile, Settings};
use conformance::{BackendFactory, Capabilities, Instance};

/// The one behaviour a mutant breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// None: the control, which must pass everything (so what catches a mutant is its bug, not the wrapper).
    Nothing,
    /// XACK answers the right count but acknowledges nothing.
    AckDoesNothing,
    /// `>` hands out entries again after they were acknowledged.
    RedeliversAcked,
    /// XREAD after a cursor includes the cursor's own entry.
    CursorIncludesItself,
    /// XREAD after a cursor skips the first entry after it.
    CursorSkipsFirst,
    /// XCLAIM answers as if it claimed, but the entries keep their old owner.
    ClaimKeepsOwner,
    /// History reads and XCLAIM do not increment delivery counts.
    DeliveryCountFrozen,
    /// A blocked group read served at (or after) its deadline returns `None`, dropping what it was served.
    BlockDropsOnTimeout,
    /// XINFO GROUPS's lag is one less than it should be.
    LagOffByOne,
}

/// [`MemoryBackend`] with one [`Bug`].
#[derive(Debug)]
pub struct Mutant {
    inner: MemoryBackend,
    bug: Bug,
    /// For [`Bug::RedeliversAcked`]: acknowledged entries, per topic and group, waiting to be handed out again.
    acked: Mutex<Vec<(Topic, String, Entry)>>,
}

fn one(id: EntryId) -> PendingQuery {
    PendingQuery::new(RangeBound::Inclusive(id), RangeBound::Inclusive(id), 1)
}

impl Mutant {
    fn new(bug: Bug) -> Mutant {
        Mutant {
            inner: MemoryBackend::new(),
            bug,
            acked: Mutex::new(Vec::new()),
        }
    }

    fn has(&self, bug: Bug) -> bool {
        self.bug == bug
    }

    /// The pending entry with this id, if any.
    async fn pending_entry(&self, topic: &Topic, group: &str, id: EntryId) -> Option<PendingEntry> {
        let pending = self.inner.pending(topic, group, &one(id)).await.ok()?;
        pending.into_iter().next()
    }

    /// The distinct ids of `ids` that are pending in the group.
    async fn pending_ids(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Vec<EntryId> {
        let mut unique = ids.to_vec();
        unique.sort();
        unique.dedup();
        let mut pending = Vec::new();
        for id in unique {
            if self.pending_entry(topic, group, id).await.is_some() {
                pending.push(id);
            }
        }
        pending
    }

    /// A cursor moved by the cursor bugs.
    async fn shift(&self, topic: &Topic, cursor: ReadCursor) -> Result<ReadCursor> {
        let ReadCursor::After(after) = cursor else {
            return Ok(cursor);
        };
        Ok(match self.bug {
            Bug::CursorIncludesItself => ReadCursor::After(after.prev().unwrap_or(after)),
            Bug::CursorSkipsFirst => {
                let first = self
                    .inner
                    .range(topic, RangeBound::Exclusive(after), RangeBound::MAX, Some(1))
                    .await?;
                ReadCursor::After(first.first().map_or(after, |e| e.id))
            }
            _ => cursor,
        })
    }

    /// Restores delivery counts (and owners) with `XCLAIM … JUSTID RETRYCOUNT`, which changes neither.
    async fn restore(&self, topic: &Topic, group: &str, before: Vec<PendingEntry>, keep_owner: bool) -> Result<()> {
        for old in before {
            let Some(now) = self.pending_entry(topic, group, old.id).await else {
                continue;
            };
            let owner = if keep_owner { &old.consumer } else { &now.consumer };
            let options = ClaimOptions::new().just_id().retry_count(if keep_owner {
                now.delivery_count
            } else {
                old.delivery_count
            });
            self.inner
                .claim(topic, group, owner, Duration::ZERO, &[old.id], &options)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Forward for Mutant {
    fn inner(&self) -> &dyn Backend {
        &self.inner
    }

    async fn read(&self, cursors: &[(Topic, ReadCursor)], options: &ReadOptions) -> Result<ReadReply<Entry>> {
        let mut shifted = Vec::with_capacity(cursors.len());
        for (topic, cursor) in cursors {
            shifted.push((topic.clone(), self.shift(topic, *cursor).await?));
        }
        self.inner.read(&shifted, options).await
    }
    async fn read_group(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
    ) -> Result<ReadReply<GroupEntry>> {
        let mut counts = Vec::new();
        if self.has(Bug::DeliveryCountFrozen) {
            for (topic, cursor) in cursors {
                if let GroupCursor::History(_) = cursor {
                    let query = PendingQuery::all(1000).consumer(consumer);
                    counts.push((
                        topic.clone(),
                        self.inner.pending(topic, group, &query).await.unwrap_or_default(),
                    ));
                }
            }
        }
        let started = tokio::time::Instant::now();
        let mut reply = self.inner.read_group(group, consumer, cursors, options).await?;
        for (topic, before) in counts {
            self.restore(&topic, group, before, false).await?;
        }
        if self.has(Bug::BlockDropsOnTimeout)
            && let Some(block) = options.block.filter(|b| !b.is_zero())
            && !reply.topics().is_empty()
            && started.elapsed() >= block
        {
            return Ok(ReadReply::TimedOut);
        }
        if self.has(Bug::RedeliversAcked)
            && let ReadReply::Topics(served) = &mut reply
        {
            let mut acked = self.acked.lock().unwrap_or_else(PoisonError::into_inner);
            for (topic, cursor) in cursors {
                if *cursor != GroupCursor::New {
                    continue;
                }
                let again: Vec<GroupEntry> = acked
                    .iter()
                    .filter(|(t, g, _)| t == topic && g == group)
                    .map(|(_, _, e)| GroupEntry::Present(e.clone()))
                    .collect();
                if again.is_empty() {
                    continue;
                }
                acked.retain(|(t, g, _)| !(t == topic && g == group));
                match served.iter_mut().find(|t| t.topic == *topic) {
                    Some(entries) => entries.entries.splice(0..0, again).for_each(drop),
                    None => served.push(TopicEntries {
                        topic: topic.clone(),
                        entries: again,
                    }),
                }
            }
        }
        Ok(reply)
    }
    async fn ack(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64> {
        match self.bug {
            Bug::AckDoesNothing => Ok(self.pending_ids(topic, group, ids).await.len() as u64),
            Bug::RedeliversAcked => {
                let pending = self.pending_ids(topic, group, ids).await;
                let acked = self.inner.ack(topic, group, ids).await?;
                for id in pending {
                    let entry = self
                        .inner
                        .range(topic, RangeBound::Inclusive(id), RangeBound::Inclusive(id), Some(1))
                        .await?;
                    let mut stash = self.acked.lock().unwrap_or_else(PoisonError::into_inner);
                    stash.extend(entry.into_iter().map(|e| (topic.clone(), group.to_owned(), e)));
                }
                Ok(acked)
            }
            _ => self.inner.ack(topic, group, ids).await,
        }
    }
    async fn claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        ids: &[EntryId],
        options: &ClaimOptions,
    ) -> Result<Claimed> {
        let mut before = Vec::new();
        if self.has(Bug::ClaimKeepsOwner) || (self.has(Bug::DeliveryCountFrozen) && !options.just_id) {
            for id in ids {
                before.extend(self.pending_entry(topic, group, *id).await);
            }
        }
        let claimed = self.inner.claim(topic, group, consumer, min_idle, ids, options).await?;
        let claimed_ids = claimed.ids();
        before.retain(|p| claimed_ids.contains(&p.id));
        self.restore(topic, group, before, self.has(Bug::ClaimKeepsOwner))
            .await?;
        Ok(claimed)
    }
    async fn groups_info(&self, topic: &Topic) -> Result<Vec<GroupInfo>> {
        let mut groups = self.inner.groups_info(topic).await?;
        if self.has(Bug::LagOffByOne) {
            for group in &mut groups {
                group.lag = group.lag.map(|lag| lag.saturating_sub(1));
            }
        }
        Ok(groups)
    }
}

/// Makes mutants with the memory backend's capabilities.
pub struct Mutants(pub Bug);

#[async_trait]
impl BackendFactory for Mutants {
    async fn create(&self) -> Option<Instance> {
        Some(Instance::new(Arc::new(Forwarding(Mutant::new(self.0)))))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }
}

/// Cases per property on a mutant: enough to catch every mutant here with the fixed seed, few enough to be fast.
const CASES: u32 = 48;

/// Runs every named check and both properties (fixed seed, [`CASES`] cases) on the mutant; returns what failed,
/// each with the first line of its failure, and prints them.
pub fn catches(bug: Bug) -> Vec<String> {
    let factory = Mutants(bug);
    let mut caught = Vec::new();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let Ok(runtime) = runtime else {
        return vec!["(no runtime: cannot run the checks)".into()];
    };
    for check in conformance::checks::all() {
        if let Err(failure) = runtime.block_on(conformance::run_check(&factory, &check)) {
            caught.push(format!("check {}: {}", check.path(), first_line(&failure.0)));
        }
    }
    drop(runtime);
    for profile in [Profile::Full, Profile::Delivery] {
        if let Err(failure) = conformance::property::model_property_with(&factory, profile, &Settings::fixed(CASES, 7))
        {
            caught.push(format!("property {profile:?}: {}", first_line(&failure)));
        }
    }
    eprintln!("{bug:?} caught by:");
    for line in &caught {
        eprintln!("  {line}");
    }
    caught
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}
