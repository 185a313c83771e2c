//! `publish-batch`: several messages to one topic in one call, each published exactly as `publish` would (a
//! UUID repeated within the batch is a duplicate of its first occurrence). It is how producers amortise round
//! trips: a Redis backend sends the batch as one MULTI/EXEC of its publish script.

use std::fmt;

use bus_core::{Backend, Error, Message, Result, Topic, Uuid};
use clap::Args;

use crate::args::{AppendArgs, parse_uuid};
use crate::line::Line;
use crate::output::PublishedMessage;

/// Publish several messages to one topic in one call, in order, each idempotently by UUID.
///
/// Prints an array with one element per message: {"entry_id":…,"id":…,"duplicate":…}, or null with
/// --nomkstream on a missing topic.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct PublishBatch {
    /// The topic.
    pub topic: Topic,
    /// The payloads, as JSON text, one per message; in the `bus` CLI, `@PATH` reads one from a file and `-` (once)
    /// from stdin.
    #[arg(value_name = "JSON", required = true, num_args = 1..)]
    pub payloads: Vec<String>,
    /// The messages' UUIDs, in order, one per payload (repeat the option); fresh random ones by default.
    #[arg(long = "id", value_name = "UUID", value_parser = parse_uuid)]
    pub ids: Vec<Uuid>,
    /// The entry id, trimming and NOMKSTREAM.
    #[command(flatten)]
    pub options: AppendArgs,
}

impl PublishBatch {
    /// The command's name.
    pub const NAME: &'static str = "publish-batch";

    /// The messages: each payload (checked to be JSON) with its UUID, or with a fresh one when no `--id` is given.
    pub fn to_messages(&self) -> Result<Vec<Message>> {
        if !self.ids.is_empty() && self.ids.len() != self.payloads.len() {
            return Err(Error::invalid_argument(format!(
                "publish-batch: {} --id for {} payloads: give one per payload, or none",
                self.ids.len(),
                self.payloads.len()
            )));
        }
        self.payloads
            .iter()
            .enumerate()
            .map(|(i, json)| {
                let id = self.ids.get(i).copied().unwrap_or_else(Uuid::new_v4);
                Message::from_json(id, json.clone())
            })
            .collect()
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Vec<PublishedMessage>> {
        let messages = self.to_messages()?;
        let options = self.options.to_options()?;
        let published = backend.publish_batch(&self.topic, &messages, &options).await?;
        Ok(messages
            .iter()
            .zip(published)
            .map(|(message, published)| PublishedMessage {
                id: message.id(),
                published,
            })
            .collect())
    }
}

impl fmt::Display for PublishBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Line::new(Self::NAME);
        line.pos(&self.topic)
            .all(&self.payloads)
            .opts("--id", self.ids.iter().map(|id| id.hyphenated()));
        self.options.push(&mut line);
        line.fmt(f)
    }
}
