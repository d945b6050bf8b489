//! Where output goes: stdout, or a file written whole or not at all (special files and
//! symlinks as `write_file` says).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `text` to `path` (see [`write_file`]), or to stdout when `path` is `None` or `-`.
pub(crate) fn emit(text: &str, path: Option<&Path>) -> Result<()> {
    emit_bytes(text.as_bytes(), path)
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

/// Writes `bytes` to `path`, whole or not at all where the file system allows it:
///
/// - `-` is stdout;
/// - a symlink is followed: its target gets the bytes (the link stays a link);
/// - a regular file (or a new one) is written to a temporary file next to it, then renamed over
///   it: an existing file keeps its mode (and owner, where allowed), a new one gets the
///   umask's default mode;
/// - a FIFO, a character or block device (`/dev/null`, `/dev/stdout`) or a socket is opened
///   and written directly: renaming over it would replace it with a regular file.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if path == Path::new("-") {
        return write_stdout(bytes);
    }
    let target = resolve_links(path).with_context(|| format!("cannot write {}", path.display()))?;
    let existing = std::fs::metadata(&target).ok();
    let result = match &existing {
        Some(m) if m.is_dir() => {
            anyhow::bail!("cannot write {}: a directory, not a file", path.display())
        }
        Some(m) if !m.is_file() => write_directly(&target, bytes),
        _ => write_replacing(&target, bytes, existing.as_ref()),
    };
    result.map_err(|e| {
        // A missing "file" is its directory: the file itself is created.
        if e.kind() == std::io::ErrorKind::NotFound
            && let Some(dir) = target
                .parent()
                .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            return anyhow::anyhow!(
                "cannot write {}: the directory {} does not exist",
                path.display(),
                dir.display()
            );
        }
        anyhow::Error::new(e).context(format!("cannot write {}", path.display()))
    })
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(())
}

/// `path` with its symlinks followed to the file they end at (which may not exist yet); the
/// directories above it are left as they are.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_owned();
    // As many hops as Linux allows before ELOOP.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// A special file is written in place: it has no content to keep whole.
fn write_directly(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// A regular file is replaced by a complete temporary file next to it, so a reader sees the
/// old content or the new, never part of it.
fn write_replacing(
    path: &Path,
    bytes: &[u8],
    existing: Option<&std::fs::Metadata>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.pbal-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    // A temporary file of this process's id is a leftover of an earlier process: removed, so
    // that `create_new` (which never follows a link planted there) can make it afresh.
    let _ = std::fs::remove_file(&tmp);
    let result = (|| -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // The temporary file is never more open than the file it replaces.
        #[cfg(unix)]
        if let Some(m) = existing {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            options.mode(m.permissions().mode() & 0o777);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        if let Some(m) = existing {
            keep_owner_and_mode(&file, m)?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The replaced file's mode exactly (the umask narrowed the one given at creation), and its
/// owner and group where this process may set them (root, or a group it is in).
fn keep_owner_and_mode(file: &std::fs::File, old: &std::fs::Metadata) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
        let _ = std::os::unix::fs::fchown(file, None, Some(old.gid()));
    }
    file.set_permissions(old.permissions())
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

/// Writes raw bytes to `path` (see [`write_file`]), or to stdout when `path` is `None`.
pub(crate) fn emit_bytes(bytes: &[u8], path: Option<&Path>) -> Result<()> {
    match path {
        None => write_stdout(bytes),
        Some(path) => write_file(path, bytes),
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
