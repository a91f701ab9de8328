//! Load benchmark: `GET /api/events`, `GET /api/members?q=` over 100,000
//! members (a rare term and a common one) and `POST /api/auth/login`, each driven over real HTTP by a
//! local load generator (concurrent keep-alive clients for a fixed time),
//! beside pgbench running the very statements that route ran, captured from
//! PostgreSQL's own log, on the same database with the same concurrency.
//! `GET /api/health` (a round trip on its connection, no statement; pgbench's
//! side of it is an empty transaction) is the floor of both. Each route runs
//! with 4 and with 16 clients; beside each line, the heap's peak growth
//! while the route is under load and the process's peak resident memory
//! during it (the server's, plus the load generator's few MiB). Prints a
//! table; asserts nothing.
//!
//!     cargo bench -p loaf-tests --bench load [-- SECONDS]
//!
//! Needs the harness's private PostgreSQL (no `DATABASE_URL`): the captured
//! statements are read from its server log.

use http::{Method, StatusCode};
use loaf_tests::accounts::{registration, PASSWORD};
use loaf_tests::{call, spawn_bench_app, TestApp};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod common;
use common::{ms, peak_growth, percentile};
use loaf_http::routes::{Docs, Routes};

/// Clients at once: a few Lambda containers' worth on two cores, then a
/// burst (a long-lived `loaf serve` under many users at once).
const CONCURRENCY: [usize; 2] = [4, 16];

struct Scenario {
    name: &'static str,
    function: &'static str,
    method: Method,
    path: String,
    /// Client `i` sends `bodies[i % len]` (none when empty): sign-ins go
    /// to several accounts, as many people signing in at once do.
    bodies: Vec<Value>,
    token: Option<String>,
}

struct Measured {
    per_second: f64,
    p50: f64,
    p99: f64,
}

