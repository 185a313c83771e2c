//! `stream-info`: XINFO STREAM, a topic's length, ids, counters, first and last entries: the overview of one topic.

use std::fmt;

use bus_core::{Backend, Result, StreamInfo as Info, Topic};
use clap::Args;

use crate::line::Line;

/// Stream information (XINFO STREAM): length, last generated and largest deleted ids, entries added, first and last entries, number of groups.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct StreamInfo {
    /// The topic.
    pub topic: Topic,
}

impl StreamInfo {
    /// The command's name.
    pub const NAME: &'static str = "stream-info";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Info> {
        backend.stream_info(&self.topic).await
    }
}

impl fmt::Display for StreamInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).fmt(f)
    }
}
