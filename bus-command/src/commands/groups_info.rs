//! `groups-info`: XINFO GROUPS, every group of a topic with its consumers, pending count, last delivered id, entries read and lag: how far behind each worker pool is.

use std::fmt;

use bus_core::{Backend, GroupInfo, Result, Topic};
use clap::Args;

use crate::line::Line;

/// The topic's consumer groups (XINFO GROUPS): name, consumers, pending, last delivered id, entries read, lag.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct GroupsInfo {
    /// The topic.
    pub topic: Topic,
}

impl GroupsInfo {
    /// The command's name.
    pub const NAME: &'static str = "groups-info";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<GroupInfo>> {
        backend.groups_info(&self.topic).await
    }
}

impl fmt::Display for GroupsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).fmt(f)
    }
}
