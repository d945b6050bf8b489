//! Messages on stderr: warnings (grouped, held back until the command's outcome is known),
//! notes for `-v`, and the final error, coloured only on a terminal and never with NO_COLOR.

use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use anstyle::{AnsiColor, Style};

/// How much pbal says on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// `-q`: errors only.
    Quiet = 0,
    /// Warnings and errors.
    Normal = 1,
    /// `-v`: notes too, and warnings even when the command then fails.
    Verbose = 2,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);

/// Warnings not yet printed, in order of first appearance.
static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

/// Renders a group as one line from its context and its items (in order of appearance).
pub(crate) type GroupRender = fn(&str, &[String]) -> String;

enum Pending {
    One(String),
    Group {
        key: (&'static str, String),
        items: Vec<String>,
        render: GroupRender,
    },
}

pub(crate) fn set_verbosity(verbosity: Verbosity) {
    VERBOSITY.store(verbosity as u8, Ordering::Relaxed);
}

pub(crate) fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

fn pending() -> std::sync::MutexGuard<'static, Vec<Pending>> {
    // A panic elsewhere cannot leave the list half-changed (every change is one push).
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A warning, printed when the command ends (or at the next `flush`).
pub(crate) fn warn(message: &str) {
    pending().push(Pending::One(message.to_owned()));
}

/// One item of a kind of warning printed as one line: all items of the same `kind` and
/// `context` (e.g. the file) are rendered together by `render` where the first one appeared.
pub(crate) fn warn_grouped(kind: &'static str, context: &str, item: &str, render: GroupRender) {
    let mut list = pending();
    for p in list.iter_mut() {
        if let Pending::Group { key, items, .. } = p
            && key.0 == kind
            && key.1 == context
        {
            items.push(item.to_owned());
            return;
        }
    }
    list.push(Pending::Group {
        key: (kind, context.to_owned()),
        items: vec![item.to_owned()],
        render,
    });
}

/// Prints the pending warnings now (before a prompt, or when the command succeeded).
pub(crate) fn flush() {
    let list = std::mem::take(&mut *pending());
    if verbosity() == Verbosity::Quiet {
        return;
    }
    let style = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
    let mut stderr = anstream::stderr().lock();
    for p in list {
        let text = match p {
            Pending::One(text) => text,
            Pending::Group { key, items, render } => render(&key.1, &items),
        };
        let _ = writeln!(stderr, "{style}warning{style:#}: {text}");
    }
}

/// The command failed with `error`: the warnings it repeats are dropped, the rest printed, so
/// a warning that matters (orders left working) is never lost. `-v` prints them all.
pub(crate) fn flush_before_error(error: &str) {
    if verbosity() < Verbosity::Verbose {
        pending().retain(|p| !repeats(error, p));
    }
    flush();
}

/// Whether `error` says what the warning says: it names one of a group's items (as a word),
/// or contains a single warning's text.
fn repeats(error: &str, warning: &Pending) -> bool {
    match warning {
        Pending::One(text) => error.contains(text.as_str()),
        Pending::Group { items, .. } => error
            .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
            .map(|w| w.trim_end_matches('.'))
            .any(|word| items.iter().any(|i| i == word)),
    }
}

/// A note the user should see (unless `-q`): something pbal decided for them.
pub(crate) fn tell(message: &str) {
    if verbosity() == Verbosity::Quiet {
        return;
    }
    let style = Style::new().bold().fg_color(Some(AnsiColor::Cyan.into()));
    let _ = writeln!(anstream::stderr().lock(), "{style}note{style:#}: {message}");
}

/// A note shown only with `-v`.
pub(crate) fn note(message: &str) {
    if verbosity() < Verbosity::Verbose {
        return;
    }
    let style = Style::new().bold().fg_color(Some(AnsiColor::Cyan.into()));
    let _ = writeln!(anstream::stderr().lock(), "{style}note{style:#}: {message}");
}

/// The final error line(s).
pub(crate) fn error(message: &str) {
    let style = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
    let _ = writeln!(
        anstream::stderr().lock(),
        "{style}error{style:#}: {message}"
    );
}

/// A line of progress (e.g. an order's fill while a spinner runs), plain: pbal's own
/// record of what happened, so it is shown whatever the verbosity.
pub(crate) fn progress(line: &str) {
    let _ = writeln!(anstream::stderr().lock(), "{line}");
}

/// A question on stderr, without a newline (the answer is typed after it), flushed so it
/// shows before stdin is read.
#[cfg(feature = "live")]
pub(crate) fn prompt(text: &str) -> std::io::Result<()> {
    let mut stderr = anstream::stderr().lock();
    stderr.write_all(text.as_bytes())?;
    stderr.flush()
}

/// A message clap rendered (a usage error), styled as clap styles it; colour only on a
/// terminal and never with NO_COLOR.
pub(crate) fn clap_error(rendered: &str) {
    let _ = anstream::stderr().lock().write_all(rendered.as_bytes());
}

/// `1 order`, `2 orders`: a count and its noun, singular or plural.
pub(crate) fn count(n: impl std::fmt::Display, one: &str, many: &str) -> String {
    let text = n.to_string();
    let noun = if text == "1" { one } else { many };
    format!("{text} {noun}")
}

/// `A`, `A and B`, `A, B and C`.
pub(crate) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_warnings_an_error_repeats_are_dropped() {
        let group = Pending::Group {
            key: ("no target", "t.toml".to_owned()),
            items: vec!["VAW".to_owned(), "BRK.B".to_owned()],
            render: |_, items| items.join(","),
        };
        assert!(repeats(
            "t.toml: vaw is not held, and VAW is: write VAW.",
            &group
        ));
        assert!(repeats("BRK.B: price must be positive", &group));
        assert!(!repeats("VAWX: price must be positive", &group));
        let working = Pending::One("2 orders not finished after 300 s".to_owned());
        assert!(!repeats("cannot reach the gateway", &working));
        assert!(repeats(
            "stopped: 2 orders not finished after 300 s",
            &working
        ));
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(count(1, "order", "orders"), "1 order");
        assert_eq!(count(0, "order", "orders"), "0 orders");
        assert_eq!(count(2_usize, "share", "shares"), "2 shares");
        assert_eq!(count(-1, "day", "days"), "-1 days");
    }

    #[test]
    fn lists_read_as_english() {
        let s = |v: &[&str]| and_list(&v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>());
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["VTI"]), "VTI");
        assert_eq!(s(&["VTI", "BND"]), "VTI and BND");
        assert_eq!(s(&["VTI", "BND", "GLD"]), "VTI, BND and GLD");
    }
}
