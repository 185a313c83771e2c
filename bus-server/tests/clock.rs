//! The controllable clock (`ServerConfig::controllable_clock`, `bus serve --controllable-clock`) from a raw
//! client: `BUS.CLOCK NOW`/`ADVANCE`, and what follows it (BLOCK timeouts, key deadlines, WATCH on an expired
//! key, ids of `XADD *`); without it, `BUS.CLOCK` is an unknown command and `COMMAND` does not list it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

mod common;

use bus_server::ServerConfig;
use common::{Raw, bus, wait_blocked};

fn integer(reply: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(reply);
    text.strip_prefix(':')
        .and_then(|rest| rest.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {text:?}"))
}

fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_bus_clock_is_an_unknown_command() {
    let server = bus(ServerConfig::new()).await;
    let mut conn = Raw::tcp(&server).await;
    assert_eq!(
        text(&conn.cmd(&["BUS.CLOCK", "NOW"]).await),
        "-ERR unknown command 'BUS.CLOCK', with args beginning with: 'NOW' \r\n"
    );
    assert_eq!(
        text(&conn.cmd(&["bus.clock", "advance", "5"]).await),
        "-ERR unknown command 'bus.clock', with args beginning with: 'advance' '5' \r\n"
    );
    for args in [&["BUS.CLOCK"][..], &["BUS.CLOCK", "FOO"]] {
        let listed: String = args[1..].iter().map(|arg| format!("'{arg}' ")).collect();
        let expected = format!("-ERR unknown command 'BUS.CLOCK', with args beginning with: {listed}\r\n");
        assert_eq!(text(&conn.cmd(args).await), expected);
    }
    assert_eq!(
        text(&conn.cmd(&["COMMAND", "INFO", "bus.clock"]).await),
        "*1\r\n$-1\r\n"
    );
    assert!(!text(&conn.cmd(&["COMMAND"]).await).contains("bus.clock"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_clock_reads_and_advances_and_checks_its_arguments() {
    let server = bus(ServerConfig::new().controllable_clock(true)).await;
    let mut conn = Raw::tcp(&server).await;
    let start = integer(&conn.cmd(&["BUS.CLOCK", "NOW"]).await);
    assert!(start > 1_700_000_000_000, "starts at the wall-clock time: {start}");
    assert_eq!(integer(&conn.cmd(&["bus.clock", "advance", "250"]).await), start + 250);
    assert_eq!(integer(&conn.cmd(&["BUS.CLOCK", "NOW"]).await), start + 250);
    assert_eq!(integer(&conn.cmd(&["BUS.CLOCK", "ADVANCE", "0"]).await), start + 250);
    for (args, expected) in [
        (
            &["BUS.CLOCK", "ADVANCE", "x"][..],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["BUS.CLOCK", "ADVANCE", "-1"][..],
            "-ERR the clock only moves forward: give milliseconds >= 0\r\n",
        ),
        (
            &["BUS.CLOCK", "ADVANCE"][..],
            "-ERR wrong number of arguments for 'bus.clock|advance' command\r\n",
        ),
        (
            &["BUS.CLOCK", "NOW", "x"][..],
            "-ERR wrong number of arguments for 'bus.clock|now' command\r\n",
        ),
        (
            &["BUS.CLOCK", "BACK"][..],
            "-ERR unknown subcommand 'BACK'. Try BUS.CLOCK HELP.\r\n",
        ),
        (
            &["BUS.CLOCK"][..],
            "-ERR wrong number of arguments for 'bus.clock' command\r\n",
        ),
    ] {
        assert_eq!(text(&conn.cmd(args).await), expected, "{args:?}");
    }
    assert_eq!(
        integer(&conn.cmd(&["BUS.CLOCK", "NOW"]).await),
        start + 250,
        "refusals change nothing"
    );
    assert!(text(&conn.cmd(&["BUS.CLOCK", "HELP"]).await).contains("ADVANCE <milliseconds>"));
    // TIME reads the same clock.
    let at = start + 250;
    let time = format!("{}", at / 1000);
    let micros = format!("{}", at % 1000 * 1000);
    assert_eq!(
        text(&conn.cmd(&["TIME"]).await),
        format!("*2\r\n${}\r\n{time}\r\n${}\r\n{micros}\r\n", time.len(), micros.len())
    );
    assert!(text(&conn.cmd(&["COMMAND", "INFO", "bus.clock"]).await).contains("bus.clock|advance"));
    // Entry ids follow the clock: they stand still (the sequence grows) until it moves.
    let first = text(&conn.cmd(&["XADD", "s", "*", "f", "v"]).await);
    let second = text(&conn.cmd(&["XADD", "s", "*", "f", "v"]).await);
    let now = start + 250;
    assert_eq!(
        (first.as_str(), second.as_str()),
        (&*format!("$15\r\n{now}-0\r\n"), &*format!("$15\r\n{now}-1\r\n"))
    );
    conn.cmd(&["BUS.CLOCK", "ADVANCE", "1"]).await;
    assert_eq!(
        text(&conn.cmd(&["XADD", "s", "*", "f", "v"]).await),
        format!("$15\r\n{}-0\r\n", now + 1)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_1000_times_out_only_after_advance_1000() {
    let server = bus(ServerConfig::new().controllable_clock(true)).await;
    let mut reader = Raw::tcp(&server).await;
    let mut driver = Raw::tcp(&server).await;
    // BLOCK 1000 as asked; BLOCK 60000 shows the timeout is the clock's, not real time's (the reply comes at
    // once after the last ADVANCE, long before a minute).
    for (block, stream) in [("1000", "s"), ("1000", "nokey"), ("60000", "s")] {
        reader
            .send_command(&[
                b"XREAD",
                b"BLOCK",
                block.as_bytes(),
                b"STREAMS",
                stream.as_bytes(),
                b"$",
            ])
            .await;
        wait_blocked(&mut driver, 1).await;
        let short = (block.parse::<u64>().unwrap() - 1).to_string();
        driver.cmd(&["BUS.CLOCK", "ADVANCE", &short]).await;
        // One millisecond short of the timeout: still blocked.
        wait_blocked(&mut driver, 1).await;
        driver.cmd(&["BUS.CLOCK", "ADVANCE", "1"]).await;
        assert_eq!(text(&reader.reply().await), "*-1\r\n", "BLOCK {block} on {stream}");
        wait_blocked(&mut driver, 0).await;
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_deadlines_and_watch_follow_the_clock() {
    let server = bus(ServerConfig::new().controllable_clock(true)).await;
    let mut conn = Raw::tcp(&server).await;
    assert_eq!(text(&conn.cmd(&["SET", "k", "v", "PX", "1500"]).await), "+OK\r\n");
    conn.cmd(&["XADD", "s", "1-1", "f", "v"]).await;
    assert_eq!(text(&conn.cmd(&["EXPIRE", "s", "2"]).await), ":1\r\n");
    assert_eq!(text(&conn.cmd(&["PTTL", "k"]).await), ":1500\r\n");
    assert_eq!(text(&conn.cmd(&["WATCH", "k"]).await), "+OK\r\n");
    conn.cmd(&["BUS.CLOCK", "ADVANCE", "1499"]).await;
    assert_eq!(text(&conn.cmd(&["PTTL", "k"]).await), ":1\r\n");
    assert_eq!(text(&conn.cmd(&["TTL", "s"]).await), ":1\r\n");
    conn.cmd(&["BUS.CLOCK", "ADVANCE", "1"]).await;
    assert_eq!(text(&conn.cmd(&["EXISTS", "k", "s"]).await), ":1\r\n");
    // The watched key expired: EXEC aborts, as Redis's does.
    conn.cmd(&["MULTI"]).await;
    conn.cmd(&["PING"]).await;
    assert_eq!(text(&conn.cmd(&["EXEC"]).await), "*-1\r\n");
    conn.cmd(&["BUS.CLOCK", "ADVANCE", "500"]).await;
    assert_eq!(text(&conn.cmd(&["EXISTS", "s"]).await), ":0\r\n");
    assert_eq!(text(&conn.cmd(&["DBSIZE"]).await), ":0\r\n");
    server.shutdown().await;
}
