//! `consumer-delete`: XGROUP DELCONSUMER, a consumer removed with whatever it still owned (those pending
//! entries are dropped, not redelivered): the blunt cleanup; `consumer-delete-if-idle` is the safe one.

use std::fmt;

use bus_core::{Backend, Result, Topic};
use clap::Args;

use crate::line::Line;

/// Delete a consumer (XGROUP DELCONSUMER). Prints how many pending entries it still owned (they are dropped).
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ConsumerDelete {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// The consumer.
    pub consumer: String,
}

impl ConsumerDelete {
    /// The command's name.
    pub const NAME: &'static str = "consumer-delete";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<u64> {
        backend.consumer_delete(&self.topic, &self.group, &self.consumer).await
    }
}

impl fmt::Display for ConsumerDelete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(&self.consumer)
            .fmt(f)
    }
}
