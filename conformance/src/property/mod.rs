//! The model-based property suite: random sequences of [`bus_command::Command`]s run on a backend (through
//! the commands' own typed `run`) and applied to the reference [`crate::model::Model`], the replies and the
//! whole observable state compared after every command; delivery invariants at the end of runs; and the
//! differential mode that runs one sequence on two backends.
//!
//! Sequences come from [`proptest_state_machine`]'s sequential strategy (which also shrinks them), driven here
//! by a [`TestRunner`](proptest::test_runner::TestRunner) so the factory can be an ordinary value and the async
//! backend runs under `block_on`. A failure prints the shrunk sequence as the commands' lines, which `bus shell`
//! replays.

mod delivery;
mod generate;
mod observe;
mod settings;
mod steps;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bus_command::{Command, Output};
use bus_core::{Backend, Topic};
use proptest::test_runner::{TestCaseError, TestError};
use proptest_state_machine::ReferenceStateMachine;

use crate::BackendFactory;
use crate::model::{Hint, Model, Reply};
use delivery::Ledger;

pub use generate::{CONSUMERS, GROUPS, GenState, Machine, Script, Step, commands};
pub use observe::{
    GroupSnapshot, Snapshot, TopicSnapshot, coarse, coarse_ttl, compare, model_snapshot, observe, structural_invariants,
};
pub use settings::{DEFAULT_CASES, Settings, cases};

/// Which commands a run may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Every command.
    Full,
    /// No command that legitimately breaks the delivery invariants (SETID, consumer delete, NOACK,
    /// RETRYCOUNT, and also FORCE and LASTID, which deliver or skip entries outside `>`); the invariants are
    /// checked at the end. Dropping or expiring a topic and destroying a group end their groups' ledgers, and
    /// the conditional consumer delete never drops pending entries, so those stay in.
    Delivery,
    /// For the differential mode between backends without exact node trimming: no approximate trims (two such
    /// backends may differ there by design).
    Differential,
}

/// A compile-time [`Profile`], so the state machine (whose methods take no `self`) knows it.
pub trait ProfileKind: 'static {
    /// The profile.
    const PROFILE: Profile;
}

/// [`Profile::Full`].
#[derive(Debug)]
pub struct FullProfile;
/// [`Profile::Delivery`].
#[derive(Debug)]
pub struct DeliveryProfile;
/// [`Profile::Differential`].
#[derive(Debug)]
pub struct DifferentialProfile;

impl ProfileKind for FullProfile {
    const PROFILE: Profile = Profile::Full;
}
impl ProfileKind for DeliveryProfile {
    const PROFILE: Profile = Profile::Delivery;
}
impl ProfileKind for DifferentialProfile {
    const PROFILE: Profile = Profile::Differential;
}

/// The topics the sequences use.
pub const TOPICS: [&str; 2] = ["t1", "t2"];

fn topics() -> Vec<Topic> {
    TOPICS.iter().filter_map(|name| Topic::new(name).ok()).collect()
}

/// Runs a command on a backend: its output, or the error's text (Redis's wording).
pub async fn reply(command: &Command, backend: &dyn Backend) -> Reply {
    command.run(backend).await.map_err(|err| err.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))
}

type Case = (GenState, Vec<Step>, Option<Arc<AtomicUsize>>);

fn report(property: &str, error: TestError<Case>) -> String {
    match error {
        TestError::Abort(reason) => format!("property `{property}` aborted: {reason}"),
        TestError::Fail(reason, (_, steps, _)) => {
            let n = commands(&steps).count();
            format!(
                "property `{property}` failed: {reason}\n\nShrunk sequence ({n} command{}, one per line, as `bus shell` \
                 replays it; the failure is at the step named above):\n{}",
                if n == 1 { "" } else { "s" },
                Script(&steps)
            )
        }
    }
}

fn step_error(index: usize, command: &Command, message: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(format!("step {} `{command}`: {message}", index + 1))
}

/// The topic of a command that trims approximately (`~`), if it is one.
fn approx_trim_topic(command: &Command) -> Option<&Topic> {
    let (topic, trim) = match command {
        Command::Append(c) => (&c.topic, &c.options.trim),
        Command::Publish(c) => (&c.topic, &c.options.trim),
        Command::Trim(c) => (&c.topic, &c.trim),
        _ => return None,
    };
    trim.approx.then_some(topic)
}

