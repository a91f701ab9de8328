//! The `loaf` binary as a newcomer meets it: `serve` on embedded defaults in
//! an empty project folder, then `migrate` and `create-admin` against it,
//! and the one-line errors for what can go wrong.

use std::path::Path;
use std::process::Output;

mod common;

use common::{loaf, temp_project, Server};

/// The single line a failing command printed, checked to be one line.
fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "one line, no trace: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

/// POSTs `body` to `url`; answers the status and JSON body.
fn post(url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let res = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (
            status,
            serde_json::from_str(&res.text().await.unwrap()).unwrap_or_default(),
        )
    })
}

fn health(url: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let res = reqwest::get(format!("{url}/api/health")).await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    })
}

#[test]
fn a_newcomer_serves_migrates_and_creates_an_admin() {
    let dir = temp_project();
    let server = Server::start(&dir);
    let url = server.url();
    assert_eq!(
        health(&url),
        (200, r#"{"status":"ok","database":"reachable"}"#.into())
    );
    let login = server.field("superadmin");
    assert!(login.starts_with("admin@loaf.local / "), "{login}");
    assert!(dir.join(".loaf/dev-admin.json").exists());
    assert!(server.field("mail").contains(".loaf/mail"));

    // A newcomer registers with curl, follows the printed link, signs in.
    let registration = serde_json::json!({
        "email": "newcomer@example.org", "password": "a walk in the park",
        "accept_terms": true, "terms_version": "1",
        "profile": {"first_name": "New", "last_name": "Comer"}
    });
    let (status, _) = post(&format!("{url}/api/auth/register"), registration);
    assert_eq!(status, 202);
    let link = server.wait_for("/verify-email?token=");
    let token = link.rsplit('=').next().unwrap().trim();
    let (status, body) = post(
        &format!("{url}/api/auth/verify-email"),
        serde_json::json!({"token": token, "password": "a walk in the park"}),
    );
    assert_eq!(status, 200, "{body}");
    let credentials =
        serde_json::json!({"email": "newcomer@example.org", "password": "a walk in the park"});
    let (status, body) = post(&format!("{url}/api/auth/login"), credentials);
    assert_eq!(status, 200, "{body}");
    let mails = std::fs::read_dir(dir.join(".loaf/mail")).unwrap().count();
    assert_eq!(mails, 1);

    // A second server for the same project is refused in one line.
    let second = loaf(&dir).args(["serve", "--port", "0"]).output().unwrap();
    assert!(one_line_error(&second).contains("already running"));

    // The database the banner names takes `migrate` and `create-admin`.
    let database = server.field("database");
    let database_url = database.split_whitespace().next().unwrap();
    let migrate = |dir: &Path| {
        loaf(dir)
            .arg("migrate")
            .env("DATABASE_URL", database_url)
            .output()
            .unwrap()
    };
    let out = migrate(&dir);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("schema up to date"), "{stdout}");
    assert!(
        // The development superadmin and the newcomer.
        stdout.contains("users | permissions | roles | plans = 2 | 59 | 5 | 0"),
        "{stdout}"
    );

    let create = |password: &str| {
        loaf(&dir)
            .args(["create-admin", "--email", "Treasurer@Example.org"])
            .env("DATABASE_URL", database_url)
            .env("ADMIN_PASSWORD", password)
            .env("ADMIN_FIRST_NAME", "Grace")
            .env("ADMIN_LAST_NAME", "Hopper")
            .output()
            .unwrap()
    };
    assert!(one_line_error(&create("password123")).contains("password: "));
    let out = create("a long and unusual passphrase");
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("created superadmin treasurer@example.org")
    );
    assert!(one_line_error(&create("a long and unusual passphrase")).contains("already exists"));

    // SIGTERM stops the server and the cluster it started.
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let out = migrate(&dir);
    let error = one_line_error(&out);
    assert!(error.contains("cannot reach the database"), "{error}");

    // The cluster is reused: a second start finds it and keeps the login.
    let again = Server::start(&dir);
    assert_eq!(again.field("superadmin"), login);
    assert_eq!(again.terminate().code(), Some(0));
}

#[test]
fn openapi_writes_the_document_without_any_configuration() {
    let dir = temp_project();
    let out = loaf(&dir).args(["openapi", "api.json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("api.json")).unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/members/{id}"]["get"]["summary"].is_string());
    // `-` is standard output, the same document.
    let out = loaf(&dir).args(["openapi", "-"]).output().unwrap();
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, doc);
}

#[test]
fn migrate_without_database_url_says_what_to_set() {
    let out = loaf(&temp_project()).arg("migrate").output().unwrap();
    let error = one_line_error(&out);
    assert!(error.contains("DATABASE_URL is not set"), "{error}");
}

#[test]
fn a_malformed_database_url_is_named() {
    let out = loaf(&temp_project())
        .arg("migrate")
        .env("DATABASE_URL", "mysql://localhost/loaf")
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("DATABASE_URL must start with postgres://"));
}

#[test]
fn an_unreachable_database_fails_in_one_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = loaf(&temp_project())
        .arg("migrate")
        .env(
            "DATABASE_URL",
            format!("postgres://loaf@127.0.0.1:{port}/loaf"),
        )
        .env("DB_ACQUIRE_TIMEOUT_SECS", "1")
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("cannot reach the database"));
}

#[test]
fn create_admin_without_a_terminal_needs_its_password_given() {
    let out = loaf(&temp_project())
        .args(["create-admin", "--email", "a@example.org"])
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("ADMIN_PASSWORD is required"));
    let out = loaf(&temp_project())
        .arg("create-admin")
        .env("ADMIN_PASSWORD", "a long and unusual passphrase")
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("Email is required"));
}

#[test]
fn a_busy_port_is_refused_in_one_line() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = loaf(&temp_project())
        .args(["serve", "--port", &port])
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains(&format!("cannot listen on 127.0.0.1:{port}")));
}

#[test]
fn jobs_run_as_of_the_instant_given_and_say_when_there_is_nothing_to_run_on() {
    let dir = temp_project();
    let out = loaf(&dir)
        .args(["jobs", "run", "--now", "next tuesday"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("--now") && error.contains("2027-01-31T09:00:00Z"),
        "{error}"
    );
    // A project whose `loaf serve` never ran has no database yet.
    let out = loaf(&dir)
        .args([
            "jobs",
            "run",
            "--job",
            "hourly",
            "--now",
            "2030-01-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("run `loaf serve` once"));
}
