//! `consumer-delete-if-idle`: XGROUP DELCONSUMER only when the consumer owns nothing and has been idle long
//! enough (XINFO CONSUMERS's idle), checked and done as one step. No single Redis command does this: a check
//! followed by a separate delete could drop entries delivered in between, which is why workers clean up idle
//! consumers with it.

use std::fmt;

use bus_core::{Backend, ConsumerDelete, Result, Topic};
use clap::Args;

use crate::args::millis;
use crate::line::Line;

/// Delete a consumer only if it owns no pending entries and has been idle at least MIN_IDLE_MS.
///
/// Prints {"deleted":true}, or {"deleted":false,…} with "pending":N (it owns entries), "idle_ms":N (seen too
/// recently) or "no_such_consumer":true.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ConsumerDeleteIfIdle {
    /// The topic.
    pub topic: Topic,
    /// The group.
    pub group: String,
    /// The consumer.
    pub consumer: String,
    /// The least idle time, in milliseconds, for the consumer to go.
    pub min_idle_ms: u64,
}

impl ConsumerDeleteIfIdle {
    /// The command's name.
    pub const NAME: &'static str = "consumer-delete-if-idle";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<ConsumerDelete> {
        backend
            .consumer_delete_if_idle(&self.topic, &self.group, &self.consumer, millis(self.min_idle_ms))
            .await
    }
}

impl fmt::Display for ConsumerDeleteIfIdle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(&self.group)
            .pos(&self.consumer)
            .pos(self.min_idle_ms)
            .fmt(f)
    }
}
