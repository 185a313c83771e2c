//! Key naming: which Redis keys hold a topic, its UUID index, and the dedup marks.
//!
//! Every key the backend touches is named here, so the layout (which other tools and the crate
//! documentation rely on) is written once:
//! - the stream of a topic is `<prefix><topic>`: the key other Redis clients (`redis-cli`, producers in
//!   other languages) see and write, so it carries nothing but the prefix;
//! - its UUID index is `{<prefix><topic>}:ids` (hash `uuid -> entry ids`) and `{<prefix><topic>}:ids:order`
//!   (the same entries in id order, for trims); see [`crate::scripts`] for what they hold;
//! - a dedup mark is `<prefix>dedup:<namespace>:{<uuid>}` ([`RedisDedup`](crate::RedisDedup)).
//!
//! # Why topic names carry no braces
//! Redis Cluster hashes a key by the text between its first `{` and the next `}` when there is one (its hash
//! tag), by the whole key otherwise. The stream key has no braces, so it is hashed whole; the index keys wrap
//! that same text in braces, so they are hashed by it too and land in the stream's slot, which the index
//! scripts need (a script may only touch keys of one slot). A brace inside the topic name or the prefix would
//! make the stream key hash by a fragment instead and split the three keys over slots, so `bus_core::Topic`
//! refuses braces and [`RedisOptions::key_prefix`](crate::RedisOptions::key_prefix) must not hold any. A topic
//! made with [`Topic::from_redis_key`] (for emulators and tools) may hold them: every command refuses such a
//! topic before it sends anything ([`check_topic`]). The
//! same rule keeps dedup marks apart from topics: only a dedup key ends in `{<uuid>}`, and only index keys
//! start with `{`.

use std::collections::HashMap;

use bus_core::{Error, Result, Topic};
use uuid::Uuid;

/// Refuses a topic whose name [`Topic::new`] refuses (one made with [`Topic::from_redis_key`]): its index keys,
/// which wrap the name in a hash tag, would leave the stream's cluster slot, and names with white space or
/// control characters are outside what the bus stores.
pub(crate) fn check_topic(topic: &Topic) -> Result<()> {
    match topic.bus_name_error() {
        None => Ok(()),
        Some(reason) => Err(Error::invalid_argument(format!(
            "{reason}: the Redis backend stores only topics that Topic::new accepts (it derives hash-tagged index keys from the name)"
        ))),
    }
}

/// The stream key of the topic named `topic`.
pub(crate) fn stream(prefix: &str, topic: &str) -> String {
    format!("{prefix}{topic}")
}

/// The three keys of one topic, in the order the index scripts take them as `KEYS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TopicKeys {
    /// `<prefix><topic>`.
    pub(crate) stream: String,
    /// `{<prefix><topic>}:ids`.
    pub(crate) ids: String,
    /// `{<prefix><topic>}:ids:order`.
    pub(crate) order: String,
}

impl TopicKeys {
    pub(crate) fn new(prefix: &str, topic: &Topic) -> TopicKeys {
        let stream = stream(prefix, topic.as_str());
        TopicKeys {
            ids: format!("{{{stream}}}:ids"),
            order: format!("{{{stream}}}:ids:order"),
            stream,
        }
    }

    /// The keys as a script invocation's `KEYS` (stream, index hash, index order).
    pub(crate) fn invocation<'s>(&self, script: &'s redis::Script) -> redis::ScriptInvocation<'s> {
        let mut invocation = script.key(&self.stream);
        invocation.key(&self.ids).key(&self.order);
        invocation
    }
}

/// The topics of a multi-topic read by their stream keys, to map the keys of its reply back to topics.
pub(crate) fn topics_by_key<C>(prefix: &str, cursors: &[(Topic, C)]) -> HashMap<Vec<u8>, Topic> {
    cursors
        .iter()
        .map(|(topic, _)| (stream(prefix, topic.as_str()).into_bytes(), topic.clone()))
        .collect()
}

/// The key marking `uuid` as seen in a dedup `namespace`.
pub(crate) fn dedup(prefix: &str, namespace: &str, uuid: Uuid) -> String {
    format!("{prefix}dedup:{namespace}:{{{}}}", uuid.hyphenated())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_the_bus_refuses_are_refused_before_any_key_is_derived() {
        assert!(check_topic(&Topic::new("chat:42").unwrap()).is_ok());
        for name in ["mystream{t}", "a b", ""] {
            let err = check_topic(&Topic::from_redis_key(name).unwrap()).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
            assert!(err.to_string().contains("Topic::new"), "{err}");
        }
    }

    #[test]
    fn the_layout_is_the_documented_one() {
        let keys = TopicKeys::new("app:", &Topic::new("chat:42").unwrap());
        assert_eq!(keys.stream, "app:chat:42");
        assert_eq!(keys.ids, "{app:chat:42}:ids");
        assert_eq!(keys.order, "{app:chat:42}:ids:order");
        let uuid = Uuid::nil();
        assert_eq!(
            dedup("app:", "workers", uuid),
            "app:dedup:workers:{00000000-0000-0000-0000-000000000000}"
        );
    }
}
