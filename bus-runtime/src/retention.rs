//! Retention: how much each topic family keeps, applied on publish, so streams never grow forever.
//!
//! Every publish through a [`Publisher`] trims its topic by the family's bound (approximate trimming, so the
//! cost is whole nodes, not per entry) and, for families with an idle TTL (by default `chat:` and `stream:`),
//! pushes back the topic's expiry: a topic nobody writes to for the idle TTL disappears with its groups (key
//! expiry on Redis, emulated by bus-memory on tokio's clock).
//!
//! Defaults ([`RetentionPolicy::default`]):
//!
//! | family | bound | idle TTL |
//! | --- | --- | --- |
//! | `chat:{…}` | 10 000 entries | 7 days |
//! | `stream:{conversation_id}` | 1 000 entries | 1 day |
//! | `control:{agent_name}` | 100 entries | none (the agent's state lives there) |
//! | `dead:{…}` (dead letters) | 10 000 entries | none |
//! | anything else | none | none |

use std::time::Duration;

use bus_core::{AppendOptions, Bus, Clock, EntryId, Message, Published, Result, Topic, Trim};
use serde::Serialize;

/// How far back a topic keeps entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bound {
    /// Keep about the newest `n` entries (`MAXLEN ~ n`: whole nodes, so up to 99 more).
    MaxLen(u64),
    /// Keep entries younger than this (`MINID ~ now - age`), judging age by the entry id's milliseconds.
    MaxAge(Duration),
}

/// The retention of one topic family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Retention {
    /// Trimmed on every publish; `None` keeps everything.
    pub bound: Option<Bound>,
    /// The topic expires after this long without a publish; `None` never expires it.
    pub idle_ttl: Option<Duration>,
}

impl Retention {
    /// Keeps everything, forever.
    pub fn keep_all() -> Retention {
        Retention::default()
    }

    /// Keeps about the newest `n` entries.
    pub fn max_len(mut self, n: u64) -> Retention {
        self.bound = Some(Bound::MaxLen(n));
        self
    }

    /// Keeps entries younger than `age`.
    pub fn max_age(mut self, age: Duration) -> Retention {
        self.bound = Some(Bound::MaxAge(age));
        self
    }

    /// Expires the topic after `ttl` without a publish.
    pub fn idle_ttl(mut self, ttl: Duration) -> Retention {
        self.idle_ttl = Some(ttl);
        self
    }

    /// The trim to send with a publish at Unix time `now_ms`.
    fn trim(&self, now_ms: u64) -> Option<Trim> {
        match self.bound? {
            Bound::MaxLen(n) => Some(Trim::maxlen(n).approx()),
            Bound::MaxAge(age) => {
                let age_ms = u64::try_from(age.as_millis()).unwrap_or(u64::MAX);
                Some(Trim::minid(EntryId::new(now_ms.saturating_sub(age_ms), 0)).approx())
            }
        }
    }
}

/// Retention per topic family, chosen by the topic name's prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetentionPolicy {
    /// `chat:{conversation_id}` and `chat:{agent_name}`.
    pub chat: Retention,
    /// `stream:{conversation_id}`.
    pub stream: Retention,
    /// `control:{agent_name}`.
    pub control: Retention,
    /// `dead:{…}`.
    pub dead_letter: Retention,
    /// Any other topic.
    pub other: Retention,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        const DAY: Duration = Duration::from_secs(24 * 3600);
        RetentionPolicy {
            chat: Retention::keep_all().max_len(10_000).idle_ttl(7 * DAY),
            stream: Retention::keep_all().max_len(1_000).idle_ttl(DAY),
            control: Retention::keep_all().max_len(100),
            dead_letter: Retention::keep_all().max_len(10_000),
            other: Retention::keep_all(),
        }
    }
}

impl RetentionPolicy {
    /// Overrides the retention of `chat:` topics.
    pub fn chat(mut self, retention: Retention) -> RetentionPolicy {
        self.chat = retention;
        self
    }

    /// Overrides the retention of `stream:` topics.
    pub fn stream(mut self, retention: Retention) -> RetentionPolicy {
        self.stream = retention;
        self
    }

