//! `publish`: the bus's own write, an idempotent XADD of a message (canonical UUID in field `id`, JSON in field
//! `payload`): a UUID the topic already holds appends nothing and answers the existing entry.

use std::fmt;

use bus_core::{Backend, Message, Result, Topic, Uuid};
use clap::Args;

use crate::args::{AppendArgs, parse_uuid};
use crate::line::Line;
use crate::output::PublishedMessage;

/// Publish a bus message (canonical UUID in field `id`, JSON in field `payload`), idempotently by UUID.
///
/// Prints {"entry_id":…,"id":…,"duplicate":…} (`duplicate` is true when the topic already held the UUID and
/// nothing was appended), or null with --nomkstream on a missing topic.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Publish {
    /// The topic.
    pub topic: Topic,
    /// The payload, as JSON text (stored as given); in the `bus` CLI, `-` reads it from stdin and `@PATH` from a
    /// file.
    pub json: String,
    /// The message UUID (canonical form); a fresh random one by default.
    #[arg(long, value_parser = parse_uuid)]
    pub id: Option<Uuid>,
    /// The entry id, trimming and NOMKSTREAM.
    #[command(flatten)]
    pub options: AppendArgs,
}

impl Publish {
    /// The command's name.
    pub const NAME: &'static str = "publish";

    /// The message: the given UUID (or a fresh one) and the payload, checked to be JSON.
    pub fn to_message(&self) -> Result<Message> {
        Message::from_json(self.id.unwrap_or_else(Uuid::new_v4), self.json.clone())
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<PublishedMessage> {
        let message = self.to_message()?;
        let options = self.options.to_options()?;
        let published = backend.publish(&self.topic, &message, &options).await?;
        Ok(PublishedMessage {
            id: message.id(),
            published,
        })
    }
}

impl fmt::Display for Publish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Line::new(Self::NAME);
        line.pos(&self.topic)
            .pos(&self.json)
            .opt("--id", self.id.map(|id| id.hyphenated()));
        self.options.push(&mut line);
        line.fmt(f)
    }
}
