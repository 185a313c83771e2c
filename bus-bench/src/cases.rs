//! The comparisons, as data: [`CASES`] is the table the runner walks, one [`Case`] per report row. A case names
//! its operation, what one sample is, how many operations it runs, and its two [`Arm`]s (the bus and the
//! baseline doing the same work).

use serde::Serialize;

/// Which backend a case measures (and so whether it needs a Redis server).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// bus-memory against `tokio::sync::mpsc`.
    Memory,
    /// bus-redis against raw `redis` crate calls, on the server given to `bus bench`.
    Redis,
}

impl Side {
    /// `"memory"` or `"redis"`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Memory => "memory",
            Side::Redis => "redis",
        }
    }
}

/// The operation an arm times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// One message per call, awaited before the next.
    Publish,
    /// 100 messages per call (`publish_batch`, a pipeline, one `Vec` on a channel).
    PublishBatch,
    /// A group read of 100 entries (COUNT 100, `>`) and the ack of their ids, on entries appended beforehand
    /// (untimed).
    GroupCycle,
    /// One message published to a consumer already blocked in a read, until the consumer has it.
    Wakeup,
}

/// How bus-redis writes a publish, and which raw commands its baseline sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `PublishMode::Plain`: one `XADD` per message.
    Plain,
    /// `PublishMode::Indexed` (the default): bus-redis's publish script, one EVALSHA per message.
    Indexed,
}

/// Who does the work of one arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    /// `tokio::sync::mpsc` channels (unbounded), the in-process baseline.
    Mpsc(Op),
    /// A fresh `MemoryBackend` per round, through the `Backend` trait.
    Memory(Op),
    /// bus-redis through the `Backend` trait, in this mode.
    BusRedis(Mode, Op),
    /// The `redis` crate sending by hand the commands bus-redis sends in this mode (only publishes have an
    /// indexed form).
    RawRedis(Mode, Op),
}

/// What a case runs per round, and so what its ratio compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Count {
    /// `--messages` messages over all rounds; the ratio is of throughputs (bus ÷ baseline, higher is better).
    Messages,
    /// One wakeup per 100 messages (20 to 500 over all rounds); the clock stops between samples, so there is no
    /// throughput and the ratio is of p50 latencies (bus ÷ baseline, lower is better).
    Wakeups,
}

