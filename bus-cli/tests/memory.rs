//! The `bus` binary end to end on `memory://`: a whole shell session on one in-process bus, single commands,
//! errors and exit codes, help.

mod common;

use common::{bus, check_session, run, scenario, shell};
use serde_json::json;

#[test]
fn a_shell_session_runs_the_whole_scenario_on_one_bus() {
    check_session("memory://", &scenario("chat:1"));
}

#[test]
fn the_shell_prints_one_line_per_command_and_keeps_going() {
    let lines = shell(
        "memory://",
        "# comment\n\n   \nlen t\nnot-a-command\nlen 'unterminated\ntail t --follow\nsleep 1\nlen t\n",
    );
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert_eq!(lines[0], json!(0));
    assert_eq!(lines[1]["error"]["kind"], "invalid_argument");
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unrecognized subcommand 'not-a-command'")
    );
    assert!(
        lines[2]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot split the command line")
    );
    assert_eq!(lines[3]["error"]["kind"], "invalid_argument");
    assert_eq!(lines[4], json!(null));
    assert_eq!(lines[5], json!(0));
}

#[test]
fn single_commands_print_one_line_and_exit_1_on_errors() {
    assert_eq!(run("memory://", &["len", "t"]), (0, vec![json!(0)]));
    let (code, lines) = run("memory://", &["publish", "t", r#"{"a":1}"#, "--entry-id", "5-0"]);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["entry_id"], "5-0");
    assert_eq!(lines[0]["duplicate"], false);
    assert_eq!(lines[0]["id"].as_str().map(str::len), Some(36));

    let (code, lines) = run("memory://", &["range", "t", "x", "+"]);
    assert_eq!(code, 1);
    assert_eq!(
        lines,
        vec![
            json!({"error": {"kind": "invalid_id", "message": "ERR Invalid stream ID specified as stream command argument"}})
        ]
    );
    let (code, lines) = run("memory://", &["group-create", "t", "g", "0"]);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["error"]["kind"], "no_such_topic");
    assert_eq!(
        lines[0]["error"]["message"]
            .as_str()
            .map(|m| m.starts_with("ERR The XGROUP subcommand requires the key to exist")),
        Some(true)
    );
    let (code, lines) = run("memory://", &["frobnicate"]);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["error"]["kind"], "invalid_argument");
}

#[test]
fn the_url_comes_from_bus_url_and_never_leaks() {
    let output = bus()
        .env("BUS_URL", "kafka://user:s3cret@host")
        .args(["len", "t"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines = common::json_lines(&output.stdout);
    assert_eq!(lines[0]["error"]["kind"], "invalid_argument");
    let message = lines[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("unknown bus URL scheme 'kafka'") && !message.contains("s3cret"),
        "{message}"
    );
    let help = bus()
        .env("BUS_URL", "redis://:s3cret@host")
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--url") && !text.contains("s3cret"), "{text}");
}

#[test]
fn every_command_has_help() {
    for command in [
        "append",
        "publish",
        "publish-batch",
        "lookup",
        "range",
        "rev-range",
        "read",
        "tail",
        "read-after-message",
        "group-create",
        "group-destroy",
        "group-set-id",
        "consumer-create",
        "consumer-delete",
        "consumer-delete-if-idle",
        "read-group",
        "ack",
        "pending-summary",
        "pending",
        "claim",
        "auto-claim",
        "delete",
        "trim",
        "len",
        "drop-topic",
        "expire-topic",
        "topic-ttl",
        "stream-info",
        "groups-info",
        "consumers-info",
        "shell",
    ] {
        let output = bus().args([command, "--help"]).output().unwrap();
        assert!(output.status.success(), "{command} --help");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains(&format!("Usage: bus {command}")), "{command}: {text}");
    }
}
