//! [`Subscription`]: a fan-out tail of one or several topics as a `futures::Stream` (the SSE use).
//!
//! A plain reader (no consumer group) follows topics from a cursor with blocking reads. What this adds over a
//! loop of [`Backend::read`](bus_core::Backend::read) calls:
//! - **Resumption without gap or duplicate.** The stream keeps, per topic, the id of the last entry it handed
//!   out and reads strictly after it. A retryable error (timeout, broken connection, server restart) is waited
//!   out with capped exponential backoff on tokio's clock and the read is repeated from the same ids; a
//!   non-retryable error is yielded once and ends the stream.
//! - **Gap detection.** Reading after an id silently skips whatever was trimmed. When a topic's batch does not
//!   start right after the cursor, the stream applies [`Bus::check_not_trimmed`] (the rule of
//!   [`Bus::read_after`]) and, if entries may have been trimmed away unseen, yields
//!   [`SubscriptionItem::Gap`] before the batch, like tokio broadcast's `Lagged`, then goes on from the oldest
//!   entry it could read. The rule errs on the side of reporting (see its docs), and a trim racing with the
//!   check can report a gap that lost nothing; it never misses a real one.
//! - **Backpressure.** Nothing is read until the consumer polls and the previous batch is drained, and a read
//!   asks for at most `count` entries per topic, so at most `count × topics` entries are buffered.
//! - **Bounded blocking.** Each read blocks at most `block`, then simply reads again.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bus_core::{Bus, Cursor, EntryId, Error, ReadCursor, ReadOptions, ReadReply, Received, Result, Topic};
use futures::Stream;
use futures::stream::BoxStream;
use uuid::Uuid;

use crate::backoff::Backoff;
use crate::observe;

/// Where a subscription starts on a topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StartFrom {
    /// From the first entry of the topic.
    Start,
    /// After the topic's last generated id when the subscription first reads: only entries appended later.
    End,
    /// After this entry id (the entry itself is not yielded). If entries after it were trimmed, the first item
    /// is a gap.
    Entry(EntryId),
    /// After the entry holding this message UUID; the stream fails with [`Error::UnknownCursor`] if none does.
    Message(Uuid),
}

impl From<Cursor> for StartFrom {
    fn from(cursor: Cursor) -> StartFrom {
        match cursor {
            Cursor::Start => StartFrom::Start,
            Cursor::Entry(id) => StartFrom::Entry(id),
            Cursor::Message(uuid) => StartFrom::Message(uuid),
        }
    }
}

/// Settings of a subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionConfig {
    /// Entries asked per topic and read (COUNT), so the buffer bound. Default 100; 0 is raised to 1.
    pub count: u64,
    /// How long one read blocks waiting for entries. Default 5 s; zero is raised to 1 ms (a zero BLOCK would
    /// wait forever).
    pub block: Duration,
    /// Waits between attempts after retryable errors. Default 100 ms doubling up to 10 s, retried forever.
    pub retry: Backoff,
}

impl Default for SubscriptionConfig {
    fn default() -> Self {
        SubscriptionConfig {
            count: 100,
            block: Duration::from_secs(5),
            retry: Backoff::new(Duration::from_millis(100), Duration::from_secs(10)),
        }
    }
}

impl SubscriptionConfig {
    /// The defaults.
    pub fn new() -> SubscriptionConfig {
        SubscriptionConfig::default()
    }

    /// Entries per topic and read.
    pub fn count(mut self, count: u64) -> SubscriptionConfig {
        self.count = count;
        self
    }

    /// Block time of one read.
    pub fn block(mut self, block: Duration) -> SubscriptionConfig {
        self.block = block;
        self
    }

    /// Backoff after retryable errors.
    pub fn retry(mut self, retry: Backoff) -> SubscriptionConfig {
        self.retry = retry;
        self
    }
}