struct Pgbench {
    per_second: f64,
    mean_ms: f64,
}

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.api();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// `clients` clients send `s` back to back for `seconds`.
async fn load(base: &str, s: &Scenario, seconds: u64, clients: usize) -> Measured {
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let client = client.clone();
        let url = format!("{base}{}", s.path);
        let body = s.bodies.get(i % s.bodies.len().max(1)).cloned();
        let (method, token) = (s.method.clone(), s.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let mut req = client.request(method.clone(), &url);
                if let Some(body) = &body {
                    req = req
                        .header("content-type", "application/json")
                        .body(body.to_string());
                }
                if let Some(token) = &token {
                    req = req.bearer_auth(token);
                }
                let t = Instant::now();
                let res = req.send().await.unwrap();
                let status = res.status();
                let _ = res.bytes().await.unwrap();
                latencies.push(ms(t.elapsed()));
                assert!(status.is_success(), "{url}: {status}");
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    Measured {
        per_second: all.len() as f64 / started.elapsed().as_secs_f64(),
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
    }
}

/// The private cluster's log: `server.log` beside its data folder.
async fn server_log(app: &TestApp) -> PathBuf {
    let data: String = sqlx::query_scalar("SELECT current_setting('data_directory')")
        .fetch_one(&app.db)
        .await
        .unwrap();
    PathBuf::from(data).parent().unwrap().join("server.log")
}

/// The statements one request of `s` runs, as PostgreSQL logged them, with
/// their parameters written in. Taken from the second of two requests on a
/// router whose connections log every statement: the first fills the
/// per-container caches, as a warm container has.
async fn captured_sql(api: &axum::Router, s: &Scenario, log: &PathBuf) -> Vec<String> {
    call(
        api,
        s.method.clone(),
        &s.path,
        s.token.as_deref(),
        s.bodies.first().cloned(),
    )
    .await;
    let from = std::fs::metadata(log).unwrap().len() as usize;
    let r = call(
        api,
        s.method.clone(),
        &s.path,
        s.token.as_deref(),
        s.bodies.first().cloned(),
    )
    .await;
    assert!(r.status.is_success(), "{}: {:?}", s.path, r.body);
    // The server writes the log asynchronously to us; give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = std::fs::read(log).unwrap();
    statements(&String::from_utf8_lossy(&text[from..]))
}

/// Parses log entries (`%m [%p] ` prefix): each `execute …: SQL` or
/// `statement: SQL`, and the `DETAIL:  parameters: $1 = '…', …` after it.
fn statements(log: &str) -> Vec<String> {
    let mut entries: Vec<String> = Vec::new();
    for line in log.lines() {
        let starts_entry = line.len() > 4 && line[..4].chars().all(|c| c.is_ascii_digit());
        match entries.last_mut() {
            Some(last) if !starts_entry => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => entries.push(line.to_string()),
        }
    }
    let mut out: Vec<String> = Vec::new();
    // Parameters follow the `bind` and the `execute` of a statement; only
    // the latter's are the ones to write in.
    let mut after_execute = false;
    for entry in entries {
        if let Some((_, params)) = entry.split_once("DETAIL:  parameters: ") {
            if let (true, Some(last)) = (after_execute, out.last_mut()) {
                let mut values: Vec<(usize, String)> = split_params(params);
                // $12 before $1, so one does not eat the other's prefix.
                values.sort_by_key(|v| std::cmp::Reverse(v.0));
                for (n, value) in values {
                    *last = last.replace(&format!("${n}"), &as_literal(value));
                }
            }
            after_execute = false;
        } else if let Some(sql) = entry
            .split_once("  execute ")
            .and_then(|(_, rest)| rest.split_once(": "))
            .map(|(_, sql)| sql)
        {
            out.push(sql.trim().to_string());
            after_execute = true;
        } else if let Some((_, sql)) = entry.split_once("  statement: ") {
            out.push(sql.trim().to_string());
            after_execute = false;
        } else {
            after_execute = false;
        }
    }
    out
}

/// A logged parameter as a literal to write in: a whole number without its
/// quotes, since the statement typed it from its context (`x >= $3`) and a
/// quoted literal there, as in `CASE … THEN '5' END`, would be text.
fn as_literal(value: String) -> String {
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.to_string()
        }
        _ => value,
    }
}

