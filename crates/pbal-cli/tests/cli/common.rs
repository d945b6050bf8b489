//! A hermetic way to run the `pbal` binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The workspace's fixtures directory.
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// `pbal` with a clean environment and an empty temporary HOME.
pub(crate) struct Pbal {
    pub(crate) home: tempfile::TempDir,
}

impl Pbal {
    pub(crate) fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn cmd(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("pbal"));
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("COLUMNS", "100")
            .current_dir(self.home.path());
        cmd
    }

    /// Runs pbal and returns (exit code, stdout, stderr), with the fixtures path hidden.
    pub(crate) fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with_env(&[], args)
    }

    /// `run` with these environment variables set.
    pub(crate) fn run_with_env(
        &self,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> (i32, String, String) {
        let out = self
            .cmd()
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        let clean = |b: &[u8]| {
            String::from_utf8(b.to_vec())
                .unwrap()
                .replace(&fixture("").display().to_string(), "[FIXTURES]/")
                .replace(&self.home.path().display().to_string(), "[HOME]")
        };
        (
            out.status.code().unwrap_or(-1),
            clean(&out.stdout),
            clean(&out.stderr),
        )
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home.path().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}
