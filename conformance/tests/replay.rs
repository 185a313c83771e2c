//! A failing sequence prints as `bus` commands that replay it: for generated sequences, running the printed lines
//! through `bus_command` (parse, execute) leaves a backend in the same state as running the operations.

use std::sync::Arc;

use bus_core::Backend;
use conformance::ops::Script;
use conformance::property::{FullProfile, Machine, compare, observe};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use proptest_state_machine::ReferenceStateMachine;

#[test]
fn printed_sequences_replay_in_the_bus_syntax() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = Machine::<FullProfile>::sequential_strategy(1..40);
    runner
        .run(&strategy, |(_, ops, _)| {
            runtime.block_on(async {
                let direct: Arc<dyn Backend> = Arc::new(bus_memory::MemoryBackend::new());
                for op in &ops {
                    op.run(direct.as_ref()).await;
                }
                let replayed = bus_memory::MemoryBackend::new();
                let script = Script(&ops).to_string();
                for line in script.lines() {
                    let command = bus_command::parse_line(line)
                        .map_err(|e| TestCaseError::fail(format!("`{line}` does not parse: {e}")))?;
                    // Errors are part of the replay (the same operation fails the same way).
                    let _ = command.run(&replayed).await;
                }
                let want = observe(direct.as_ref())
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let got = observe(&replayed)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                compare(&got, &want, "replayed", "direct")
                    .map_err(|e| TestCaseError::fail(format!("{e}\nscript:\n{script}")))
            })
        })
        .unwrap();
}
