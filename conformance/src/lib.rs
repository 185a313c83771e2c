//! The conformance suite of the bus: behaviours every [`Backend`] must show, as named checks any backend's tests
//! can call, and a macro that turns them all into ordinary tests.
//!
//! # Writing a new backend
//! A backend is certified by this crate's suite: the named [`checks`] (one behaviour each, exact values from
//! Redis 7.0) and two model-based properties ([`property`]) that run random operation sequences against the
//! backend and the reference [`model`] and compare every result and the whole observable state after every step.
//! Four steps:
//!
//! 1. **Implement the trait.** Implement [`bus_core::Backend`] with Redis 7.0's semantics (results, state changes,
//!    error wording). Read time only through [`bus_core::Clock`] (tokio's clock) if you want the timing checks to
//!    run on paused time.
//! 2. **Declare capabilities.** Implement [`BackendFactory`]: `create` returns a fresh, empty backend (or `None`
//!    when it cannot, e.g. no server: every check is then skipped with a message instead of failing), wrapped in
//!    an [`Instance`] that can keep a server process or a temporary directory alive; `capabilities` says which
//!    optional behaviours to certify (see the table below).
//! 3. **Call the macro** in an integration test of the backend's crate. This is the whole test file of
//!    `bus-memory`'s certification (`bus-memory/tests/conformance.rs`, 21 lines):
//!
//! ```ignore
//! //! The conformance suite on the in-memory backend.
//!
//! use std::sync::Arc;
//!
//! use bus_core::Backend;
//!
//! struct Memory;
//!
//! #[async_trait::async_trait]
//! impl conformance::BackendFactory for Memory {
//!     async fn create(&self) -> Option<conformance::Instance> {
//!         let backend: Arc<dyn Backend> = Arc::new(bus_memory::MemoryBackend::new());
//!         Some(conformance::Instance::new(backend))
//!     }
//!
//!     fn capabilities(&self) -> conformance::Capabilities {
//!         conformance::Capabilities::all()
//!     }
//! }
//!
//! conformance::conformance_tests!(Memory);
//! ```
//!
//!    [`conformance_tests!`] expands to one `#[tokio::test]` per named check (current-thread, so the timing
//!    checks can pause the clock) and to `model_based_sequences` and `delivery_invariants`. Add `conformance`,
//!    `async-trait` and `tokio` (features `macros`, `rt`) as dev-dependencies. A backend behind a server keeps the
//!    server in the factory and hands each `create` a fresh key prefix (see `bus-redis/tests/factories/mod.rs`).
//!    To compare two backends operation by operation as well, call [`property::differential`] from a `#[test]`.
//! 4. **Run it, then run the stress mode.** `cargo test -p your-backend --test conformance` runs
//!    [`property::DEFAULT_CASES`] sequences per property (`PROPTEST_CASES=n` to change). Before a release, run
//!    the stress mode: `BUS_CONFORMANCE_STRESS=1 cargo test -p your-backend --test conformance --release` (20
//!    times the cases, sequences up to 80 operations instead of 40; combine with `PROPTEST_CASES`). A failure prints
//!    the shrunk sequence one command per line, in the syntax of the `bus` CLI's shell, so it can be replayed on any
//!    backend; its seed is saved under `proptest-regressions/` beside the test file and replayed first next time
//!    (commit that file).
//!
//! # What each capability changes
//! | flag | with it | without it |
//! |---|---|---|
//! | `blocking_reads` | `blocking_read_is_served_by_an_append`, `consumer_recovers_entries_of_a_dropped_read` and `block_timeouts_hold_with_margins` run | they are skipped, each with a printed reason |
//! | `controllable_clock` | `idle_times_are_exact` runs on paused tokio time: XPENDING idle, XCLAIM and XAUTOCLAIM min-idle (999 ms refused, 1000 ms claimed) and XINFO CONSUMERS idle to the millisecond; with `blocking_reads` too, `block_timeouts_are_exact` and `blocked_read_at_its_deadline_loses_nothing` (a read returns `None` when its block expires and not before; an entry appended at the deadline is returned or left undelivered) | those are skipped with a printed reason; `idle_times_hold_with_margins` and `block_timeouts_hold_with_margins`, which run on every backend on the real clock, assert only what holds with wide margins |
//! | `exact_node_trimming` | approximate trims (`~`) in the properties must remove exactly what Redis removes with `stream-node-max-bytes 0` (whole 100-entry nodes); the differential mode includes them when both sides have the flag | approximate trims are checked as bounds: never below MAXLEN/MINID, never more than an exact trim nor beyond LIMIT |
//!
//! The properties never block and model time coarsely (recent or idle for hours), so they run the same with or
//! without the first two flags.
//!
//! # Teeth
//! The crate's own `tests/mutants.rs` runs the whole suite against deliberately broken wrappers of `bus-memory`
//! (ack that does nothing, `>` redelivering acked entries, cursors off by one, a claim keeping the old owner,
//! frozen delivery counts, a blocked read dropping what it was served at its deadline, lag off by one) and fails
//! if any of them passes. A new check belongs in the suite only if it keeps all of them caught.

pub mod checks;
pub mod model;
pub mod property;

use std::sync::Arc;

use async_trait::async_trait;
use bus_core::Backend;

/// What a backend can do; checks that need more are skipped with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// BLOCK on reads waits for appends.
    pub blocking_reads: bool,
    /// Time follows tokio's clock, so paused-time tests control idle times and timeouts.
    pub controllable_clock: bool,
    /// Approximate trims (`~`) remove exactly the whole nodes Redis would with `stream-node-max-bytes 0` (100
    /// entries a node, tombstones included). Without it the property suite checks approximate trims as bounds
    /// only: never more removed than an exact trim, nor beyond LIMIT.
    pub exact_node_trimming: bool,
}

