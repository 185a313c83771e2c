//! The one error type of the bus, shared by every backend.
//!
//! Variants are what a caller matches on; `Display` is the message Redis 7.0 itself sends for the same failure
//! (with the topic name where Redis prints the key), so an application sees the same text on every backend.

use std::time::Duration;

use crate::id::EntryId;
use crate::message::Malformed;

/// Shorthand for results carrying an [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which command reported a missing group: Redis words NOGROUP differently per command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GroupCommand {
    /// XREADGROUP.
    ReadGroup,
    /// XPENDING, XCLAIM and XAUTOCLAIM.
    Pending,
    /// XGROUP SETID / CREATECONSUMER / DELCONSUMER and XINFO CONSUMERS.
    Admin,
    /// A blocked XREADGROUP whose group was destroyed while it waited.
    Blocked,
}

/// Everything that can go wrong on the bus.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The topic or the consumer group does not exist (`NOGROUP`).
    #[error("{}", no_group_message(topic, group, *command))]
    NoGroup {
        /// Topic the group was looked up on.
        topic: String,
        /// Name of the missing group.
        group: String,
        /// The command, which decides Redis's wording.
        command: GroupCommand,
    },

    /// A group of that name already exists on the topic (`BUSYGROUP`).
    #[error("BUSYGROUP Consumer Group name already exists")]
    GroupExists {
        /// Topic of the group.
        topic: String,
        /// Name of the group.
        group: String,
    },

    /// An explicit append id is not above the topic's last generated id.
    #[error("ERR The ID specified in XADD is equal or smaller than the target stream top item")]
    IdNotGreater {
        /// Topic appended to.
        topic: String,
        /// The topic's last generated id at the time.
        last_id: EntryId,
    },

    /// The topic's last id is the maximum id: nothing more can be appended.
    #[error("ERR The stream has exhausted the last possible ID, unable to add more items")]
    IdExhausted {
        /// Topic appended to.
        topic: String,
    },

    /// An id argument does not parse as a stream id in the position it was given.
    #[error("ERR Invalid stream ID specified as stream command argument")]
    InvalidId,

    /// Any other invalid argument; the message is Redis's (`ERR …`) or, where Redis has none, ours.
    #[error("{message}")]
    InvalidArgument {
        /// Full message, including the `ERR` prefix when Redis has one.
        message: String,
    },

    /// The topic does not exist and the operation needs it to.
    #[error("{}", no_such_topic_message(*command))]
    NoSuchTopic {
        /// The missing topic.
        topic: String,
        /// The command, which decides Redis's wording.
        command: TopicCommand,
    },

    /// The key exists but does not hold a stream (`WRONGTYPE`).
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType {
        /// The offending topic.
        topic: String,
    },

    /// A blocked group read was released because its topic was deleted (`UNBLOCKED`).
    #[error("UNBLOCKED the stream key no longer exists")]
    TopicDeleted {
        /// The deleted topic.
        topic: String,
    },

    /// A blocked read was released from outside with an error (`CLIENT UNBLOCK <id> ERROR` on Redis; the memory
    /// backend's `Unblocker`).
    #[error("UNBLOCKED client unblocked via CLIENT UNBLOCK")]
    Unblocked,

    /// An entry does not carry a valid bus envelope (canonical UUID in `id`, JSON in `payload`).
    #[error("malformed entry {entry_id} on topic '{topic}': {reason}")]
    Malformed {
        /// Topic of the entry.
        topic: String,
        /// Id of the entry, so it can be acknowledged or inspected.
        entry_id: EntryId,
        /// What is wrong with it.
        reason: Malformed,
    },

    /// A cursor given as a message UUID names no entry of the topic (never published, deleted or trimmed).
    #[error("unknown cursor: topic '{topic}' holds no entry with message id {uuid}")]
    UnknownCursor {
        /// Topic searched.
        topic: String,
        /// The message UUID that was not found.
        uuid: uuid::Uuid,
    },

    /// An entry cursor no longer exists and lies before the topic's oldest entry after entries were removed, so
    /// entries the reader never saw may be gone.
    #[error("cursor {cursor} on topic '{topic}' was trimmed away (oldest entry now: {})", oldest.map_or_else(|| "none".to_owned(), |id| id.to_string()))]
    CursorTrimmed {
        /// Topic read.
        topic: String,
        /// The cursor given.
        cursor: EntryId,
        /// The oldest entry still in the topic, where a reader may resume knowing it has a gap.
        oldest: Option<EntryId>,
    },

    /// A payload could not be encoded to, or decoded from, JSON.
    #[error("payload is not valid for this type: {0}")]
    Payload(#[from] serde_json::Error),

    /// The operation did not complete in time.
    #[error("timed out after {elapsed:?} during {operation}{}", if *may_have_executed { " (the command may have executed)" } else { " (the command did not execute)" })]
    Timeout {
        /// What was being done, e.g. `XADD chat:42`.
        operation: String,
        /// How long it waited.
        elapsed: Duration,
        /// True when the command may have reached the server: retry only idempotent operations.
        may_have_executed: bool,
    },

    /// The backend could not be reached, or the connection broke.
    #[error("connection error during {operation}: {message}")]
    Connection {
        /// What was being done, e.g. `XADD chat:42`.
        operation: String,
        /// What went wrong, without credentials.
        message: String,
    },

    /// The backend's configuration does not fit the server: wrong credentials, a database the server does not
    /// have, TLS on one side only, something other than Redis on the port, a URL that does not parse, a host
    /// name that does not resolve. No retry can fix it, so a connect fails with it at once, and
    /// [`Error::is_retryable`] says false. [`Error::kind`] names the [`ConfigProblem`]; the message says what to
    /// change and never contains a password.
    ///
    /// ```
    /// use bus_core::{ConfigProblem, Error};
    /// let err = Error::Config { problem: ConfigProblem::Auth, message: "authentication failed …".into() };
    /// assert_eq!(err.kind(), "auth_failed");
    /// assert!(!err.is_retryable());
    /// ```
    #[error("{message}")]
    Config {
        /// What does not fit.
        problem: ConfigProblem,
        /// What went wrong and what to change, naming the URL with its password masked.
        message: String,
    },

    /// Any other failure reported by the backend.
    #[error("{message}")]
    Backend {
        /// The backend's message.
        message: String,
        /// Whether trying again later may succeed (server loading, busy script, failover).
        retryable: bool,
    },
}

