//! `read-after-message`: a CLI convenience, not a trait method: the entries after the one holding a message
//! UUID (`lookup`, then XREAD after the entry found), which is how a reader resumes from the last message it
//! handled when it kept only its UUID.

use std::fmt;

use bus_core::{Backend, Entry, Error, ReadCursor, ReadOptions, Result, Topic, Uuid};
use clap::Args;

use crate::args::parse_uuid;
use crate::line::Line;

/// Entries after the entry holding a message UUID (looked up first). Prints an array of entries; an error when
/// no entry holds the UUID.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ReadAfterMessage {
    /// The topic.
    pub topic: Topic,
    /// The message UUID.
    #[arg(value_parser = parse_uuid)]
    pub uuid: Uuid,
    /// At most this many entries.
    #[arg(long)]
    pub count: Option<u64>,
}

impl ReadAfterMessage {
    /// The command's name.
    pub const NAME: &'static str = "read-after-message";

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<Entry>> {
        let after = backend
            .lookup(&self.topic, self.uuid)
            .await?
            .ok_or_else(|| Error::UnknownCursor {
                topic: self.topic.to_string(),
                uuid: self.uuid,
            })?;
        let mut options = ReadOptions::new();
        if let Some(count) = self.count {
            options = options.count(count);
        }
        let reply = backend
            .read(&[(self.topic.clone(), ReadCursor::After(after))], &options)
            .await?;
        Ok(reply.into_entries().collect())
    }
}

impl fmt::Display for ReadAfterMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line::new(Self::NAME)
            .pos(&self.topic)
            .pos(self.uuid.hyphenated())
            .opt("--count", self.count)
            .fmt(f)
    }
}
