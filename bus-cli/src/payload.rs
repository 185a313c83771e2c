//! Payload arguments that name where the payload is: `-` for stdin, `@PATH` for a file.
//!
//! A payload is JSON text, and no JSON text is `-` or starts with `@`, so these forms never shadow a payload
//! typed inline. They exist because an argument cannot be large (a 200 KB payload on the command line fails with
//! "Argument list too long") and because payloads often come from another program. Only `publish` and
//! `publish-batch` take them: `append`'s field values are raw text, where `-` and `@x` are ordinary values.

use std::io::Read;

use bus_command::Command;

/// Where a command's stdin stands: free for one payload (`bus publish … -`), or already the script (`bus shell`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stdin {
    /// A one-shot command: `-` reads all of stdin, once.
    Free,
    /// The shell: stdin holds the commands, so `-` is refused.
    Script,
}

/// Replaces each `-` and `@PATH` payload of `command` with the text it names (less a final line end).
///
/// Fails with an `invalid_argument` error that names the file (or stdin) and the reason; the command is then not
/// run, so nothing changes.
pub(crate) fn resolve(command: &mut Command, stdin: Stdin) -> Result<(), bus::Error> {
    let payloads: Vec<&mut String> = match command {
        Command::Publish(publish) => vec![&mut publish.json],
        Command::PublishBatch(batch) => batch.payloads.iter_mut().collect(),
        _ => return Ok(()),
    };
    let mut stdin_used = false;
    for payload in payloads {
        if payload == "-" {
            if stdin == Stdin::Script {
                return Err(bus::Error::invalid_argument(
                    "a payload of `-` (stdin) is not available in the shell, whose stdin is the script: use @FILE",
                ));
            }
            if stdin_used {
                return Err(bus::Error::invalid_argument(
                    "only one payload can be `-` (stdin): give the others inline or as @FILE",
                ));
            }
            stdin_used = true;
            *payload = without_line_end(read_stdin()?);
        } else if let Some(path) = payload.strip_prefix('@') {
            let text = std::fs::read_to_string(path)
                .map_err(|err| bus::Error::invalid_argument(format!("cannot read the payload file {path:?}: {err}")))?;
            *payload = without_line_end(text);
        }
    }
    Ok(())
}

/// The text without the line end that `echo` and editors add, so a payload from a file or a pipe is stored as
/// the same text typed inline would be.
fn without_line_end(mut text: String) -> String {
    let kept = text.trim_end_matches(['\n', '\r']).len();
    text.truncate(kept);
    text
}

fn read_stdin() -> Result<String, bus::Error> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut text)
        .map_err(|err| bus::Error::invalid_argument(format!("cannot read the payload from stdin: {err}")))?;
    Ok(text)
}
