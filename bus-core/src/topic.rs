//! Topic names: validated once, cheap to clone, with constructors for the topic families of agent systems
//! (listed in the README, "Topics and the wire format").

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The longest topic name accepted, in bytes.
pub const MAX_TOPIC_LEN: usize = 1024;

/// The longest key Redis accepts, in bytes (its `proto-max-bulk-len` default, 512 MiB): the limit of
/// [`Topic::from_redis_key`].
pub const MAX_REDIS_KEY_LEN: usize = 512 * 1024 * 1024;

/// The name of a stream.
///
/// A valid name is 1 to [`MAX_TOPIC_LEN`] bytes of printable text with no white space and no `{` or `}`.
/// Braces are refused because a backend may derive companion keys by wrapping the name in a Redis Cluster hash
/// tag (`{chat:42}:ids`); a name with its own braces would land them in another slot.
///
/// Emulators and tools that must name any key Redis accepts (`mystream{t}`, names with spaces, the empty name)
/// build one with [`Topic::from_redis_key`]; backends that derive keys from the name (bus-redis) refuse such a
/// topic with [`Error::InvalidArgument`], while the memory backend stores it like any other.
///
/// ```
/// use bus_core::Topic;
/// let topic = Topic::chat_conversation("42").unwrap();
/// assert_eq!(topic.as_str(), "chat:42");
/// assert_eq!(Topic::control("DevAgent").unwrap().as_str(), "control:DevAgent");
/// assert!(Topic::new("has space").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Topic(Arc<str>);

impl Topic {
    /// Validates and wraps a full topic name.
    pub fn new(name: impl AsRef<str>) -> Result<Topic> {
        let name = name.as_ref();
        validate(name, "topic name")?;
        Ok(Topic(Arc::from(name)))
    }

    /// A name for any key Redis accepts, including those [`Topic::new`] refuses: any UTF-8 text up to
    /// [`MAX_REDIS_KEY_LEN`] bytes, braces, white space, control characters and the empty name included.
    ///
    /// It exists for emulators and tools (a RESP server in front of the memory backend, a key browser): a bus
    /// application should use [`Topic::new`], whose names every backend can store. Redis keys that are not
    /// UTF-8 cannot be named (a deliberate limit of the bus: a topic is text).
    ///
    /// ```
    /// use bus_core::Topic;
    /// let key = Topic::from_redis_key("mystream{t}").unwrap();
    /// assert_eq!(key.as_str(), "mystream{t}");
    /// assert!(!key.is_bus_name());
    /// assert!(Topic::from_redis_key("").is_ok());
    /// assert!(Topic::new("chat:1").unwrap().is_bus_name());
    /// ```
    pub fn from_redis_key(name: impl Into<String>) -> Result<Topic> {
        let name = name.into();
        check_redis_key_len(name.len())?;
        Ok(Topic(Arc::from(name)))
    }

    /// Whether [`Topic::new`] accepts this name, i.e. every backend can store the topic (false for some names
    /// made with [`Topic::from_redis_key`]).
    pub fn is_bus_name(&self) -> bool {
        self.bus_name_error().is_none()
    }

    /// Why [`Topic::new`] would refuse this name, if it would.
    pub fn bus_name_error(&self) -> Option<Error> {
        validate(&self.0, "topic name").err()
    }

    /// `chat:{conversation_id}`: inbound chat of a conversation.
    pub fn chat_conversation(conversation_id: impl fmt::Display) -> Result<Topic> {
        Self::family("chat", conversation_id)
    }

    /// `chat:{agent_name}`: inbound chat addressed to an agent.
    pub fn chat_agent(agent_name: impl fmt::Display) -> Result<Topic> {
        Self::family("chat", agent_name)
    }

    /// `stream:{conversation_id}`: streamed events (tokens, progress) of a conversation, read as fan-out.
    pub fn stream(conversation_id: impl fmt::Display) -> Result<Topic> {
        Self::family("stream", conversation_id)
    }