/// `$1 = 'a', $2 = NULL` → `[(1, "'a'"), (2, "NULL")]`, quotes kept.
fn split_params(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while let Some(after) = rest.strip_prefix('$') {
        let (n, after) = after.split_once(" = ").unwrap();
        let (value, next) = if let Some(quoted) = after.strip_prefix('\'') {
            // A quote inside a literal is doubled.
            let bytes = quoted.as_bytes();
            let mut i = 0;
            loop {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            (format!("'{}'", &quoted[..i]), &quoted[i + 1..])
        } else {
            let end = after.find(", $").unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        out.push((n.parse().unwrap(), value));
        rest = next.trim_start_matches(", ").trim();
    }
    out
}

/// pgbench over `sql` (rolled back each time, so its writes can repeat),
/// `clients` clients. Simple protocol: pgbench's prepared mode takes
/// every `:word` for one of its variables, and keys like `account:…` have
/// them; the planning this adds makes pgbench's side a little slower, so
/// the ratios lean in the API's favour by that much.
fn pgbench(url: &str, sql: &[String], seconds: u64, clients: usize) -> Pgbench {
    let dir = std::env::temp_dir().join(format!("loaf-pgbench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut script = String::from("BEGIN;\n");
    for statement in sql {
        let upper = statement.to_ascii_uppercase();
        if upper == "BEGIN" || upper == "COMMIT" {
            continue;
        }
        script.push_str(&fresh_digests(statement));
        script.push_str(";\n");
    }
    script.push_str("ROLLBACK;\n");
    std::fs::write(dir.join("route.sql"), &script).unwrap();
    let out = std::process::Command::new("pgbench")
        .current_dir(&dir)
        .args(["-n", "-M", "simple", "-f", "route.sql"])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
        ])
        .arg(url)
        .output()
        .expect("pgbench runs");
    let _ = std::fs::remove_dir_all(&dir);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its summary, not its per-transaction log: pgbench 15 logs many
    // transactions as taking 0 µs, so percentiles from it would be wrong.
    let figure = |label: &str| -> f64 {
        report
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {label:?} in pgbench's report:\n{report}"))
    };
    Pgbench {
        per_second: figure("tps = "),
        mean_ms: figure("latency average = "),
    }
}

/// A 32-byte digest literal (`'\\x…'`, a token's hash) must be unique per
/// row: each transaction draws its own, or concurrent clients would queue
/// on one key.
fn fresh_digests(statement: &str) -> String {
    const RANDOM: &str = "decode(md5(random()::text) || md5(random()::text), 'hex')";
    let mut out = String::new();
    let mut rest = statement;
    while let Some(at) = rest.find("'\\x") {
        let candidate = &rest[at + 3..];
        let hex = candidate.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str(&rest[..at]);
        if hex == 64 && candidate.as_bytes().get(64) == Some(&b'\'') {
            out.push_str(RANDOM);
            rest = &candidate[65..];
        } else {
            out.push_str("'\\x");
            rest = candidate;
        }
    }
    out.push_str(rest);
    out
}

/// Starts a new peak of resident memory (Linux: `clear_refs` 5 resets
/// the high-water mark that `VmHWM` reports).
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("/proc/self/clear_refs");
}

/// The resident memory's high-water mark since [`reset_peak_rss`], MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib / 1024.0
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let app = spawn_bench_app().await;
    let api = app.api();
    common::seed_members(&app.db).await;
    common::seed_events(&app.db).await;

    // A member who signs in with a password, and an admin to search with.
    let r = call(
        &api,
        Method::POST,
        "/api/auth/register",
        None,
        Some(registration("load@example.org")),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let verify = app.token_mailed("load@example.org", "verify_email").await;
    call(
        &api,
        Method::POST,
        "/api/auth/verify-email",
        None,
        Some(json!({"token": verify, "password": PASSWORD})),
    )
    .await;
    let member = app.user_with_role("member").await;
    let admin = app.user_with_role("admin").await;
    // Sixteen accounts with that password: one account is throttled at
    // five sign-ins in flight, by design.
    let mut signing_in = vec![json!({"email": "load@example.org", "password": PASSWORD})];
    for i in 1..16 {
        let email = format!("load{i}@example.org");
        app.person("Load", "Member", &email, "active", "member")
            .await;
        signing_in.push(json!({"email": email, "password": PASSWORD}));
    }
    sqlx::query(
        "UPDATE users SET password_hash = (SELECT password_hash FROM users \
         WHERE email = 'load@example.org') WHERE email LIKE 'load%@example.org'",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let scenarios = [
        Scenario {
            name: "GET /api/health (floor)",
            function: "all",
            method: Method::GET,
            path: "/api/health".into(),
            bodies: Vec::new(),
            token: None,
        },
        Scenario {
            name: "GET /api/events",
            function: "events",
            method: Method::GET,
            path: "/api/events".into(),
            bodies: Vec::new(),
            token: Some(app.token_for(&member).await),
        },
        Scenario {
            name: "GET /api/members?q=nunez1",
            function: "members",
            method: Method::GET,
            path: "/api/members?q=nunez1".into(),
            bodies: Vec::new(),
            token: Some(app.token_for(&admin).await),
        },
        Scenario {
            name: "GET /api/members?q=zoe",
            function: "members",
            method: Method::GET,
            path: "/api/members?q=zoe".into(),
            bodies: Vec::new(),
            token: Some(app.token_for(&admin).await),
        },
        Scenario {
            name: "POST /api/auth/login",
            function: "auth",
            method: Method::POST,
            path: "/api/auth/login".into(),
            bodies: signing_in,
            token: None,
        },
    ];

    // Statements first, on connections that log them.
    let log = server_log(&app).await;
    // As the owner: only a superuser may change what the server logs.
    let logging = PgPoolOptions::new().max_connections(1).connect_lazy_with(
        app.owner_db_url
            .parse::<PgConnectOptions>()
            .unwrap()
            .options([("log_min_duration_statement", "0")]),
    );
    let mut logged_state = app.state.clone();
    logged_state.db = logging;
    let logged_api = loaf::gateway::router(logged_state);
    let mut sql = Vec::new();
    for s in &scenarios {
        sql.push(captured_sql(&logged_api, s, &log).await);
    }

    let addr = serve(&app).await;
    let base = format!("http://{addr}");
    println!(
        "{seconds} s per line, clients over HTTP (keep-alive), pgbench with as many clients; \
         100,000 members, 1,000 events"
    );
    println!(
        "{:<28} {:<9} {:>3} {:>8} {:>8} {:>8} {:>7} | {:>8} {:>8} {:>4} | {:>7} {:>8} {:>8}",
        "route",
        "function",
        "cl",
        "req/s",
        "p50 ms",
        "p99 ms",
        "vs hlth",
        "pgb tx/s",
        "mean ms",
        "SQL",
        "vs pgb",
        "heap MiB",
        "RSS MiB"
    );
    for clients in CONCURRENCY {
        let mut floor = None;
        for (s, statements) in scenarios.iter().zip(&sql) {
            reset_peak_rss();
            let (api_side, heap) = peak_growth(load(&base, s, seconds, clients)).await;
            let rss = peak_rss_mib();
            let db_side = pgbench(&app.db_url, statements, seconds, clients);
            let floor_p50 = *floor.get_or_insert(api_side.p50);
            println!(
                "{:<28} {:<9} {:>3} {:>8.0} {:>8.2} {:>8.2} {:>6.1}x | {:>8.0} {:>8.2} {:>4} | {:>6.1}x {:>8.1} {:>8.0}",
                s.name,
                s.function,
                clients,
                api_side.per_second,
                api_side.p50,
                api_side.p99,
                api_side.p50 / floor_p50,
                db_side.per_second,
                db_side.mean_ms,
                statements.len(),
                db_side.per_second / api_side.per_second,
                heap,
                rss
            );
        }
    }
    // What a cold start pays to build each function's router (routes only,
    // as served), beside the same routes described for the OpenAPI
    // document (what the docs function builds on its first request).
    type Build = fn(loaf_http::AppState) -> axum::Router;
    type Describe = fn(Docs) -> Routes;
    let builders: [(&str, Build, Describe); 5] = [
        ("auth", loaf_auth::router, loaf_auth::api),
        ("members", loaf_members::router, loaf_members::api),
        ("events", loaf_events::router, loaf_events::api),
        ("donations", loaf_donations::router, loaf_donations::api),
        ("documents", loaf_documents::router, loaf_documents::api),
    ];
    let median_of_20 = |f: &dyn Fn()| {
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            f();
            times.push(ms(t.elapsed()));
        }
        percentile(&times, 0.5)
    };
    let built: Vec<String> = builders
        .iter()
        .map(|(name, build, describe)| {
            let served = median_of_20(&|| drop(build(app.state.clone())));
            let described = median_of_20(&|| drop(describe(Docs::Write)));
            format!("{name} {served:.3} (described: {described:.2})")
        })
        .collect();
    println!(
        "router built per cold start, ms (median of 20): {}",
        built.join(", ")
    );
    println!("the statements each route ran (what pgbench replayed):");
    for (s, statements) in scenarios.iter().zip(&sql) {
        println!("  {}:", s.name);
        for statement in statements {
            let short: String = statement.chars().take(150).collect();
            println!("    {short}");
        }
    }
}
