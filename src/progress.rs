//! Progress bars for long steps on a terminal (`indicatif`): the years `oj synth` generates, the
//! years the demo runs, and the bytes of a large drop file being read by ingest. Log lines written while a bar is shown go through [`Stderr`], which
//! clears the bar, writes the line and draws the bar again, so lines and bar never mix.
//!
//! Guarantees: bars are drawn only when [`enable`] was told so – the human log format and stderr
//! a terminal ([`wanted`]); in JSON mode or off a terminal every bar is hidden and draws nothing.
//! One bar at a time: a byte bar is not drawn while another bar is shown (the demo's years), and
//! only for a file of at least [`LARGE_FILE_BYTES`].

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Whether bars are wanted: human log format (not JSON) and stderr a terminal.
pub fn wanted(json_logs: bool, stderr_is_terminal: bool) -> bool {
    !json_logs && stderr_is_terminal
}

/// Turns bars on or off for the process (the CLI decides once, with [`wanted`]).
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// A file at least this large gets a byte bar while ingest reads it (smaller ones take seconds).
pub const LARGE_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Whether a byte bar over a file of `len` bytes is drawn: bars enabled, the file large, and no
/// other bar shown.
fn shows_bytes(enabled: bool, len: u64, other_bar_shown: bool) -> bool {
    enabled && len >= LARGE_FILE_BYTES && !other_bar_shown
}

/// A bar over `len` steps named `what`, shown until dropped; hidden unless enabled.
pub(crate) struct Bar {
    bar: ProgressBar,
    /// Whether this bar is the one log lines are written around.
    current: bool,
}

impl Bar {
    /// Starts a bar.
    pub fn new(len: u64, what: &str) -> Bar {
        if !ENABLED.load(Ordering::Relaxed) {
            return Bar::hidden();
        }
        Bar::shown(len, what, "{msg:<10} [{bar:30}] {pos}/{len}  {elapsed}")
    }

    /// A bar over the `len` bytes of a file being read; drawn only as [`shows_bytes`] says.
    pub fn bytes(len: u64, what: &str) -> Bar {
        let other = CURRENT.lock().map(|c| c.is_some()).unwrap_or(true);
        if !shows_bytes(ENABLED.load(Ordering::Relaxed), len, other) {
            return Bar::hidden();
        }
        Bar::shown(
            len,
            what,
            "{msg:<10} [{bar:30}] {bytes}/{total_bytes}  {bytes_per_sec}  {elapsed}",
        )
    }

    fn hidden() -> Bar {
        Bar {
            bar: ProgressBar::hidden(),
            current: false,
        }
    }

    fn shown(len: u64, what: &str, template: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_string());
        if let Ok(mut current) = CURRENT.lock() {
            *current = Some(bar.clone());
        }
        Bar { bar, current: true }
    }

    /// One step done.
    pub fn step(&self) {
        self.bar.inc(1);
    }

    /// `pos` steps (bytes) done.
    pub(crate) fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    /// Whether the bar draws nothing (its unit test only).
    #[cfg(test)]
    pub(crate) fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        if self.current
            && let Ok(mut current) = CURRENT.lock()
        {
            *current = None;
        }
    }
}

/// Standard error for the log: writes around the bar being shown, if any.
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let current = CURRENT.lock().ok().and_then(|c| c.clone());
        match current {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_for_human_logs_on_a_terminal() {
        assert!(wanted(false, true));
        assert!(!wanted(true, true));
        assert!(!wanted(false, false));
        assert!(!wanted(true, false));
    }

    #[test]
    fn a_byte_bar_only_for_a_large_file_and_no_other_bar() {
        assert!(shows_bytes(true, LARGE_FILE_BYTES, false));
        assert!(!shows_bytes(true, LARGE_FILE_BYTES - 1, false));
        assert!(!shows_bytes(true, LARGE_FILE_BYTES, true));
        assert!(!shows_bytes(false, LARGE_FILE_BYTES, false));
    }

    #[test]
    fn a_hidden_byte_bar_leaves_the_shown_bar_current() {
        // Registered by hand (enabling bars would race the other tests of this module).
        let shown = ProgressBar::hidden();
        *CURRENT.lock().unwrap() = Some(shown);
        drop(Bar::bytes(LARGE_FILE_BYTES, "ingest"));
        assert!(CURRENT.lock().unwrap().is_some());
        *CURRENT.lock().unwrap() = None;
    }

    #[test]
    fn a_bar_not_enabled_is_hidden() {
        enable(false);
        let bar = Bar::new(3, "synth");
        bar.step();
        assert!(bar.is_hidden());
    }
}
