//! A failing sequence prints as `bus` commands that replay it: for generated sequences, every printed line parses
//! back to the command that was run, and running the parsed lines (as `bus shell` does) leaves a backend in the
//! same state as running the generated commands.

use conformance::property::{FullProfile, Machine, Script, commands, compare, observe, reply};
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
        .run(&strategy, |(_, steps, _)| {
            runtime.block_on(async {
                let direct = bus_memory::MemoryBackend::new();
                for command in commands(&steps) {
                    let _ = reply(command, &direct).await;
                }
                let replayed = bus_memory::MemoryBackend::new();
                let script = Script(&steps).to_string();
                for (line, command) in script.lines().zip(commands(&steps)) {
                    let parsed = bus_command::parse_line(line)
                        .map_err(|e| TestCaseError::fail(format!("`{line}` does not parse: {e}")))?;
                    if &parsed != command {
                        return Err(TestCaseError::fail(format!(
                            "`{line}` parses to {parsed:?}, not {command:?}"
                        )));
                    }
                    // Errors are part of the replay (the same command fails the same way).
                    let _ = parsed.run(&replayed).await;
                }
                let want = observe(&direct).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
                let got = observe(&replayed)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                compare(&got, &want, "replayed", "direct")
                    .map_err(|e| TestCaseError::fail(format!("{e}\nscript:\n{script}")))
            })
        })
        .unwrap();
}