/// What a subscription yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriptionItem {
    /// The next entry of a topic (a message, or a malformed entry with its raw fields).
    Entry {
        /// The topic.
        topic: Topic,
        /// The entry.
        received: Received,
    },
    /// Entries after `after` may have been trimmed away before the subscription read them; it resumes at
    /// `resumed_at`, the next entry it yields for this topic.
    Gap {
        /// The topic.
        topic: Topic,
        /// The last entry seen (or the starting cursor).
        after: EntryId,
        /// The first entry read after the gap.
        resumed_at: EntryId,
    },
}

impl SubscriptionItem {
    /// A `bus.delivery` span (fields `topic`, `entry_id`, `uuid`) to process this entry in: enter it, or
    /// `.instrument(…)` the processing with it. With the `otel` feature it is a child of the span that published
    /// the message (see `bus_runtime::trace`). A disabled span for a gap or an entry that is not a message.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> bus_core::Result<()> {
    /// use bus_runtime::{StartFrom, Subscription};
    /// use futures::StreamExt;
    /// let bus = bus_memory::MemoryBackend::new().bus();
    /// let topic = bus_core::Topic::stream("c1")?;
    /// bus.publish(&topic, &"token").await?;
    /// let mut subscription = Subscription::one(bus, topic, StartFrom::Start);
    /// if let Some(item) = subscription.next().await.transpose()? {
    ///     let _in_span = item.delivery_span().entered();
    ///     tracing::info!("forwarding the token"); // logged inside `bus.delivery`
    /// }
    /// # Ok(()) }
    /// ```
    pub fn delivery_span(&self) -> tracing::Span {
        match self {
            SubscriptionItem::Entry { topic, received } => match received.message() {
                Some(message) => observe::subscription_delivery_span(topic, received.entry_id(), message),
                None => tracing::Span::none(),
            },
            SubscriptionItem::Gap { .. } => tracing::Span::none(),
        }
    }
}

/// A stream of the entries of one or several topics; see the [module docs](self).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> bus_core::Result<()> {
/// use bus_runtime::{StartFrom, Subscription, SubscriptionItem};
/// use futures::StreamExt;
///
/// let bus = bus_memory::MemoryBackend::new().bus();
/// let topic = bus_core::Topic::stream("c1")?;
/// bus.publish(&topic, &serde_json::json!({"token": "Hel"})).await?;
/// bus.publish(&topic, &serde_json::json!({"token": "lo"})).await?;
///
/// let mut subscription = Subscription::one(bus, topic, StartFrom::Start);
/// let mut tokens = Vec::new();
/// while tokens.len() < 2 {
///     if let Some(SubscriptionItem::Entry { received, .. }) = subscription.next().await.transpose()? {
///         tokens.push(received.message().map(|m| m.payload().to_owned()));
///     }
/// }
/// assert_eq!(tokens[1].as_deref(), Some(r#"{"token":"lo"}"#));
/// # Ok(()) }
/// ```
pub struct Subscription {
    inner: BoxStream<'static, Result<SubscriptionItem>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl Subscription {
    /// Follows several topics, each from its own start. An empty list gives an empty stream.
    pub fn new(
        bus: Bus,
        topics: impl IntoIterator<Item = (Topic, StartFrom)>,
        config: SubscriptionConfig,
    ) -> Subscription {
        let state = State {
            bus,
            config: SubscriptionConfig {
                count: config.count.max(1),
                block: config.block.max(Duration::from_millis(1)),
                retry: config.retry,
            },
            topics: topics
                .into_iter()
                .map(|(topic, from)| TopicState {
                    topic,
                    from,
                    position: None,
                })
                .collect(),
            buffer: VecDeque::new(),
            done: false,
        };
        let inner = futures::stream::unfold(state, |mut state| async move {
            let next = state.next().await?;
            Some((next, state))
        });
        Subscription { inner: Box::pin(inner) }
    }

    /// Follows one topic with the default settings.
    pub fn one(bus: Bus, topic: Topic, from: StartFrom) -> Subscription {
        Subscription::new(bus, [(topic, from)], SubscriptionConfig::default())
    }
}

