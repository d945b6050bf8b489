//! Puts the git commit and the `live` feature into `pbal -V` (`PBAL_VERSION_LINE`).

use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    let live = if std::env::var_os("CARGO_FEATURE_LIVE").is_some() {
        "with live trading"
    } else {
        "without live trading: build with --features live"
    };
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rustc-env=PBAL_VERSION_LINE={version} (commit {commit}, {live})");
    // Rebuild the line when HEAD moves (a commit, a checkout); in a worktree `.git` is a file,
    // so ask git where HEAD and its branch ref live.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for path in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        // Only existing files: cargo reruns the script every build for a missing one.
        if let Some(p) = git(&["rev-parse", "--git-path", path])
            && std::path::Path::new(&p).exists()
        {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// Runs git and returns its trimmed output, or `None` without git or outside a repository.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
