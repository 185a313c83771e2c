//! [`Command`]: an enum of the command structs of [`crate::commands`], with the dispatch (name, printing,
//! running) written once.

use std::fmt;

use bus_core::{Backend, Result};
use clap::Subcommand;
use serde_json::Value;

use crate::commands::*;
use crate::output::{Output, error_json};

/// Declares [`Command`] with one variant per command struct, in help order, and dispatches to the structs.
macro_rules! commands {
    ($($variant:ident),* $(,)?) => {
        /// One command of the `bus` CLI and shell: a variant per command, holding that command's struct.
        ///
        /// Parsing goes through clap ([`crate::parse_line`]); `Display` prints the command back so that parsing
        /// the printed line gives the same command; [`Command::run`] runs it on a backend.
        #[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
        #[allow(missing_docs, reason = "each variant's struct documents its command (and is its help text)")]
        pub enum Command {
            $(
                #[command(name = $variant::NAME)]
                $variant($variant),
            )*
        }

        impl Command {
            /// The command's name, as typed.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Command::$variant(_) => $variant::NAME,)*
                }
            }

            /// Runs the command on a backend and returns its typed result.
            pub async fn run(&self, backend: &dyn Backend) -> Result<Output> {
                match self {
                    $(Command::$variant(command) => command.run(backend).await.map(Output::from),)*
                }
            }
        }

        impl fmt::Display for Command {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Command::$variant(command) => command.fmt(f),)*
                }
            }
        }

        $(
            impl From<$variant> for Command {
                fn from(command: $variant) -> Command {
                    Command::$variant(command)
                }
            }
        )*
    };
}

commands! {
    Append,
    Publish,
    PublishBatch,
    Lookup,
    Range,
    RevRange,
    Read,
    Tail,
    ReadAfterMessage,
    GroupCreate,
    GroupDestroy,
    GroupSetId,
    ConsumerCreate,
    ConsumerDelete,
    ConsumerDeleteIfIdle,
    ReadGroup,
    Ack,
    PendingSummary,
    Pending,
    Claim,
    AutoClaim,
    Delete,
    Trim,
    Len,
    DropTopic,
    ExpireTopic,
    TopicTtl,
    StreamInfo,
    GroupsInfo,
    ConsumersInfo,
}

impl Command {
    /// [`Command::run`], with the result as the JSON the CLI prints (an error as the error JSON).
    ///
    /// `tail --follow` returns the last entries only here; following is [`crate::Follow`]'s job.
    pub async fn execute_json(&self, backend: &dyn Backend) -> Value {
        match self.run(backend).await {
            Ok(output) => output.to_json(),
            Err(err) => error_json(&err),
        }
    }
}

impl Command {
    /// Whether the command changes what the bus holds: appends, creates, deletes, trims, expiries, and the group
    /// reads, acks and claims that move entries in and out of pending lists.
    ///
    /// The CLI warns when such a command runs alone on `memory://`, whose bus is gone when the command exits.
    ///
    /// ```
    /// assert!(bus_command::parse_line("publish chat:1 '{}'")?.writes());
    /// assert!(bus_command::parse_line("read-group g c chat:1 '>'")?.writes());
    /// assert!(!bus_command::parse_line("range chat:1 - +")?.writes());
    /// # Ok::<(), bus_command::ParseError>(())
    /// ```
    pub fn writes(&self) -> bool {
        // No wildcard: a new command must say which it is.
        match self {
            Command::Append(_)
            | Command::Publish(_)
            | Command::PublishBatch(_)
            | Command::GroupCreate(_)
            | Command::GroupDestroy(_)
            | Command::GroupSetId(_)
            | Command::ConsumerCreate(_)
            | Command::ConsumerDelete(_)
            | Command::ConsumerDeleteIfIdle(_)
            | Command::ReadGroup(_)
            | Command::Ack(_)
            | Command::Claim(_)
            | Command::AutoClaim(_)
            | Command::Delete(_)
            | Command::Trim(_)
            | Command::DropTopic(_)
            | Command::ExpireTopic(_) => true,
            Command::Lookup(_)
            | Command::Range(_)
            | Command::RevRange(_)
            | Command::Read(_)
            | Command::Tail(_)
            | Command::ReadAfterMessage(_)
            | Command::PendingSummary(_)
            | Command::Pending(_)
            | Command::Len(_)
            | Command::TopicTtl(_)
            | Command::StreamInfo(_)
            | Command::GroupsInfo(_)
            | Command::ConsumersInfo(_) => false,
        }
    }
}
