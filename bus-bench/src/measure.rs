//! Measuring: the timed loops every arm runs ([`each`] for throughput, [`wakeups`] for latency), the
//! interleaving of a case's two arms ([`interleave`]), the sizes of a run ([`Sizes`]) and the figures of an arm
//! ([`Stats`]: throughput and nearest-rank percentiles).

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::progress::Progress;
use crate::work::{BATCH, Fallible, closed};

/// Interleaved rounds per arm.
pub const ROUNDS: u64 = 5;
/// How long the producer of a wakeup sample waits, untimed, for the consumer to be blocked before publishing.
pub(crate) const SETTLE: Duration = Duration::from_millis(2);

/// What one arm measured: the timed total and one sample per operation (message, batch, cycle or wakeup).
#[derive(Debug, Default)]
pub(crate) struct Measured {
    pub(crate) elapsed: Duration,
    pub(crate) messages: u64,
    pub(crate) samples: Vec<Duration>,
}

impl Measured {
    fn add(&mut self, other: Measured) {
        self.elapsed += other.elapsed;
        self.messages += other.messages;
        self.samples.extend(other.samples);
    }
}

/// `ops` timed operations of `per_op` messages each; the total runs from the first to the last, and each
/// operation is one sample.
pub(crate) async fn each(ops: u64, per_op: u64, mut op: impl AsyncFnMut() -> Fallible<()>) -> Fallible<Measured> {
    let mut samples = Vec::with_capacity(ops as usize);
    let start = Instant::now();
    for _ in 0..ops {
        let t = Instant::now();
        op().await?;
        samples.push(t.elapsed());
    }
    Ok(Measured {
        elapsed: start.elapsed(),
        messages: ops * per_op,
        samples,
    })
}

/// The consumer of a wakeup sample, moved into a task of its own.
pub(crate) trait Wakee: Send + 'static {
    /// Blocks until one entry arrives and acknowledges it; the instant it had the entry (before the ack).
    fn receive(&mut self) -> impl Future<Output = Fallible<Instant>> + Send;
}

/// `samples` wakeups: a spawned consumer (on the runtime's worker thread) says it is about to block and blocks in
/// [`Wakee::receive`]; the producer (on the calling thread) waits [`SETTLE`] so the consumer is parked, then
/// `publish` generates one message, starts the clock (the instant it returns) and sends it. A sample runs from that
/// instant until the consumer has the entry. The clock stops between samples, so the total is their sum.
pub(crate) async fn wakeups(
    samples: u64,
    mut consumer: impl Wakee,
    mut publish: impl AsyncFnMut() -> Fallible<Instant>,
) -> Fallible<Measured> {
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<Fallible<Instant>>();
    let task = tokio::spawn(async move {
        for _ in 0..samples {
            if ready_tx.send(()).is_err() {
                return;
            }
            if got_tx.send(consumer.receive().await).is_err() {
                return;
            }
        }
    });
    let mut measured = Vec::with_capacity(samples as usize);
    let result: Fallible<()> = async {
        for _ in 0..samples {
            ready_rx.recv().await.ok_or_else(|| closed(()))?;
            tokio::time::sleep(SETTLE).await;
            let t0 = publish().await?;
            let at = got_rx.recv().await.ok_or_else(|| closed(()))??;
            measured.push(at.saturating_duration_since(t0));
        }
        Ok(())
    }
    .await;
    task.abort();
    result?;
    Ok(Measured {
        elapsed: measured.iter().sum(),
        messages: samples,
        samples: measured,
    })
}

/// How much of a case's operation one arm runs: per timed round, and in its untimed warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Amount {
    pub(crate) per_round: u64,
    pub(crate) warm: u64,
}

/// The sizes of a run, from `--messages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sizes {
    /// Messages of a throughput arm: per round (a multiple of [`BATCH`]) and in the warm-up.
    pub(crate) messages: Amount,
    /// Samples of a latency arm.
    pub(crate) wakeups: Amount,
}

impl Sizes {
    /// Messages rounded up to whole batches per round; one latency sample per 100 messages, between 20 and 500.
    pub(crate) fn of(messages: u64) -> Sizes {
        let per_round = messages.div_ceil(ROUNDS).div_ceil(BATCH).max(1) * BATCH;
        let latency_per_round = (messages / BATCH).clamp(20, 500).div_ceil(ROUNDS);
        Sizes {
            messages: Amount {
                per_round,
                warm: (per_round / 10).div_ceil(BATCH).max(1) * BATCH,
            },
            wakeups: Amount {
                per_round: latency_per_round,
                warm: latency_per_round.min(20),
            },
        }
    }
}

/// Steps of one case on the progress bar: the warm-up of each arm, then each round of each.
pub(crate) const CASE_STEPS: u64 = 2 + 2 * ROUNDS;