/// What the model must be told of an approximate trim on a backend without exact node trimming: how many entries
/// the backend removed (the model checks the number against Redis's bounds).
async fn approx_hint(command: &Command, got: &Reply, backend: &dyn Backend, len_before: u64) -> bus_core::Result<Hint> {
    let Some(topic) = approx_trim_topic(command) else {
        return Ok(Hint::default());
    };
    let approx_removed = match got {
        Ok(Output::Count(n)) if matches!(command, Command::Trim(_)) => Some(*n),
        Ok(Output::Id(Some(_))) => Some((len_before + 1).saturating_sub(backend.len(topic).await?)),
        Ok(Output::Published(message)) if message.published.is_some_and(|p| !p.duplicate) => {
            Some((len_before + 1).saturating_sub(backend.len(topic).await?))
        }
        _ => None,
    };
    Ok(Hint { approx_removed })
}

/// Runs one case on a fresh backend against the model.
async fn model_case<F: BackendFactory + ?Sized>(
    factory: &F,
    profile: Profile,
    steps: &[Step],
    seen: Option<&AtomicUsize>,
) -> Result<(), TestCaseError> {
    let Some(instance) = factory.create().await else {
        return Err(TestCaseError::fail("the factory could not create a backend"));
    };
    let backend = instance.backend.clone();
    let exact_nodes = factory.capabilities().exact_node_trimming;
    let mut model = Model::default();
    let mut ledger = Ledger::default();
    let mut before = observe(backend.as_ref()).await.map_err(|e| TestCaseError::fail(e.0))?;
    let mut index = 0;
    for step in steps {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        for command in &step.0 {
            let len_before = approx_trim_topic(command)
                .and_then(|topic| model.stream(topic))
                .map_or(0, |s| s.entries.len() as u64);
            let got = reply(command, backend.as_ref()).await;
            let hint = if exact_nodes {
                Hint::default()
            } else {
                approx_hint(command, &got, backend.as_ref(), len_before)
                    .await
                    .map_err(|e| step_error(index, command, e))?
            };
            let want = model.apply(command, hint).map_err(|e| step_error(index, command, e))?;
            if coarse(&got) != coarse(&want) {
                return Err(step_error(
                    index,
                    command,
                    format!("the backend returned\n  {got:?}\nRedis 7.0 (the model) returns\n  {want:?}"),
                ));
            }
            let after = observe(backend.as_ref())
                .await
                .map_err(|e| step_error(index, command, e))?;
            compare(&after, &model_snapshot(&model), "backend", "model (Redis 7.0)")
                .map_err(|e| step_error(index, command, format!("state differs after the step: {e}")))?;
            structural_invariants(&after).map_err(|e| step_error(index, command, e))?;
            if profile == Profile::Delivery {
                ledger
                    .observe(command, &got, &before, &after)
                    .map_err(|e| step_error(index, command, format!("delivery invariant broken: {e}")))?;
            }
            before = after;
            index += 1;
        }
    }
    if profile == Profile::Delivery {
        ledger
            .finish(backend.as_ref())
            .await
            .map_err(|e| TestCaseError::fail(format!("delivery invariant broken at the end of the run: {e}")))?;
    }
    drop(instance);
    Ok(())
}

fn run_property<P, F>(
    factory: &F,
    property: &str,
    settings: &Settings,
    case: impl Fn(&tokio::runtime::Runtime, Case) -> Result<(), TestCaseError>,
) -> Result<(), String>
where
    P: ProfileKind,
    F: BackendFactory + ?Sized,
{
    let rt = runtime()?;
    // One probe: a factory without a backend (no server) skips the property loudly instead of failing.
    match rt.block_on(factory.create()) {
        Some(instance) => drop(instance),
        None => {
            eprintln!("SKIPPED conformance property `{property}`: the factory could not create a backend");
            return Ok(());
        }
    }
    let mut runner = settings.runner();
    let strategy = Machine::<P>::sequential_strategy(1..settings.max_ops);
    runner
        .run(&strategy, |value| case(&rt, value))
        .map_err(|e| report(property, e))
}

