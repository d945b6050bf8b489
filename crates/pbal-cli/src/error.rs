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
/// Exit code of a `pbal trade` run that placed orders but did not see all of them fill.
pub(crate) const EXIT_INCOMPLETE: u8 = 3;
/// Exit code for a plan that failed its audit: a bug in pbal, never the user's input.
pub(crate) const EXIT_AUDIT: u8 = 4;

/// The exit code of a failed command.
pub(crate) fn exit_code(e: &anyhow::Error) -> u8 {
    if is_audit_failure(e) {
        EXIT_AUDIT
    } else if e.chain().any(<dyn std::error::Error>::is::<UsageError>) {
        EXIT_USAGE
    } else {
        EXIT_ERROR
    }
}

/// Whether a plan failed pbal-core's audit (the message then asks for a bug report).
pub(crate) fn is_audit_failure(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<pbal_core::Error>()
            .is_some_and(|e| matches!(e, pbal_core::Error::Audit(_)))
            || c.downcast_ref::<pbal_core::AuditFailure>().is_some()
    })
}

/// The error and its causes on one line, each cause left out when the text before already
/// says it (libraries often put their source's message into their own).
pub(crate) fn render(e: &anyhow::Error) -> String {
    let mut text = String::new();
    if is_audit_failure(e) {
        text.push_str(
            "please report this bug with the command and an anonymised input \
             (https://github.com/pbal-dev/pbal/issues): ",
        );
    }
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
    for io in e.chain().filter_map(|c| c.downcast_ref::<std::io::Error>()) {
        if let Some(words) = plain_io(io.kind()) {
            text = text.replace(&io.to_string(), words);
        }
    }
    if let Some(hint) = flag_hint(e) {
        text.push_str("; ");
        text.push_str(&hint);
    }
    text
}

/// The common file errors in plain words instead of the system's text with its number
/// ("No such file or directory (os error 2)").
fn plain_io(kind: std::io::ErrorKind) -> Option<&'static str> {
    use std::io::ErrorKind;
    Some(match kind {
        ErrorKind::NotFound => "no such file",
        ErrorKind::PermissionDenied => "permission denied",
        ErrorKind::IsADirectory => "a directory, not a file",
        ErrorKind::NotADirectory => "a part of the path is a file, not a directory",
        _ => return None,
    })
}

/// The flags that fix a library error: pbal-core and pbal-ibkr state what is wrong, only the
/// CLI knows its own options.
fn flag_hint(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|cause| {
        if let Some(pbal_ibkr::Error::MultipleAccounts { .. }) = cause.downcast_ref() {
            return Some(
                "choose one with --account ID, or plan them together with --all-accounts".into(),
            );
        }
        if let Some(pbal_core::Error::RealizedGainCap { .. }) = cause.downcast_ref() {
            return Some("raise --max-realized-gain".into());
        }
        if let Some(pbal_core::Error::UnknownGains { .. }) = cause.downcast_ref() {
            return Some(
                "add FifoPnlUnrealized or CostBasisMoney to the export, or plan without \
                 --max-realized-gain"
                    .into(),
            );
        }
        #[cfg(feature = "live")]
        if let Some(gateway) = cause.downcast_ref() {
            return gateway_hint(gateway);
        }
        None
    })
}

