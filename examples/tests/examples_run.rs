//! Runs each example as a person would (`cargo run -p examples --example NAME`) and checks its output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use bus_redis::testing::TestRedis;

/// Runs an example with `BUS_URL` set to `bus_url` (unset when `None`); returns its stdout and stderr.
fn run_example(name: &str, bus_url: Option<&str>) -> (String, String) {
    run_example_env(name, bus_url, &[])
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

/// Runs an example with extra environment variables.
/// Runs the example with `BUS_URL` set (or unset) and extra environment; returns stdout and stderr.
fn run_example_env(name: &str, bus_url: Option<&str>, env: &[(&str, &str)]) -> (String, String) {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["run", "--quiet", "-p", "examples", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    match bus_url {
        Some(url) => command.env("BUS_URL", url),
        None => command.env_remove("BUS_URL"),
    };
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "example {name} failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// The value of `key=` in the `summary:`/`accounting:` line starting with `prefix`.
fn field(out: &str, prefix: &str, key: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} line in:\n{out}"));
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
        .to_owned()
}

fn check_agent_chat(out: &str) {
    let get = |key| field(out, "summary: ", key);
    assert_eq!(get("replies"), "6", "{out}");
    assert_eq!(
        (get("planner_handled"), get("coder_handled")),
        ("3".into(), "3".into()),
        "{out}"
    );
    assert_eq!(get("conversation_messages"), "7", "{out}");
    assert_eq!(get("tokens_streamed"), get("tokens_expected"), "{out}");
    // The planner's message waited in the paused coder's inbox and was handled only after resume.
    assert_eq!(
        (get("waited_while_paused"), get("handled_while_paused")),
        ("1".into(), "0".into()),
        "{out}"
    );
    assert_eq!(get("acked"), "6", "{out}");
    let paused = out.find("[control] paused").expect("paused");
    let resumed = out.find("[control] resuming").expect("resuming");
    let coder_first = out.find("[coder-").expect("coder handled");
    assert!(paused < resumed && resumed < coder_first, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("[stream] ")).count(), 6, "{out}");
}

#[test]
fn agent_chat_converses_pauses_and_resumes() {
    check_agent_chat(&run_example("agent_chat", None).0);
}

#[test]
fn agent_chat_runs_on_redis() {
    let Some(server) = TestRedis::start("agent_chat_runs_on_redis") else {
        return;
    };
    check_agent_chat(&run_example("agent_chat", Some(server.url())).0);
}

fn check_worker_pool(out: &str) {
    let get = |key: &str| -> usize { field(out, "accounting: ", key).parse().unwrap() };
    assert_eq!(get("lost"), 0, "{out}");
    assert!(get("processed") >= get("published"), "{out}");
    assert!(out.contains("killed worker-2 while it was running jobs ["), "{out}");
    assert!(!out.contains("running jobs []"), "{out}");
    assert!(out.contains("claimed from a dead worker"), "{out}");
}

#[test]
fn worker_pool_survives_a_killed_worker() {
    check_worker_pool(&run_example("worker_pool", None).0);
}

#[test]
fn worker_pool_runs_on_redis() {
    let Some(server) = TestRedis::start("worker_pool_runs_on_redis") else {
        return;
    };
    check_worker_pool(&run_example("worker_pool", Some(server.url())).0);
}

fn check_sse(out: &str) {
    assert!(
        out.lines().any(|l| l.starts_with("listening on http://127.0.0.1:")),
        "{out}"
    );
    assert!(out.contains("client: disconnected after 5 events"), "{out}");
    assert!(
        out.contains("summary: published=18 received=18 missing=0 duplicated=0 in_order=true"),
        "{out}"
    );
}

#[test]
fn sse_example_resumes_without_gap() {
    check_sse(&run_example_env("sse", None, &[("SSE_LINGER_SECS", "0")]).0);
}

#[test]
fn sse_example_runs_on_redis() {
    let Some(server) = TestRedis::start("sse_example_runs_on_redis") else {
        return;
    };
    check_sse(&run_example_env("sse", Some(server.url()), &[("SSE_LINGER_SECS", "0")]).0);
}

fn check_metrics(out: &str) {
    assert!(
        out.lines().any(|l| l.starts_with("metrics on http://127.0.0.1:")),
        "{out}"
    );
    assert!(
        out.contains(
            "scraped: delivered=7 acked=5 failed=2 retried=1 dead_lettered_permanent=1 duplicates=1 \
             subscription_entries=6"
        ),
        "{out}"
    );
    // The scrape itself, as printed: typed series with the documented labels.
    assert!(out.contains("# TYPE bus_runtime_delivered_total counter"), "{out}");
    let topic = out
        .lines()
        .find_map(|l| l.split_once("; topic: ").map(|(_, topic)| topic))
        .expect("the topic line");
    assert!(
        out.contains(&format!(
            "bus_runtime_dead_lettered_total{{topic=\"{topic}\",group=\"billing\",reason=\"permanent\"}} 1"
        )),
        "{out}"
    );
    assert!(out.contains("dropped chat:metrics-"), "{out}");
}

#[test]
fn metrics_example_serves_the_runtime_counters() {
    check_metrics(&run_example_env("metrics", None, &[("METRICS_LINGER_SECS", "0")]).0);
}

#[test]
fn metrics_example_runs_on_redis() {
    let Some(server) = TestRedis::start("metrics_example_runs_on_redis") else {
        return;
    };
    check_metrics(&run_example_env("metrics", Some(server.url()), &[("METRICS_LINGER_SECS", "0")]).0);
}

/// Starts an example as a person would, with `BUS_URL` and extra environment, with its stdout piped.
fn spawn_example(name: &str, bus_url: &str, env: &[(&str, &str)]) -> std::process::Child {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["run", "--quiet", "-p", "examples", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("BUS_URL", bus_url)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped());
    command.spawn().expect("cargo runs")
}

/// Reads the child's stdout up to the first line starting with `prefix`; returns everything read.
fn read_until(stdout: &mut impl std::io::BufRead, prefix: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = stdout.read_line(&mut line).unwrap();
        assert!(
            read > 0,
            "the example ended before a line starting with {prefix:?}:\n{seen}"
        );
        seen.push_str(&line);
        if line.starts_with(prefix) {
            return seen;
        }
    }
}

