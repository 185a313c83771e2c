//! `tail`: a CLI convenience, not a trait method: the last entries of a topic, oldest first (XREVRANGE + - COUNT
//! n, reversed, as `Bus::tail` reads them); with `--follow` the CLI then prints every new entry ([`crate::Follow`]).

use std::fmt;

use bus_core::{Backend, Entry, RangeBound, Result, Topic};
use clap::Args;

use crate::line::Line;

/// How many entries `tail` prints when `--count` is not given.
pub const DEFAULT_TAIL: u64 = 10;

/// The last entries of a topic, oldest first; with --follow, then every new entry, one line each.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Tail {
    /// The topic.
    pub topic: Topic,
    /// How many of the last entries (default 10).
    #[arg(long)]
    pub count: Option<u64>,
    /// Keep printing new entries as they arrive, one JSON line per entry (not in the shell).
    #[arg(long)]
    pub follow: bool,
}

impl Tail {
    /// The command's name.
    pub const NAME: &'static str = "tail";

    /// The last entries, oldest first (`--follow` is the caller's job).
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<Entry>> {
        let count = self.count.unwrap_or(DEFAULT_TAIL);
        let mut entries = backend
            .rev_range(&self.topic, RangeBound::MAX, RangeBound::MIN, Some(count))
            .await?;
        entries.reverse();
        Ok(entries)
    }
}

impl fmt::Display for Tail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .opt("--count", self.count)
            .flag("--follow", self.follow)
            .fmt(f)
    }
}