/// Runs a model-based property on backends from the factory: random sequences of the profile's commands, each
/// command's reply and the whole observable state compared with the model, and (for [`Profile::Delivery`]) the
/// delivery invariants. `source_file` decides where proptest keeps regression seeds (pass `file!()`).
pub fn model_property<F: BackendFactory + ?Sized>(
    factory: &F,
    profile: Profile,
    source_file: &'static str,
) -> Result<(), String> {
    model_property_with(factory, profile, &Settings::from_env(source_file))
}

/// [`model_property`] with explicit [`Settings`] (a fixed seed and a bounded number of cases, say).
pub fn model_property_with<F: BackendFactory + ?Sized>(
    factory: &F,
    profile: Profile,
    settings: &Settings,
) -> Result<(), String> {
    let case = |rt: &tokio::runtime::Runtime, case: Case| {
        rt.block_on(model_case(factory, profile, &case.1, case.2.as_deref()))
    };
    match profile {
        Profile::Full => run_property::<FullProfile, F>(factory, "model_based_sequences", settings, case),
        Profile::Delivery => run_property::<DeliveryProfile, F>(factory, "delivery_invariants", settings, case),
        Profile::Differential => {
            run_property::<DifferentialProfile, F>(factory, "model_without_approx_trims", settings, case)
        }
    }
}

/// Runs one case on a fresh backend of each factory, comparing replies command by command and states step by step.
async fn differential_case<L, R>(
    left: (&str, &L),
    right: (&str, &R),
    steps: &[Step],
    seen: Option<&AtomicUsize>,
) -> Result<(), TestCaseError>
where
    L: BackendFactory + ?Sized,
    R: BackendFactory + ?Sized,
{
    let (Some(a), Some(b)) = (left.1.create().await, right.1.create().await) else {
        return Err(TestCaseError::fail("a factory could not create a backend"));
    };
    let mut index = 0;
    for step in steps {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        for command in &step.0 {
            let got_a = reply(command, a.backend.as_ref()).await;
            let got_b = reply(command, b.backend.as_ref()).await;
            if coarse(&got_a) != coarse(&got_b) {
                return Err(step_error(
                    index,
                    command,
                    format!("{} returned\n  {got_a:?}\n{} returned\n  {got_b:?}", left.0, right.0),
                ));
            }
            let state_a = observe(a.backend.as_ref())
                .await
                .map_err(|e| step_error(index, command, e))?;
            let state_b = observe(b.backend.as_ref())
                .await
                .map_err(|e| step_error(index, command, e))?;
            compare(&state_a, &state_b, left.0, right.0)
                .map_err(|e| step_error(index, command, format!("state differs after the step: {e}")))?;
            structural_invariants(&state_a).map_err(|e| step_error(index, command, format!("{}: {e}", left.0)))?;
            structural_invariants(&state_b).map_err(|e| step_error(index, command, format!("{}: {e}", right.0)))?;
            index += 1;
        }
    }
    Ok(())
}

/// The differential mode: one random sequence applied to a backend of each factory, the replies compared command
/// by command and the observable states step by step. Approximate trims are in only when both factories trim
/// nodes exactly as Redis does with `stream-node-max-bytes 0` (otherwise two backends may differ by design).
pub fn differential<L, R>(left: (&str, &L), right: (&str, &R), source_file: &'static str) -> Result<(), String>
where
    L: BackendFactory + ?Sized,
    R: BackendFactory + ?Sized,
{
    let rt = runtime()?;
    for (name, probe) in [
        (left.0, rt.block_on(left.1.create())),
        (right.0, rt.block_on(right.1.create())),
    ] {
        if probe.is_none() {
            eprintln!("SKIPPED differential property: no {name} backend");
            return Ok(());
        }
    }
    let settings = Settings::from_env(source_file);
    let mut runner = settings.runner();
    let case = |case: Case| rt.block_on(differential_case(left, right, &case.1, case.2.as_deref()));
    let exact = left.1.capabilities().exact_node_trimming && right.1.capabilities().exact_node_trimming;
    let outcome = if exact {
        runner.run(&Machine::<FullProfile>::sequential_strategy(1..settings.max_ops), case)
    } else {
        runner.run(
            &Machine::<DifferentialProfile>::sequential_strategy(1..settings.max_ops),
            case,
        )
    };
    outcome.map_err(|e| report("differential", e))
}
