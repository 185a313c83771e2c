//! `topic-ttl`: PTTL, the time left before a topic expires (see `expire-topic`): how retention by time is checked.

use std::fmt;
use std::time::Duration;

use bus_core::{Backend, Result, Topic};
use clap::Args;

use crate::line::Line;

/// The milliseconds left before the topic expires (PTTL), or null when it does not exist or has no deadline.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct TopicTtl {
    /// The topic.
    pub topic: Topic,
}

impl TopicTtl {
    /// The command's name.
    pub const NAME: &'static str = "topic-ttl";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Option<Duration>> {
        backend.topic_ttl(&self.topic).await
    }
}

impl fmt::Display for TopicTtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).fmt(f)
    }
}
