//! Where output goes: stdout, or a file written whole or not at all.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `text` to `path` atomically (temp file in the same directory, then rename), or to
/// stdout when `path` is `None`.
pub(crate) fn emit(text: &str, path: Option<&Path>) -> Result<()> {
    match path {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(())
        }
        Some(path) => write_atomically(path, text.as_bytes()),
    }
}

/// Pretty JSON and a newline to stdout, written as it is serialized: the same bytes as
/// `serde_json::to_string_pretty` and `emit`, without holding the whole text (a plan of 5,000
/// holdings is 1.5 MB of JSON, and fresh memory costs page faults).
pub(crate) fn emit_json(value: &impl serde::Serialize) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // An I/O error stays an `io::Error` (a closed pipe is told apart by its kind).
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.pbal-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        // The file is created, so a missing "file" is its directory.
        if e.kind() == std::io::ErrorKind::NotFound
            && let Some(dir) = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            anyhow::bail!(
                "cannot write {}: the directory {} does not exist",
                path.display(),
                dir.display()
            );
        }
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Writes a plan table to stdout with its order lines' sides coloured (sells red, buys
/// green). anstream drops the colour when stdout is not a terminal or `NO_COLOR` is set, so
/// pipes and files get the plain text.
pub(crate) fn emit_table(text: &str) -> Result<()> {
    use std::fmt::Write as _;

    use anstyle::{AnsiColor, Style};
    let stdout = anstream::stdout();
    // Without colour, plain printable text goes out as it is: colouring it only for anstream
    // to strip the colour again cost a twentieth of the process at 5,000 holdings. (Anything
    // else still passes anstream's filter, which drops escape sequences from the input.)
    let plain = printable_ascii(text, true);
    if plain && stdout.current_choice() == anstream::ColorChoice::Never {
        return emit(text, None);
    }
    let sell = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
    let buy = Style::new().bold().fg_color(Some(AnsiColor::Green.into()));
    let mut coloured = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("  SELL ") {
            let _ = write!(coloured, "  {sell}SELL{sell:#} {rest}");
        } else if let Some(rest) = line.strip_prefix("  BUY ") {
            let _ = write!(coloured, "  {buy}BUY{buy:#} {rest}");
        } else {
            coloured.push_str(line);
        }
    }
    let mut stdout = stdout.lock();
    stdout.write_all(coloured.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Whether every byte of `text` is printable ASCII (or a newline, with `newlines`). Checked a
/// block at a time without stopping early, which the compiler turns into wide comparisons: a
/// plan of 5,000 holdings is half a megabyte of text, and a byte at a time was a fiftieth of
/// the process.
pub(crate) fn printable_ascii(text: &str, newlines: bool) -> bool {
    text.as_bytes().chunks(256).all(|block| {
        let bad = block.iter().fold(0u8, |bad, &b| {
            let fine = (b' '..=b'~').contains(&b) || (newlines && b == b'\n');
            bad | u8::from(!fine)
        });
        bad == 0
    })
}

/// Writes raw bytes to `path` atomically, or to stdout.
pub(crate) fn emit_bytes(bytes: &[u8], path: Option<&Path>) -> Result<()> {
    match path {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
            Ok(())
        }
        Some(path) => write_atomically(path, bytes),
    }
}

/// Styled text clap rendered (help, version) on stdout; anstream drops the colour when stdout
/// is not a terminal or `NO_COLOR` is set.
pub(crate) fn emit_styled(text: &str) -> Result<()> {
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// A line of a live command's running account on stdout (trailing whitespace trimmed). A
/// closed stdout does not stop a run that is placing orders, so write errors are ignored.
#[cfg(feature = "live")]
pub(crate) fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", text.trim_end());
}

/// A warning on stderr (grouped and held back by `ui`).
pub(crate) fn warn(message: &str) {
    crate::ui::warn(message);
}
