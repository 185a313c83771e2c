//! `lookup`: the entry holding a message UUID (the bus's UUID index; no single Redis command: an indexed
//! backend answers from its index, others scan with XRANGE). It is how a reader resumes after a message it knows
//! only by UUID.

use std::fmt;

use bus_core::{Backend, EntryId, Result, Topic, Uuid};
use clap::Args;

use crate::args::parse_uuid;
use crate::line::Line;

/// The entry id of a message UUID (the oldest entry holding it), or null.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Lookup {
    /// The topic.
    pub topic: Topic,
    /// The message UUID.
    #[arg(value_parser = parse_uuid)]
    pub uuid: Uuid,
}

impl Lookup {
    /// The command's name.
    pub const NAME: &'static str = "lookup";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Option<EntryId>> {
        backend.lookup(&self.topic, self.uuid).await
    }
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(self.uuid.hyphenated())
            .fmt(f)
    }
}
