//! Printing a command back in the bus syntax: the command name, its positional arguments, then its options.

use std::fmt;

/// A command line being printed. Each command's `Display` builds one, so what it prints parses back to it.
pub(crate) struct Line {
    name: &'static str,
    positionals: Vec<String>,
    options: Vec<String>,
}

impl Line {
    pub(crate) fn new(name: &'static str) -> Line {
        Line {
            name,
            positionals: Vec::new(),
            options: Vec::new(),
        }
    }

    /// A positional argument.
    pub(crate) fn pos(&mut self, value: impl fmt::Display) -> &mut Line {
        self.positionals.push(value.to_string());
        self
    }

    /// Positional arguments, in order.
    pub(crate) fn all<T: fmt::Display>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Line {
        for value in values {
            self.pos(value);
        }
        self
    }

    /// `--name VALUE` when there is a value.
    pub(crate) fn opt(&mut self, name: &str, value: Option<impl fmt::Display>) -> &mut Line {
        if let Some(value) = value {
            let value = value.to_string();
            if value.starts_with('-') {
                // `--consumer -x` would read `-x` as a flag; the attached form is unambiguous.
                self.options.push(format!("{name}={value}"));
            } else {
                self.options.push(name.to_owned());
                self.options.push(value);
            }
        }
        self
    }

    /// `--name VALUE` once per value (a repeatable option).
    pub(crate) fn opts<T: fmt::Display>(&mut self, name: &str, values: impl IntoIterator<Item = T>) -> &mut Line {
        for value in values {
            self.opt(name, Some(value));
        }
        self
    }

    /// `--name` when on.
    pub(crate) fn flag(&mut self, name: &str, on: bool) -> &mut Line {
        if on {
            self.options.push(name.to_owned());
        }
        self
    }
}

impl fmt::Display for Line {
    /// Positionals first, then options, like the usage lines; when a positional looks like a flag (`-x`), the
    /// options go first and `--` ends them, so the line still parses back to the same command.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        let quoted =
            |words: &[String]| -> String { words.iter().map(|w| format!(" {}", shell_words::quote(w))).collect() };
        let flag_like = self.positionals.iter().any(|p| p.starts_with('-') && p != "-");
        if flag_like {
            f.write_str(&quoted(&self.options))?;
            f.write_str(" --")?;
            f.write_str(&quoted(&self.positionals))
        } else {
            f.write_str(&quoted(&self.positionals))?;
            f.write_str(&quoted(&self.options))
        }
    }
}
