//! `pbal fetch`: download a Flex Query statement through IBKR's Flex Web Service.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use pbal_ibkr::flex_web::{FlexToken, FlexWebConfig, fetch_statement};

use crate::cli::FlexArgs;
use crate::output::emit_bytes;

/// Arguments of `pbal fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The Flex Query's ID (a number shown in IBKR's Flex Queries list).
    #[arg(long, value_name = "ID")]
    pub query: String,
    /// Flex Web Service options.
    #[command(flatten)]
    pub flex: FlexArgs,
    /// Write the statement to this file instead of stdout (written whole or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub(crate) fn run(args: &FetchArgs) -> Result<()> {
    let bytes = fetch(&args.query, &args.flex)?;
    emit_bytes(&bytes, args.output.as_deref())
}

/// The statement of Flex Query `query`, as IBKR sends it (XML or CSV).
pub(crate) fn fetch(query: &str, flex: &FlexArgs) -> Result<Vec<u8>> {
    let Some(raw) = std::env::var_os(&flex.token_env) else {
        bail!(
            "the Flex Web Service token is not set: put it in the environment variable {} \
             (never on the command line); see the README's \"Flex Web Service\" section",
            flex.token_env
        );
    };
    let raw = raw
        .into_string()
        .map_err(|_| anyhow::anyhow!("{} is not valid UTF-8", flex.token_env))?;
    let token = FlexToken::new(raw).with_context(|| {
        format!(
            "the token in {} is not a Flex Web Service token",
            flex.token_env
        )
    })?;
    let mut config = FlexWebConfig::default();
    if let Some(url) = &flex.flex_url {
        config.base_url.clone_from(url);
    }
    if let Some(ms) = flex.flex_poll_ms {
        config.poll_initial = Duration::from_millis(ms);
        config.poll_max = Duration::from_millis(ms.saturating_mul(8));
        config.rate_limit_wait = Duration::from_millis(ms);
    }
    crate::ui::note(&format!("fetching Flex Query {query} from IBKR"));
    let _spinner = crate::progress::spinner(&format!(
        "fetching Flex Query {query} from IBKR (statements can take a minute to generate)"
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(fetch_statement(&config, &token, query))
        .with_context(|| format!("cannot fetch Flex Query {query}"))
}