    /// Overrides the retention of `control:` topics.
    pub fn control(mut self, retention: Retention) -> RetentionPolicy {
        self.control = retention;
        self
    }

    /// Overrides the retention of dead-letter (`dead:`) topics.
    pub fn dead_letter(mut self, retention: Retention) -> RetentionPolicy {
        self.dead_letter = retention;
        self
    }

    /// Overrides the retention of every other topic.
    pub fn other(mut self, retention: Retention) -> RetentionPolicy {
        self.other = retention;
        self
    }

    /// The retention that applies to `topic`.
    pub fn for_topic(&self, topic: &Topic) -> &Retention {
        let family = topic.as_str().split_once(':').map_or("", |(family, _)| family);
        match family {
            "chat" => &self.chat,
            "stream" => &self.stream,
            "control" => &self.control,
            "dead" => &self.dead_letter,
            _ => &self.other,
        }
    }
}

/// Publishes with the retention of each topic's family applied.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> bus_core::Result<()> {
/// use bus_runtime::{Publisher, RetentionPolicy};
/// let bus = bus_memory::MemoryBackend::new().bus();
/// let publisher = Publisher::new(bus.clone(), RetentionPolicy::default());
/// let topic = bus_core::Topic::stream("conversation-1")?;
/// publisher.publish(&topic, &serde_json::json!({"token": "Hel"})).await?;
/// assert!(bus.backend().topic_ttl(&topic).await?.is_some()); // a conversation topic expires when idle
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Publisher {
    bus: Bus,
    policy: RetentionPolicy,
    clock: Clock,
}

impl Publisher {
    /// A publisher applying `policy`.
    pub fn new(bus: Bus, policy: RetentionPolicy) -> Publisher {
        Publisher {
            bus,
            policy,
            clock: Clock::new(),
        }
    }

    /// The bus it publishes on.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Publishes a payload as a new message.
    pub async fn publish<T: Serialize + ?Sized + Sync>(&self, topic: &Topic, payload: &T) -> Result<Published> {
        self.publish_message(topic, &Message::new(payload)?).await
    }

    /// Publishes a message idempotently (see [`Bus::publish_message`]), trimming the topic by its family's
    /// bound and pushing back its idle expiry. A retry after a failure is safe: the message is not duplicated
    /// and the expiry is set again.
    ///
    /// With the `otel` feature, the current span's trace context goes into the message's headers
    /// (`traceparent`, `tracestate`: see the `trace` module) unless it already has a `traceparent`.
    pub async fn publish_message(&self, topic: &Topic, message: &Message) -> Result<Published> {
        #[cfg(feature = "otel")]
        let traced = crate::trace::injected(message)?;
        #[cfg(feature = "otel")]
        let message = traced.as_ref().unwrap_or(message);
        let retention = self.policy.for_topic(topic);
        let mut options = AppendOptions::new();
        if let Some(trim) = retention.trim(self.clock.now_ms()) {
            options = options.trim(trim);
        }
        let published = self.bus.publish_message_with(topic, message, &options).await?;
        if let Some(ttl) = retention.idle_ttl {
            self.bus.backend().expire_topic(topic, ttl).await?;
        }
        Ok(published)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_chosen_by_prefix() {
        let policy = RetentionPolicy::default();
        let of = |name: &str| *policy.for_topic(&Topic::new(name).unwrap());
        assert_eq!(of("chat:c1").bound, Some(Bound::MaxLen(10_000)));
        assert_eq!(of("stream:c1").idle_ttl, Some(Duration::from_secs(86_400)));
        assert_eq!(of("control:DevAgent").idle_ttl, None);
        assert_eq!(of("dead:chat:c1:g").bound, Some(Bound::MaxLen(10_000)));
        assert_eq!(of("metrics"), Retention::keep_all());
    }

    #[test]
    fn age_bounds_become_minid_trims() {
        let trim = Retention::keep_all()
            .max_age(Duration::from_secs(60))
            .trim(100_000)
            .unwrap();
        assert_eq!(trim, Trim::minid(EntryId::new(40_000, 0)).approx());
        assert_eq!(Retention::keep_all().trim(1), None);
    }
}
