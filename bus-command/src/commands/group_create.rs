//! `group-create`: XGROUP CREATE, a consumer group on a topic, starting at an id (`0`: everything, `$`: only
//! what comes next): the start of every worker pool.

use std::fmt;

use bus_core::{Backend, GroupCreateOptions, GroupStart, Result, Topic};
use clap::Args;

use crate::line::Line;

/// Create a consumer group (XGROUP CREATE). Prints true.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct GroupCreate {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// The last delivered id: an id (`0`: deliver everything) or `$` (only new entries).
    pub start: GroupStart,
    /// Create the topic when it does not exist.
    #[arg(long)]
    pub mkstream: bool,
    /// How many entries the group is considered to have read (lag bookkeeping).
    #[arg(long)]
    pub entries_read: Option<u64>,
}

impl GroupCreate {
    /// The command's name.
    pub const NAME: &'static str = "group-create";

    /// The options: MKSTREAM and ENTRIESREAD.
    pub fn to_options(&self) -> GroupCreateOptions {
        let mut options = GroupCreateOptions::new();
        if self.mkstream {
            options = options.mkstream();
        }
        if let Some(n) = self.entries_read {
            options = options.entries_read(n);
        }
        options
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<()> {
        backend
            .group_create(&self.topic, &self.group, self.start, &self.to_options())
            .await
    }
}

impl fmt::Display for GroupCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(self.start)
            .flag("--mkstream", self.mkstream)
            .opt("--entries-read", self.entries_read)
            .fmt(f)
    }
}