/// Runs a case's two arms interleaved: an untimed warm-up of each, then [`ROUNDS`] rounds of baseline, bus,
/// baseline, bus…, so a change of machine load hits both. The totals of (baseline, bus).
pub(crate) async fn interleave(
    progress: &Progress,
    label: &str,
    amount: Amount,
    mut baseline: impl AsyncFnMut(u64) -> Fallible<Measured>,
    mut bus: impl AsyncFnMut(u64) -> Fallible<Measured>,
) -> Fallible<(Measured, Measured)> {
    progress.step(format!("{label}: warm-up (baseline)"));
    baseline(amount.warm).await?;
    progress.step(format!("{label}: warm-up (bus)"));
    bus(amount.warm).await?;
    let (mut base_total, mut bus_total) = (Measured::default(), Measured::default());
    for round in 1..=ROUNDS {
        base_total.add(baseline(amount.per_round).await?);
        progress.step(format!("{label}: round {round}/{ROUNDS} (baseline)"));
        bus_total.add(bus(amount.per_round).await?);
        progress.step(format!("{label}: round {round}/{ROUNDS} (bus)"));
    }
    Ok((base_total, bus_total))
}

/// One arm's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// What the arm does (`"memory publish"`, `"raw XADD"`…).
    pub arm: String,
    /// Messages timed, over all rounds.
    pub messages: u64,
    /// Samples timed (one per message, batch, cycle or wakeup).
    pub samples: usize,
    /// Messages per second; `None` for latency arms, whose clock stops between samples.
    pub throughput: Option<f64>,
    /// Median sample, in microseconds.
    pub p50_us: f64,
    /// 99th percentile sample, in microseconds.
    pub p99_us: f64,
}

impl Stats {
    /// The figures of `measured`; with `throughput`, messages per second over the timed total.
    pub(crate) fn of(arm: &str, mut measured: Measured, throughput: bool) -> Stats {
        measured.samples.sort_unstable();
        let secs = measured.elapsed.as_secs_f64();
        Stats {
            arm: arm.to_owned(),
            messages: measured.messages,
            samples: measured.samples.len(),
            throughput: (throughput && secs > 0.0).then(|| measured.messages as f64 / secs),
            p50_us: percentile(&measured.samples, 0.50),
            p99_us: percentile(&measured.samples, 0.99),
        }
    }
}

/// The nearest-rank `q` quantile of sorted samples, in microseconds (0 for none).
fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted.get(rank - 1).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn sizes_are_whole_batches_per_round() {
        let sizes = Sizes::of(50_000);
        assert_eq!(
            sizes.messages,
            Amount {
                per_round: 10_000,
                warm: 1_000
            }
        );
        assert_eq!(
            sizes.wakeups,
            Amount {
                per_round: 100,
                warm: 20
            }
        );
        let sizes = Sizes::of(1);
        assert_eq!(
            sizes.messages,
            Amount {
                per_round: 100,
                warm: 100
            }
        );
        assert_eq!(sizes.wakeups, Amount { per_round: 4, warm: 4 });
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<Duration> = (1..=200).map(Duration::from_micros).collect();
        assert_eq!(percentile(&samples, 0.50), 100.0);
        assert_eq!(percentile(&samples, 0.99), 198.0);
        assert_eq!(percentile(&samples[..1], 0.99), 1.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn stats_give_throughput_only_when_asked() {
        let measured = || Measured {
            elapsed: Duration::from_millis(500),
            messages: 1000,
            samples: vec![
                Duration::from_micros(3),
                Duration::from_micros(1),
                Duration::from_micros(2),
            ],
        };
        let stats = Stats::of("arm", measured(), true);
        assert_eq!(stats.throughput, Some(2000.0));
        assert_eq!((stats.samples, stats.p50_us, stats.p99_us), (3, 2.0, 3.0));
        assert_eq!(Stats::of("arm", measured(), false).throughput, None);
    }

    #[tokio::test]
    async fn interleaving_runs_warm_up_then_alternating_rounds() {
        let calls = std::cell::RefCell::new(Vec::new());
        let arm = |name: &'static str| {
            let calls = &calls;
            async move |n: u64| {
                calls.borrow_mut().push((name, n));
                each(n, 1, async || Ok(())).await
            }
        };
        let amount = Amount { per_round: 3, warm: 1 };
        let (base, bus) = interleave(&Progress::hidden(), "case", amount, arm("base"), arm("bus"))
            .await
            .unwrap();
        let mut expected = vec![("base", 1), ("bus", 1)];
        for _ in 0..ROUNDS {
            expected.extend([("base", 3), ("bus", 3)]);
        }
        assert_eq!(*calls.borrow(), expected);
        // The warm-up is not counted.
        assert_eq!((base.messages, bus.samples.len() as u64), (3 * ROUNDS, 3 * ROUNDS));
    }
}
