//! The report: one [`Row`] per case, the run's sizes and `redis-benchmark`'s runs, printed as a text table or
//! serialized as one JSON document (`--json`).

use serde::Serialize;

use crate::cases::{Case, Count};
use crate::measure::Stats;
use crate::redis_benchmark::RedisBenchmark;

/// One case's result: its bus arm against its baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The case's [`Case::id`].
    pub case: &'static str,
    /// `"memory"` or `"redis"`.
    pub backend: &'static str,
    /// The operation ([`Case::op`]).
    pub op: &'static str,
    /// What one sample is ([`Case::per`]).
    pub per: &'static str,
    /// The bus arm's figures.
    pub bus: Stats,
    /// The baseline's figures.
    pub baseline: Stats,
    /// bus ÷ baseline, of what [`Row::ratio_of`] names (0 when the baseline measured none).
    pub ratio: f64,
    /// `"throughput"` (higher is better) or `"p50"` (the wakeup cases; lower is better).
    pub ratio_of: &'static str,
}

impl Row {
    /// The row of `case`, with the ratio its [`Count`] calls for.
    pub(crate) fn new(case: &Case, bus: Stats, baseline: Stats) -> Row {
        let (of, bus_figure, base_figure) = match case.count {
            Count::Messages => ("throughput", bus.throughput, baseline.throughput),
            Count::Wakeups => ("p50", Some(bus.p50_us), Some(baseline.p50_us)),
        };
        let ratio = match (bus_figure, base_figure) {
            (Some(bus), Some(base)) if base > 0.0 => bus / base,
            _ => 0.0,
        };
        Row {
            case: case.id,
            backend: case.side.name(),
            op: case.op,
            per: case.per,
            bus,
            baseline,
            ratio,
            ratio_of: of,
        }
    }
}

/// Everything one `bus bench` run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Messages per throughput arm, over all rounds (`--messages` rounded up to whole batches per round).
    pub messages: u64,
    /// Interleaved rounds per arm.
    pub rounds: u64,
    /// Messages per batch and per group read.
    pub batch: u64,
    /// Samples per wakeup arm, over all rounds.
    pub latency_samples: u64,
    /// The client-side work every arm does per message.
    pub per_message_work: &'static str,
    /// Whether this was a debug build, whose figures are about 10× too low.
    pub debug_build: bool,
    /// The benched Redis server (password redacted), if any.
    pub redis: Option<String>,
    /// One row per case run, in the order of [`CASES`](crate::CASES).
    pub rows: Vec<Row>,
    /// `redis-benchmark`'s runs (or why it was skipped); `None` without a Redis server.
    pub redis_benchmark: Option<RedisBenchmark>,
}

impl Report {
    /// The report as one JSON document (what `--json` prints).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The report as a text table (what `bus bench` prints without `--json`).
    pub fn table(&self) -> String {
        let mut out = format!(
            "bus bench: {} messages per throughput arm, {} latency samples, {} interleaved rounds; per message: {}\n",
            self.messages, self.latency_samples, self.rounds, self.per_message_work
        );
        if self.debug_build {
            out.push_str("DEBUG BUILD: the figures are about 10× too low; build with --release\n");
        }
        if let Some(redis) = &self.redis {
            out.push_str(&format!(
                "redis: {redis} (bus-redis in PublishMode::Plain, and in the default indexed mode where marked)\n"
            ));
        }
        out.push_str(
            "throughput in messages/s; p50/p99 per sample (message, batch of 100, cycle of 100, or wakeup); ratio = \
             bus ÷ baseline (throughput: higher is better; latency row: p50, lower is better)\n\n",
        );
        let header = [
            "backend",
            "operation",
            "per sample",
            "arm",
            "throughput",
            "p50",
            "p99",
            "ratio",
        ];
        let mut lines: Vec<[String; 8]> = vec![header.map(str::to_owned)];
        for row in &self.rows {
            let ratio = match row.ratio_of {
                "p50" => format!("{:.2}× (p50)", row.ratio),
                _ => format!("{:.2}×", row.ratio),
            };
            for (arm, name, ratio) in [
                (&row.baseline, format!("baseline: {}", row.baseline.arm), String::new()),
                (&row.bus, row.bus.arm.clone(), ratio),
            ] {
                lines.push([
                    row.backend.to_owned(),
                    row.op.to_owned(),
                    row.per.to_owned(),
                    name,
                    rate(arm.throughput),
                    time(arm.p50_us),
                    time(arm.p99_us),
                    ratio,
                ]);
            }
        }
        out.push_str(&aligned(&lines));
        match &self.redis_benchmark {
            Some(RedisBenchmark::Runs(runs)) => {
                out.push_str("\nredis-benchmark -c 1 XADD (same fields, same server):\n");
                for run in runs {
                    let ratio = run
                        .bus_ratio
                        .map(|r| format!("; bus-redis {} ÷ this = {r:.2}×", run.bus_op))
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "  -P {:<3} -n {}: {} requests/s, p50 {} ms, p99 {} ms{ratio}\n",
                        run.pipeline,
                        run.requests,
                        rate(Some(run.rps)).trim_end_matches("/s").trim_end(),
                        run.p50_ms,
                        run.p99_ms,
                    ));
                }
            }
            Some(RedisBenchmark::Skipped { skipped }) => {
                out.push_str(&format!("\nredis-benchmark skipped: {skipped}\n"));
            }
            None => {}
        }
        out
    }
}

