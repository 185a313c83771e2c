//! `read-group`: XREADGROUP, how a group consumer gets work: new entries (`>`, which become its pending
//! entries) or its own pending history (an id), on one or several topics, optionally blocking.

use std::fmt;

use bus_core::{Backend, GroupCursor, GroupEntry, ReadGroupOptions, ReadReply, Result};
use clap::Args;

use crate::args::millis;
use crate::line::Line;
use crate::streams::Streams;

/// Read as a group consumer (XREADGROUP GROUP GROUP CONSUMER … STREAMS TOPIC… CURSOR…).
///
/// Prints [{"topic":…,"entries":[…]},…]: with `>` the topics that had new entries, with an id every topic
/// (possibly with no entries); null when a block timed out. Every topic's group is checked before any is read.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ReadGroup {
    /// The group.
    pub group: String,
    /// The consumer (created on its first read).
    pub consumer: String,
    /// The topics, then a cursor for each.
    #[command(flatten)]
    pub streams: Streams<GroupCursor>,
    /// At most this many entries per topic.
    #[arg(long)]
    pub count: Option<u64>,
    /// Wait up to this many milliseconds for new entries (0: forever).
    #[arg(long, value_name = "MS")]
    pub block: Option<u64>,
    /// Do not add delivered entries to the pending list.
    #[arg(long)]
    pub noack: bool,
}

impl ReadGroup {
    /// The command's name.
    pub const NAME: &'static str = "read-group";

    /// The read options: COUNT, BLOCK and NOACK.
    pub fn to_options(&self) -> ReadGroupOptions {
        let mut options = ReadGroupOptions::new();
        if let Some(count) = self.count {
            options = options.count(count);
        }
        if let Some(block) = self.block {
            options = options.block(millis(block));
        }
        if self.noack {
            options = options.no_ack();
        }
        options
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<ReadReply<GroupEntry>> {
        backend
            .read_group(&self.group, &self.consumer, self.streams.cursors(), &self.to_options())
            .await
    }
}

impl fmt::Display for ReadGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Line::new(Self::NAME);
        line.pos(&self.group).pos(&self.consumer);
        self.streams.push(&mut line);
        line.opt("--count", self.count)
            .opt("--block", self.block)
            .flag("--noack", self.noack)
            .fmt(f)
    }
}
