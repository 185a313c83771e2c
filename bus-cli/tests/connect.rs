//! `--connect-timeout`: how long the CLI tries a Redis server that refuses, for single commands and the shell;
//! and connect errors that no retry can fix, reported at once with their own kind.
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::process::Stdio;

use common::{bus, json_lines, run};

/// A loopback URL nobody listens on, with a password that must never be printed.
fn refused_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("redis://:cli-s3cret@127.0.0.1:{port}/0")
}

fn error_of(line: &serde_json::Value) -> (&str, &str) {
    let error = &line["error"];
    (error["kind"].as_str().unwrap(), error["message"].as_str().unwrap())
}

#[test]
fn single_commands_honour_the_connect_timeout() {
    let (code, lines) = run(&refused_url(), &["--connect-timeout", "300", "len", "t"]);
    assert_eq!(code, 1);
    let (kind, message) = error_of(&lines[0]);
    assert_eq!(kind, "connection", "{message}");
    assert!(message.contains("connect_timeout is 300ms"), "{message}");
    assert!(
        message.contains(":***@127.0.0.1") && !message.contains("cli-s3cret"),
        "{message}"
    );
}

#[test]
fn the_shell_honours_the_connect_timeout() {
    let mut child = bus()
        .args(["--url", &refused_url(), "--connect-timeout", "250", "shell"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"len t\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let lines = json_lines(&output.stdout);
    let (kind, message) = error_of(&lines[0]);
    assert_eq!(kind, "connection", "{message}");
    assert!(message.contains("connect_timeout is 250ms"), "{message}");
}

#[test]
fn the_connect_timeout_is_a_positive_number_of_milliseconds() {
    for bad in ["0", "-5", "1s"] {
        let flag = format!("--connect-timeout={bad}");
        let (code, lines) = run("memory://", &[&flag, "len", "t"]);
        assert_eq!(code, 1, "{bad}");
        assert!(
            lines[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("connect-timeout"),
            "{lines:?}"
        );
    }
}

#[test]
fn a_bad_url_part_is_its_own_kind_at_once() {
    let (code, lines) = run("redis://:cli-s3cret@127.0.0.1:99999", &["len", "t"]);
    assert_eq!(code, 1);
    let (kind, message) = error_of(&lines[0]);
    assert_eq!(kind, "invalid_url");
    assert!(
        message.contains("invalid port number") && !message.contains("cli-s3cret"),
        "{message}"
    );
}