/// The lines in columns: words left-aligned, numbers (from the fifth column on) right-aligned.
fn aligned(lines: &[[String; 8]]) -> String {
    let mut widths = [0usize; 8];
    for line in lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in lines {
        let mut text = String::new();
        for (i, (cell, width)) in line.iter().zip(widths).enumerate() {
            let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
            if i >= 4 {
                text.push_str(&pad);
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&pad);
            }
            text.push_str("  ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// Humane throughput: `1.23 M/s`, `456.7 K/s`.
fn rate(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 1e6 => format!("{:.2} M/s", v / 1e6),
        Some(v) if v >= 1e3 => format!("{:.1} K/s", v / 1e3),
        Some(v) => format!("{v:.0} /s"),
        None => "-".to_owned(),
    }
}

/// Humane duration from microseconds.
fn time(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else if us >= 100.0 {
        format!("{us:.0} µs")
    } else if us >= 1.0 {
        format!("{us:.2} µs")
    } else {
        format!("{:.0} ns", us * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::cases::CASES;

    fn stats(arm: &str, throughput: Option<f64>, p50_us: f64) -> Stats {
        Stats {
            arm: arm.to_owned(),
            messages: 100,
            samples: 100,
            throughput,
            p50_us,
            p99_us: p50_us * 2.0,
        }
    }

    #[test]
    fn ratios_follow_the_count_of_the_case() {
        let throughput = CASES.iter().find(|c| c.count == Count::Messages).unwrap();
        let row = Row::new(
            throughput,
            stats("bus", Some(50.0), 9.0),
            stats("base", Some(100.0), 1.0),
        );
        assert_eq!((row.ratio, row.ratio_of), (0.5, "throughput"));
        let wakeup = CASES.iter().find(|c| c.count == Count::Wakeups).unwrap();
        let row = Row::new(wakeup, stats("bus", None, 9.0), stats("base", None, 3.0));
        assert_eq!((row.ratio, row.ratio_of), (3.0, "p50"));
        let row = Row::new(throughput, stats("bus", Some(1.0), 1.0), stats("base", None, 1.0));
        assert_eq!(row.ratio, 0.0);
    }

    #[test]
    fn humane_units() {
        assert_eq!(rate(Some(1_234_567.0)), "1.23 M/s");
        assert_eq!(rate(Some(45_678.0)), "45.7 K/s");
        assert_eq!(rate(None), "-");
        assert_eq!(time(0.5), "500 ns");
        assert_eq!(time(12.345), "12.35 µs");
        assert_eq!(time(345.0), "345 µs");
        assert_eq!(time(2_500.0), "2.50 ms");
    }

    #[test]
    fn the_table_has_both_arms_of_every_row_in_columns() {
        let rows: Vec<Row> = CASES
            .iter()
            .map(|case| {
                Row::new(
                    case,
                    stats(case.bus.1, Some(1e5), 2.0),
                    stats(case.baseline.1, Some(2e5), 1.0),
                )
            })
            .collect();
        let report = Report {
            messages: 500,
            rounds: 5,
            batch: 100,
            latency_samples: 20,
            per_message_work: "work",
            debug_build: true,
            redis: Some("redis://127.0.0.1/".to_owned()),
            rows,
            redis_benchmark: Some(RedisBenchmark::Skipped {
                skipped: "not here".to_owned(),
            }),
        };
        let table = report.table();
        assert!(table.contains("DEBUG BUILD"), "{table}");
        assert!(table.contains("redis-benchmark skipped: not here"), "{table}");
        for case in CASES {
            let bus = table.lines().find(|line| line.contains(case.bus.1)).unwrap();
            assert!(bus.starts_with(case.side.name()) && bus.contains('×'), "{bus}");
            assert!(table.contains(&format!("baseline: {}", case.baseline.1)), "{table}");
        }
    }
}
