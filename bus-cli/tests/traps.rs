//! The `bus` binary without traps, on `memory://`: the note that a one-shot write is not kept, payloads from stdin
//! and files, CLI-worded payload errors, BLOCK values Redis refuses, the shell's `exit`, `help` and exit status,
//! and one error form for every command. The Redis side of these is in `redis.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test that calls them"
)]

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::{bus, json_lines, run, shell, shell_raw};
use serde_json::{Value, json};

/// The note a one-shot write on `memory://` leaves on stderr.
const NOTE: &str = "bus: note: memory:// is a new, empty bus for each command, so nothing written here is kept";

/// One command with `stdin` fed to it.
fn run_with_stdin(url: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bus()
        .arg("--url")
        .arg(url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_one_shot_write_on_memory_says_it_is_not_kept() {
    let publish = bus().args(["publish", "chat:1", "{}"]).output().unwrap();
    assert!(publish.status.success());
    let note: Vec<String> = stderr(&publish).lines().map(str::to_owned).collect();
    assert_eq!(note.len(), 1, "one line: {note:?}");
    assert!(note[0].starts_with(NOTE), "{note:?}");
    // The JSON on stdout is unchanged.
    assert_eq!(json_lines(&publish.stdout)[0]["duplicate"], false);

    for args in [
        ["group-create", "chat:1", "g", "0", "--mkstream"].as_slice(),
        &["drop-topic", "chat:1"],
    ] {
        let output = bus().args(args).output().unwrap();
        assert!(stderr(&output).starts_with(NOTE), "{args:?}: {}", stderr(&output));
    }
    // Reads, failed commands and the shell (one bus for the whole session) say nothing.
    for args in [
        ["len", "chat:1"].as_slice(),
        &["range", "chat:1", "-", "+"],
        &["publish", "chat:1", "{oops"],
    ] {
        let output = bus().args(args).output().unwrap();
        assert_eq!(stderr(&output), "", "{args:?}");
    }
    let session = bus().args(["shell"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(stderr(&session), "");
}

#[test]
fn a_payload_comes_from_stdin_or_a_file() {
    // 200 KB: more than one argument may hold on Linux (128 KiB), so only stdin or a file can carry it.
    let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(200_000));
    let output = run_with_stdin("memory://", &["publish", "chat:1", "-"], format!("{big}\n").as_bytes());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output.stdout)[0]["duplicate"], false);

    let dir = std::env::temp_dir().join(format!("bus-cli-payload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.json");
    std::fs::write(&file, format!("{big}\n")).unwrap();
    let small = dir.join("small.json");
    std::fs::write(&small, "{\"n\": 2}\r\n").unwrap();
    let at = |path: &std::path::Path| format!("@{}", path.display());

    // In the shell, the payload read from the file is stored as that text, less its line end.
    let lines = shell(
        "memory://",
        &format!(
            "publish chat:1 {} --entry-id 1-0\npublish-batch chat:1 {} '{{\"n\":3}}' --entry-id 2-*\nrange chat:1 - +\n",
            at(&file),
            at(&small)
        ),
    );
    assert_eq!(lines[0]["entry_id"], "1-0");
    let entries = lines[2].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["payload"], serde_json::from_str::<Value>(&big).unwrap());
    assert_eq!(entries[1]["payload"], json!({"n": 2}));
    assert_eq!(entries[2]["payload"], json!({"n": 3}));

    // A one-shot publish-batch takes `-` once, beside files and inline payloads.
    let output = run_with_stdin(
        "memory://",
        &["publish-batch", "chat:1", &at(&small), "-", "{}"],
        b"[1, 2]",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output.stdout)[0].as_array().map(Vec::len), Some(3));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn payload_errors_say_what_is_wrong_in_cli_words() {
    let not_json =
        json!({"error": {"kind": "payload", "message": "not valid JSON: key must be a string at line 1 column 2"}});
    assert_eq!(
        run("memory://", &["publish", "chat:1", "{oops"]),
        (1, vec![not_json.clone()])
    );
    let output = run_with_stdin("memory://", &["publish", "chat:1", "-"], b"{oops\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json_lines(&output.stdout), vec![not_json]);
    let output = run_with_stdin("memory://", &["publish", "chat:1", "-"], b"");
    assert_eq!(
        json_lines(&output.stdout)[0]["error"]["message"],
        "not valid JSON: EOF while parsing a value at line 1 column 0"
    );

    let (code, lines) = run("memory://", &["publish", "chat:1", "@/nonexistent/payload.json"]);
    assert_eq!(code, 1);
    assert_eq!(
        lines,
        vec![json!({"error": {"kind": "invalid_argument", "message":
            "cannot read the payload file \"/nonexistent/payload.json\": No such file or directory (os error 2)"}})]
    );
    let output = run_with_stdin("memory://", &["publish-batch", "chat:1", "-", "-"], b"{}");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        json_lines(&output.stdout)[0]["error"]["message"],
        "only one payload can be `-` (stdin): give the others inline or as @FILE"
    );
    // The shell's stdin is its script: `-` is refused, and the session goes on.
    let lines = shell("memory://", "publish chat:1 -\nlen chat:1\n");
    assert_eq!(lines[0]["error"]["kind"], "invalid_argument");
    assert_eq!(lines[1], json!(0));
}

#[test]
fn block_values_redis_refuses_are_refused_on_memory() {
    let out_of_range =
        json!({"error": {"kind": "invalid_argument", "message": "ERR timeout is not an integer or out of range"}});
    for block in ["18446744073709551615", "9223372036854775808"] {
        assert_eq!(
            run("memory://", &["read", "chat:1", "$", "--block", block]),
            (1, vec![out_of_range.clone()]),
            "read --block {block}"
        );
        assert_eq!(
            run("memory://", &["read-group", "g", "c", "chat:1", ">", "--block", block]),
            (1, vec![out_of_range.clone()]),
            "read-group --block {block}"
        );
    }
}

#[test]
fn the_shell_has_exit_quit_and_readable_help() {
    // `exit` ends the session: the lines after it do not run.
    assert_eq!(shell("memory://", "len t\nexit\nlen t\n"), vec![json!(0)]);
    assert_eq!(shell("memory://", "len t\n  quit  \nlen t\n"), vec![json!(0)]);
    // Help is text, piped or not, and the session goes on after it.
    let (code, out) = shell_raw("memory://", "help\nlen t\nread --help\n");
    assert_eq!(code, 0);
    assert!(out.starts_with("The commands of `bus shell`"), "{out}");
    assert!(out.contains("\n  exit ") && out.contains("\n  read-group "), "{out}");
    assert!(out.contains("\n0\n"), "the len after help: {out}");
    assert!(out.contains("Usage: read "), "{out}");
    assert!(!out.contains("\\n"), "no escaped JSON string: {out}");
}

#[test]
fn a_piped_session_with_errors_exits_1() {
    let (code, out) = shell_raw("memory://", "len t\nrange t x +\nlen t\n");
    assert_eq!(code, 1, "{out}");
    // Every line still ran.
    assert_eq!(json_lines(out.as_bytes()).len(), 3);
    let (code, _) = shell_raw("memory://", "not-a-command\n");
    assert_eq!(code, 1);
    let (code, _) = shell_raw("memory://", "len 'unterminated\n");
    assert_eq!(code, 1);
    let (code, _) = shell_raw("memory://", "range t x +\nexit\n");
    assert_eq!(code, 1, "exit keeps the failure");
    let (code, _) = shell_raw("memory://", "len t\n# fine\n");
    assert_eq!(code, 0);
}

#[test]
fn every_error_is_one_json_line_on_stdout() {
    // Errors of argument parsing, of the URL, of a command, and of `tail --follow`, all alike.
    let cases: [&[&str]; 5] = [
        &["--url", "kafka://host", "len", "t"],
        &["range", "t", "x", "+"],
        &["len"],
        &["tail", "t", "--count", "18446744073709551615", "--follow"],
        &["read", "t", "0", "--count", "x"],
    ];
    for args in cases {
        let output = bus().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let lines = json_lines(&output.stdout);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        let error = lines[0]["error"].as_object().unwrap();
        assert_eq!(error.len(), 2, "{args:?}: {error:?}");
        assert!(error["kind"].is_string() && error["message"].is_string(), "{args:?}");
        assert_eq!(stderr(&output), "", "{args:?}: nothing on stderr");
    }
}