/// What part of a backend's configuration does not fit the server (see [`Error::Config`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// The server refused the username/password, or wants one and none was given (`WRONGPASS`, `NOAUTH`).
    Auth,
    /// The database index is out of the server's range (`ERR DB index is out of range`).
    Database,
    /// TLS on one side only (a `rediss://` URL on a plain server), or a certificate that was not accepted.
    Tls,
    /// Whatever answers on the port does not speak the Redis protocol.
    NotRedis,
    /// The URL does not parse, or one of its parts is out of range (a port above 65535, a database that is
    /// not a number).
    Url,
    /// The host name does not resolve.
    UnknownHost,
    /// A cluster URL names a server that is not in cluster mode.
    NotCluster,
}

impl ConfigProblem {
    /// The stable snake_case name [`Error::kind`] reports for it.
    pub fn kind(self) -> &'static str {
        match self {
            ConfigProblem::Auth => "auth_failed",
            ConfigProblem::Database => "no_such_database",
            ConfigProblem::Tls => "tls_mismatch",
            ConfigProblem::NotRedis => "not_redis",
            ConfigProblem::Url => "invalid_url",
            ConfigProblem::UnknownHost => "unknown_host",
            ConfigProblem::NotCluster => "not_cluster",
        }
    }
}

/// Which command reported a missing topic: Redis words it differently per command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TopicCommand {
    /// XGROUP subcommands (CREATE without MKSTREAM, DESTROY, SETID, …).
    Group,
    /// XINFO and the other commands that answer `ERR no such key`.
    Info,
}

fn no_group_message(topic: &str, group: &str, command: GroupCommand) -> String {
    match command {
        GroupCommand::ReadGroup => {
            format!("NOGROUP No such key '{topic}' or consumer group '{group}' in XREADGROUP with GROUP option")
        }
        GroupCommand::Pending => format!("NOGROUP No such key '{topic}' or consumer group '{group}'"),
        GroupCommand::Admin => format!("NOGROUP No such consumer group '{group}' for key name '{topic}'"),
        GroupCommand::Blocked => "NOGROUP the consumer group this client was blocked on no longer exists".to_owned(),
    }
}

