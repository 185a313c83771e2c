//! `expire-topic`: PEXPIRE of a topic (and whatever the backend keeps beside it): retention by time, the topic
//! deleted as by `drop-topic` once the TTL passes without another call. Writes keep the deadline; a zero TTL
//! deletes at once.

use std::fmt;

use bus_core::{Backend, Result, Topic};
use clap::Args;

use crate::args::millis;
use crate::line::Line;

/// Delete the topic once TTL_MS milliseconds have passed (PEXPIRE). Prints false when the topic does not exist.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ExpireTopic {
    /// The topic.
    pub topic: Topic,
    /// The time to live, in milliseconds (0: delete now).
    pub ttl_ms: u64,
}

impl ExpireTopic {
    /// The command's name.
    pub const NAME: &'static str = "expire-topic";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<bool> {
        backend.expire_topic(&self.topic, millis(self.ttl_ms)).await
    }
}

impl fmt::Display for ExpireTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).pos(self.ttl_ms).fmt(f)
    }
}