impl Capabilities {
    /// Everything.
    pub fn all() -> Capabilities {
        Capabilities {
            blocking_reads: true,
            controllable_clock: true,
            exact_node_trimming: true,
        }
    }

    /// Nothing optional.
    pub fn none() -> Capabilities {
        Capabilities {
            blocking_reads: false,
            controllable_clock: false,
            exact_node_trimming: false,
        }
    }

    /// With or without blocking reads.
    pub fn blocking_reads(mut self, yes: bool) -> Capabilities {
        self.blocking_reads = yes;
        self
    }

    /// With or without a controllable clock.
    pub fn controllable_clock(mut self, yes: bool) -> Capabilities {
        self.controllable_clock = yes;
        self
    }

    /// With or without exact node-based approximate trimming.
    pub fn exact_node_trimming(mut self, yes: bool) -> Capabilities {
        self.exact_node_trimming = yes;
        self
    }

    /// The capabilities of `needs` that `self` lacks, if any.
    fn lacks(&self, needs: &Capabilities) -> bool {
        (needs.blocking_reads && !self.blocking_reads)
            || (needs.controllable_clock && !self.controllable_clock)
            || (needs.exact_node_trimming && !self.exact_node_trimming)
    }
}

/// A backend under test, with whatever must live as long as it does (a server process, a temporary directory).
pub struct Instance {
    backend: Arc<dyn Backend>,
    _keep_alive: Box<dyn Send + Sync>,
}

impl Instance {
    /// A backend that needs nothing kept alive.
    pub fn new(backend: Arc<dyn Backend>) -> Instance {
        Instance::with_guard(backend, ())
    }

    /// A backend and a guard dropped after the check (e.g. the server it talks to).
    pub fn with_guard(backend: Arc<dyn Backend>, guard: impl Send + Sync + 'static) -> Instance {
        Instance {
            backend,
            _keep_alive: Box::new(guard),
        }
    }
}

/// Makes fresh backends for the checks.
#[async_trait]
pub trait BackendFactory: Send + Sync {
    /// A new, empty backend, or `None` when none can be had (the check is then skipped with a message).
    async fn create(&self) -> Option<Instance>;

    /// What the backends made here can do.
    fn capabilities(&self) -> Capabilities;
}

/// Why a check failed.
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl From<bus_core::Error> for Failure {
    fn from(err: bus_core::Error) -> Failure {
        Failure(format!("unexpected backend error: {err}"))
    }
}

/// Outcome of one check.
pub type CheckResult = Result<(), Failure>;

/// Fails the check with a message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err($crate::Failure(format!($($msg)+)));
        }
    };
}

/// Fails the check unless both sides are equal.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($msg:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err($crate::Failure(format!("{}: expected {:?}, got {:?}", format!($($msg)+), right, left)));
        }
    }};
}

/// Runs one check on a fresh backend from the factory; `Ok(false)` when it was skipped (a capability is missing or
/// the factory has no backend), with the reason printed.
pub async fn run_check<F>(factory: &F, check: &checks::Check) -> Result<bool, Failure>
where
    F: BackendFactory + ?Sized,
{
    let path = check.path();
    if factory.capabilities().lacks(&check.needs) {
        eprintln!(
            "SKIPPED conformance check `{path}`: the backend lacks a capability it needs ({:?})",
            check.needs
        );
        return Ok(false);
    }
    let Some(instance) = factory.create().await else {
        eprintln!("SKIPPED conformance check `{path}`: the factory could not create a backend");
        return Ok(false);
    };
    let outcome = (check.run)(instance.backend.clone()).await;
    drop(instance);
    outcome.map(|()| true)
}

/// Runs the catalogue's check `module::name` as the tests [`conformance_tests!`] generates do: the failure as a
/// message, including a name the catalogue does not have.
#[doc(hidden)]
pub async fn run_test<F: BackendFactory + ?Sized>(factory: &F, module: &str, name: &str) -> Result<(), String> {
    let Some(check) = checks::find(module, name) else {
        return Err(format!("the catalogue has no check `{module}::{name}`"));
    };
    run_check(factory, &check)
        .await
        .map(|_| ())
        .map_err(|failure| format!("conformance check `{module}::{name}` failed: {failure}"))
}

/// Expands to one `#[tokio::test]` per conformance check, in one module per command family (`groups::…`,
/// `blocking::…`), run on backends from the given factory, plus the model-based properties as plain `#[test]`s
/// (`model_based_sequences`, `delivery_invariants`). The factory expression is evaluated once per test (inside
/// the family's module, which imports everything of the calling module); a property calls its `create` once per
/// case.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        #[test]
        fn model_based_sequences() {
            let factory = $factory;
            if let Err(failure) = $crate::property::model_property(&factory, $crate::property::Profile::Full, file!()) {
                panic!("{failure}");
            }
        }

        #[test]
        fn delivery_invariants() {
            let factory = $factory;
            if let Err(failure) =
                $crate::property::model_property(&factory, $crate::property::Profile::Delivery, file!())
            {
                panic!("{failure}");
            }
        }

        $crate::__with_catalogue!(conformance_tests!(@each $factory;));
    };
    (@each $factory:expr; $($module:ident { $($name:ident [$($capability:ident),*]),* $(,)? })*) => {
        $(
            mod $module {
                #[allow(unused_imports, reason = "the factory expression may name anything of the calling module")]
                use super::*;

                $(
                    #[tokio::test]
                    async fn $name() {
                        if let Err(failure) = $crate::run_test(&$factory, stringify!($module), stringify!($name)).await {
                            panic!("{failure}");
                        }
                    }
                )*
            }
        )*
    };
}
