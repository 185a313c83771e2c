//! Running the `bus` binary: single commands, and shell sessions over stdin.

#![allow(dead_code, reason = "each test file uses part of the helpers")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test that calls them"
)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The binary, with no `BUS_URL` from the environment.
pub fn bus() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bus"));
    command.env_remove("BUS_URL");
    command
}

/// One command: its exit code and its stdout lines, parsed.
pub fn run(url: &str, args: &[&str]) -> (i32, Vec<Value>) {
    let output = bus().arg("--url").arg(url).args(args).output().unwrap();
    (output.status.code().unwrap_or(-1), json_lines(&output.stdout))
}

/// `bus shell` fed this script on stdin; the JSON lines it printed.
pub fn shell(url: &str, script: &str) -> Vec<Value> {
    let mut child = bus()
        .arg("--url")
        .arg(url)
        .arg("shell")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "bus shell exited with {}", output.status);
    json_lines(&output.stdout)
}

pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not one line of JSON: {line:?}: {e}")))
        .collect()
}

/// Zeroes every `idle_ms` (time-dependent) so results compare exactly.
pub fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "idle_ms" {
                    assert!(v.is_u64(), "idle_ms must be a number: {v}");
                    *v = Value::from(0);
                } else {
                    normalize(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// Runs (command line, expected JSON) pairs as one shell session and checks every line.
pub fn check_session(url: &str, steps: &[(String, Value)]) {
    let script: String = steps.iter().map(|(line, _)| format!("{line}\n")).collect();
    let script = format!("# a whole session\n\n{script}");
    let mut got = shell(url, &script);
    assert_eq!(got.len(), steps.len(), "one JSON line per command, got {got:#?}");
    for ((line, want), got) in steps.iter().zip(got.iter_mut()) {
        normalize(got);
        assert_eq!(got, want, "`{line}`");
    }
}

pub const U1: &str = "7a3c0000-0000-4000-8000-000000000001";
pub const U2: &str = "7a3c0000-0000-4000-8000-000000000002";

/// The scenario every backend runs: publish, range, reads, groups, read-group, ack, pending, claims, info and
/// errors, with their exact JSON. `t` is the topic name.
pub fn scenario(t: &str) -> Vec<(String, Value)> {
    use serde_json::json;
    let hi = json!({"entry_id": "1-0", "id": U1, "payload": {"content": "hi"}});
    let two = json!({"entry_id": "2-0", "id": U2, "payload": {"n": 2}});
    let raw = json!({
        "entry_id": "3-0",
        "fields": [["id", "123"], ["payload", "{\"content\":\"hi\"}"]],
        "malformed": "field 'id' is not a canonical UUID: \"123\"",
    });
    let steps = vec![
        (
            format!(r#"publish {t} '{{"content":"hi"}}' --id {U1} --entry-id 1-0"#),
            json!({"entry_id": "1-0", "id": U1, "duplicate": false}),
        ),
        (
            format!(r#"publish {t} '{{"content":"again"}}' --id {U1}"#),
            json!({"entry_id": "1-0", "id": U1, "duplicate": true}),
        ),
        (
            format!(r#"publish {t} "{{\"n\": 2}}" --id {U2} --entry-id 2-0  # a comment"#),
            json!({"entry_id": "2-0", "id": U2, "duplicate": false}),
        ),
        (
            format!(r#"append-raw {t} id 123 payload '{{"content":"hi"}}' --entry-id 3-0"#),
            json!("3-0"),
        ),
        (format!("range {t} - +"), json!([hi, two, raw])),
        (format!("revrange {t} + - --count 1"), json!([raw])),
        (format!("range {t} '(1-0' 2"), json!([two])),
        (format!("tail {t} --count 2"), json!([two, raw])),
        (format!("read {t} {U1}"), json!([two, raw])),
        (format!("read {t} 0 --count 1"), json!([hi])),
        (format!("read {t} '$' --block 50"), json!(null)),
        (format!("lookup {t} {U2}"), json!("2-0")),
        (format!("len {t}"), json!(3)),
        (format!("publish {t}-none '{{}}' --nomkstream"), json!(null)),
        (format!("group-create {t} g1 0"), json!(true)),
        (
            format!("group-create {t} g1 0"),
            json!({"error": {"kind": "group_exists", "message": "BUSYGROUP Consumer Group name already exists"}}),
        ),
        (format!("read-group {t} g1 c1 '>' --count 2"), json!([hi, two])),
        (format!("read-group {t} g1 c1 '>' --block 50"), json!([raw])),
        (format!("read-group {t} g1 c1 '>' --block 50"), json!(null)),
        (format!("read-group {t} g1 c1 '>'"), json!([])),
        (format!("ack {t} g1 1-0"), json!(1)),
        (
            format!("pending {t} g1"),
            json!({"count": 2, "min": "2-0", "max": "3-0", "consumers": {"c1": 2}}),
        ),
        (
            format!("pending {t} g1 - + 10 --consumer c1"),
            json!([
                {"entry_id": "2-0", "consumer": "c1", "idle_ms": 0, "delivery_count": 1},
                {"entry_id": "3-0", "consumer": "c1", "idle_ms": 0, "delivery_count": 1},
            ]),
        ),
        (format!("del {t} 2-0"), json!(1)),
        (
            format!("read-group {t} g1 c1 0"),
            json!([{"entry_id": "2-0", "deleted": true}, raw]),
        ),
        (format!("claim {t} g1 c2 0 3-0"), json!([raw])),
        (format!("claim {t} g1 c2 0 3-0 --justid"), json!(["3-0"])),
        (
            format!("autoclaim {t} g1 c3 0 - --count 10"),
            json!({"next": "0-0", "claimed": [raw], "deleted": ["2-0"]}),
        ),
        (
            format!("consumers {t} g1"),
            json!([
                {"name": "c1", "pending": 0, "idle_ms": 0},
                {"name": "c2", "pending": 0, "idle_ms": 0},
                {"name": "c3", "pending": 1, "idle_ms": 0},
            ]),
        ),
        (
            format!("groups {t}"),
            json!([{"name": "g1", "consumers": 3, "pending": 1, "last_delivered_id": "3-0", "entries_read": 3, "lag": 0}]),
        ),
        (
            format!("info {t}"),
            json!({
                "length": 2, "last_generated_id": "3-0", "max_deleted_entry_id": "2-0", "entries_added": 3,
                "first_entry": hi, "last_entry": raw, "groups": 1,
            }),
        ),
        ("sleep 10".to_owned(), json!(null)),
        (
            format!("read-group {t} nope c1 '>'"),
            json!({"error": {"kind": "no_group", "message": format!("NOGROUP No such key '{t}' or consumer group 'nope' in XREADGROUP with GROUP option")}}),
        ),
        (
            format!("range {t} bad +"),
            json!({"error": {"kind": "invalid_id", "message": "ERR Invalid stream ID specified as stream command argument"}}),
        ),
        (
            format!("publish {t} '{{not json'"),
            json!({"error": {"kind": "payload", "message": "payload is not valid for this type: key must be a string at line 1 column 2"}}),
        ),
        (
            format!("append-raw {t} lonely"),
            json!({"error": {"kind": "invalid_argument", "message": "ERR wrong number of arguments for 'xadd' command"}}),
        ),
        (
            format!("info {t}-missing"),
            json!({"error": {"kind": "no_such_topic", "message": "ERR no such key"}}),
        ),
        (format!("trim {t} --maxlen 1"), json!(1)),
        (format!("consumer-create {t} g1 c4"), json!(true)),
        (format!("consumer-delete {t} g1 c3"), json!(1)),
        (format!("group-setid {t} g1 0 --entries-read 0"), json!(true)),
        (format!("group-destroy {t} g1"), json!(true)),
        (format!("group-destroy {t} g1"), json!(false)),
        (format!("drop {t}"), json!(true)),
        (format!("len {t}"), json!(0)),
    ];
    steps
}
