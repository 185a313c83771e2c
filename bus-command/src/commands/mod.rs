//! One module per command, each defining the command's struct: its arguments (clap, so the parser and `--help`
//! are one definition), its printed form (`Display`, in the same syntax) and its typed `run` on a
//! [`bus_core::Backend`]. Command names are the backend methods' names in kebab-case; `tail` and
//! `read-after-message` are the CLI's conveniences on top of them.

mod ack;
mod append;
mod auto_claim;
mod claim;
mod consumer_create;
mod consumer_delete;
mod consumer_delete_if_idle;
mod consumers_info;
mod delete;
mod drop_topic;
mod expire_topic;
mod group_create;
mod group_destroy;
mod group_set_id;
mod groups_info;
mod len;
mod lookup;
mod pending;
mod pending_summary;
mod publish;
mod publish_batch;
mod range;
mod read;
mod read_after_message;
mod read_group;
mod rev_range;
mod stream_info;
mod tail;
mod topic_ttl;
mod trim;

pub use ack::Ack;
pub use append::Append;
pub use auto_claim::AutoClaim;
pub use claim::Claim;
pub use consumer_create::ConsumerCreate;
pub use consumer_delete::ConsumerDelete;
pub use consumer_delete_if_idle::ConsumerDeleteIfIdle;
pub use consumers_info::ConsumersInfo;
pub use delete::Delete;
pub use drop_topic::DropTopic;
pub use expire_topic::ExpireTopic;
pub use group_create::GroupCreate;
pub use group_destroy::GroupDestroy;
pub use group_set_id::GroupSetId;
pub use groups_info::GroupsInfo;
pub use len::Len;
pub use lookup::Lookup;
pub use pending::Pending;
pub use pending_summary::PendingSummary;
pub use publish::Publish;
pub use publish_batch::PublishBatch;
pub use range::Range;
pub use read::Read;
pub use read_after_message::ReadAfterMessage;
pub use read_group::ReadGroup;
pub use rev_range::RevRange;
pub use stream_info::StreamInfo;
pub use tail::{DEFAULT_TAIL, Tail};
pub use topic_ttl::TopicTtl;
pub use trim::Trim;
