//! The contract of the bus: an embedded message bus for agent systems with Redis Streams semantics.
//!
//! Topics are streams; each entry carries a canonical UUID in field `id` and JSON text in field `payload`
//! ([`Message`]). Consumers read with consumer groups, acknowledge what they processed, and dedupe by UUID:
//! delivery is at least once. Fan-out readers (server-sent events) read after a cursor without a group.
//!
//! This crate holds the types and the [`Backend`] trait that every backend implements with the exact semantics
//! of Redis 7.0 (results, state changes and error wording), plus the [`Bus`] and [`Consumer`] handles agent code
//! uses. Backends: `bus-memory` (in process) and `bus-redis` (a Redis server).
//!
//! # Map
//! - [`id`]: [`EntryId`] and the argument forms Redis accepts (`*`, `ms-*`, `-`, `+`, `(`, `$`, `>`);
//! - [`topic`]: validated [`Topic`] names and the topic families (`chat:`, `stream:`, `control:`);
//! - [`entry`] and [`message`]: raw entries as stored, and the envelope decoded on top of them;
//! - [`options`] and [`records`]: what operations take and return;
//! - [`backend`]: the [`Backend`] trait; [`forward`]: backends built on other backends (`Arc`, `Box`,
//!   [`forward::Forward`]); [`bus`] and [`consumer`]: the handles;
//! - [`clock`]: the single time source (tokio's clock, or a manual one), so tests move every timer together;
//! - [`error`]: the one [`enum@Error`] type.
//!
//! # Deliberate differences from the raw Redis commands
//! - A non-blocking read that finds nothing returns [`ReadReply::Topics`] with no topics (Redis: nil);
//!   [`ReadReply::TimedOut`] means a block timed out.
//! - Arguments are typed: where Redis would check a key before rejecting a malformed argument, the argument error
//!   comes first, and values Redis cannot receive (a `$` group cursor, negative counts) cannot be expressed.
//! - A message id must be the canonical lowercase hyphenated UUID; any other `id` field makes the entry malformed.

pub mod backend;
pub mod bus;
pub mod clock;
pub mod consumer;
pub mod entry;
pub mod error;
pub mod forward;
pub mod id;
pub mod message;
pub mod options;
pub mod records;
pub mod topic;

pub use backend::Backend;
pub use bus::{Bus, Cursor, Received};
pub use clock::Clock;
pub use consumer::Consumer;
pub use entry::{Entry, Fields, GroupEntry, ReadReply, TopicEntries};
pub use error::{ConfigProblem, Error, GroupCommand, Result, TopicCommand};
pub use id::{AppendId, EntryId, GroupCursor, GroupStart, RangeBound, ReadCursor};
pub use message::{Malformed, Message};
pub use options::{
    AppendOptions, AutoClaimOptions, ClaimOptions, GroupCreateOptions, PendingQuery, ReadGroupOptions, ReadOptions,
    Trim, TrimStrategy,
};
pub use records::{
    AutoClaimed, Claimed, ConsumerDelete, ConsumerInfo, GroupInfo, PendingEntry, PendingSummary, Published, StreamInfo,
};
pub use topic::Topic;
pub use uuid::Uuid;
