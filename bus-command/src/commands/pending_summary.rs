//! `pending-summary`: XPENDING without a range, a group's pending entries counted per consumer: the quick look
//! at how much work is in flight and who holds it.

use std::fmt;

use bus_core::{Backend, PendingSummary as Summary, Result, Topic};
use clap::Args;

use crate::line::Line;

/// A group's pending entries in summary (XPENDING TOPIC GROUP).
///
/// Prints {"count":N,"min":…,"max":…,"consumers":{"name":N}}.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct PendingSummary {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
}

impl PendingSummary {
    /// The command's name.
    pub const NAME: &'static str = "pending-summary";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Summary> {
        backend.pending_summary(&self.topic, &self.group).await
    }
}

impl fmt::Display for PendingSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).pos(&self.group).fmt(f)
    }
}
