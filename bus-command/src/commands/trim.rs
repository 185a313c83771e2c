//! `trim`: XTRIM, retention: keep the newest N entries or those at or above an id, exactly or (`--approx`) by
//! whole nodes.

use std::fmt;

use bus_core::{Backend, Error, Result, Topic, Trim as TrimSpec};
use clap::Args;

use crate::args::TrimArgs;
use crate::line::Line;

/// Trim a topic (XTRIM). Prints how many entries were removed.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
#[command(group(clap::ArgGroup::new("strategy").required(true).args(["maxlen", "minid"])))]
pub struct Trim {
    /// The topic.
    pub topic: Topic,
    /// What to keep.
    #[command(flatten)]
    pub trim: TrimArgs,
}

impl Trim {
    /// The command's name.
    pub const NAME: &'static str = "trim";

    /// The trim asked for (`--maxlen` or `--minid` is required).
    pub fn to_trim(&self) -> Result<TrimSpec> {
        self.trim.to_trim()?.ok_or_else(Error::syntax)
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<u64> {
        backend.trim(&self.topic, &self.to_trim()?).await
    }
}

impl fmt::Display for Trim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Line::new(Self::NAME);
        line.pos(&self.topic);
        self.trim.push(&mut line);
        line.fmt(f)
    }
}
