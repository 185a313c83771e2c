//! Translation of the `redis` crate's errors into [`bus_core::Error`].
//!
//! Callers match on bus-core's variants and see the same `Display` text on every backend, so server errors are
//! classified by their code and message prefix (never shown raw) and carry the topic name without the key
//! prefix. Transport failures name the operation (`XADD chat:42`) and never include credentials.

use std::time::Duration;

use bus_core::{ConfigProblem, Error, GroupCommand, Topic, TopicCommand};
use redis::{ErrorKind, RedisError};

use crate::keys;

/// What was being done when an error happened: enough to build the typed error.
#[derive(Clone, Debug)]
pub(crate) struct Ctx<'a> {
    /// The Redis command, e.g. `XADD`.
    pub(crate) command: &'static str,
    /// The topics involved (several for multi-topic reads).
    pub(crate) topics: Vec<&'a Topic>,
    /// The group involved, if any.
    pub(crate) group: &'a str,
    /// Which NOGROUP wording applies.
    pub(crate) group_command: GroupCommand,
    /// The key prefix, to map keys in server messages back to topics.
    pub(crate) prefix: &'a str,
    /// The response timeout in force, reported by timeouts.
    pub(crate) timeout: Duration,
}

impl<'a> Ctx<'a> {
    /// A context for one topic.
    pub(crate) fn new(command: &'static str, topic: &'a Topic, prefix: &'a str, timeout: Duration) -> Ctx<'a> {
        Ctx::multi(command, vec![topic], prefix, timeout)
    }

    /// A context for several topics (multi-topic reads).
    pub(crate) fn multi(command: &'static str, topics: Vec<&'a Topic>, prefix: &'a str, timeout: Duration) -> Ctx<'a> {
        Ctx {
            command,
            topics,
            group: "",
            group_command: GroupCommand::Admin,
            prefix,
            timeout,
        }
    }

    /// Adds the group and its NOGROUP wording.
    pub(crate) fn group(mut self, group: &'a str, command: GroupCommand) -> Ctx<'a> {
        self.group = group;
        self.group_command = command;
        self
    }

    /// `XADD chat:42`: the operation as error messages name it.
    pub(crate) fn operation(&self) -> String {
        let mut operation = self.command.to_owned();
        for topic in &self.topics {
            operation.push(' ');
            operation.push_str(topic.as_str());
        }
        operation
    }

    /// The first topic's name (the one a single-topic error names).
    pub(crate) fn topic(&self) -> String {
        self.topics.first().map(|t| t.to_string()).unwrap_or_default()
    }

    /// The topic whose key appears in a server message, or the first topic.
    fn topic_in(&self, detail: &str) -> String {
        self.topics
            .iter()
            .find(|topic| detail.contains(&format!("'{}'", keys::stream(self.prefix, topic.as_str()))))
            .map_or_else(|| self.topic(), |topic| topic.to_string())
    }

    /// A reply that does not have the shape the command documents.
    pub(crate) fn protocol(&self, what: impl std::fmt::Display) -> Error {
        Error::Backend {
            message: format!("unexpected reply to {}: {what}", self.operation()),
            retryable: false,
        }
    }

    /// Maps a `redis` crate error.
    pub(crate) fn map(&self, err: RedisError) -> Error {
        if let Some(code) = err.code() {
            let detail = strip_script_suffix(err.detail().unwrap_or_default());
            return self.server_error(code, detail);
        }
        if err.kind() == ErrorKind::AuthenticationFailed {
            return auth_failed(&self.operation());
        }
        if err.is_timeout() {
            return Error::Timeout {
                operation: self.operation(),
                elapsed: self.timeout,
                may_have_executed: true,
            };
        }
        match err.kind() {
            ErrorKind::Parse | ErrorKind::UnexpectedReturnType => self.protocol(err),
            _ => Error::Connection {
                operation: self.operation(),
                message: err.to_string(),
            },
        }
    }

    /// Maps a server error reply by its code and message.
    pub(crate) fn server_error(&self, code: &str, detail: &str) -> Error {
        match code {
            "NOGROUP" => Error::NoGroup {
                topic: self.topic_in(detail),
                group: self.group.to_owned(),
                command: if detail.starts_with("the consumer group this client was blocked on") {
                    GroupCommand::Blocked
                } else {
                    self.group_command
                },
            },
            "BUSYGROUP" => Error::GroupExists {
                topic: self.topic(),
                group: self.group.to_owned(),
            },
            "WRONGTYPE" => Error::WrongType { topic: self.topic() },
            "WRONGPASS" | "NOAUTH" => auth_failed(&self.operation()),
            "UNBLOCKED" if detail.contains("stream key no longer exists") => {
                Error::TopicDeleted { topic: self.topic() }
            }
            "UNBLOCKED" if detail.contains("via CLIENT UNBLOCK") => Error::Unblocked,
            "ERR" => self.err_reply(detail),
            _ => Error::Backend {
                message: format!("{code} {detail}"),
                retryable: matches!(
                    code,
                    "LOADING" | "BUSY" | "TRYAGAIN" | "MASTERDOWN" | "CLUSTERDOWN" | "READONLY" | "MOVED" | "ASK"
                ),
            },
        }
    }

    fn err_reply(&self, detail: &str) -> Error {
        if detail.starts_with("Invalid stream ID") {
            Error::InvalidId
        } else if detail.contains("equal or smaller than the target stream top item") {
            Error::IdNotGreater {
                topic: self.topic(),
                last_id: bus_core::EntryId::MIN,
            }
        } else if detail.starts_with("The stream has exhausted the last possible ID") {
            Error::IdExhausted { topic: self.topic() }
        } else if detail.starts_with("The XGROUP subcommand requires the key to exist") {
            Error::NoSuchTopic {
                topic: self.topic(),
                command: TopicCommand::Group,
            }
        } else if detail == "no such key" {
            Error::NoSuchTopic {
                topic: self.topic(),
                command: TopicCommand::Info,
            }
        } else {
            Error::invalid_argument(format!("ERR {detail}"))
        }
    }
}

/// The server refused the credentials (or wants some) after the backend connected (a password changed, an
/// ACL user disabled): a configuration error, not retryable. The message never includes them.
fn auth_failed(operation: &str) -> Error {
    Error::Config {
        problem: ConfigProblem::Auth,
        message: format!(
            "authentication failed during {operation}: the server refused the username/password of the URL \
             (or requires one)"
        ),
    }
}

/// Errors raised by `redis.call` inside a script carry ` script: <sha>, on @user_script:<line>.`; the caller
/// must see the command's own message.
fn strip_script_suffix(detail: &str) -> &str {
    match detail.find(" script: ") {
        Some(at) => &detail[..at],
        None => detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_map_to_typed_variants() {
        let topic = Topic::new("chat:1").unwrap();
        let ctx = Ctx::new("XREADGROUP", &topic, "p:", Duration::from_secs(1)).group("g", GroupCommand::ReadGroup);
        let err = ctx.server_error(
            "NOGROUP",
            "No such key 'p:chat:1' or consumer group 'g' in XREADGROUP with GROUP option",
        );
        assert_eq!(
            err.to_string(),
            "NOGROUP No such key 'chat:1' or consumer group 'g' in XREADGROUP with GROUP option"
        );
        let blocked = ctx.server_error(
            "NOGROUP",
            "the consumer group this client was blocked on no longer exists",
        );
        assert!(matches!(
            blocked,
            Error::NoGroup {
                command: GroupCommand::Blocked,
                ..
            }
        ));
        assert!(matches!(
            ctx.server_error("ERR", "Invalid stream ID specified as stream command argument"),
            Error::InvalidId
        ));
        assert_eq!(ctx.server_error("ERR", "syntax error").to_string(), "ERR syntax error");
        assert!(matches!(
            ctx.server_error("UNBLOCKED", "client unblocked via CLIENT UNBLOCK"),
            Error::Unblocked
        ));
        assert!(matches!(
            ctx.server_error("LOADING", "Redis is loading"),
            Error::Backend { retryable: true, .. }
        ));
        assert_eq!(
            strip_script_suffix("WRONGTYPE x script: abc, on @user_script:1."),
            "WRONGTYPE x"
        );
    }
}
