//! The conformance suite of the bus: behaviours every [`Backend`] must show, as named checks any backend's tests
//! can call, and a macro that turns them all into ordinary tests.
//!
//! # Certifying a backend
//! Implement [`BackendFactory`] (a fresh, empty backend per check, and the [`Capabilities`] it has), then call
//! the macro in the backend crate's tests:
//!
//! ```ignore
//! struct Memory;
//!
//! #[async_trait::async_trait]
//! impl conformance::BackendFactory for Memory {
//!     async fn create(&self) -> Option<conformance::Instance> {
//!         Some(conformance::Instance::new(std::sync::Arc::new(bus_memory::MemoryBackend::new())))
//!     }
//!     fn capabilities(&self) -> conformance::Capabilities {
//!         conformance::Capabilities::all()
//!     }
//! }
//!
//! conformance::conformance_tests!(Memory);
//! ```
//!
//! A check that needs a capability the backend lacks is skipped and says why. A factory returning `None` (no
//! server available) skips the check loudly.

pub mod checks;
pub mod model;
pub mod ops;
pub mod property;

use std::future::Future;
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

/// Runs one check on a fresh backend from the factory; `Ok(false)` when it was skipped.
pub async fn run_check<F, C, Fut>(factory: &F, name: &str, needs: Capabilities, check: C) -> Result<bool, Failure>
where
    F: BackendFactory + ?Sized,
    C: FnOnce(Arc<dyn Backend>) -> Fut,
    Fut: Future<Output = CheckResult>,
{
    let has = factory.capabilities();
    if has.lacks(&needs) {
        eprintln!("SKIPPED conformance check `{name}`: the backend lacks a capability it needs ({needs:?})");
        return Ok(false);
    }
    let Some(instance) = factory.create().await else {
        eprintln!("SKIPPED conformance check `{name}`: the factory could not create a backend");
        return Ok(false);
    };
    let outcome = check(instance.backend.clone()).await;
    drop(instance);
    outcome.map(|()| true)
}

/// Expands to one `#[tokio::test]` per conformance check, run on backends from the given factory, plus the
/// model-based properties as plain `#[test]`s (`model_based_sequences`, `delivery_invariants`). The factory
/// expression is evaluated once per test; a property calls its `create` once per case.
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

        $crate::conformance_tests!(@each $factory;
            publish_is_idempotent,
            append_rejects_ids_not_above_the_top,
            publish_finds_a_later_holder_after_a_trim,
            idle_consumer_delete_spares_consumers_with_pending_entries,
            range_honours_exclusive_bounds,
            last_id_survives_deletes,
            new_reads_deliver_each_entry_once,
            acked_entries_are_never_redelivered,
            history_replays_pending_and_counts_deliveries,
            history_reports_deleted_entries,
            claim_transfers_ownership,
            autoclaim_drops_deleted_entries,
            lag_counts_undelivered_entries,
            blocking_read_is_served_by_an_append,
            consumer_recovers_entries_of_a_dropped_read,
        );
    };
    (@each $factory:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let factory = $factory;
                let needs = $crate::checks::needs(stringify!($name));
                if let Err(failure) = $crate::run_check(&factory, stringify!($name), needs, $crate::checks::$name).await {
                    panic!("conformance check `{}` failed: {}", stringify!($name), failure);
                }
            }
        )+
    };
}
