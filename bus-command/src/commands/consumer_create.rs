//! `consumer-create`: XGROUP CREATECONSUMER, a consumer registered before its first read (so it shows in
//! XINFO CONSUMERS and owns nothing yet).

use std::fmt;

use bus_core::{Backend, Result, Topic};
use clap::Args;

use crate::line::Line;

/// Create a consumer in a group (XGROUP CREATECONSUMER). Prints true if it was created.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ConsumerCreate {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// The consumer.
    pub consumer: String,
}

impl ConsumerCreate {
    /// The command's name.
    pub const NAME: &'static str = "consumer-create";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<bool> {
        backend.consumer_create(&self.topic, &self.group, &self.consumer).await
    }
}

impl fmt::Display for ConsumerCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(&self.consumer)
            .fmt(f)
    }
}
