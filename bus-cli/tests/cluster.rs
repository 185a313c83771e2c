//! The `bus` CLI on a Redis Cluster URL (`redis+cluster://…`, a local cluster from
//! `bus_redis::testing::TestCluster`): the whole shell scenario every backend runs, and single commands.
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

mod common;

use bus_redis::testing::TestCluster;
use common::{check_session, run, scenario};

#[test]
fn a_shell_session_runs_the_whole_scenario_on_a_cluster() {
    let Some(cluster) = TestCluster::shared("a_shell_session_runs_the_whole_scenario_on_a_cluster") else {
        return;
    };
    check_session(cluster.url(), &scenario(&format!("cli{}:chat:1", std::process::id())));
    // Single commands on topics of different slots, and a read over both.
    let (a, b) = (
        format!("cli{}:a", std::process::id()),
        format!("cli{}:b", std::process::id()),
    );
    for topic in [&a, &b] {
        let (code, lines) = run(cluster.url(), &["publish", topic, r#"{"n":1}"#]);
        assert_eq!(code, 0, "{lines:?}");
    }
    let (code, lines) = run(cluster.url(), &["read", &b, &a, "0", "0"]);
    assert_eq!(code, 0, "{lines:?}");
    let text = lines[0].to_string();
    assert!(
        text.find(&b).unwrap() < text.find(&a).unwrap(),
        "in the order asked: {text}"
    );
}
