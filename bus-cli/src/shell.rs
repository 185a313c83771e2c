//! `bus shell`: commands from stdin, one JSON line each; an interactive prompt on a terminal.
//!
//! `help` (and `COMMAND --help`) prints text, on a terminal or not, since a person asked for it; `exit` or `quit`
//! ends the session, as the end of stdin does. Read from a pipe, the session exits 1 when any command printed an
//! error, so a script of commands fails as a whole the way `sh -e` would report it (it still runs every line,
//! since a later line may be the clean-up); an interactive session exits 0.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use bus::Bus;
use bus_command::commands::Tail;
use bus_command::{Command, ParseError, error_json, error_parts_json};
use clap::{Parser, Subcommand};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::{payload, print_line};

/// A line of the shell: a bus command, or one of the shell's own.
#[derive(Debug, Parser)]
#[command(
    name = "bus shell",
    about = "The commands of `bus shell`: every bus command, plus `sleep MS` and `exit`.",
    no_binary_name = true,
    disable_version_flag = true,
    after_help = "One command per line, quoted like a POSIX shell; `#` starts a comment. Every command prints one \
                  line of JSON; read from a pipe, the shell exits 1 if any of them failed. `help COMMAND` or \
                  `COMMAND --help` describes a command; payloads can be @FILE."
)]
struct ShellLine {
    #[command(subcommand)]
    command: ShellCommand,
}

#[derive(Debug, Subcommand)]
enum ShellCommand {
    #[command(flatten)]
    Bus(Command),
    /// Wait MS milliseconds (prints null).
    Sleep {
        /// Milliseconds.
        ms: u64,
    },
    /// End the session (also `quit`; the end of stdin does the same).
    #[command(alias = "quit")]
    Exit,
}

/// The shell's state: the URL and, once connected, the bus (kept for the whole session, so `memory://` is one
/// in-process bus; a Redis backend reconnects by itself after the server comes back).
struct Session<'a> {
    runtime: &'a Runtime,
    url: &'a str,
    /// `--connect-timeout` and the rest of the Redis options of the command line.
    options: &'a bus::RedisOptions,
    bus: Option<Bus>,
    interactive: bool,
    /// Whether any command printed an error (a piped session then exits 1).
    failed: bool,
}

/// What a line produced.
enum Reply {
    /// Nothing: a blank line or a comment.
    Nothing,
    /// One JSON line.
    Json(Value),
    /// One JSON error line.
    Failed(Value),
    /// Help text, printed as text.
    Help(String),
    /// `exit` or `quit`.
    Exit,
}

impl Session<'_> {
    fn bus(&mut self) -> Result<&Bus, bus::Error> {
        if self.bus.is_none() {
            self.bus = Some(
                self.runtime
                    .block_on(bus::connect_with(self.url, self.options.clone()))?,
            );
        }
        self.bus
            .as_ref()
            .ok_or_else(|| bus::Error::invalid_argument("no bus connection"))
    }

    fn line(&mut self, line: &str) -> Reply {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Reply::Nothing;
        }
        let words = match bus_command::split(trimmed) {
            Ok(words) if words.is_empty() => return Reply::Nothing,
            Ok(words) => words,
            Err(err) => return Reply::Failed(err.to_json()),
        };
        let command = match ShellLine::try_parse_from(words) {
            Ok(line) => line.command,
            Err(err) => {
                let err = ParseError::from_clap(&err);
                return if err.is_help() {
                    Reply::Help(err.message().to_owned())
                } else {
                    Reply::Failed(err.to_json())
                };
            }
        };
        match command {
            ShellCommand::Exit => Reply::Exit,
            ShellCommand::Sleep { ms } => {
                std::thread::sleep(Duration::from_millis(ms));
                Reply::Json(Value::Null)
            }
            ShellCommand::Bus(Command::Tail(Tail { follow: true, .. })) => Reply::Failed(error_parts_json(
                "invalid_argument",
                "tail --follow is not available in the shell: run `bus tail TOPIC --follow`",
            )),
            ShellCommand::Bus(mut command) => {
                if let Err(err) = payload::resolve(&mut command, payload::Stdin::Script) {
                    return Reply::Failed(error_json(&err));
                }
                let bus = match self.bus() {
                    Ok(bus) => bus.clone(),
                    Err(err) => return Reply::Failed(error_json(&err)),
                };
                match self.runtime.block_on(command.run(bus.backend().as_ref())) {
                    Ok(output) => Reply::Json(output.to_json()),
                    Err(err) => Reply::Failed(error_json(&err)),
                }
            }
        }
    }

    /// Prints a reply; false when the session ends (`exit`, or stdout is gone).
    fn print(&mut self, reply: Reply) -> bool {
        match reply {
            Reply::Nothing => true,
            Reply::Exit => false,
            Reply::Json(value) => print_line(&value),
            Reply::Failed(value) => {
                self.failed = true;
                print_line(&value)
            }
            Reply::Help(text) => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", text.trim_end()).and_then(|()| out.flush()).is_ok()
            }
        }
    }
}

/// Runs the shell until the end of stdin.
pub(crate) fn run(runtime: &Runtime, url: &str, options: &bus::RedisOptions) -> ExitCode {
    let mut session = Session {
        runtime,
        url,
        options,
        bus: None,
        interactive: std::io::stdin().is_terminal(),
        failed: false,
    };
    // Connect up front (a memory:// session is this one bus); a failure is reported by the first command.
    let connected = session.bus().map(|_| ());
    if session.interactive {
        interactive(&mut session, connected.err())
    } else {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let reply = session.line(&line);
            if !session.print(reply) {
                break;
            }
        }
        if session.failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|home| std::path::PathBuf::from(home).join(".bus_history"))
}

fn interactive(session: &mut Session<'_>, connect_error: Option<bus::Error>) -> ExitCode {
    use rustyline::error::ReadlineError;

    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(editor) => editor,
        Err(err) => {
            print_line(&error_parts_json(
                "backend",
                &format!("cannot start the line editor: {err}"),
            ));
            return ExitCode::FAILURE;
        }
    };
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!(
        "bus shell on {} — `help` lists the commands, `exit` or Ctrl-D quits",
        bus::redact_url(session.url)
    );
    if let Some(err) = connect_error {
        print_line(&error_json(&err));
    }
    loop {
        match editor.readline("bus> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let reply = session.line(&line);
                if !session.print(reply) {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {}
            Err(_) => break,
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    ExitCode::SUCCESS
}