fn no_such_topic_message(command: TopicCommand) -> &'static str {
    match command {
        TopicCommand::Group => {
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
        }
        TopicCommand::Info => "ERR no such key",
    }
}

impl Error {
    /// The error every id parser returns (`ERR Invalid stream ID …`).
    pub fn invalid_id() -> Error {
        Error::InvalidId
    }

    /// An invalid argument with the given full message.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::InvalidArgument {
            message: message.into(),
        }
    }

    /// Redis's `ERR syntax error`.
    pub fn syntax() -> Error {
        Error::invalid_argument("ERR syntax error")
    }

    /// Whether the same call may succeed if tried again later.
    ///
    /// Timeouts and connection failures are retryable; a retried publish is safe because publishing is
    /// idempotent by message UUID. Semantic errors (missing group, bad id, …) are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Connection { .. } => true,
            Error::Backend { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// A stable snake_case name of the variant, for logs and machine-readable output ([`Error::Config`] is
    /// named after its [`ConfigProblem`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NoGroup { .. } => "no_group",
            Error::GroupExists { .. } => "group_exists",
            Error::IdNotGreater { .. } => "id_not_greater",
            Error::IdExhausted { .. } => "id_exhausted",
            Error::InvalidId => "invalid_id",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::NoSuchTopic { .. } => "no_such_topic",
            Error::WrongType { .. } => "wrong_type",
            Error::TopicDeleted { .. } => "topic_deleted",
            Error::Unblocked => "unblocked",
            Error::Malformed { .. } => "malformed",
            Error::UnknownCursor { .. } => "unknown_cursor",
            Error::CursorTrimmed { .. } => "cursor_trimmed",
            Error::Payload(_) => "payload",
            Error::Timeout { .. } => "timeout",
            Error::Connection { .. } => "connection",
            Error::Config { problem, .. } => problem.kind(),
            Error::Backend { .. } => "backend",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_use_redis_wording() {
        let err = Error::NoGroup {
            topic: "chat:1".into(),
            group: "g".into(),
            command: GroupCommand::ReadGroup,
        };
        assert_eq!(
            err.to_string(),
            "NOGROUP No such key 'chat:1' or consumer group 'g' in XREADGROUP with GROUP option"
        );
        let err = Error::NoGroup {
            topic: "chat:1".into(),
            group: "g".into(),
            command: GroupCommand::Admin,
        };
        assert_eq!(
            err.to_string(),
            "NOGROUP No such consumer group 'g' for key name 'chat:1'"
        );
        let err = Error::WrongType { topic: "k".into() };
        assert_eq!(
            err.to_string(),
            "WRONGTYPE Operation against a key holding the wrong kind of value"
        );
        assert_eq!(
            Error::Unblocked.to_string(),
            "UNBLOCKED client unblocked via CLIENT UNBLOCK"
        );
        assert_eq!(
            Error::NoSuchTopic {
                topic: "k".into(),
                command: TopicCommand::Info
            }
            .to_string(),
            "ERR no such key"
        );
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        let timeout = Error::Timeout {
            operation: "XADD t".into(),
            elapsed: Duration::from_millis(5),
            may_have_executed: true,
        };
        assert!(timeout.is_retryable());
        assert!(timeout.to_string().contains("may have executed"));
        assert!(
            Error::Connection {
                operation: "XADD t".into(),
                message: "refused".into()
            }
            .is_retryable()
        );
        assert!(!Error::InvalidId.is_retryable());
        assert!(
            !Error::GroupExists {
                topic: "t".into(),
                group: "g".into()
            }
            .is_retryable()
        );
        assert_eq!(Error::InvalidId.kind(), "invalid_id");
        let config = |problem| Error::Config {
            problem,
            message: "m".into(),
        };
        assert!(!config(ConfigProblem::Url).is_retryable());
        assert_eq!(config(ConfigProblem::Database).kind(), "no_such_database");
        assert_eq!(config(ConfigProblem::NotRedis).kind(), "not_redis");
        assert_eq!(config(ConfigProblem::UnknownHost).to_string(), "m");
    }
}
