//! `claim`: XCLAIM, taking over given pending entries idle long enough (a crashed consumer's work), or with
//! JUSTID keeping one's own entry alive during a long job.

use std::fmt;

use bus_core::{Backend, ClaimOptions, Claimed, EntryId, Result, Topic};
use clap::Args;

use crate::args::millis;
use crate::line::Line;

/// Take over pending entries (XCLAIM). Prints the claimed entries (their ids with --justid).
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Claim {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// The consumer that takes the entries.
    pub consumer: String,
    /// Only entries idle at least this many milliseconds.
    pub min_idle_ms: u64,
    /// Entry ids.
    #[arg(value_name = "ID", required = true, num_args = 1..)]
    pub ids: Vec<EntryId>,
    /// Set the claimed entries' idle time to this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub idle: Option<u64>,
    /// Set their last delivery to this Unix time in milliseconds.
    #[arg(long, value_name = "MS")]
    pub time: Option<u64>,
    /// Set their delivery count.
    #[arg(long)]
    pub retrycount: Option<u64>,
    /// Claim ids that are not pending too (if they exist).
    #[arg(long)]
    pub force: bool,
    /// Return ids only, without incrementing delivery counts.
    #[arg(long)]
    pub justid: bool,
    /// Raise the group's last delivered id to this id if it is below.
    #[arg(long)]
    pub lastid: Option<EntryId>,
}

impl Claim {
    /// The command's name.
    pub const NAME: &'static str = "claim";

    /// The options: IDLE, TIME, RETRYCOUNT, FORCE, JUSTID and LASTID.
    pub fn to_options(&self) -> ClaimOptions {
        let mut options = ClaimOptions::new();
        if let Some(idle) = self.idle {
            options = options.idle(millis(idle));
        }
        if let Some(time) = self.time {
            options = options.time(time);
        }
        if let Some(n) = self.retrycount {
            options = options.retry_count(n);
        }
        if self.force {
            options = options.force();
        }
        if self.justid {
            options = options.just_id();
        }
        if let Some(id) = self.lastid {
            options = options.last_id(id);
        }
        options
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Claimed> {
        let min_idle = millis(self.min_idle_ms);
        backend
            .claim(
                &self.topic,
                &self.group,
                &self.consumer,
                min_idle,
                &self.ids,
                &self.to_options(),
            )
            .await
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(&self.consumer)
            .pos(self.min_idle_ms)
            .all(&self.ids)
            .opt("--idle", self.idle)
            .opt("--time", self.time)
            .opt("--retrycount", self.retrycount)
            .flag("--force", self.force)
            .flag("--justid", self.justid)
            .opt("--lastid", self.lastid)
            .fmt(f)
    }
}
