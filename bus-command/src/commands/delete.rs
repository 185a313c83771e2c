//! `delete`: XDEL, removing given entries (they leave tombstones in their node, which trimming and lag
//! bookkeeping account for); a group's pending entries for them stay, reported as deleted on history reads.

use std::fmt;

use bus_core::{Backend, EntryId, Result, Topic};
use clap::Args;

use crate::line::Line;

/// Delete entries (XDEL). Prints how many were removed.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Delete {
    /// The topic.
    pub topic: Topic,
    /// Entry ids.
    #[arg(value_name = "ID", required = true, num_args = 1..)]
    pub ids: Vec<EntryId>,
}

impl Delete {
    /// The command's name.
    pub const NAME: &'static str = "delete";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<u64> {
        backend.delete(&self.topic, &self.ids).await
    }
}

impl fmt::Display for Delete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).all(&self.ids).fmt(f)
    }
}
