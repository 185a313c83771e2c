//! `auto-claim`: XAUTOCLAIM, scanning a group's pending list from a cursor and taking over what sat idle long
//! enough: how workers recover the entries of consumers that died, without knowing their ids.

use std::fmt;

use bus_core::{AutoClaimOptions, AutoClaimed, Backend, RangeBound, Result, Topic};
use clap::Args;

use crate::args::{millis, parse_start};
use crate::line::Line;

/// Scan the pending list and take over idle entries (XAUTOCLAIM).
///
/// Prints {"next":…,"claimed":[…],"deleted":[…]}.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct AutoClaim {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// The consumer that takes the entries.
    pub consumer: String,
    /// Only entries idle at least this many milliseconds.
    pub min_idle_ms: u64,
    /// Where the scan starts: `-`, an id, or `(id`.
    #[arg(value_parser = parse_start)]
    pub start: RangeBound,
    /// Claim at most this many entries (default 100).
    #[arg(long)]
    pub count: Option<u64>,
    /// Return ids only, without incrementing delivery counts.
    #[arg(long)]
    pub justid: bool,
}

impl AutoClaim {
    /// The command's name.
    pub const NAME: &'static str = "auto-claim";

    /// The options: COUNT and JUSTID.
    pub fn to_options(&self) -> AutoClaimOptions {
        let mut options = AutoClaimOptions::new();
        if let Some(count) = self.count {
            options = options.count(count);
        }
        if self.justid {
            options = options.just_id();
        }
        options
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<AutoClaimed> {
        let min_idle = millis(self.min_idle_ms);
        backend
            .auto_claim(
                &self.topic,
                &self.group,
                &self.consumer,
                min_idle,
                self.start,
                &self.to_options(),
            )
            .await
    }
}

impl fmt::Display for AutoClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(&self.consumer)
            .pos(self.min_idle_ms)
            .pos(self.start)
            .opt("--count", self.count)
            .flag("--justid", self.justid)
            .fmt(f)
    }
}
