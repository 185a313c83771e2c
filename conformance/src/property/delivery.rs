//! The delivery invariants of [`super::Profile::Delivery`] runs, tracked from the backend's answers only: `>`
//! delivers every entry appended after a group's start exactly once (unless it was removed before delivery),
//! never again after its ack, and delivery counts never go down while an entry stays pending.

use std::collections::BTreeMap;

use bus_command::{Command, Output};
use bus_core::{Backend, EntryId, GroupCursor, GroupEntry, ReadGroupOptions, ReadReply, Topic};

use super::observe::{GroupSnapshot, Snapshot};
use crate::model::Reply;

/// What the invariants track of one group.
#[derive(Debug, Default)]
struct GroupLedger {
    start: EntryId,
    appended: Vec<EntryId>,
    delivered: Vec<EntryId>,
    acked: Vec<EntryId>,
    removed_before_delivery: Vec<EntryId>,
}

/// The ledgers of every group that exists, by topic and group.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    groups: BTreeMap<(Topic, String), GroupLedger>,
}

fn group_of<'a>(snapshot: &'a Snapshot, topic: &Topic, group: &str) -> Option<&'a GroupSnapshot> {
    snapshot
        .iter()
        .find(|(t, _)| t == topic)
        .and_then(|(_, t)| t.groups.iter().find(|g| g.info.name == group))
}

fn entry_ids(snapshot: &Snapshot, topic: &Topic) -> Vec<EntryId> {
    snapshot
        .iter()
        .find(|(t, _)| t == topic)
        .map(|(_, t)| t.entries.iter().map(|e| e.id).collect())
        .unwrap_or_default()
}

fn pending_ids(snapshot: &Snapshot, topic: &Topic, group: &str) -> Vec<(EntryId, u64)> {
    group_of(snapshot, topic, group).map_or_else(Vec::new, |g| g.pending.iter().map(|p| (p.0, p.2)).collect())
}

/// The entries a command reported appending (a publish that found a duplicate appends nothing).
fn reported_appends(command: &Command, got: &Reply) -> Vec<EntryId> {
    match (command, got) {
        (Command::Append(_), Ok(Output::Id(Some(id)))) => vec![*id],
        (_, Ok(Output::Published(message))) => message
            .published
            .filter(|p| !p.duplicate)
            .map(|p| p.entry_id)
            .into_iter()
            .collect(),
        (_, Ok(Output::PublishedBatch(batch))) => batch
            .iter()
            .filter_map(|m| m.published.filter(|p| !p.duplicate).map(|p| p.entry_id))
            .collect(),
        _ => Vec::new(),
    }
}

impl Ledger {
    /// Accounts for one step: `command` answered `got`, moving the backend from `before` to `after`.
    pub(super) fn observe(
        &mut self,
        command: &Command,
        got: &Reply,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Result<(), String> {
        // A group that no longer exists (destroyed, or its topic dropped or expired) takes its ledger with it.
        self.groups
            .retain(|(topic, group), _| group_of(after, topic, group).is_some());
        if let (Command::GroupCreate(create), Ok(Output::Done)) = (command, got) {
            let start =
                group_of(after, &create.topic, &create.group).map_or(EntryId::MIN, |g| g.info.last_delivered_id);
            self.groups.insert(
                (create.topic.clone(), create.group.clone()),
                GroupLedger {
                    start,
                    ..GroupLedger::default()
                },
            );
        }
        if let (Command::ReadGroup(read), Ok(Output::GroupRead(ReadReply::Topics(topics)))) = (command, got) {
            for served in topics {
                let by_new = read
                    .streams
                    .cursors()
                    .iter()
                    .any(|(topic, cursor)| *topic == served.topic && *cursor == GroupCursor::New);
                let Some(ledger) = self.groups.get_mut(&(served.topic.clone(), read.group.clone())) else {
                    continue;
                };
                if !by_new {
                    continue;
                }
                for entry in &served.entries {
                    let id = entry.id();
                    if ledger.acked.contains(&id) {
                        return Err(format!(
                            "`>` delivered {id} of {} again after it was acknowledged",
                            served.topic
                        ));
                    }
                    if ledger.delivered.contains(&id) {
                        return Err(format!("`>` delivered {id} of {} twice", served.topic));
                    }
                    ledger.delivered.push(id);
                }
            }
        }
        let reported = reported_appends(command, got);
        for ((topic, group), ledger) in &mut self.groups {
            let (was, now) = (entry_ids(before, topic), entry_ids(after, topic));
            // What the command appended here: what it reported (even if trimmed at once), and what appeared (a
            // batch that failed half-way reports nothing).
            let mut appended: Vec<EntryId> = now.iter().filter(|id| !was.contains(id)).copied().collect();
            if command_topic(command) == Some(topic) {
                appended.extend(&reported);
            }
            appended.sort();
            appended.dedup();
            for id in &appended {
                if *id > ledger.start && !ledger.appended.contains(id) {
                    ledger.appended.push(*id);
                }
            }
            for id in was.iter().chain(&appended).filter(|id| !now.contains(id)) {
                if !ledger.delivered.contains(id) && !ledger.removed_before_delivery.contains(id) {
                    ledger.removed_before_delivery.push(*id);
                }
            }
            let (pending_was, pending_now) = (pending_ids(before, topic, group), pending_ids(after, topic, group));
            if let Command::Ack(ack) = command
                && ack.topic == *topic
                && ack.group == *group
            {
                for id in &ack.ids {
                    if pending_was.iter().any(|p| p.0 == *id) && !pending_now.iter().any(|p| p.0 == *id) {
                        ledger.acked.push(*id);
                    }
                }
            }
            for (id, count) in &pending_now {
                if let Some((_, previous)) = pending_was.iter().find(|p| p.0 == *id)
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
    pub(super) async fn finish(&mut self, backend: &dyn Backend) -> Result<(), String> {
        for ((topic, group), ledger) in &mut self.groups {
            let reply = backend
                .read_group(
                    group,
                    "drain",
                    &[(topic.clone(), GroupCursor::New)],
                    &ReadGroupOptions::new(),
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

/// The one topic an appending command writes to.
fn command_topic(command: &Command) -> Option<&Topic> {
    match command {
        Command::Append(c) => Some(&c.topic),
        Command::Publish(c) => Some(&c.topic),
        Command::PublishBatch(c) => Some(&c.topic),
        _ => None,
    }
}
