//! `ack`: XACK, a consumer's "done": the entries leave the group's pending list and are never redelivered.

use std::fmt;

use bus_core::{Backend, EntryId, Result, Topic};
use clap::Args;

use crate::line::Line;

/// Acknowledge entries (XACK). Prints how many were pending.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Ack {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// Entry ids.
    #[arg(value_name = "ID", required = true, num_args = 1..)]
    pub ids: Vec<EntryId>,
}

impl Ack {
    /// The command's name.
    pub const NAME: &'static str = "ack";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<u64> {
        backend.ack(&self.topic, &self.group, &self.ids).await
    }
}

impl fmt::Display for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .all(&self.ids)
            .fmt(f)
    }
}
