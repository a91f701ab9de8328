//! Where code lives, checked over the sources: every SQL statement is in
//! the domain crate's data modules (one module per aggregate, see the
//! README's "Where the SQL lives"), so every statement on a table can be
//! found there; the domain and core crates build without HTTP; and no
//! module of a shared crate uses one that uses it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What starts a statement.
const STATEMENT_STARTS: &[&str] = &[
    "query!(",
    "query_as!(",
    "query_scalar!(",
    "sqlx::query(",
    "sqlx::query_as(",
    "sqlx::query_scalar(",
    "QueryBuilder::new(",
];

/// Files outside the domain crate that may hold statements, and why: the
/// schema's own set-up (migrations' baseline and lock, the catalogue's
/// seeding, the application role, the first admin), the local cluster's
/// DDL, and the checked-but-unprepared macro itself.
const ALLOWED_OUTSIDE: &[&str] = &[
    "functions/migrate/src/",
    "functions/loaf/src/local_postgres.rs",
    "shared/core/src/db.rs",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds tests/")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(file, line)` of every statement start in `dirs` (relative to the
/// workspace), outside comments.
fn statements_in(dirs: &[&str]) -> Vec<(String, usize)> {
    let root = root();
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(&root.join(dir), &mut files);
    }
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable source");
        let name = file
            .strip_prefix(&root)
            .expect("under the workspace")
            .to_string_lossy()
            .replace('\\', "/");
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if STATEMENT_STARTS.iter().any(|s| code.contains(s)) {
                found.push((name.clone(), i + 1));
            }
        }
    }
    found
}

#[test]
fn every_statement_is_in_the_domain_crate() {
    let outside: Vec<String> = statements_in(&["functions", "shared/http/src", "shared/core/src"])
        .into_iter()
        .filter(|(file, _)| !ALLOWED_OUTSIDE.iter().any(|a| file.starts_with(a)))
        .map(|(file, line)| format!("{file}:{line}"))
        .collect();
    assert!(
        outside.is_empty(),
        "SQL outside loaf-domain's data modules: {outside:?}"
    );
    // The check sees statements at all: the domain crate holds hundreds.
    assert!(statements_in(&["shared/domain/src"]).len() > 200);
}

#[test]
fn the_domain_and_core_crates_build_without_http() {
    for krate in ["shared/domain/Cargo.toml", "shared/core/Cargo.toml"] {
        let manifest = std::fs::read_to_string(root().join(krate)).expect("a manifest");
        for http in ["axum", "lambda_http", "loaf-http", "tower"] {
            assert!(
                !manifest.lines().any(|l| l.trim_start().starts_with(http)),
                "{krate} depends on {http}"
            );
        }
    }
}

/// The top-level modules of the crate under `src` and, for each, the
/// other top-level modules its code names (`crate::name`), tests left out.
fn module_uses(src: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = root().join(src);
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&dir).expect("under src");
        let top = rel
            .components()
            .next()
            .expect("a file")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a readable source");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let named = uses.entry(top.clone()).or_default();
        for part in code.split("crate::").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                named.insert(name);
            }
        }
    }
    uses
}

/// A cycle of modules using each other, if there is one.
fn a_cycle(uses: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn walk(
        module: &str,
        uses: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            return Some(path[at..].to_vec());
        }
        if !done.insert(module.to_string()) {
            return None;
        }
        path.push(module.to_string());
        for next in uses.get(module).into_iter().flatten() {
            if uses.contains_key(next) {
                if let Some(cycle) = walk(next, uses, path, done) {
                    return Some(cycle);
                }
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    uses.keys()
        .find_map(|m| walk(m, uses, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_of_a_shared_crate_uses_one_that_uses_it_back() {
    for krate in ["shared/core/src", "shared/domain/src", "shared/http/src"] {
        let uses = module_uses(krate);
        assert!(uses.len() > 5, "{krate}: the modules are found");
        assert_eq!(a_cycle(&uses), None, "{krate}");
    }
    // The check sees a cycle when there is one.
    let looped: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(m, n)| (m.to_string(), BTreeSet::from([n.to_string()])))
        .collect();
    assert!(a_cycle(&looped).is_some());
}
