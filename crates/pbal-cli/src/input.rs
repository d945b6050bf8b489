//! Where an export comes from: a file, or stdin for `-` (`pbal plan - < export.csv`).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The name errors give an export read from stdin.
const STDIN: &str = "stdin";

/// Reads the export at `path` (`-` is stdin), with the name its errors and output use.
pub(crate) fn read_export(path: &Path) -> Result<(PathBuf, pbal_ibkr::Statement)> {
    if path != Path::new("-") {
        return Ok((path.to_owned(), pbal_ibkr::read_path(path)?));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .context("cannot read the export from stdin")?;
    Ok((PathBuf::from(STDIN), pbal_ibkr::read_bytes(&bytes, STDIN)?))
}
