//! `read`: XREAD, the entries after a cursor on one or several topics, optionally blocking: the fan-out read
//! (server-sent events, tails) that involves no group.

use std::fmt;

use bus_core::{Backend, Entry, ReadCursor, ReadOptions, ReadReply, Result};
use clap::Args;

use crate::args::millis;
use crate::line::Line;
use crate::streams::Streams;

/// Entries after a cursor on each topic (XREAD … STREAMS TOPIC… CURSOR…).
///
/// Prints [{"topic":…,"entries":[…]},…] for the topics that had entries (an empty array when none had), or null
/// when a block timed out.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Read {
    /// The topics, then a cursor for each.
    #[command(flatten)]
    pub streams: Streams<ReadCursor>,
    /// At most this many entries per topic.
    #[arg(long)]
    pub count: Option<u64>,
    /// Wait up to this many milliseconds for entries (0: forever).
    #[arg(long, value_name = "MS")]
    pub block: Option<u64>,
}

impl Read {
    /// The command's name.
    pub const NAME: &'static str = "read";

    /// The read options: COUNT and BLOCK.
    pub fn to_options(&self) -> ReadOptions {
        let mut options = ReadOptions::new();
        if let Some(count) = self.count {
            options = options.count(count);
        }
        if let Some(block) = self.block {
            options = options.block(millis(block));
        }
        options
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<ReadReply<Entry>> {
        backend.read(self.streams.cursors(), &self.to_options()).await
    }
}

impl fmt::Display for Read {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Line::new(Self::NAME);
        self.streams.push(&mut line);
        line.opt("--count", self.count).opt("--block", self.block).fmt(f)
    }
}
