//! The web app's journeys in a real browser, run by the README's test
//! command: a `loaf serve` of its own in an empty project folder (which
//! builds the web app if needed), then the Playwright suite of `web/`
//! against it, in Debian's Chromium. Needs Node.js 20+ and Chromium
//! (`apt-get install chromium`); says so if they are missing.

mod common;

use common::{temp_project, Server};
use std::path::{Path, PathBuf};
use std::process::Command;

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web")
        .canonicalize()
        .expect("the web app's folder")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

#[test]
fn the_members_and_admin_journeys_pass_in_a_real_browser() {
    assert!(
        Command::new("npx").arg("--version").output().is_ok(),
        "the browser tests need Node.js 20 or later (npx on PATH)"
    );
    assert!(
        chromium().is_file(),
        "the browser tests need Chromium at {} (apt-get install chromium), or CHROMIUM naming it",
        chromium().display()
    );
    let web = web_dir();
    assert!(
        loaf::web::install(&web),
        "npm ci failed in {}",
        web.display()
    );
    let dir = temp_project();
    let server = Server::start_with(&dir, &[("LOAF_WEB_DIR", &web)]);
    assert!(
        server.field("web app").starts_with("http://"),
        "serve built and serves the web app: {}",
        server.field("web app")
    );
    let login = server.field("superadmin");
    let (email, rest) = login.split_once(" / ").expect("the superadmin's login");
    let password = rest.split_whitespace().next().expect("its password");

    let status = Command::new("npx")
        .args(["playwright", "test"])
        .current_dir(&web)
        .env("BASE_URL", server.url())
        .env("LOAF_MAIL_DIR", dir.join(".loaf/mail"))
        .env("LOAF_ADMIN_EMAIL", email)
        .env("LOAF_ADMIN_PASSWORD", password)
        .env("CHROMIUM", chromium())
        // `loaf email bounce` against this server's stack, for the journey
        // that simulates the email provider.
        .env("LOAF_BIN", common::LOAF)
        .env("LOAF_PROJECT", &*dir)
        .status()
        .expect("Playwright runs");
    assert!(status.success(), "the browser journeys failed (see above)");
    server.terminate();
}
