//! `consumers-info`: XINFO CONSUMERS, a group's consumers with what each owns and how long since it was seen:
//! how dead consumers are spotted.

use std::fmt;

use bus_core::{Backend, ConsumerInfo, Result, Topic};
use clap::Args;

use crate::line::Line;

/// A group's consumers (XINFO CONSUMERS): name, pending, idle_ms.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ConsumersInfo {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
}

impl ConsumersInfo {
    /// The command's name.
    pub const NAME: &'static str = "consumers-info";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<ConsumerInfo>> {
        backend.consumers_info(&self.topic, &self.group).await
    }
}

impl fmt::Display for ConsumersInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).pos(&self.group).fmt(f)
    }
}
