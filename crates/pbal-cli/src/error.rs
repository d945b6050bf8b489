//! How a failed command is reported and which exit code it gets (the table is in `help`).

/// A combination of options that cannot work together, found after parsing: exit 2 like
/// clap's own usage errors.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit code for bad input or a runtime error.
pub(crate) const EXIT_ERROR: u8 = 1;
/// Exit code for a usage error.
pub(crate) const EXIT_USAGE: u8 = 2;

/// The exit code of a failed command.
pub(crate) fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(<dyn std::error::Error>::is::<UsageError>) {
        EXIT_USAGE
    } else {
        EXIT_ERROR
    }
}

/// The error and its causes on one line, each cause left out when the text before already
/// says it (libraries often put their source's message into their own).
pub(crate) fn render(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(part.trim()) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(io).context("pos.csv: no such file");
        assert_eq!(render(&e), "pos.csv: no such file");
        let e = anyhow::anyhow!("bad row").context("cannot plan pos.csv");
        assert_eq!(render(&e), "cannot plan pos.csv: bad row");
        let usage = anyhow::Error::new(UsageError("x".into())).context("backtest");
        assert_eq!(exit_code(&usage), EXIT_USAGE);
        assert_eq!(exit_code(&anyhow::anyhow!("x")), EXIT_ERROR);
    }
}
