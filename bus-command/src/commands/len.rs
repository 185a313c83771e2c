//! `len`: XLEN, the number of entries (0 for a missing topic): the cheapest size check.

use std::fmt;

use bus_core::{Backend, Result, Topic};
use clap::Args;

use crate::line::Line;

/// The number of entries (XLEN; 0 for a missing topic).
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Len {
    /// The topic.
    pub topic: Topic,
}

impl Len {
    /// The command's name.
    pub const NAME: &'static str = "len";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<u64> {
        backend.len(&self.topic).await
    }
}

impl fmt::Display for Len {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).fmt(f)
    }
}
