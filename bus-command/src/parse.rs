//! From a command line to a [`Command`]: shell-style word splitting (`shell-words`), then clap.

use std::fmt;

use clap::Parser;
use clap::error::ErrorKind;
use serde_json::Value;

use crate::command::Command;
use crate::output::error_parts_json;

/// Why a command line did not parse, or the help text it asked for (`help`, `--help`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    kind: &'static str,
    message: String,
    help: bool,
}

impl ParseError {
    /// From a clap error: a value the bus rejected keeps the bus error's kind and Redis wording (e.g. an invalid
    /// id is `invalid_id`, `ERR Invalid stream ID …`); any other usage error is `invalid_argument` with clap's text.
    pub fn from_clap(err: &clap::Error) -> ParseError {
        let help = matches!(
            err.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        if !help
            && let Some(bus_error) = std::error::Error::source(err).and_then(|s| s.downcast_ref::<bus_core::Error>())
        {
            return ParseError {
                kind: bus_error.kind(),
                message: bus_error.to_string(),
                help: false,
            };
        }
        let text = err.render().to_string();
        let text = text.trim_end();
        let message = text.strip_prefix("error: ").unwrap_or(text).to_owned();
        ParseError {
            kind: "invalid_argument",
            message,
            help,
        }
    }

    /// From a quoting error of the line (an unterminated quote).
    pub fn from_split(err: &shell_words::ParseError) -> ParseError {
        ParseError {
            kind: "invalid_argument",
            message: format!("cannot split the command line: {err}"),
            help: false,
        }
    }

    /// The snake_case kind, as in [`bus_core::Error::kind`].
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The message (or, for [`ParseError::is_help`], the help text).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True when the line asked for help (or the version) rather than being wrong: the message is the text.
    pub fn is_help(&self) -> bool {
        self.help
    }

    /// `{"error":{"kind":…,"message":…}}`.
    pub fn to_json(&self) -> Value {
        error_parts_json(self.kind, &self.message)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// A line of the bus syntax, for clap.
#[derive(Debug, Parser)]
#[command(
    name = "bus",
    about = "Every operation of the bus, one command per line; `help COMMAND` describes one.",
    no_binary_name = true,
    disable_version_flag = true
)]
struct CommandLine {
    #[command(subcommand)]
    command: Command,
}

/// Parses one command line (`publish chat:1 '{"n":1}' --id …`). `#` starts a comment, as in a shell.
///
/// ```
/// let command = bus_command::parse_line(r#"range chat:1 - + --count 2"#)?;
/// assert_eq!(command.to_string(), "range chat:1 - + --count 2");
/// # Ok::<(), bus_command::ParseError>(())
/// ```
pub fn parse_line(line: &str) -> Result<Command, ParseError> {
    parse_words(split(line)?)
}

/// Parses a command already split into words (the command name first).
pub fn parse_words<I, S>(words: I) -> Result<Command, ParseError>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    CommandLine::try_parse_from(words)
        .map(|line| line.command)
        .map_err(|err| ParseError::from_clap(&err))
}

/// Splits a line into words the way the bus syntax quotes them (POSIX shell rules, no expansion).
pub fn split(line: &str) -> Result<Vec<String>, ParseError> {
    shell_words::split(line).map_err(|err| ParseError::from_split(&err))
}

/// The clap command of the bus syntax, e.g. to render help (`bus_command::clap_command().render_help()`).
pub fn clap_command() -> clap::Command {
    <CommandLine as clap::CommandFactory>::command()
}
