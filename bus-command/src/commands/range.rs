//! `range`: XRANGE, the entries of an id interval in id order: how a reader pages through history.

use std::fmt;

use bus_core::{Backend, Entry, RangeBound, Result, Topic};
use clap::Args;

use crate::args::{parse_end, parse_start};
use crate::line::Line;

/// Entries from START to END in id order (XRANGE). Prints an array of entries.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Range {
    /// The topic.
    pub topic: Topic,
    /// `-`, an id, or `(id` (exclusive).
    #[arg(value_parser = parse_start)]
    pub start: RangeBound,
    /// `+`, an id, or `(id` (exclusive).
    #[arg(value_parser = parse_end)]
    pub end: RangeBound,
    /// At most this many entries.
    #[arg(long)]
    pub count: Option<u64>,
}

impl Range {
    /// The command's name.
    pub const NAME: &'static str = "range";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<Entry>> {
        backend.range(&self.topic, self.start, self.end, self.count).await
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(self.start)
            .pos(self.end)
            .opt("--count", self.count)
            .fmt(f)
    }
}
