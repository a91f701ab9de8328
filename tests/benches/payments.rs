//! Payments benchmark. Memberships at 100,000 members with a subscription
//! each: the subscription list, a payment in each of its forms (manual,
//! checkout through the provider stand-in over HTTP, the webhook, a
//! redelivery), the export of 100,000 rows with the heap's peak, and the
//! daily jobs over the lot. Donations at 100,000 gifts: the list, the
//! year's totals, a gift through checkout and webhook, the export. Every
//! figure sits beside `GET /api/health` (one `SELECT 1`) measured in the
//! same run, through the real router, PostgreSQL and S3-protocol endpoint.
//! Prints a table; asserts nothing about time.
//!
//!     cargo bench -p loaf-tests --bench payments [-- RUNS]

use http::{Method, StatusCode};
use loaf_tests::{call, post_webhook, spawn_bench_app, TestApp};
use serde_json::json;
use std::time::Instant;
use uuid::Uuid;

mod common;
use common::{ms, peak_growth, percentile, row};

/// 100,000 active members, each with a yearly subscription started on a
/// day of the past year: about 1 in 12 ends within the renewal window;
/// 5,000 more ended yesterday (the daily job's work). A mix of methods.
async fn seed(app: &TestApp, plan: Uuid) {
    for sql in [
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role, member_since) \
         SELECT 'member' || i || '@example.org', '!', 'First' || i % 997, 'Last' || i % 89, \
                'active', 'member', now() - (i % 365) * interval '1 day' \
         FROM generate_series(1, 105000) AS i",
        "INSERT INTO subscriptions (user_id, plan_id, status, start_date, end_date, \
             base_subscription_cents, donation_cents, amount_paid_cents, currency, payment_method, manual_payment) \
         SELECT u.id, $1, 'active', s.start, \
                CASE WHEN n > 100000 THEN now() - interval '1 day' ELSE s.start + interval '1 year' END, \
                3000, (n % 4) * 500, 3000 + (n % 4) * 500, 'EUR', \
                (ARRAY['online','online','cash','cheque','bank_transfer'])[1 + n % 5], n % 5 >= 2 \
         FROM (SELECT id, substring(email from 7 for position('@' in email) - 7)::int AS n FROM users \
               WHERE email LIKE 'member%') u, \
              LATERAL (SELECT now() - (u.n % 365) * interval '1 day' - interval '1 hour' AS start) s",
    ] {
        sqlx::query(sql).bind(plan).execute(&app.db).await.unwrap();
    }
    common::vacuum(&app.db, &["users", "subscriptions"]).await;
}

#[tokio::main]
async fn main() {
    let runs = common::runs();
    let app = spawn_bench_app().await;
    let api = app.api();
    let plan: Uuid = sqlx::query_scalar(
        "INSERT INTO subscription_plans (name, price_cents, minimum_price_cents) \
         VALUES ('Yearly', 3000, 3000) RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let t = Instant::now();
    seed(&app, plan).await;
    println!(
        "seeded 105,000 members and subscriptions in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let member = app.user_with_role("member").await;
    let member_token = app.token_for(&member).await;

    let reads: &[(&str, &str, bool)] = &[
        ("GET /api/health (floor)", "/api/health", true),
        ("subscriptions, page 1", "/api/subscriptions", true),
        (
            "subscriptions, page 200",
            "/api/subscriptions?page=200",
            true,
        ),
        (
            "subscriptions ?q=member9999",
            "/api/subscriptions?q=member9999",
            true,
        ),
        (
            "subscriptions ?method=cash",
            "/api/subscriptions?method=cash",
            true,
        ),
        (
            "subscriptions ?sort=-total",
            "/api/subscriptions?sort=-total",
            true,
        ),
        ("GET /api/subscriptions/me", "/api/subscriptions/me", false),
        ("GET /api/plans (anonymous)", "/api/plans", false),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); reads.len()];
    for _ in 0..runs {
        for (i, (_, path, as_admin)) in reads.iter().enumerate() {
            let who = if *as_admin { &token } else { &member_token };
            let t = Instant::now();
            let r = call(&api, Method::GET, path, Some(who), None).await;
            samples[i].push(ms(t.elapsed()));
            assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        }
    }
    let floor = percentile(&samples[0], 0.5);
    println!("{runs} runs each, in-process router, real PostgreSQL, 105,000 subscriptions");
    println!(
        "{:<34} {:>9} {:>9} {:>10}",
        "request", "p50 ms", "p99 ms", "vs floor"
    );
    for (i, (name, _, _)) in reads.iter().enumerate() {
        row(name, &samples[i], floor);
    }

    // Payments: each on a member validated and waiting to pay.
    let mut manual = Vec::with_capacity(runs);
    let mut checkout = Vec::with_capacity(runs);
    let mut webhook = Vec::with_capacity(runs);
    let mut replay = Vec::with_capacity(runs);
    for i in 0..runs {
        let payer = app
            .person(
                "Pay",
                "Er",
                &format!("payer{i}@example.org"),
                "payment_pending",
                "member",
            )
            .await;
        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/subscriptions/manual",
            Some(&token),
            Some(json!({"user_id": payer.id, "plan_id": plan, "method": "cash"})),
        )
        .await;
        manual.push(ms(t.elapsed()));
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

        let online = app
            .person(
                "On",
                "Line",
                &format!("online{i}@example.org"),
                "payment_pending",
                "member",
            )
            .await;
        let online_token = app.token_for(&online).await;
        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/subscriptions/checkout",
            Some(&online_token),
            Some(json!({"plan_id": plan})),
        )
        .await;
        checkout.push(ms(t.elapsed()));
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let session = r.body["checkout_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let paid = app.payments.pay(&session).await.unwrap();
        let t = Instant::now();
        let r = post_webhook(&api, &paid.signature, &paid.body).await;
        webhook.push(ms(t.elapsed()));
        assert_eq!(r.body["outcome"], "membership_paid", "{:?}", r.body);
        let t = Instant::now();
        let r = post_webhook(&api, &paid.signature, &paid.body).await;
        replay.push(ms(t.elapsed()));
        assert_eq!(r.body["duplicate"], true);
    }
    row("POST /api/subscriptions/manual", &manual, floor);
    row("POST …/checkout (+ provider HTTP)", &checkout, floor);
    row("webhook: checkout completed", &webhook, floor);
    row("webhook: redelivered", &replay, floor);

    // Export: 1,000 rows, then all of them.
    println!();
    for (name, path) in [
        (
            "export ?q=member99 (1,111 rows)",
            "/api/subscriptions/export?q=member99",
        ),
        ("export, all", "/api/subscriptions/export"),
    ] {
        let t = Instant::now();
        let (r, heap) = peak_growth(call(&api, Method::GET, path, Some(&token), None)).await;
        let took = t.elapsed();
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        println!(
            "{name:<34} {:>7} rows {:>9.0} ms  peak heap +{heap:.1} MiB",
            r.body["rows"],
            ms(took)
        );
    }

    // The daily jobs over everything: 5,000 subscriptions end, about 8,000
    // members are due a renewal reminder.
    let t = Instant::now();
    let summary = app.run_jobs(chrono::Utc::now()).await;
    println!();
    println!(
        "daily jobs: {:.0} ms ({} subscriptions ended, {} members lapsed, {} renewal reminders queued)",
        ms(t.elapsed()),
        summary.subscriptions_expired,
        summary.members_lapsed,
        summary.renewal_reminders
    );
    let t = Instant::now();
    let again = app.run_jobs(chrono::Utc::now()).await;
    println!(
        "daily jobs again: {:.0} ms ({} ended, {} reminders: nothing left to do)",
        ms(t.elapsed()),
        again.subscriptions_expired,
        again.renewal_reminders
    );

    donations(&app, &token, &member_token, runs, floor).await;
}

