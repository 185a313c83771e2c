//! Runs each example as a person would (`cargo run -p examples --example NAME`) and checks its output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn run_example(name: &str) -> String {
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "-p", "examples", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "example {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn quickstart_publishes_tails_and_consumes() {
    let out = run_example("quickstart");
    assert_eq!(out.matches("published ").count(), 3, "{out}");
    assert!(out.contains("\"how are you?\"") && out.contains("tail: "), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("tail: ")).count(), 2, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("consumed ")).count(), 3, "{out}");
    assert!(out.contains("acked 3; pending now 0"), "{out}");
}
