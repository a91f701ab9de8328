//! Auth benchmark: the cost of each auth request through the real router,
//! against a real PostgreSQL, next to `GET /api/health` (one `SELECT 1`) as
//! the floor measured in the same run. Prints a table; asserts nothing.
//!
//!     cargo bench -p loaf-tests --bench auth [-- RUNS]
//!
//! Sign-in is dominated by argon2id (19 MiB, t=2, p=1) by design; the
//! "unknown email" and "wrong password" rows show that a stranger cannot
//! tell the two apart by timing.

use http::{Method, StatusCode};
use loaf_tests::accounts::{registration, PASSWORD};
use loaf_tests::{call, spawn_bench_app, TestApp};
use serde_json::json;
use std::time::{Duration, Instant};

struct Row {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Row {
    fn percentile(&self, p: f64) -> f64 {
        let mut s: Vec<f64> = self
            .samples
            .iter()
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        s[((s.len() - 1) as f64 * p).round() as usize]
    }
}

async fn forget_failures(app: &TestApp) {
    sqlx::query("DELETE FROM login_throttle")
        .execute(&app.db)
        .await
        .unwrap();
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let app = spawn_bench_app().await;
    let api = app.api();

    // An account that may sign in.
    let reply = call(
        &api,
        Method::POST,
        "/api/auth/register",
        None,
        Some(registration("bench@example.org")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let token = app.token_mailed("bench@example.org", "verify_email").await;
    call(
        &api,
        Method::POST,
        "/api/auth/verify-email",
        None,
        Some(json!({"token": token, "password": PASSWORD})),
    )
    .await;

    let mut rows = Vec::new();
    let mut time = |name: &'static str| {
        rows.push(Row {
            name,
            samples: Vec::with_capacity(runs),
        });
        rows.len() - 1
    };
    let (health, ok, wrong, unknown, refresh, me, register) = (
        time("GET /api/health (floor)"),
        time("POST /api/auth/login"),
        time("login, wrong password"),
        time("login, unknown email"),
        time("POST /api/auth/refresh"),
        time("GET /api/auth/me"),
        time("POST /api/auth/register"),
    );
    let creds = |email: &str, password: &str| Some(json!({"email": email, "password": password}));
    let mut refresh_token = String::new();
    let mut access = String::new();
    for i in 0..runs {
        let t = Instant::now();
        let r = call(&api, Method::GET, "/api/health", None, None).await;
        rows[health].samples.push(t.elapsed());
        assert_eq!(r.status, StatusCode::OK);

        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/auth/login",
            None,
            creds("bench@example.org", PASSWORD),
        )
        .await;
        rows[ok].samples.push(t.elapsed());
        assert_eq!(r.status, StatusCode::OK);
        if i == 0 {
            refresh_token = r.body["refresh_token"].as_str().unwrap().to_string();
            access = r.body["access_token"].as_str().unwrap().to_string();
        }

        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/auth/login",
            None,
            creds("bench@example.org", "not the password"),
        )
        .await;
        rows[wrong].samples.push(t.elapsed());
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/auth/login",
            None,
            creds(&format!("ghost{i}@example.org"), "not the password"),
        )
        .await;
        rows[unknown].samples.push(t.elapsed());
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        forget_failures(&app).await;

        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh_token})),
        )
        .await;
        rows[refresh].samples.push(t.elapsed());
        assert_eq!(r.status, StatusCode::OK);
        refresh_token = r.body["refresh_token"].as_str().unwrap().to_string();

        let t = Instant::now();
        let r = call(&api, Method::GET, "/api/auth/me", Some(&access), None).await;
        rows[me].samples.push(t.elapsed());
        assert_eq!(r.status, StatusCode::OK);

        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/auth/register",
            None,
            Some(registration(&format!("new{i}@example.org"))),
        )
        .await;
        rows[register].samples.push(t.elapsed());
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }

    let floor = rows[health].percentile(0.5);
    println!("{runs} runs each, in-process router, real PostgreSQL, mail to a folder");
    println!(
        "{:<28} {:>9} {:>9} {:>10}",
        "request", "p50 ms", "p90 ms", "vs floor"
    );
    for row in &rows {
        let p50 = row.percentile(0.5);
        println!(
            "{:<28} {:>9.2} {:>9.2} {:>9.1}x",
            row.name,
            p50,
            row.percentile(0.9),
            p50 / floor
        );
    }
    let ratio = rows[unknown].percentile(0.5) / rows[wrong].percentile(0.5);
    println!("unknown email / wrong password (p50): {ratio:.2}");
}
