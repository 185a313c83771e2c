//! The progress bar on stderr, drawn only when stderr is a terminal (so pipes and tests see nothing).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One step per warm-up or round of an arm, and per `redis-benchmark` run.
pub(crate) struct Progress(ProgressBar);

impl Progress {
    /// A bar of `len` steps, hidden unless stderr is a terminal.
    pub(crate) fn new(len: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        Progress(bar)
    }

    /// A bar that draws nothing.
    pub(crate) fn hidden() -> Progress {
        Progress(ProgressBar::hidden())
    }

    /// One step done; `message` says what runs now.
    pub(crate) fn step(&self, message: String) {
        self.0.set_message(message);
        self.0.inc(1);
    }

    /// Removes the bar before the report is printed.
    pub(crate) fn finish(&self) {
        self.0.finish_and_clear();
    }
}
