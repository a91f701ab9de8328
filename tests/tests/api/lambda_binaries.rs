//! The shipped binaries, not just the routers: each function's `main` runs
//! against a local Lambda Runtime API and answers real API Gateway HTTP API
//! (payload 2.0) events.

use loaf_tests::runtime_api::{Outcome, RuntimeApi};
use loaf_tests::secrets_manager::SecretsManager;
use loaf_tests::sigv4_check;
use loaf_tests::{spawn_app, TestApp, TEST_JWT_SECRET};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const HEALTH: &str = include_str!("../../fixtures/apigw-v2-get-health.json");

const FUNCTION_PACKAGES: [&str; 7] = [
    "loaf-auth",
    "loaf-members",
    "loaf-events",
    "loaf-donations",
    "loaf-documents",
    "loaf-migrate",
    "loaf-jobs",
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
    /// Waits for the process to end by itself, off the async threads: the
    /// stand-ins it talks to run on this test's runtime.
    async fn exit(mut self) -> std::process::Output {
        let child = self.0.take().expect("running");
        tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .expect("join")
            .expect("wait for the function")
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
    start_path(&binary(name), api, app, overrides)
}

/// Starts the binary at `path` as Lambda would, configured for `app`, with
/// `overrides` set (`Some`) or removed (`None`).
fn start_path(
    path: &std::path::Path,
    api: &RuntimeApi,
    app: &TestApp,
    overrides: &[(&str, Option<&str>)],
) -> Function {
    let mut cmd = Command::new(path);
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", path.as_os_str())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_REGION", "us-east-1")
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", &app.db_url)
        .env("JWT_SECRET", TEST_JWT_SECRET)
        .env("S3_BUCKET", "loaf-test")
        .env("EMAIL_FROM", "LOAF <no-reply@example.org>")
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
async fn the_jobs_binary_answers_a_scheduled_event() {
    let app = spawn_app().await;
    let api = RuntimeApi::start().await;
    let _function = start("jobs", &api, &app, &[]);
    let event =
        serde_json::from_str(include_str!("../../fixtures/eventbridge-scheduled.json")).unwrap();
    let Outcome::Response(summary) = api.invoke(event).await else {
        panic!("jobs failed");
    };
    assert_eq!(
        summary,
        json!({
            "invitations_expired": 0,
            "subscriptions_expired": 0,
            "members_lapsed": 0,
            "renewal_reminders": 0,
            "payment_reminders": 0,
            "records_anonymised": 0,
            "offline_payment_reminders": 0,
            "verification_reminders": 0,
            "registrations_abandoned": 0,
            "rows_cleaned": 0,
            "uploads_abandoned": 0,
            "gifts_abandoned": 0,
            "objects_deleted": 0
        })
    );
}

#[tokio::test]
async fn the_jobs_binary_delivers_the_outbox_through_ses() {
    let app = spawn_app().await;
    let ses = loaf_tests::ses::Ses::start().await;
    let mut tx = app.db.begin().await.unwrap();
    loaf_domain::email::outbox::enqueue(
        &mut tx,
        &app.state.config.email,
        "ada@example.org",
        &loaf_domain::email::Mail::Validated {
            first_name: "Ada".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let api = RuntimeApi::start().await;
    let _function = start(
        "jobs",
        &api,
        &app,
        &[
            ("AWS_ENDPOINT_URL_SESV2", Some(ses.endpoint())),
            ("AWS_ACCESS_KEY_ID", Some(sigv4_check::ACCESS_KEY_ID)),
            (
                "AWS_SECRET_ACCESS_KEY",
                Some(sigv4_check::SECRET_ACCESS_KEY),
            ),
            // A Lambda role's credentials are temporary: the token is sent
            // and signed with every call.
            ("AWS_SESSION_TOKEN", Some("session-token")),
        ],
    );
    let Outcome::Response(summary) = api.invoke(json!({"job": "send-email"})).await else {
        panic!("jobs failed");
    };
    assert_eq!(
        summary,
        json!({"sent": 1, "retrying": 0, "failed": 0, "suppressed": 0})
    );
    let Outcome::Response(summary) = api.invoke(json!({"job": "hourly"})).await else {
        panic!("the hourly jobs failed");
    };
    assert_eq!(summary, json!({"event_reminders": 0}));
    // SES's bounce, through SNS, is recorded, not taken for the daily run.
    let bounce = loaf::local_ses::event("ada@example.org", false);
    let Outcome::Response(summary) = api.invoke(bounce).await else {
        panic!("the email events failed");
    };
    assert_eq!(
        summary,
        json!({"bounces": 1, "complaints": 0, "ignored": 0})
    );
    let sent = ses.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["FromEmailAddress"], "LOAF <no-reply@example.org>");
}

#[tokio::test]
async fn the_auth_binary_throttles_by_the_gateways_source_address() {
    let app = spawn_app().await;
    let api = RuntimeApi::start().await;
    let _function = start("auth", &api, &app, &[]);
    let mut event: Value = serde_json::from_str(include_str!(
        "../../fixtures/apigw-v2-post-malformed-body.json"
    ))
    .unwrap();
    event["isBase64Encoded"] = json!(false);
    event["body"] = json!(r#"{"email": "nobody@example.org", "password": "a wrong guess"}"#);
    event["headers"]["x-forwarded-for"] = json!("192.0.2.1");
    let Outcome::Response(res) = api.invoke(event).await else {
        panic!("auth failed");
    };
    assert_eq!(res["statusCode"], 401, "{res}");
    // The fixture's requestContext.http.sourceIp, not its X-Forwarded-For.
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM login_throttle ORDER BY key")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(keys, ["account:nobody@example.org", "address:203.0.113.7"]);
}

#[tokio::test]
async fn a_missing_variable_stops_the_container_naming_it() {
    let app = spawn_app().await;
    let api = RuntimeApi::start().await;
    let out = start("auth", &api, &app, &[("JWT_SECRET", None)])
        .exit()
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("JWT_SECRET is not set"), "{stderr}");
}

#[tokio::test]
async fn the_migrate_binary_answers_a_direct_invocation() {
    let app = spawn_app().await;
    let api = RuntimeApi::start().await;
    let _function = start(
        "migrate",
        &api,
        &app,
        &[("DATABASE_URL", Some(&app.owner_db_url))],
    );
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

const JWT_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:loaf/jwt-AbCdEf";
/// The application role's secret (route functions, jobs).
const DB_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:loaf/app-0123";
/// The owner's secret, managed by RDS (migrate).
const OWNER_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123";

/// The deployed shape: no JWT_SECRET or DATABASE_URL in the environment,
/// only the ARNs of the secrets that hold them, read at container start.
/// `db_arn` is the database secret the function is given.
fn deployed_env<'a>(
    app: &'a TestApp,
    secrets: &'a SecretsManager,
    db_arn: &str,
) -> Vec<(&'static str, Option<String>)> {
    let url: sqlx::postgres::PgConnectOptions = app.db_url.parse().unwrap();
    vec![
        ("JWT_SECRET", None),
        ("DATABASE_URL", None),
        ("JWT_SECRET_ARN", Some(JWT_ARN.into())),
        ("DB_SECRET_ARN", Some(db_arn.into())),
        ("DB_HOST", Some(url.get_host().into())),
        ("DB_PORT", Some(url.get_port().to_string())),
        ("DB_NAME", Some(url.get_database().unwrap().into())),
        ("DB_SSLMODE", Some("disable".into())),
        (
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            Some(secrets.endpoint().into()),
        ),
        ("AWS_ACCESS_KEY_ID", Some(sigv4_check::ACCESS_KEY_ID.into())),
        (
            "AWS_SECRET_ACCESS_KEY",
            Some(sigv4_check::SECRET_ACCESS_KEY.into()),
        ),
        ("AWS_SESSION_TOKEN", Some("session-token".into())),
    ]
}

#[tokio::test]
async fn a_deployed_function_reads_its_secrets_at_start() {
    let app = spawn_app().await;
    let secrets = SecretsManager::start(
        [
            (JWT_ARN.to_string(), TEST_JWT_SECRET.to_string()),
            // Generated passwords full of URL metacharacters.
            (
                DB_ARN.to_string(),
                json!({"username": "loaf_app", "password": "p@s:s/w?rd#%"}).to_string(),
            ),
            (
                OWNER_ARN.to_string(),
                json!({"username": "loaf", "password": "o@w:n/e?r#%"}).to_string(),
            ),
        ]
        .into(),
    )
    .await;
    for (name, arn) in [("auth", DB_ARN), ("migrate", OWNER_ARN)] {
        let api = RuntimeApi::start().await;
        let env = deployed_env(&app, &secrets, arn);
        let overrides: Vec<(&str, Option<&str>)> =
            env.iter().map(|(k, v)| (*k, v.as_deref())).collect();
        let _function = start(name, &api, &app, &overrides);
        let event = if name == "migrate" {
            json!({})
        } else {
            serde_json::from_str(HEALTH).unwrap()
        };
        let Outcome::Response(res) = api.invoke(event).await else {
            panic!("{name}: invocation error");
        };
        if name == "migrate" {
            assert_eq!(res["counts"]["permissions"], 59, "{res}");
        } else {
            assert_eq!(res["statusCode"], 200, "{res}");
        }
    }
}

#[tokio::test]
async fn a_secret_that_cannot_be_read_stops_the_container_naming_it() {
    let app = spawn_app().await;
    let secrets = SecretsManager::start([(DB_ARN.to_string(), "{}".to_string())].into()).await;
    let api = RuntimeApi::start().await;
    let env = deployed_env(&app, &secrets, DB_ARN);
    let overrides: Vec<(&str, Option<&str>)> =
        env.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    let out = start("auth", &api, &app, &overrides).exit().await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("JWT_SECRET_ARN names a secret that cannot be read"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_migrate_binary_answers_cloudformation_even_when_it_cannot_start() {
    let app = spawn_app().await;
    // The owner's secret is missing: init fails, yet the stack must hear so.
    let secrets = SecretsManager::start(Default::default()).await;
    let api = RuntimeApi::start().await;
    let env = deployed_env(&app, &secrets, OWNER_ARN);
    let overrides: Vec<(&str, Option<&str>)> =
        env.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    let _function = start("migrate", &api, &app, &overrides);
    let (url, received) = loaf_tests::cfn_response::response_listener().await;

    let Outcome::Response(_) = api
        .invoke(loaf_tests::cfn_response::cfn_event("create", &url))
        .await
    else {
        panic!("migrate: invocation error");
    };
    let answer = received.lock().unwrap()[0].1.clone();
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.contains("could not start") && reason.contains("DB_SECRET_ARN"),
        "{reason}"
    );
}

/// The `bootstrap` files `sam build` made, one folder per function: what is
/// deployed. `.ci/run` builds them and runs this test with
/// `LOAF_BOOTSTRAP_DIR=.aws-sam/build`.
#[tokio::test]
#[ignore = "needs `sam build` first; .ci/run runs it"]
async fn the_built_bootstraps_answer_fixture_events() {
    let dir = PathBuf::from(
        std::env::var("LOAF_BOOTSTRAP_DIR")
            .expect("LOAF_BOOTSTRAP_DIR must name the folder `sam build` wrote (.aws-sam/build)"),
    );
    let fixture = |name: &str| -> Value {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let app = spawn_app().await;
    for function in [
        "AuthFunction",
        "MembersFunction",
        "EventsFunction",
        "DonationsFunction",
        "DocumentsFunction",
    ] {
        let api = RuntimeApi::start().await;
        let _running = start_path(&dir.join(function).join("bootstrap"), &api, &app, &[]);
        // The malformed body is sent to the login route: the auth function
        // owns it and refuses the body; the others do not know the path.
        let malformed = if function == "AuthFunction" {
            (400, Some("bad_request"))
        } else {
            (404, Some("not_found"))
        };
        for (event, status, code) in [
            ("apigw-v2-get-health.json", 200, None),
            ("apigw-v2-get-unknown-route.json", 404, Some("not_found")),
            (
                "apigw-v2-post-malformed-body.json",
                malformed.0,
                malformed.1,
            ),
        ] {
            let Outcome::Response(res) = api.invoke(fixture(event)).await else {
                panic!("{function} {event}: invocation error");
            };
            assert_eq!(res["statusCode"], status, "{function} {event}: {res}");
            let body: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
            if let Some(code) = code {
                assert_eq!(body["error"]["code"], code, "{function} {event}");
            }
        }
    }

    let (url, received) = loaf_tests::cfn_response::response_listener().await;
    let api = RuntimeApi::start().await;
    let _running = start_path(
        &dir.join("MigrateFunction").join("bootstrap"),
        &api,
        &app,
        &[("DATABASE_URL", Some(&app.owner_db_url))],
    );
    let Outcome::Response(_) = api
        .invoke(loaf_tests::cfn_response::cfn_event("create", &url))
        .await
    else {
        panic!("migrate: invocation error");
    };
    let answer = received.lock().unwrap()[0].1.clone();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");

    let api = RuntimeApi::start().await;
    let _running = start_path(&dir.join("JobsFunction").join("bootstrap"), &api, &app, &[]);
    let event = fixture("eventbridge-scheduled.json");
    let Outcome::Response(summary) = api.invoke(event).await else {
        panic!("jobs: invocation error");
    };
    assert_eq!(summary["invitations_expired"], 0, "{summary}");
}

#[tokio::test]
async fn migrate_and_jobs_read_only_the_database_secret() {
    let app = spawn_app().await;
    // Their roles may not read the JWT key: the stand-in does not even hold it.
    let secrets = SecretsManager::start(
        [
            (
                OWNER_ARN.to_string(),
                json!({"username": "loaf", "password": "x"}).to_string(),
            ),
            (
                DB_ARN.to_string(),
                json!({"username": "loaf_app", "password": "y"}).to_string(),
            ),
        ]
        .into(),
    )
    .await;
    for (name, arn, event) in [
        ("migrate", OWNER_ARN, json!({})),
        (
            "jobs",
            DB_ARN,
            serde_json::from_str(include_str!("../../fixtures/eventbridge-scheduled.json"))
                .unwrap(),
        ),
    ] {
        let api = RuntimeApi::start().await;
        let env = deployed_env(&app, &secrets, arn);
        let overrides: Vec<(&str, Option<&str>)> =
            env.iter().map(|(k, v)| (*k, v.as_deref())).collect();
        let _function = start(name, &api, &app, &overrides);
        assert!(
            matches!(api.invoke(event).await, Outcome::Response(_)),
            "{name} failed"
        );
    }
}
