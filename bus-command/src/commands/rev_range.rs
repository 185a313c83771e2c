//! `rev-range`: XREVRANGE, the entries of an id interval newest first: how a reader finds the latest entries.

use std::fmt;

use bus_core::{Backend, Entry, RangeBound, Result, Topic};
use clap::Args;

use crate::args::{parse_end, parse_start};
use crate::line::Line;

/// Entries from END down to START (XREVRANGE). Prints an array of entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct RevRange {
    /// The topic.
    pub topic: Topic,
    /// `+`, an id, or `(id` (exclusive).
    #[arg(value_parser = parse_end)]
    pub end: RangeBound,
    /// `-`, an id, or `(id` (exclusive).
    #[arg(value_parser = parse_start)]
    pub start: RangeBound,
    /// At most this many entries.
    #[arg(long)]
    pub count: Option<u64>,
}

impl RevRange {
    /// The command's name.
    pub const NAME: &'static str = "rev-range";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<Entry>> {
        backend.rev_range(&self.topic, self.end, self.start, self.count).await
    }
}

impl fmt::Display for RevRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(self.end)
            .pos(self.start)
            .opt("--count", self.count)
            .fmt(f)
    }
}
