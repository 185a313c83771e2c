//! [`Follow`]: `tail --follow`, the last entries of a topic and then every new one, in batches of blocking reads.

use std::time::Duration;

use bus_core::{Backend, EntryId, Error, ReadCursor, ReadOptions, Topic};
use serde_json::Value;

use crate::commands::Tail;
use crate::output::entry_json;

/// `tail --follow`: the last entries of a topic, then every new one, in batches of blocking reads.
///
/// Each [`Follow::next_batch`] returns the entries to print next; the first call returns the tail. On an error the
/// position is kept, so calling again after a retryable error (the server restarting) misses nothing.
#[derive(Clone, Debug)]
pub struct Follow {
    tail: Tail,
    block: Duration,
    after: Option<EntryId>,
}

impl Follow {
    /// Follows `topic`, starting with its last `count` entries; each read blocks up to `block`.
    pub fn new(topic: Topic, count: u64, block: Duration) -> Follow {
        Follow {
            tail: Tail {
                topic,
                count: Some(count),
                follow: true,
            },
            block: block.max(Duration::from_millis(1)),
            after: None,
        }
    }

    /// The next entries (possibly none, when a read timed out), as JSON.
    pub async fn next_batch(&mut self, backend: &dyn Backend) -> Result<Vec<Value>, Error> {
        let topic = &self.tail.topic;
        let Some(after) = self.after else {
            let tail = self.tail.run(backend).await?;
            let after = match tail.last() {
                Some(last) => last.id,
                None => match backend.stream_info(topic).await {
                    Ok(info) => info.last_generated_id,
                    Err(Error::NoSuchTopic { .. }) => EntryId::MIN,
                    Err(err) => return Err(err),
                },
            };
            self.after = Some(after);
            return Ok(tail.iter().map(entry_json).collect());
        };
        let options = ReadOptions::new().count(100).block(self.block);
        let reply = backend
            .read(&[(topic.clone(), ReadCursor::After(after))], &options)
            .await?;
        let entries: Vec<_> = reply.into_entries().collect();
        if let Some(last) = entries.last() {
            self.after = Some(last.id);
        }
        Ok(entries.iter().map(entry_json).collect())
    }
}
