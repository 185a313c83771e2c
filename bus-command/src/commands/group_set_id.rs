//! `group-set-id`: XGROUP SETID, moving a group's last delivered id (replaying from an older id, or skipping to
//! `$`), with the entries-read counter the lag is computed from.

use std::fmt;

use bus_core::{Backend, GroupStart, Result, Topic};
use clap::Args;

use crate::args::parse_setid;
use crate::line::Line;

/// Set a group's last delivered id (XGROUP SETID). Prints true.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct GroupSetId {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// An id or `$`.
    #[arg(value_parser = parse_setid)]
    pub id: GroupStart,
    /// How many entries the group is considered to have read.
    #[arg(long)]
    pub entries_read: Option<u64>,
}

impl GroupSetId {
    /// The command's name.
    pub const NAME: &'static str = "group-set-id";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<()> {
        backend
            .group_set_id(&self.topic, &self.group, self.id, self.entries_read)
            .await
    }
}

impl fmt::Display for GroupSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(self.id)
            .opt("--entries-read", self.entries_read)
            .fmt(f)
    }
}
