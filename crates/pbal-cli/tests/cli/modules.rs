//! The CLI is a shell of modules that do not import each other back: no cycle of `use`s
//! between `src/` modules. A child using its parent's items does not count (the parent
//! declares and re-exports it); every other path to a module does (`crate::a::b`, `super::`,
//! or a child's name).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `commands::plan` for `src/commands/plan.rs`, `live` for `src/live/mod.rs`, `` for lib.rs.
fn module_name(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [only] if only == "lib" || only == "main" => String::new(),
        [init @ .., last] if last == "mod" => init.join("::"),
        all => all.join("::"),
    }
}

/// Identifier paths after `prefix` in `text` (`crate::a::b::C` gives `a::b::C`).
fn paths_after<'t>(text: &'t str, prefix: &str) -> Vec<&'t str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + prefix.len()..];
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(after.len());
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            found.push(after[..end].trim_end_matches(':'));
        }
        rest = &after[end..];
    }
    found
}

/// The longest module that `path` (relative to the crate root) starts with.
fn resolve<'m>(modules: &'m BTreeSet<String>, path: &str) -> Option<&'m String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| modules.get(&parts[..n].join("::")))
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let texts: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            // Unit tests may use anything.
            let text = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or("")
                .to_owned();
            (module_name(&src, f), text)
        })
        .collect();
    let modules: BTreeSet<String> = texts.keys().filter(|m| !m.is_empty()).cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &texts {
        let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
        let mut targets: Vec<String> = paths_after(text, "crate::")
            .into_iter()
            .map(str::to_owned)
            .collect();
        targets.extend(paths_after(text, "super::").into_iter().map(|p| {
            if parent.is_empty() {
                p.to_owned()
            } else {
                format!("{parent}::{p}")
            }
        }));
        // A child named by its own name: `plan::run`, `use args::X`.
        for child in modules.iter().filter_map(|m| {
            let rest = if module.is_empty() {
                Some(m.as_str())
            } else {
                m.strip_prefix(module.as_str())?.strip_prefix("::")
            };
            rest.filter(|r| !r.contains("::"))
        }) {
            if !paths_after(text, &format!("{child}::")).is_empty()
                || text.contains(&format!("use {child}::"))
            {
                let name = if module.is_empty() {
                    child.to_owned()
                } else {
                    format!("{module}::{child}")
                };
                targets.push(name);
            }
        }
        let out = edges.entry(module.clone()).or_default();
        for target in targets {
            if let Some(t) = resolve(&modules, &target)
                && t != module
                && !module.starts_with(&format!("{t}::"))
                && !module.is_empty()
            {
                out.insert(t.clone());
            }
        }
    }
    edges
}

/// A module that reaches itself again, and the way round.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|s| s == m) {
            let mut way = stack[at..].to_vec();
            way.push(m.to_owned());
            return Some(way);
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.to_owned());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(way) = visit(next, edges, stack, done) {
                return Some(way);
            }
        }
        stack.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|m| visit(m, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let edges = edges();
    // The scan sees the known shape: commands use the shared arguments, app dispatches.
    assert!(edges["commands::plan"].contains("cli"), "{edges:?}");
    assert!(edges["app"].contains("commands::plan"), "{edges:?}");
    if let Some(way) = cycle(&edges) {
        panic!("module cycle: {}", way.join(" -> "));
    }
}
