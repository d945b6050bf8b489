//! Help text shared by the command definitions: worked examples and the exit-code table.

use std::fmt::Write as _;

use clap::builder::StyledStr;

/// The exit codes, one place (`lib.rs` maps errors to them).
pub(crate) const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success (also: nothing to trade)"),
    (
        crate::error::EXIT_ERROR,
        "an error in the input, the config file, or while running (the message says which)",
    ),
    (
        crate::error::EXIT_USAGE,
        "a usage error: unknown command, option or value, or options that do not go together",
    ),
    (
        crate::error::EXIT_INCOMPLETE,
        "`pbal trade` placed orders but not all of them filled (the summary says which)",
    ),
    (
        crate::error::EXIT_AUDIT,
        "a plan failed pbal's own audit: a bug in pbal; nothing was written or placed",
    ),
];

/// `pbal --help`'s footer: the exit-code table and where to read more.
pub(crate) fn top_level() -> StyledStr {
    let mut text = heading("Exit codes");
    for (code, meaning) in EXIT_CODES {
        let _ = write!(text, "\n  {code}  {meaning}");
    }
    text.push_str("\n\n");
    text.push_str(&examples_text(TOP));
    text.push_str(
        "\n\nSettings repeated every run go in $XDG_CONFIG_HOME/pbal/config.toml (see `pbal config`).",
    );
    text.into()
}

/// The worked examples of the command `name` (`pbal` itself, or a subcommand), as
/// `(comment, command)` pairs: the help's and the manual page's.
pub(crate) fn examples_of(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "pbal" => TOP,
        "plan" => PLAN,
        "positions" => POSITIONS,
        "fetch" => FETCH,
        "backtest" => BACKTEST,
        "trade" => TRADE,
        "status" => STATUS,
        "cancel" => CANCEL,
        "gateway" => GATEWAY,
        "completions" => COMPLETIONS,
        "man" => MAN,
        "config" => CONFIG,
        _ => &[],
    }
}

/// `Examples:` followed by `(comment, command)` pairs, in clap's heading style.
fn examples(list: &[(&str, &str)]) -> StyledStr {
    examples_text(list).into()
}

/// [`examples`] as text with its styles (a `StyledStr` would drop them when appended).
fn examples_text(list: &[(&str, &str)]) -> String {
    let mut text = heading("Examples");
    for (comment, command) in list {
        let _ = write!(text, "\n  # {comment}\n  {command}");
    }
    text
}

fn heading(name: &str) -> String {
    let style = anstyle::Style::new().bold().underline();
    format!("{style}{name}:{style:#}")
}

pub(crate) fn plan() -> StyledStr {
    examples(PLAN)
}
pub(crate) fn positions() -> StyledStr {
    examples(POSITIONS)
}
pub(crate) fn fetch() -> StyledStr {
    examples(FETCH)
}
pub(crate) fn backtest() -> StyledStr {
    examples(BACKTEST)
}
pub(crate) fn trade() -> StyledStr {
    examples(TRADE)
}
pub(crate) fn status() -> StyledStr {
    examples(STATUS)
}
pub(crate) fn cancel() -> StyledStr {
    examples(CANCEL)
}
pub(crate) fn gateway() -> StyledStr {
    examples(GATEWAY)
}
pub(crate) fn completions() -> StyledStr {
    examples(COMPLETIONS)
}
pub(crate) fn man() -> StyledStr {
    examples(MAN)
}
pub(crate) fn config() -> StyledStr {
    examples(CONFIG)
}

const TOP: &[(&str, &str)] = &[
    (
        "The next quarter's plan from an IBKR export, 5,000 to invest",
        "pbal plan positions.csv -c 5000 -t targets.toml",
    ),
    ("Shell completions", "pbal completions zsh > ~/.zfunc/_pbal"),
    (
        "The manual page",
        "pbal man > ~/.local/share/man/man1/pbal.1",
    ),
];

