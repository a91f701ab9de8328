//! The shipped binaries, not just the routers: each function's `main` runs
//! against a local Lambda Runtime API and answers real API Gateway HTTP API
//! (payload 2.0) events.

use loaf_tests::runtime_api::{Outcome, RuntimeApi};
use loaf_tests::{spawn_app, TestApp, TEST_JWT_SECRET};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const HEALTH: &str = include_str!("../../fixtures/apigw-v2-get-health.json");

const FUNCTION_PACKAGES: [&str; 6] = [
    "loaf-auth",
    "loaf-members",
    "loaf-events",
    "loaf-donations",
    "loaf-documents",
    "loaf-migrate",
];

/// `target/debug/<name>`, freshly built. Cargo builds a package's binaries
/// for tests only when that package has integration tests, so the function
/// binaries are built here (once per test process; cargo's lock serialises
/// concurrent builds, and an up-to-date build only checks timestamps).
/// Without this, a stale binary from an earlier build would be tested.
fn binary(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args(["build", "--quiet", "--bins"]);
        // Cargo gives this test process variables (CARGO_PKG_NAME, ...)
        // that some build scripts watch: passed on, they would make this
        // build and the test runner's rebuild each other's dependencies.
        for (var, _) in std::env::vars_os() {
            let name = var.to_string_lossy();
            let keep = matches!(name.as_ref(), "CARGO_HOME" | "CARGO_TARGET_DIR");
            if !keep
                && (name.starts_with("CARGO_") || name.starts_with("NEXTEST") || name == "OUT_DIR")
            {
                cmd.env_remove(&var);
            }
        }
        for package in FUNCTION_PACKAGES {
            cmd.args(["-p", package]);
        }
        let out = cmd.output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(e) = built {
        panic!("building the function binaries failed: {e}");
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target folder");
    dir.join(name)
}

/// A running function binary, killed when dropped.
struct Function(Option<Child>);

impl Function {
    /// Waits for the process to end by itself.
    fn exit(mut self) -> std::process::Output {
        let child = self.0.take().expect("running");
        child.wait_with_output().expect("wait for the function")
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start(
    name: &str,
    api: &RuntimeApi,
    app: &TestApp,
    overrides: &[(&str, Option<&str>)],
) -> Function {
    let mut cmd = Command::new(binary(name));
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_REGION", "us-east-1")
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", &app.db_url)
        .env("JWT_SECRET", TEST_JWT_SECRET)
        .env("S3_BUCKET", "loaf-test")
        .env("S3_ENDPOINT", &app.s3_endpoint)
        .env("S3_ACCESS_KEY_ID", loaf::local_s3::ACCESS_KEY_ID)
        .env("S3_SECRET_ACCESS_KEY", loaf::local_s3::SECRET_ACCESS_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (var, value) in overrides {
        match value {
            Some(v) => cmd.env(var, v),
            None => cmd.env_remove(var),
        };
    }
    Function(Some(cmd.spawn().expect("start the function binary")))
}

fn event(path: &str, method: &str) -> Value {
    let mut event: Value = serde_json::from_str(HEALTH).unwrap();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event
}

#[tokio::test]
async fn every_route_function_answers_api_gateway_events() {
    let app = spawn_app().await;
    for name in ["auth", "members", "events", "donations", "documents"] {
        let api = RuntimeApi::start().await;
        let _function = start(name, &api, &app, &[]);

        let Outcome::Response(res) = api.invoke(serde_json::from_str(HEALTH).unwrap()).await else {
            panic!("{name}: health was an invocation error");
        };
        assert_eq!(res["statusCode"], 200, "{name}: {res}");
        let body: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["database"], "reachable", "{name}");

        // The same container answers the next event: state is built once.
        let Outcome::Response(res) = api.invoke(event("/api/no-such-route", "GET")).await else {
            panic!("{name}: 404 was an invocation error");
        };
        assert_eq!(res["statusCode"], 404, "{name}: {res}");
        let body: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{name}");
    }
}

#[tokio::test]
async fn a_missing_variable_stops_the_container_naming_it() {
    let app = spawn_app().await;
    let api = RuntimeApi::start().await;
    let out = start("auth", &api, &app, &[("JWT_SECRET", None)]).exit();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("JWT_SECRET is not set"), "{stderr}");
}

#[tokio::test]
async fn the_migrate_binary_answers_a_direct_invocation() {
    let app = spawn_app().await;
    let api = RuntimeApi::start().await;
    let _function = start("migrate", &api, &app, &[]);
    let Outcome::Response(summary) = api.invoke(json!({})).await else {
        panic!("migrate failed");
    };
    assert_eq!(
        summary["applied"],
        json!([]),
        "the template is already migrated"
    );
    assert_eq!(summary["counts"]["permissions"], 59);
}