    /// `control:{agent_name}`: control messages (pause, resume, …) for an agent.
    pub fn control(agent_name: impl fmt::Display) -> Result<Topic> {
        Self::family("control", agent_name)
    }

    fn family(prefix: &str, component: impl fmt::Display) -> Result<Topic> {
        let component = component.to_string();
        validate(&component, "topic component")?;
        Topic::new(format!("{prefix}:{component}"))
    }

    /// The full name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_redis_key_len(len: usize) -> Result<()> {
    if len > MAX_REDIS_KEY_LEN {
        return Err(Error::invalid_argument(format!(
            "invalid key: {len} bytes, Redis's limit is {MAX_REDIS_KEY_LEN}"
        )));
    }
    Ok(())
}

fn validate(name: &str, what: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_argument(format!("invalid {what}: empty")));
    }
    if name.len() > MAX_TOPIC_LEN {
        return Err(Error::invalid_argument(format!(
            "invalid {what}: {} bytes, the limit is {MAX_TOPIC_LEN}",
            name.len()
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '{' | '}'))
    {
        return Err(Error::invalid_argument(format!(
            "invalid {what} {name:?}: character {bad:?} is not allowed (white space, control characters and braces are reserved)"
        )));
    }
    Ok(())
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topic({:?})", &*self.0)
    }
}

impl FromStr for Topic {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Topic::new(s)
    }
}

impl TryFrom<&str> for Topic {
    type Error = Error;

    fn try_from(s: &str) -> Result<Self> {
        Topic::new(s)
    }
}

impl TryFrom<String> for Topic {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        Topic::new(s)
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Topic {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Serialize for Topic {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Topic {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Topic::new(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_build_the_seed_names() {
        assert_eq!(Topic::chat_conversation("c1").unwrap().as_str(), "chat:c1");
        assert_eq!(Topic::chat_agent("DevAgent").unwrap().as_str(), "chat:DevAgent");
        assert_eq!(Topic::stream("c1").unwrap().as_str(), "stream:c1");
        assert_eq!(Topic::control("DevAgent").unwrap().as_str(), "control:DevAgent");
    }

    #[test]
    fn rejects_names_that_are_unsafe_as_keys() {
        for bad in ["", "a b", "a\nb", "a{b", "x}", "tab\there"] {
            assert!(Topic::new(bad).is_err(), "{bad:?} must be rejected");
        }
        assert!(Topic::new("x".repeat(MAX_TOPIC_LEN)).is_ok());
        assert!(Topic::new("x".repeat(MAX_TOPIC_LEN + 1)).is_err());
        assert!(Topic::chat_conversation("").is_err());
        assert!(Topic::control("a b").is_err());
        let err = Topic::new("a{b").unwrap_err();
        assert_eq!(err.kind(), "invalid_argument");
        assert!(err.to_string().contains("'{'"), "{err}");
    }

    #[test]
    fn redis_keys_are_any_text_up_to_redis_s_limit() {
        for name in ["", "mystream{t}", "a b", "tab\there", "{}"] {
            let key = Topic::from_redis_key(name).unwrap();
            assert_eq!(key.as_str(), name);
            assert!(!key.is_bus_name(), "{name:?}");
            assert_eq!(key.bus_name_error().unwrap().kind(), "invalid_argument");
        }
        assert!(Topic::from_redis_key("chat:1").unwrap().is_bus_name());
        assert_eq!(Topic::from_redis_key("k").unwrap(), Topic::new("k").unwrap());
        // The limit itself, without allocating half a gigabyte.
        assert!(check_redis_key_len(MAX_REDIS_KEY_LEN).is_ok());
        let err = check_redis_key_len(MAX_REDIS_KEY_LEN + 1).unwrap_err();
        assert!(err.to_string().contains("Redis's limit"), "{err}");
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let topic = Topic::new("stream:9").unwrap();
        let json = serde_json::to_string(&topic).unwrap();
        assert_eq!(json, "\"stream:9\"");
        assert_eq!(serde_json::from_str::<Topic>(&json).unwrap(), topic);
        assert!(serde_json::from_str::<Topic>("\"a b\"").is_err());
    }
}
