//! Where code lives, checked over the sources: every SQL statement is in
//! the domain crate's data modules (one module per aggregate, see the
//! README's "Where the SQL lives"), so every statement on a table can be
//! found there; and the domain and core crates build without HTTP.

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