/// 100,000 completed gifts over three years, a tenth from members.
async fn donations(app: &TestApp, token: &str, member_token: &str, runs: usize, floor: f64) {
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO donations (amount_cents, currency, donation_type, status, user_id, donor_name, \
             donor_email, payment_method, donated_at, created_at) \
         SELECT 500 + (i % 200) * 100, 'EUR', CASE WHEN i % 10 = 0 THEN 'member' ELSE 'public' END::donationtype, \
                'completed', NULL, 'Donor ' || i % 5000, 'donor' || i % 5000 || '@example.org', \
                (ARRAY['online','cash','cheque','bank_transfer'])[1 + i % 4], \
                now() - (i % 1095) * interval '1 day', now() - (i % 1095) * interval '1 day' \
         FROM generate_series(1, 100000) AS i",
    )
    .execute(&app.db)
    .await
    .unwrap();
    common::vacuum(&app.db, &["donations"]).await;
    println!();
    println!(
        "seeded 100,000 donations in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let api = app.api();
    let reads: &[(&str, &str, bool)] = &[
        ("donations, page 1", "/api/donations", true),
        (
            "donations ?q=donor4999",
            "/api/donations?q=donor4999%40",
            true,
        ),
        (
            "donations ?from=&to= (a month)",
            "/api/donations?from=2026-01-01&to=2026-01-31",
            true,
        ),
        ("donations, a member's own", "/api/donations", false),
        ("GET /api/donations/stats", "/api/donations/stats", true),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); reads.len()];
    for _ in 0..runs {
        for (i, (_, path, as_admin)) in reads.iter().enumerate() {
            let who = if *as_admin { token } else { member_token };
            let t = Instant::now();
            let r = call(&api, Method::GET, path, Some(who), None).await;
            samples[i].push(ms(t.elapsed()));
            assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        }
    }
    for (i, (name, _, _)) in reads.iter().enumerate() {
        row(name, &samples[i], floor);
    }
    let (mut checkout, mut webhook) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            "/api/donations/checkout",
            None,
            Some(json!({"amount_cents": 2500, "donor_name": "Bench", "donor_email": format!("bench{i}@example.org")})),
        )
        .await;
        checkout.push(ms(t.elapsed()));
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let session = r.body["checkout_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let paid = app.payments.pay(&session).await.unwrap();
        let t = Instant::now();
        let r = post_webhook(&api, &paid.signature, &paid.body).await;
        webhook.push(ms(t.elapsed()));
        assert_eq!(r.body["outcome"], "donation_completed", "{:?}", r.body);
    }
    row("POST /api/donations/checkout", &checkout, floor);
    row("webhook: donation + receipt", &webhook, floor);
    let t = Instant::now();
    let (r, heap) = peak_growth(call(
        &api,
        Method::GET,
        "/api/donations/export",
        Some(token),
        None,
    ))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    println!(
        "{:<34} {:>7} rows {:>9.0} ms  peak heap +{heap:.1} MiB",
        "donations export, all",
        r.body["rows"],
        ms(t.elapsed())
    );
}
