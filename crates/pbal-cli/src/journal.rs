//! The journal: one JSON object per line in pbal's data directory, appended and synced, that
//! records plans, orders, replies, fills and completed rebalances. It never holds credentials,
//! cookies or full account numbers.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use jiff::civil::Date;
use serde_json::{Value, json};

/// Days under which a new rebalance draws a warning.
pub(crate) const REBALANCE_INTERVAL_DAYS: i32 = 90;

/// The journal file.
pub(crate) struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal in pbal's data directory (see [`data_dir`]).
    pub(crate) fn locate() -> Option<Self> {
        Some(Self::at(&data_dir()?))
    }

    pub(crate) fn at(dir: &Path) -> Self {
        Self {
            path: dir.join("journal.jsonl"),
        }
    }

    #[cfg_attr(
        not(feature = "live"),
        allow(dead_code, reason = "written by `pbal trade`")
    )]
    /// Appends one event (synced to disk before returning, so a crash cannot lose it).
    pub(crate) fn append(&self, event: &str, mut fields: Value) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        fields["event"] = json!(event);
        fields["time"] = json!(jiff::Timestamp::now().to_string());
        let mut line = serde_json::to_string(&fields)?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        file.write_all(line.as_bytes())?;
        file.sync_all()?;
        Ok(())
    }

    /// Every event, oldest first; unreadable lines (a crash mid-write) are skipped.
    pub(crate) fn events(&self) -> Vec<Value> {
        let Ok(file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect()
    }

    /// The date of the last completed rebalance.
    pub(crate) fn last_rebalance(&self) -> Option<Date> {
        self.events()
            .iter()
            .filter(|e| e["event"] == "rebalance")
            .filter_map(|e| e["date"].as_str()?.parse().ok())
            .max()
    }
}

/// pbal's data directory: `PBAL_DATA_DIR`, else the platform's (XDG on Linux and macOS).
pub(crate) fn data_dir() -> Option<PathBuf> {
    use etcetera::AppStrategy as _;
    if let Some(dir) = std::env::var_os("PBAL_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    Some(
        etcetera::choose_app_strategy(etcetera::AppStrategyArgs {
            top_level_domain: "org".into(),
            author: "pbal".into(),
            app_name: "pbal".into(),
        })
        .ok()?
        .data_dir(),
    )
}

/// A warning when the last rebalance is recent.
pub(crate) fn recent_rebalance_warning(journal: &Journal, today: Date) -> Option<String> {
    let last = journal.last_rebalance()?;
    let days = last.until(today).ok()?.get_days();
    (days < REBALANCE_INTERVAL_DAYS).then(|| {
        format!(
            "the last rebalance was on {last}, {} ago (under {REBALANCE_INTERVAL_DAYS}): \
             rebalancing more often adds trades and taxes for little benefit",
            crate::ui::count(days, "day", "days")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_rebalance() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path());
        assert_eq!(journal.last_rebalance(), None);
        journal
            .append("rebalance", json!({"date": "2026-09-01"}))
            .unwrap();
        journal
            .append("rebalance", json!({"date": "2026-10-01"}))
            .unwrap();
        journal.append("order", json!({"symbol": "VTI"})).unwrap();
        assert_eq!(
            journal.last_rebalance(),
            Some(jiff::civil::date(2026, 10, 1))
        );
        let warning = recent_rebalance_warning(&journal, jiff::civil::date(2026, 11, 25)).unwrap();
        assert!(warning.contains("55 days ago"), "{warning}");
        assert!(recent_rebalance_warning(&journal, jiff::civil::date(2026, 12, 30)).is_none());
    }
}
