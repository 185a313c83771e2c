//! The one runner: it walks [`CASES`], runs each case's two arms interleaved, and makes its row.

use bus::Topic;

use crate::cases::{Arm, CASES, Case, Count, Side};
use crate::measure::{Amount, CASE_STEPS, Measured, Sizes, Stats, interleave};
use crate::memory;
use crate::progress::Progress;
use crate::redis_side::RedisSide;
use crate::report::Row;
use crate::work::{Fallible, bus_err};

/// What the arms run on: the memory topic, and the Redis side when there is a server.
pub(crate) struct Arms<'a> {
    memory_topic: Topic,
    redis: Option<&'a RedisSide>,
}

impl<'a> Arms<'a> {
    pub(crate) fn new(redis: Option<&'a RedisSide>) -> Fallible<Arms<'a>> {
        Ok(Arms {
            memory_topic: Topic::new("bench:memory").map_err(bus_err)?,
            redis,
        })
    }

    /// The cases these arms can run: the memory ones, and the Redis ones with a server.
    pub(crate) fn cases(&self) -> impl Iterator<Item = &'static Case> + use<'_> {
        CASES
            .iter()
            .filter(|case| case.side == Side::Memory || self.redis.is_some())
    }

    /// Runs `arm` over `n` operations.
    async fn run(&self, arm: Arm, n: u64) -> Fallible<Measured> {
        match arm {
            Arm::Mpsc(op) => memory::mpsc(op, n).await,
            Arm::Memory(op) => memory::bus(op, &self.memory_topic, n).await,
            Arm::BusRedis(mode, op) => self.redis()?.bus(mode, op, n).await,
            Arm::RawRedis(mode, op) => self.redis()?.raw(mode, op, n).await,
        }
    }

    fn redis(&self) -> Fallible<&RedisSide> {
        self.redis
            .ok_or_else(|| "a Redis arm without a Redis server".to_owned())
    }

    /// Runs every case of [`Arms::cases`], in order.
    pub(crate) async fn run_cases(&self, progress: &Progress, sizes: Sizes) -> Fallible<Vec<Row>> {
        let mut rows = Vec::new();
        for case in self.cases() {
            rows.push(self.run_case(progress, sizes, case).await?);
        }
        Ok(rows)
    }

    async fn run_case(&self, progress: &Progress, sizes: Sizes, case: &Case) -> Fallible<Row> {
        let amount: Amount = match case.count {
            Count::Messages => sizes.messages,
            Count::Wakeups => sizes.wakeups,
        };
        let label = format!("{} {}", case.side.name(), case.op);
        let (baseline, bus) = interleave(
            progress,
            &label,
            amount,
            async |n| self.run(case.baseline.0, n).await,
            async |n| self.run(case.bus.0, n).await,
        )
        .await?;
        let throughput = case.count == Count::Messages;
        Ok(Row::new(
            case,
            Stats::of(case.bus.1, bus, throughput),
            Stats::of(case.baseline.1, baseline, throughput),
        ))
    }

    /// Progress steps of [`Arms::run_cases`].
    pub(crate) fn steps(&self) -> u64 {
        self.cases().count() as u64 * CASE_STEPS
    }
}
