//! Progress bars for long steps on a terminal (`indicatif`): the years `oj synth` generates and
//! the years the demo runs. Log lines written while a bar is shown go through [`Stderr`], which
//! clears the bar, writes the line and draws the bar again, so lines and bar never mix.
//!
//! Guarantees: bars are drawn only when [`enable`] was told so – the human log format and stderr
//! a terminal ([`wanted`]); in JSON mode or off a terminal every bar is hidden and draws nothing.

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

/// A bar over `len` steps named `what`, shown until dropped; hidden unless enabled.
pub struct Bar(ProgressBar);

impl Bar {
    /// Starts a bar.
    pub fn new(len: u64, what: &str) -> Bar {
        if !ENABLED.load(Ordering::Relaxed) {
            return Bar(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:<10} [{bar:30}] {pos}/{len}  {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_string());
        if let Ok(mut current) = CURRENT.lock() {
            *current = Some(bar.clone());
        }
        Bar(bar)
    }

    /// One step done.
    pub fn step(&self) {
        self.0.inc(1);
    }

    /// Whether the bar draws nothing.
    pub fn is_hidden(&self) -> bool {
        self.0.is_hidden()
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
        if let Ok(mut current) = CURRENT.lock() {
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
    fn a_bar_not_enabled_is_hidden() {
        enable(false);
        let bar = Bar::new(3, "synth");
        bar.step();
        assert!(bar.is_hidden());
    }
}