const PLAN: &[(&str, &str)] = &[
    (
        "Invest 5,000 toward the weights in targets.toml",
        "pbal plan positions.csv -c 5000 -t targets.toml",
    ),
    (
        "Sell and buy only the assets outside their 5/25 bands, with IBKR's fixed commissions",
        "pbal plan positions.csv -s bands -t targets.toml --commission ibkr-fixed",
    ),
    (
        "A TWS BasketTrader file of limit orders, investing the export's cash",
        "pbal plan positions.csv -c available -f basket --order-type lmt -o basket.csv",
    ),
    (
        "The original tool's form still works",
        "pbal positions-custom.csv -c 5000 -i 2 -s try_avoid_sell",
    ),
];

const POSITIONS: &[(&str, &str)] = &[
    ("What pbal reads from an export", "pbal positions flex.csv"),
    (
        "The same as JSON, for scripts",
        "pbal positions flex.xml -f json -o positions.json",
    ),
];

const FETCH: &[(&str, &str)] = &[
    (
        "Download a Flex Query's statement (token in PBAL_FLEX_TOKEN)",
        "pbal fetch --query 123456 -o flex.xml",
    ),
    (
        "Read the token from another variable",
        "pbal fetch --query 123456 --token-env IBKR_TOKEN > flex.xml",
    ),
];

const BACKTEST: &[(&str, &str)] = &[
    (
        "Quarterly full rebalancing on a price history",
        "pbal backtest prices.csv -t targets.toml -s full -r quarterly",
    ),
    (
        "Compare policies with monthly contributions and an HTML report",
        "pbal backtest prices.csv --compare full-quarterly,full-bands --contribution 500 --report bt.html",
    ),
    (
        "Look each quarter, rebalance when an asset is 5 points off, exact weights",
        "pbal backtest prices.csv -s full --compare quarterly:5,annually:5 --fractional",
    ),
    (
        "Monthly percent returns instead of prices, from 1926 to 2009",
        "pbal backtest --returns returns.csv --returns-unit percent --start 1926-01-01 --end 2010-01-01",
    ),
];

const TRADE: &[(&str, &str)] = &[
    (
        "Preview the orders and IBKR's answers; nothing is placed",
        "pbal trade -t targets.toml --dry-run",
    ),
    (
        "Invest the account's cash above a 1,000 reserve, no order over 20,000",
        "pbal trade -t targets.toml --reserve 1000 --max-order 20000",
    ),
];

const STATUS: &[(&str, &str)] = &[
    ("Is the gateway logged in, and what is open?", "pbal status"),
    (
        "One account of several, as JSON",
        "pbal status --account U1234567 -f json",
    ),
];

const CANCEL: &[(&str, &str)] = &[
    ("Cancel pbal's open orders after confirming", "pbal cancel"),
    ("Without asking", "pbal cancel --yes"),
];

const GATEWAY: &[(&str, &str)] = &[
    (
        "Pin the local gateway's certificate (shows its fingerprint first)",
        "pbal gateway trust",
    ),
    (
        "Save it somewhere else",
        "pbal gateway trust -o ~/ibkr/gateway.pem",
    ),
];

const COMPLETIONS: &[(&str, &str)] = &[
    (
        "Bash: load now, or save where bash-completion finds it",
        "source <(pbal completions bash)",
    ),
    (
        "Zsh (a directory on $fpath)",
        "pbal completions zsh > ~/.zfunc/_pbal",
    ),
    (
        "Fish",
        "pbal completions fish > ~/.config/fish/completions/pbal.fish",
    ),
];

const MAN: &[(&str, &str)] = &[
    (
        "Install the manual page",
        "pbal man > ~/.local/share/man/man1/pbal.1",
    ),
    ("Read one subcommand's page", "pbal man plan | man -l -"),
];

const CONFIG: &[(&str, &str)] = &[
    ("Where each setting comes from", "pbal config"),
    (
        "Check another config file",
        "pbal config --config ./ci-config.toml",
    ),
];

/// Every example command line, for the test that parses them all.
#[cfg(test)]
pub(crate) fn all_examples() -> Vec<&'static str> {
    [
        TOP,
        PLAN,
        POSITIONS,
        FETCH,
        BACKTEST,
        TRADE,
        STATUS,
        CANCEL,
        GATEWAY,
        COMPLETIONS,
        MAN,
        CONFIG,
    ]
    .iter()
    .flat_map(|list| list.iter().map(|(_, command)| *command))
    .collect()
}
