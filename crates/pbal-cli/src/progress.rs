//! A spinner on stderr for work that takes a while: shown only on a terminal, not with `-q`,
//! and only once the work has run for half a second (quick runs stay quiet).

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before the spinner appears.
const DELAY: Duration = Duration::from_millis(500);

/// A running spinner; dropping it clears the line.
pub(crate) struct Spinner {
    bar: ProgressBar,
    /// Set when the work is done; the delayed start checks it under the same lock.
    finished: Arc<Mutex<bool>>,
}

/// Starts a spinner saying `message` (e.g. "backtesting 4 policies").
pub(crate) fn spinner(message: &str) -> Spinner {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    let finished = Arc::new(Mutex::new(false));
    let visible = std::io::stderr().is_terminal()
        && crate::ui::verbosity() != crate::ui::Verbosity::Quiet
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
    if visible {
        let bar = bar.clone();
        let finished = Arc::clone(&finished);
        std::thread::spawn(move || {
            std::thread::sleep(DELAY);
            let done = finished
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !*done {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(100));
            }
        });
    }
    Spinner { bar, finished }
}

impl Spinner {
    /// Prints a line on stderr above the spinner (a plain line when it is hidden).
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    pub(crate) fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            crate::ui::progress(line);
        } else {
            self.bar.println(line);
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        let mut done = self
            .finished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *done = true;
        self.bar.finish_and_clear();
    }
}
