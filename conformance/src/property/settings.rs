//! How a property runs: how many cases, how long each sequence, where failing seeds are kept, which seed.

use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, TestRng, TestRunner};

/// The number of cases: `PROPTEST_CASES` if set, else `default`, times 20 with `BUS_CONFORMANCE_STRESS=1`.
pub fn cases(default: u32) -> u32 {
    let base = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    if stress() { base.saturating_mul(20) } else { base }
}

fn stress() -> bool {
    std::env::var("BUS_CONFORMANCE_STRESS").is_ok_and(|v| v == "1")
}

/// Default number of cases per property when `PROPTEST_CASES` is unset.
pub const DEFAULT_CASES: u32 = 128;

/// How a property runs: how many cases, how long each sequence, where failures are kept, which seed.
///
/// [`Settings::from_env`] is what the macro uses (cases from `PROPTEST_CASES`, longer runs with
/// `BUS_CONFORMANCE_STRESS=1`, regressions saved next to the calling test file, a random seed).
/// [`Settings::fixed`] pins everything, for tests that must be fast and deterministic (the crate's mutant tests).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Cases to generate.
    pub cases: u32,
    /// Longest operation sequence.
    pub max_ops: usize,
    /// The test file whose `proptest-regressions` directory keeps failing seeds; `None` keeps nothing.
    pub source_file: Option<&'static str>,
    /// Shrinking steps at most.
    pub max_shrink_iters: u32,
    /// A fixed seed (the same sequences every run), or `None` for a random one.
    pub seed: Option<[u8; 32]>,
}

impl Settings {
    /// The environment's settings: see [`cases`] and the stress mode.
    pub fn from_env(source_file: &'static str) -> Settings {
        Settings {
            cases: cases(DEFAULT_CASES),
            max_ops: max_ops(),
            source_file: Some(source_file),
            max_shrink_iters: 2048,
            seed: None,
        }
    }

    /// Deterministic settings: `cases` sequences from `seed`, nothing persisted, little shrinking.
    pub fn fixed(cases: u32, seed: u8) -> Settings {
        Settings {
            cases,
            max_ops: 40,
            source_file: None,
            max_shrink_iters: 256,
            seed: Some([seed; 32]),
        }
    }

    pub(super) fn runner(&self) -> TestRunner {
        let config = Config {
            cases: self.cases,
            source_file: self.source_file,
            failure_persistence: self
                .source_file
                .map(|_| Box::new(FileFailurePersistence::WithSource("proptest-regressions")) as _),
            max_shrink_iters: self.max_shrink_iters,
            ..Config::default()
        };
        match self.seed {
            Some(seed) => {
                let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
                TestRunner::new_with_rng(config, rng)
            }
            None => TestRunner::new(config),
        }
    }
}

fn max_ops() -> usize {
    if stress() { 80 } else { 40 }
}