/// One comparison: a row of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    /// A stable identifier, `<side>.<operation>`, for recording ratios across runs.
    pub id: &'static str,
    /// The backend measured.
    pub side: Side,
    /// The operation, as the report names it.
    pub op: &'static str,
    /// What one sample is: `"message"`, `"batch of 100"`, `"cycle of 100"` or `"wakeup"`.
    pub per: &'static str,
    /// How many operations each arm runs.
    pub count: Count,
    /// The bus arm, and its name in the report.
    pub bus: (Arm, &'static str),
    /// The baseline arm, and its name in the report.
    pub baseline: (Arm, &'static str),
}

use Arm::{BusRedis, Memory, Mpsc, RawRedis};
use Mode::{Indexed, Plain};
use Op::{GroupCycle, Publish, PublishBatch, Wakeup};

/// Every comparison `bus bench` makes, in report order. The memory cases always run; the Redis ones need a
/// Redis URL.
pub const CASES: &[Case] = &[
    Case {
        id: "memory.publish",
        side: Side::Memory,
        op: "publish",
        per: "message",
        count: Count::Messages,
        bus: (Memory(Publish), "memory publish"),
        baseline: (Mpsc(Publish), "mpsc unbounded send"),
    },
    Case {
        id: "memory.publish_batched",
        side: Side::Memory,
        op: "publish batched",
        per: "batch of 100",
        count: Count::Messages,
        bus: (Memory(PublishBatch), "memory publish_batch"),
        baseline: (Mpsc(PublishBatch), "mpsc send of a Vec of 100"),
    },
    Case {
        id: "memory.group_read_ack",
        side: Side::Memory,
        op: "group read + ack",
        per: "cycle of 100",
        count: Count::Messages,
        bus: (Memory(GroupCycle), "memory read_group COUNT 100 + ack"),
        baseline: (Mpsc(GroupCycle), "mpsc 100 × recv"),
    },
    Case {
        id: "memory.wakeup",
        side: Side::Memory,
        op: "publish → blocked consumer",
        per: "wakeup",
        count: Count::Wakeups,
        bus: (Memory(Wakeup), "memory publish → read_group BLOCK"),
        baseline: (Mpsc(Wakeup), "mpsc send → recv"),
    },
    Case {
        id: "redis.publish",
        side: Side::Redis,
        op: "publish",
        per: "message",
        count: Count::Messages,
        bus: (BusRedis(Plain, Publish), "bus-redis publish (plain)"),
        baseline: (RawRedis(Plain, Publish), "raw XADD"),
    },
    Case {
        id: "redis.publish_batched",
        side: Side::Redis,
        op: "publish batched",
        per: "batch of 100",
        count: Count::Messages,
        bus: (BusRedis(Plain, PublishBatch), "bus-redis publish_batch (plain)"),
        baseline: (RawRedis(Plain, PublishBatch), "raw pipeline of 100 XADD"),
    },
    Case {
        id: "redis.group_read_ack",
        side: Side::Redis,
        op: "group read + ack",
        per: "cycle of 100",
        count: Count::Messages,
        bus: (BusRedis(Plain, GroupCycle), "bus-redis read_group COUNT 100 + ack"),
        baseline: (RawRedis(Plain, GroupCycle), "raw XREADGROUP COUNT 100 + XACK"),
    },
    Case {
        id: "redis.publish_indexed",
        side: Side::Redis,
        op: "publish (indexed)",
        per: "message",
        count: Count::Messages,
        bus: (BusRedis(Indexed, Publish), "bus-redis publish (indexed, default)"),
        baseline: (RawRedis(Indexed, Publish), "raw EVALSHA of the publish script"),
    },
    Case {
        id: "redis.publish_batched_indexed",
        side: Side::Redis,
        op: "publish batched (indexed)",
        per: "batch of 100",
        count: Count::Messages,
        bus: (
            BusRedis(Indexed, PublishBatch),
            "bus-redis publish_batch (indexed, default)",
        ),
        baseline: (RawRedis(Indexed, PublishBatch), "raw MULTI/EXEC of 100 EVALSHA"),
    },
    Case {
        id: "redis.wakeup",
        side: Side::Redis,
        op: "publish → blocked consumer",
        per: "wakeup",
        count: Count::Wakeups,
        bus: (BusRedis(Plain, Wakeup), "bus-redis publish → read_group BLOCK"),
        baseline: (RawRedis(Plain, Wakeup), "raw XADD → XREADGROUP BLOCK"),
    },
];

/// The case of `id`, if the table has one.
pub fn case(id: &str) -> Option<&'static Case> {
    CASES.iter().find(|case| case.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_name_their_side() {
        for (i, entry) in CASES.iter().enumerate() {
            assert!(entry.id.starts_with(&format!("{}.", entry.side.name())), "{}", entry.id);
            assert_eq!(
                CASES.iter().position(|c| c.id == entry.id),
                Some(i),
                "{} twice",
                entry.id
            );
            assert_eq!(case(entry.id), Some(entry));
        }
    }

    #[test]
    fn both_arms_of_a_case_run_the_same_operation_on_the_same_side() {
        let parts = |arm: Arm| match arm {
            Mpsc(op) | Memory(op) => (Side::Memory, op),
            BusRedis(_, op) | RawRedis(_, op) => (Side::Redis, op),
        };
        for case in CASES {
            let (bus, baseline) = (parts(case.bus.0), parts(case.baseline.0));
            assert_eq!(bus, baseline, "{}", case.id);
            assert_eq!(bus.0, case.side, "{}", case.id);
            assert_eq!(bus.1 == Wakeup, case.count == Count::Wakeups, "{}", case.id);
        }
    }
}
