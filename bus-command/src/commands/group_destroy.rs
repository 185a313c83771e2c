//! `group-destroy`: XGROUP DESTROY, a group with its consumers and pending entries: retiring a worker pool.

use std::fmt;

use bus_core::{Backend, Result, Topic};
use clap::Args;

use crate::line::Line;

/// Destroy a consumer group (XGROUP DESTROY). Prints true if it existed.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct GroupDestroy {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
}

impl GroupDestroy {
    /// The command's name.
    pub const NAME: &'static str = "group-destroy";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<bool> {
        backend.group_destroy(&self.topic, &self.group).await
    }
}

impl fmt::Display for GroupDestroy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).pos(&self.group).fmt(f)
    }
}
