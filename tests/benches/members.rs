//! Members benchmark at 100,000 members: the list and its search, import of
//! 10,000 rows, export of 100,000 rows with the heap's peak. Every figure
//! sits beside `GET /api/health` (one `SELECT 1`) measured in the same run,
//! through the real router, PostgreSQL and S3-protocol endpoint. Prints a
//! table; asserts nothing.
//!
//!     cargo bench -p loaf-tests --bench members [-- RUNS]

use http::{Method, StatusCode};
use loaf_tests::{call, spawn_bench_app, TestApp};
use serde_json::json;
use std::time::Instant;

mod common;
use common::{ms, peak_growth, percentile, row};

async fn upload(app: &TestApp, token: &str, file: &[u8]) -> String {
    let created = call(
        &app.api(),
        Method::POST,
        "/api/imports",
        Some(token),
        Some(json!({"filename": "bench.csv", "size_bytes": file.len()})),
    )
    .await;
    let up = &created.body["upload"];
    let mut req = reqwest::Client::new()
        .put(up["url"].as_str().unwrap())
        .body(file.to_vec());
    for pair in up["headers"].as_array().unwrap() {
        req = req.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    assert!(req.send().await.unwrap().status().is_success());
    created.body["id"].as_str().unwrap().to_string()
}

#[tokio::main]
async fn main() {
    let runs = common::runs();
    let app = spawn_bench_app().await;
    let api = app.api();
    let t = Instant::now();
    common::seed_members(&app.db).await;
    println!(
        "seeded 100,000 members in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;

    // The validation queue's look-alike check, for one of the 100,000
    // (who shares a phone and a street with another).
    let someone: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'member12345@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let similar = format!("/api/members/{someone}/similar");
    let requests: &[(&str, &str)] = &[
        ("GET /api/health (floor)", "/api/health"),
        ("list, page 1 by name", "/api/members"),
        ("list, page 200 by name", "/api/members?page=200"),
        ("search \"zoe\" (accents)", "/api/members?q=zoe"),
        ("search \"nunez1\"", "/api/members?q=nunez1"),
        ("search one email", "/api/members?q=member99999%40"),
        (
            "status + sort -created_at",
            "/api/members?status=active&sort=-created_at",
        ),
        (
            "has_active_subscription",
            "/api/members?has_active_subscription=false",
        ),
        ("GET /api/dashboard/stats", "/api/dashboard/stats"),
        ("similar members of one", &similar),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); requests.len()];
    for _ in 0..runs {
        for (i, (_, path)) in requests.iter().enumerate() {
            let t = Instant::now();
            let r = call(&api, Method::GET, path, Some(&token), None).await;
            samples[i].push(ms(t.elapsed()));
            assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        }
    }
    let floor = percentile(&samples[0], 0.5);
    println!("{runs} runs each, in-process router, real PostgreSQL, 100,000 members");
    println!(
        "{:<34} {:>9} {:>9} {:>10}",
        "request", "p50 ms", "p99 ms", "vs floor"
    );
    for (i, (name, _)) in requests.iter().enumerate() {
        row(name, &samples[i], floor);
    }

    // Import: 10,000 new members, previewed then written.
    let mut file = String::from("email,first_name,last_name,phone,city,member_since\n");
    for i in 0..10_000 {
        file.push_str(&format!(
            "new{i}@example.org,New{i},Person{i},+33 1 23 45 67 89,Paris,2021-05-01\n"
        ));
    }
    let id = upload(&app, &token, file.as_bytes()).await;
    let path = format!("/api/imports/{id}/start");
    let t = Instant::now();
    let r = call(
        &api,
        Method::POST,
        &path,
        Some(&token),
        Some(json!({"dry_run": true})),
    )
    .await;
    let preview = t.elapsed();
    assert_eq!(r.body["successful_rows"], 10_000, "{:?}", r.body);
    let t = Instant::now();
    let r = call(&api, Method::POST, &path, Some(&token), None).await;
    let import = t.elapsed();
    assert_eq!(r.body["successful_rows"], 10_000, "{:?}", r.body);
    println!();
    println!("import of 10,000 rows ({} KiB)", file.len() / 1024);
    println!(
        "  preview (dry run) {:>9.0} ms  {:>8.0} rows/s  {:>7.0}x floor",
        ms(preview),
        10_000.0 / preview.as_secs_f64(),
        ms(preview) / floor
    );
    println!(
        "  import            {:>9.0} ms  {:>8.0} rows/s  {:>7.0}x floor",
        ms(import),
        10_000.0 / import.as_secs_f64(),
        ms(import) / floor
    );

    // Export: a thousand rows, then all 110,001, with the heap's peak.
    println!();
    println!("export (streamed to S3 in 6 MiB parts)");
    println!(
        "{:<30} {:>9} {:>9} {:>14}",
        "rows", "ms", "rows/s", "peak heap MiB"
    );
    for (label, query) in [("~1,100 (q=nunez1)", "?q=nunez1"), ("all (110,001)", "")] {
        let path = format!("/api/members/export{query}");
        let t = Instant::now();
        let (r, peak) = peak_growth(call(&api, Method::GET, &path, Some(&token), None)).await;
        let took = t.elapsed();
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let rows = r.body["rows"].as_u64().unwrap();
        println!(
            "{label:<30} {:>9.0} {:>9.0} {:>14.1}",
            ms(took),
            rows as f64 / took.as_secs_f64(),
            peak
        );
    }
    println!("(the heap figure is the whole process, the in-process S3 stand-in receiving the parts included)");
}
