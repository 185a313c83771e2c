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

/// `bus shell` fed this script on stdin: its exit code and its stdout.
pub fn shell_raw(url: &str, script: &str) -> (i32, String) {
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
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// `bus shell` fed this script on stdin; the JSON lines it printed. A piped session exits 1 exactly when one of
/// its lines is an error, which this checks.
pub fn shell(url: &str, script: &str) -> Vec<Value> {
    let (code, stdout) = shell_raw(url, script);
    let lines = json_lines(stdout.as_bytes());
    let failed = lines.iter().any(|line| line.get("error").is_some());
    assert_eq!(code, i32::from(failed), "bus shell's exit code, for {lines:#?}");
    lines
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

/// An expectation for a time-dependent number: more than `above`, at most `up_to` (see [`check_session`]).
pub fn within(above: u64, up_to: u64) -> Value {
    serde_json::json!({"within": [above, up_to]})
}

/// Whether `got` is what `want` expects: equal, or for [`within`] a number in its bounds.
fn matches(got: &Value, want: &Value) -> bool {
    let bounds = want.get("within").and_then(Value::as_array);
    match (bounds.map(Vec::as_slice), got.as_u64()) {
        (Some([above, up_to]), Some(n)) => {
            above.as_u64().is_some_and(|a| n > a) && up_to.as_u64().is_some_and(|u| n <= u)
        }
        _ => got == want,
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
        assert!(matches(got, want), "`{line}`: got {got}, want {want}");
    }
}

pub const U1: &str = "7a3c0000-0000-4000-8000-000000000001";
pub const U2: &str = "7a3c0000-0000-4000-8000-000000000002";
pub const U3: &str = "7a3c0000-0000-4000-8000-000000000003";
pub const U4: &str = "7a3c0000-0000-4000-8000-000000000004";
pub const U5: &str = "7a3c0000-0000-4000-8000-000000000005";

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
    let b1 = json!({"entry_id": "7-0", "id": U3, "payload": {"b": 1}});
    let b2 = json!({"entry_id": "7-1", "id": U4, "payload": {"b": 2}});
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
            format!(r#"append {t} id 123 payload '{{"content":"hi"}}' --entry-id 3-0"#),
            json!("3-0"),
        ),
        (format!("range {t} - +"), json!([hi, two, raw])),
        (format!("rev-range {t} + - --count 1"), json!([raw])),
        (format!("range {t} '(1-0' 2"), json!([two])),
        (format!("tail {t} --count 2"), json!([two, raw])),
        (format!("read-after-message {t} {U1}"), json!([two, raw])),
        (format!("read {t} 0 --count 1"), json!([{"topic": t, "entries": [hi]}])),
        (format!("read {t} '$' --block 50"), json!(null)),
        (format!("read {t} {t}-none 3-0 0"), json!([])),
        (format!("lookup {t} {U2}"), json!("2-0")),
        (format!("len {t}"), json!(3)),
        (format!("publish {t}-none '{{}}' --nomkstream"), json!(null)),
        (format!("publish-batch {t}-none '{{}}' --nomkstream"), json!([null])),
        (
            format!(
                r#"publish-batch {t}-b '{{"b":1}}' '{{"b":2}}' '{{"b":3}}' --id {U3} --id {U4} --id {U3} --entry-id '7-*'"#
            ),
            json!([
                {"entry_id": "7-0", "id": U3, "duplicate": false},
                {"entry_id": "7-1", "id": U4, "duplicate": false},
                {"entry_id": "7-0", "id": U3, "duplicate": true},
            ]),
        ),
        (
            format!("read {t} {t}-b 2-0 7-0"),
            json!([{"topic": t, "entries": [raw]}, {"topic": format!("{t}-b"), "entries": [b2]}]),
        ),
        (format!("group-create {t} g1 0"), json!(true)),
        (
            format!("group-create {t} g1 0"),
            json!({"error": {"kind": "group_exists", "message": "BUSYGROUP Consumer Group name already exists"}}),
        ),
        (
            format!("read-group g1 c1 {t} '>' --count 2"),
            json!([{"topic": t, "entries": [hi, two]}]),
        ),
        (
            format!("read-group g1 c1 {t} '>' --block 50"),
            json!([{"topic": t, "entries": [raw]}]),
        ),
        (format!("read-group g1 c1 {t} '>' --block 50"), json!(null)),
        (format!("read-group g1 c1 {t} '>'"), json!([])),
        (
            format!("read-group g1 c1 {t} {t}-b '>' '>'"),
            json!({"error": {"kind": "no_group", "message": format!("NOGROUP No such key '{t}-b' or consumer group 'g1' in XREADGROUP with GROUP option")}}),
        ),
        (format!("group-create {t}-b g1 0"), json!(true)),
        (
            format!("read-group g1 c1 {t} {t}-b '>' '>' --count 1"),
            json!([{"topic": format!("{t}-b"), "entries": [b1]}]),
        ),
        (
            format!("read-group g1 c1 {t}-b {t} 0 0 --count 1"),
            json!([{"topic": format!("{t}-b"), "entries": [b1]}, {"topic": t, "entries": [hi]}]),
        ),
        (format!("ack {t} g1 1-0"), json!(1)),
        (format!("ack {t}-b g1 7-0"), json!(1)),
        (
            format!("pending-summary {t} g1"),
            json!({"count": 2, "min": "2-0", "max": "3-0", "consumers": {"c1": 2}}),
        ),
        (
            format!("pending {t} g1 - + 10 --consumer c1"),
            json!([
                {"entry_id": "2-0", "consumer": "c1", "idle_ms": 0, "delivery_count": 1},
                {"entry_id": "3-0", "consumer": "c1", "idle_ms": 0, "delivery_count": 1},
            ]),
        ),
        (format!("delete {t} 2-0"), json!(1)),
        (
            format!("read-group g1 c1 {t} 0"),
            json!([{"topic": t, "entries": [{"entry_id": "2-0", "deleted": true}, raw]}]),
        ),
        (format!("claim {t} g1 c2 0 3-0"), json!([raw])),
        (format!("claim {t} g1 c2 0 3-0 --justid"), json!(["3-0"])),
        (
            format!("auto-claim {t} g1 c3 0 - --count 10"),
            json!({"next": "0-0", "claimed": [raw], "deleted": ["2-0"]}),
        ),
        (
            format!("consumers-info {t} g1"),
            json!([
                {"name": "c1", "pending": 0, "idle_ms": 0},
                {"name": "c2", "pending": 0, "idle_ms": 0},
                {"name": "c3", "pending": 1, "idle_ms": 0},
            ]),
        ),
        (
            format!("groups-info {t}"),
            json!([{"name": "g1", "consumers": 3, "pending": 1, "last_delivered_id": "3-0", "entries_read": 3, "lag": 0}]),
        ),
        (
            format!("stream-info {t}"),
            json!({
                "length": 2, "last_generated_id": "3-0", "max_deleted_entry_id": "2-0", "entries_added": 3,
                "first_entry": hi, "last_entry": raw, "groups": 1,
            }),
        ),
        ("sleep 10".to_owned(), json!(null)),
        (
            format!("read-group nope c1 {t} '>'"),
            json!({"error": {"kind": "no_group", "message": format!("NOGROUP No such key '{t}' or consumer group 'nope' in XREADGROUP with GROUP option")}}),
        ),
        (
            format!("range {t} bad +"),
            json!({"error": {"kind": "invalid_id", "message": "ERR Invalid stream ID specified as stream command argument"}}),
        ),
        (
            format!("publish {t} '{{not json'"),
            json!({"error": {"kind": "payload", "message": "not valid JSON: key must be a string at line 1 column 2"}}),
        ),
        (
            format!("append {t} lonely"),
            json!({"error": {"kind": "invalid_argument", "message": "ERR wrong number of arguments for 'xadd' command"}}),
        ),
        (
            format!("stream-info {t}-missing"),
            json!({"error": {"kind": "no_such_topic", "message": "ERR no such key"}}),
        ),
        (format!("trim {t} --maxlen 1"), json!(1)),
        (format!("consumer-create {t} g1 c4"), json!(true)),
        (
            format!("consumer-delete-if-idle {t} g1 c3 0"),
            json!({"deleted": false, "pending": 1}),
        ),
        (
            format!("consumer-delete-if-idle {t} g1 c4 3600000"),
            json!({"deleted": false, "idle_ms": 0}),
        ),
        (format!("consumer-delete-if-idle {t} g1 c4 0"), json!({"deleted": true})),
        (
            format!("consumer-delete-if-idle {t} g1 c4 0"),
            json!({"deleted": false, "no_such_consumer": true}),
        ),
        (format!("consumer-delete {t} g1 c3"), json!(1)),
        (format!("group-set-id {t} g1 0 --entries-read 0"), json!(true)),
        (format!("group-destroy {t} g1"), json!(true)),
        (format!("group-destroy {t} g1"), json!(false)),
        (format!("topic-ttl {t}"), json!(null)),
        (format!("expire-topic {t}-missing 1000"), json!(false)),
        (format!("expire-topic {t} 3600000"), json!(true)),
        (
            format!("publish {t} '{{}}' --id {U5} --entry-id 9-0"),
            json!({"entry_id": "9-0", "id": U5, "duplicate": false}),
        ),
        (format!("topic-ttl {t}"), within(3_540_000, 3_600_000)),
        (format!("expire-topic {t}-b 0"), json!(true)),
        (format!("len {t}-b"), json!(0)),
        (format!("drop-topic {t}"), json!(true)),
        (format!("len {t}"), json!(0)),
        (format!("topic-ttl {t}"), json!(null)),
    ];
    steps
}
