//! One module per subcommand, each with its arguments and its `run`; `app::dispatch` is the
//! only place that matches on them.

pub(crate) mod backtest;
pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod fetch;
pub(crate) mod man;
pub(crate) mod plan;
pub(crate) mod positions;
