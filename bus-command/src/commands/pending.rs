//! `pending`: XPENDING with a range, each pending entry with its owner, idle time and delivery count: what a
//! recovery tool inspects before claiming.

use std::fmt;

use bus_core::{Backend, PendingEntry, PendingQuery, RangeBound, Result, Topic};
use clap::Args;

use crate::args::{millis, parse_end, parse_start};
use crate::line::Line;

/// A group's pending entries from START to END, at most COUNT (XPENDING TOPIC GROUP IDLE MS START END COUNT
/// CONSUMER).
///
/// Prints an array of {"entry_id","consumer","idle_ms","delivery_count"}.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Pending {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// `-`, an id, or `(id`.
    #[arg(value_parser = parse_start)]
    pub start: RangeBound,
    /// `+`, an id, or `(id`.
    #[arg(value_parser = parse_end)]
    pub end: RangeBound,
    /// At most this many entries.
    pub count: u64,
    /// Only this consumer's entries.
    #[arg(long)]
    pub consumer: Option<String>,
    /// Only entries idle at least this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub idle: Option<u64>,
}

impl Pending {
    /// The command's name.
    pub const NAME: &'static str = "pending";

    /// The query: the range, COUNT, and the consumer and IDLE filters.
    pub fn to_query(&self) -> PendingQuery {
        let mut query = PendingQuery::new(self.start, self.end, self.count);
        if let Some(consumer) = &self.consumer {
            query = query.consumer(consumer.clone());
        }
        if let Some(idle) = self.idle {
            query = query.min_idle(millis(idle));
        }
        query
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<PendingEntry>> {
        backend.pending(&self.topic, &self.group, &self.to_query()).await
    }
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(self.start)
            .pos(self.end)
            .pos(self.count)
            .opt("--consumer", self.consumer.as_deref())
            .opt("--idle", self.idle)
            .fmt(f)
    }
}
