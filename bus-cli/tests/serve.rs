//! `bus serve`: listens, answers Redis clients, stops cleanly on SIGTERM, refuses an unprotected address, and
//! takes BUS.CLOCK with `--controllable-clock`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};

#[test]
fn serve_answers_on_a_unix_socket_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("bus-cli-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("bus.sock");
    let mut child = common::bus()
        .args(["serve", "--controllable-clock", "--port", "0", "--unixsocket"])
        .arg(&socket)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let listening: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(listening["listening"]["tcp"], serde_json::Value::Null);
    assert_eq!(listening["listening"]["unixsocket"], socket.display().to_string());
    let mut conn = UnixStream::connect(&socket).unwrap();
    // BUS.CLOCK exists only with --controllable-clock (its argument check answers here).
    conn.write_all(b"PING\r\nBUS.CLOCK ADVANCE x\r\nXADD s 1-1 f v\r\nXLEN s\r\n")
        .unwrap();
    let mut reply = [0u8; 128];
    let mut read = 0;
    while !reply[..read].ends_with(b":1\r\n") {
        read += conn.read(&mut reply[read..]).unwrap();
    }
    assert_eq!(
        &reply[..read],
        b"+PONG\r\n-ERR value is not an integer or out of range\r\n$3\r\n1-1\r\n:1\r\n"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    assert!(!socket.exists(), "the socket is removed at shutdown");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_refuses_a_public_address_without_a_password() {
    let output = common::bus()
        .args(["serve", "--bind", "0.0.0.0", "--port", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines = common::json_lines(&output.stdout);
    let message = lines[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not a loopback address and no password is set"),
        "{message}"
    );
}

#[test]
fn serve_help_lists_the_flags() {
    let output = common::bus().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--bind",
        "--port",
        "--unixsocket",
        "--requirepass",
        "--user",
        "--maxclients",
        "--proto-max-bulk-len",
        "--controllable-clock",
        "BUS.CLOCK ADVANCE",
        "--stream-node-max-entries",
        "--stream-node-max-bytes",
        "{\"listening\":",
        "SIGTERM",
        "Server::bind",
        "EVALSHA",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}
