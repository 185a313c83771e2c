//! The model's claims: XCLAIM and XAUTOCLAIM (`xclaimCommand`, `xautoclaimCommand`).

use std::time::Duration;

use bus_core::{AutoClaimOptions, AutoClaimed, ClaimOptions, Claimed, Entry, EntryId, GroupCommand, RangeBound, Topic};

use super::group::{GroupModel, PendingEntryModel};
use super::{LONG_IDLE, Model, idle_enough, no_group};

impl Model {
    /// The live entries and the group of XPENDING, XCLAIM and XAUTOCLAIM (their NOGROUP wording).
    fn pending_group(&mut self, topic: &Topic, group: &str) -> Result<(Vec<Entry>, &mut GroupModel), String> {
        let missing = || no_group(topic, group, GroupCommand::Pending);
        let stream = self.stream_mut(topic).ok_or_else(missing)?;
        let live = stream.entries.clone();
        let g = stream.group_mut(group).ok_or_else(missing)?;
        Ok((live, g))
    }

    pub(super) fn xclaim(
        &mut self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        ids: &[EntryId],
        options: &ClaimOptions,
    ) -> Result<Claimed, String> {
        let (live, g) = self.pending_group(topic, group)?;
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
                g.pending.retain(|p| p.id != *id);
                continue;
            };
            let mut fresh = false;
            if options.force && g.pending_entry(*id).is_none() {
                // `streamCreateNACK(NULL)`: no owner yet, delivery count 1.
                g.insert_pending(PendingEntryModel::delivered(*id, ""));
                fresh = true;
            }
            let Some(idle_ok) = g.pending_entry(*id).map(|p| p.long_idle) else {
                continue;
            };
            // The idle check applies to pending entries that have an owner.
            if !(fresh || idle_enough(min_idle, idle_ok)) {
                continue;
            }
            g.ensure_consumer(consumer);
            if let Some(pending) = g.pending_entry(*id) {
                pending.owner = consumer.to_owned();
                pending.long_idle = long_idle;
                if let Some(n) = options.retry_count {
                    pending.delivery_count = n;
                } else if !options.just_id {
                    pending.delivery_count += 1;
                }
            }
            if options.just_id {
                claimed_ids.push(*id);
            } else {
                claimed_entries.push(entry.clone());
            }
        }
        Ok(if options.just_id {
            Claimed::Ids(claimed_ids)
        } else {
            Claimed::Entries(claimed_entries)
        })
    }

    /// `xautoclaimCommand`.
    pub(super) fn xautoclaim(
        &mut self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        start: RangeBound,
        options: &AutoClaimOptions,
    ) -> Result<AutoClaimed, String> {
        let start = start.resolve_start().map_err(|err| err.to_string())?;
        let (live, g) = self.pending_group(topic, group)?;
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
            let Some(id) = g.pending.iter().map(|p| p.id).find(|id| *id >= cursor) else {
                break;
            };
            visited_any = true;
            last_visited = id;
            cursor = id.next().unwrap_or(EntryId::MAX);
            let Some(entry) = live.iter().find(|e| e.id == id) else {
                g.pending.retain(|p| p.id != id);
                deleted.push(id);
                count -= 1;
                continue;
            };
            let long_idle = g.pending_entry(id).is_some_and(|p| p.long_idle);
            if !idle_enough(min_idle, long_idle) {
                continue;
            }
            g.ensure_consumer(consumer);
            if let Some(pending) = g.pending_entry(id) {
                pending.owner = consumer.to_owned();
                pending.long_idle = false;
                if !options.just_id {
                    pending.delivery_count += 1;
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
            g.pending.iter().map(|p| p.id).find(|id| *id > last_visited)
        } else {
            None
        };
        Ok(AutoClaimed {
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
