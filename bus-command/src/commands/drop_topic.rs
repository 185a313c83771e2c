//! `drop-topic`: DEL of the topic with its groups (and whatever the backend keeps beside it, such as the UUID index): a conversation is over. Blocked group readers are released with an error.

use std::fmt;

use bus_core::{Backend, Result, Topic};
use clap::Args;

use crate::line::Line;

/// Delete a topic with its groups (DEL). Prints true if it existed.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct DropTopic {
    /// The topic.
    pub topic: Topic,
}

impl DropTopic {
    /// The command's name.
    pub const NAME: &'static str = "drop-topic";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<bool> {
        backend.drop_topic(&self.topic).await
    }
}

impl fmt::Display for DropTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME).pos(&self.topic).fmt(f)
    }
}