/// The flags and commands that answer a gateway error.
#[cfg(feature = "live")]
fn gateway_hint(e: &pbal_ibkr::client_portal::GatewayError) -> Option<String> {
    use pbal_ibkr::client_portal::{CertificateProblem, GatewayError};
    Some(match e {
        GatewayError::UnknownQuestion { first, .. } => {
            format!("if this is expected, allow it with --allow-question {first} and run again")
        }
        GatewayError::QuestionWithoutId { .. } => {
            "--allow-question cannot confirm a question without an id".into()
        }
        GatewayError::Precautionary { id, .. } => {
            format!("to allow it, run again with --allow-question {id}")
        }
        GatewayError::NoMarketData { .. } => "--order-type lmt places limit orders".into(),
        GatewayError::InsecureNotLoopback { .. } => {
            "--insecure-localhost is only for a gateway on this machine".into()
        }
        GatewayError::Certificate {
            problem: CertificateProblem::NotThePinnedOne,
            ..
        } => {
            "run `pbal gateway trust` again if the gateway's keystore was changed on purpose".into()
        }
        GatewayError::Certificate {
            problem: CertificateProblem::NotTrusted,
            ..
        } => "run `pbal gateway trust` once to pin it (or pass --gateway-cert FILE.pem, or \
              --insecure-localhost)"
            .into(),
        _ => return None,
    })
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

    #[test]
    fn file_errors_are_plain_words() {
        use std::io::{Error, ErrorKind};
        let os = |code| Error::from_raw_os_error(code);
        let not_found = anyhow::Error::new(os(2)).context("cannot read /x.csv");
        assert_eq!(render(&not_found), "cannot read /x.csv: no such file");
        let denied = anyhow::Error::new(os(13)).context("cannot read /x.csv");
        assert_eq!(render(&denied), "cannot read /x.csv: permission denied");
        let dir = anyhow::Error::new(os(21)).context("cannot read /tmp");
        assert_eq!(render(&dir), "cannot read /tmp: a directory, not a file");
        // Wrapped in a library's error that repeats its text.
        let wrapped = pbal_ibkr::Error::Io {
            path: "/x.csv".into(),
            source: Error::from(ErrorKind::NotFound),
        };
        assert_eq!(
            render(&anyhow::Error::new(wrapped)),
            "cannot read /x.csv: no such file"
        );
        // A library error returning its cause: both told, each once.
        let audit = pbal_core::Error::Audit(pbal_core::AuditFailure::new(
            "cash conservation",
            "off by 1",
        ));
        let text = render(&anyhow::Error::new(audit));
        assert!(
            text.ends_with("nothing was written: plan audit failed (cash conservation): off by 1"),
            "{text}"
        );
        let other = anyhow::Error::new(Error::other("disk on fire"));
        assert_eq!(render(&other), "disk on fire");
    }

    #[test]
    fn library_errors_get_the_flags_that_fix_them() {
        let accounts = pbal_ibkr::Error::MultipleAccounts {
            file: "pos.csv".into(),
            accounts: vec!["U1".into(), "U2".into()],
        };
        assert_eq!(
            render(&anyhow::Error::new(accounts)),
            "pos.csv: 2 accounts in the file (U1, U2) and none selected; choose one with \
             --account ID, or plan them together with --all-accounts"
        );
        let cap = anyhow::Error::new(pbal_core::Error::RealizedGainCap {
            cap: rust_decimal::Decimal::ZERO,
        })
        .context("cannot plan pos.csv");
        assert_eq!(
            render(&cap),
            "cannot plan pos.csv: no plan keeps realized gains within the cap of 0; \
             raise --max-realized-gain"
        );
    }

    #[cfg(feature = "live")]
    #[test]
    fn gateway_errors_get_the_flags_that_fix_them() {
        use pbal_ibkr::client_portal::{CertificateProblem, GatewayError};
        let question = GatewayError::UnknownQuestion {
            symbol: "VTI".into(),
            ids: "o99999".into(),
            first: "o99999".into(),
            text: "Are you sure?".into(),
        };
        assert!(render(&anyhow::Error::new(question)).ends_with(
            "NOT placed: question o99999 is not among the allowed ones; if this is \
                 expected, allow it with --allow-question o99999 and run again"
        ));
        let data = GatewayError::NoMarketData {
            symbol: "VTI".into(),
            text: "no data".into(),
        };
        assert!(
            render(&anyhow::Error::new(data)).ends_with("; --order-type lmt places limit orders")
        );
        let untrusted = GatewayError::Certificate {
            url: "https://localhost:5000/v1/api".into(),
            problem: CertificateProblem::NotTrusted,
            detail: "UnknownIssuer".into(),
        };
        assert!(
            render(&anyhow::Error::new(untrusted).context("cannot connect")).ends_with(
                "run `pbal gateway trust` once to pin it (or pass --gateway-cert \
                            FILE.pem, or --insecure-localhost)"
            )
        );
        let signature = GatewayError::Certificate {
            url: "https://localhost:5000/v1/api".into(),
            problem: CertificateProblem::BadSignature,
            detail: "not signed".into(),
        };
        assert!(!render(&anyhow::Error::new(signature)).contains("pbal gateway trust"));
    }
}