impl Stream for Subscription {
    type Item = Result<SubscriptionItem>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

struct TopicState {
    topic: Topic,
    from: StartFrom,
    /// The id of the last entry yielded (or the resolved start); `None` until resolved.
    position: Option<EntryId>,
}

struct State {
    bus: Bus,
    config: SubscriptionConfig,
    topics: Vec<TopicState>,
    buffer: VecDeque<SubscriptionItem>,
    done: bool,
}

impl State {
    async fn next(&mut self) -> Option<Result<SubscriptionItem>> {
        let mut attempt = 0u64;
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some(Ok(item));
            }
            if self.done || self.topics.is_empty() {
                return None;
            }
            match self.refill().await {
                Ok(()) => attempt = 0,
                Err(err) if err.is_retryable() => {
                    attempt = attempt.saturating_add(1);
                    let delay = self.config.retry.delay(attempt);
                    tracing::warn!(error = %err, attempt, ?delay, "subscription read failed; retrying");
                    for topic in &self.topics {
                        observe::topic_count(observe::BACKEND_RETRIES, &topic.topic, 1);
                    }
                    tokio::time::sleep(delay).await;
                }
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            }
        }
    }

    /// One blocking read. Changes nothing unless it succeeds whole, so a retry starts from the same positions.
    async fn refill(&mut self) -> Result<()> {
        for index in 0..self.topics.len() {
            if self.topics[index].position.is_none() {
                let position = self.resolve(&self.topics[index]).await?;
                self.topics[index].position = Some(position);
            }
        }
        let cursors: Vec<(Topic, ReadCursor)> = self
            .topics
            .iter()
            .map(|t| (t.topic.clone(), ReadCursor::After(t.position.unwrap_or(EntryId::MIN))))
            .collect();
        let options = ReadOptions::new().count(self.config.count).block(self.config.block);
        let ReadReply::Topics(reply) = self.bus.backend().read(&cursors, &options).await? else {
            return Ok(());
        };
        let mut items = Vec::new();
        let mut positions = Vec::new();
        for batch in reply {
            let (Some(first), Some(last)) = (batch.entries.first(), batch.entries.last()) else {
                continue;
            };
            let Some(index) = self.topics.iter().position(|t| t.topic == batch.topic) else {
                continue;
            };
            let after = self.topics[index].position.unwrap_or(EntryId::MIN);
            let contiguous = after == EntryId::MIN || after.next() == Some(first.id);
            if !contiguous {
                match self.bus.check_not_trimmed(&batch.topic, after).await {
                    Ok(()) => {}
                    Err(Error::CursorTrimmed { .. }) => {
                        tracing::warn!(topic = %batch.topic, %after, resumed_at = %first.id, "subscription gap: entries were trimmed");
                        observe::topic_count(observe::SUBSCRIPTION_GAPS, &batch.topic, 1);
                        items.push(SubscriptionItem::Gap {
                            topic: batch.topic.clone(),
                            after,
                            resumed_at: first.id,
                        });
                    }
                    Err(err) => return Err(err),
                }
            }
            positions.push((index, last.id));
            observe::topic_count(observe::SUBSCRIPTION_ENTRIES, &batch.topic, batch.entries.len() as u64);
            let topic = batch.topic;
            items.extend(batch.entries.into_iter().map(|entry| SubscriptionItem::Entry {
                topic: topic.clone(),
                received: Received::from_entry(entry),
            }));
        }
        for (index, position) in positions {
            self.topics[index].position = Some(position);
        }
        self.buffer.extend(items);
        Ok(())
    }

    async fn resolve(&self, topic: &TopicState) -> Result<EntryId> {
        match topic.from {
            StartFrom::Start => Ok(EntryId::MIN),
            StartFrom::Entry(id) => Ok(id),
            StartFrom::End => match self.bus.backend().stream_info(&topic.topic).await {
                Ok(info) => Ok(info.last_generated_id),
                Err(Error::NoSuchTopic { .. }) => Ok(EntryId::MIN),
                Err(err) => Err(err),
            },
            StartFrom::Message(uuid) => {
                self.bus
                    .lookup(&topic.topic, uuid)
                    .await?
                    .ok_or_else(|| Error::UnknownCursor {
                        topic: topic.topic.to_string(),
                        uuid,
                    })
            }
        }
    }
}
