//! Runs each example as a person would (`cargo run -p examples --example NAME`) and checks its output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use bus_redis::testing::TestRedis;

/// Runs an example with `BUS_URL` set to `bus_url` (unset when `None`); returns its stdout and stderr.
fn run_example(name: &str, bus_url: Option<&str>) -> (String, String) {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["run", "--quiet", "-p", "examples", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    match bus_url {
        Some(url) => command.env("BUS_URL", url),
        None => command.env_remove("BUS_URL"),
    };
    let output = command.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "example {name} failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// What every quickstart run prints, whatever the backend.
fn check_quickstart(out: &str) {
    assert_eq!(out.matches("published ").count(), 3, "{out}");
    assert!(out.contains("\"how are you?\"") && out.contains("tail: "), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("tail: ")).count(), 2, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("consumed ")).count(), 3, "{out}");
    assert!(out.contains("acked 3; pending now 0"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("dropped chat:quickstart-")), "{out}");
}

#[test]
fn quickstart_publishes_tails_and_consumes() {
    let (out, _) = run_example("quickstart", None);
    assert!(
        out.starts_with("backend: memory (memory://); topic: chat:quickstart-"),
        "{out}"
    );
    check_quickstart(&out);
}

#[test]
fn quickstart_runs_on_redis_from_bus_url() {
    let Some(server) = TestRedis::start("quickstart_runs_on_redis_from_bus_url") else {
        return;
    };
    let private = server.prefix().is_empty();
    // On a private server, protect it with a password given in the URL: it must never be printed.
    let (url, shown) = if private {
        let mut conn = server.raw().unwrap();
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("requirepass")
            .arg("quick-s3cret")
            .query::<()>(&mut conn)
            .unwrap();
        (
            format!("{}?pass=quick-s3cret", server.url()),
            format!("{}?pass=***", server.url()),
        )
    } else {
        (server.url().to_owned(), bus_redis::redact_url(server.url()))
    };
    // Twice: each run has its own topic and drops it, so a rerun on the same server behaves the same.
    for _ in 0..2 {
        let (out, err) = run_example("quickstart", Some(&url));
        assert!(
            out.starts_with(&format!("backend: redis ({shown}); topic: chat:quickstart-")),
            "{out}"
        );
        assert!(
            !out.contains("quick-s3cret") && !err.contains("quick-s3cret"),
            "{out}\n{err}"
        );
        check_quickstart(&out);
    }
    if private {
        // Nothing left behind: no stream, no group, no index keys.
        let mut conn = redis::Client::open(url.as_str()).unwrap().get_connection().unwrap();
        let keys: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
        assert_eq!(keys, 0);
    }
}