/// Interrupts an example with SIGINT, as Ctrl-C does, once it printed a line starting with `at`; then checks it
/// exits cleanly having dropped its topics: the private server holds no key.
fn interrupt_leaves_nothing(name: &str, at: &str, env: &[(&str, &str)]) {
    let Some(server) = TestRedis::start(&format!("{name}_cleans_up_on_ctrl_c")) else {
        return;
    };
    if !server.is_private() {
        return; // DBSIZE would count other tests' keys
    }
    let mut child = spawn_example(name, server.url(), env);
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut out = read_until(&mut stdout, at);
    // `cargo run` replaces itself with the example (exec) on Unix, so this pid is the example's.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{name} interrupted: {status}\n{out}");
    assert!(out.contains("interrupted: cleaning up"), "{out}");
    let mut conn = server.raw().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
    assert_eq!(keys, Vec::<String>::new(), "{name} left keys behind:\n{out}");
}

#[test]
fn sse_example_cleans_up_on_ctrl_c_while_it_lingers() {
    interrupt_leaves_nothing("sse", "serving for ", &[("SSE_LINGER_SECS", "600")]);
}

#[test]
fn sse_example_cleans_up_on_ctrl_c_mid_stream() {
    interrupt_leaves_nothing("sse", "client: id ", &[("SSE_LINGER_SECS", "600")]);
}

#[test]
fn worker_pool_cleans_up_on_ctrl_c_while_workers_run() {
    interrupt_leaves_nothing("worker_pool", "started ", &[]);
}

#[test]
fn metrics_example_cleans_up_on_ctrl_c_while_it_lingers() {
    interrupt_leaves_nothing("metrics", "serving for ", &[("METRICS_LINGER_SECS", "600")]);
}

#[test]
fn agent_chat_cleans_up_on_ctrl_c_mid_conversation() {
    interrupt_leaves_nothing("agent_chat", "[control] paused", &[]);
}

/// The agent, worker and subscription examples on a Redis Cluster URL (a local cluster, started once for
/// this binary): `Agent`, `Worker` and `Subscription` on topics spread over the masters.
#[test]
fn the_examples_run_on_a_redis_cluster() {
    let Some(cluster) = bus_redis::testing::TestCluster::shared("the_examples_run_on_a_redis_cluster") else {
        return;
    };
    check_quickstart(&run_example("quickstart", Some(cluster.url())).0);
    check_agent_chat(&run_example("agent_chat", Some(cluster.url())).0);
    check_worker_pool(&run_example("worker_pool", Some(cluster.url())).0);
}
