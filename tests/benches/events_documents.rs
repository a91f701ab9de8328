//! Events and documents benchmark: 1,000 published events (20,000 RSVPs),
//! the event list and detail, the iCalendar file and a feed of every event,
//! RSVPs (and 20 members racing for 5 seats), a photo upload end to end;
//! 1,000 newsletters, their list, a download link, an upload end to end.
//! Every figure sits beside `GET /api/health` (one `SELECT 1`) measured in
//! the same run, through the real router, PostgreSQL and S3-protocol
//! endpoint. Prints a table; asserts nothing about time.
//!
//!     cargo bench -p loaf-tests --bench events_documents [-- RUNS]

use http::{Method, StatusCode};
use loaf_tests::{call, spawn_bench_app, upload_to, TestApp};
use serde_json::json;
use std::time::Instant;
use tower::ServiceExt;

mod common;
use common::{ms, peak_growth, percentile, row};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// GET `path` whole, for the non-JSON answers (calendars).
async fn get_bytes(app: &TestApp, path: &str) -> usize {
    let res = app
        .api()
        .oneshot(
            http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap()
        .len()
}

#[tokio::main]
async fn main() {
    let runs = common::runs();
    let app = spawn_bench_app().await;
    let api = app.api();
    let t = Instant::now();
    common::seed_events(&app.db).await;
    println!(
        "seeded 1,000 events, 20,000 RSVPs and 1,000 newsletters in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let member = app.user_with_role("member").await;
    let member_token = app.token_for(&member).await;
    let event: String = sqlx::query_scalar(
        "SELECT id::text FROM events WHERE start_at > now() AND capacity IS NULL AND visibility = 'public' \
         ORDER BY start_at LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let feed = call(
        &api,
        Method::POST,
        "/api/calendar/token",
        Some(&member_token),
        None,
    )
    .await;
    let feed_path = format!(
        "/api/calendar/feed.ics?token={}",
        feed.body["token"].as_str().unwrap()
    );

    let reads: Vec<(&str, String, Option<&str>)> = vec![
        ("GET /api/health (floor)", "/api/health".into(), None),
        ("events, upcoming (guest)", "/api/events".into(), None),
        (
            "events, upcoming (member)",
            "/api/events".into(),
            Some(&member_token),
        ),
        (
            "events, past, page 10",
            "/api/events?when=past&page=10".into(),
            Some(&member_token),
        ),
        (
            "GET /api/events/{id}",
            format!("/api/events/{event}"),
            Some(&member_token),
        ),
        (
            "RSVP list (200 answers)",
            format!("/api/events/{event}/rsvps?per_page=100"),
            Some(&token),
        ),
        (
            "newsletters, page 1",
            "/api/documents/newsletters".into(),
            Some(&member_token),
        ),
        (
            "newsletters ?q=letter 99",
            "/api/documents/newsletters?q=letter%2099".into(),
            Some(&member_token),
        ),
        ("GET /api/settings", "/api/settings".into(), None),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); reads.len()];
    for _ in 0..runs {
        for (i, (_, path, who)) in reads.iter().enumerate() {
            let t = Instant::now();
            let r = call(&api, Method::GET, path, *who, None).await;
            samples[i].push(ms(t.elapsed()));
            assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        }
    }
    let floor = percentile(&samples[0], 0.5);
    println!("{runs} runs each, in-process router, real PostgreSQL");
    println!(
        "{:<34} {:>9} {:>9} {:>10}",
        "request", "p50 ms", "p99 ms", "vs floor"
    );
    for (i, (name, _, _)) in reads.iter().enumerate() {
        row(name, &samples[i], floor);
    }

    let (mut one_ics, mut whole_feed, mut answer) = (Vec::new(), Vec::new(), Vec::new());
    let mut feed_size = 0;
    for i in 0..runs {
        let t = Instant::now();
        get_bytes(&app, &format!("/api/events/{event}/calendar.ics")).await;
        one_ics.push(ms(t.elapsed()));
        let t = Instant::now();
        feed_size = get_bytes(&app, &feed_path).await;
        whole_feed.push(ms(t.elapsed()));
        let status = if i % 2 == 0 { "yes" } else { "maybe" };
        let t = Instant::now();
        let r = call(
            &api,
            Method::PUT,
            &format!("/api/events/{event}/rsvp"),
            Some(&member_token),
            Some(json!({"status": status})),
        )
        .await;
        answer.push(ms(t.elapsed()));
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let (_, feed_heap) = peak_growth(get_bytes(&app, &feed_path)).await;
    println!("the feed's peak heap: +{feed_heap:.1} MiB");
    row("GET …/calendar.ics (one event)", &one_ics, floor);
    row(
        &format!("feed.ics (~700 events, {} KiB)", feed_size / 1024),
        &whole_feed,
        floor,
    );
    row("PUT …/rsvp", &answer, floor);

    // 20 members race for 5 seats, all at once.
    let race: String = sqlx::query_scalar(
        "INSERT INTO events (title, start_at, end_at, capacity, published, calendar_uid) \
         VALUES ('Race', now() + interval '3 days', now() + interval '3 days', 5, true, 'race@loaf') \
         RETURNING id::text",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let mut racers = Vec::new();
    for _ in 0..20 {
        let m = app.user_with_role("member").await;
        racers.push(app.token_for(&m).await);
    }
    let t = Instant::now();
    let replies = futures_util::future::join_all(racers.iter().map(|tok| {
        let api = api.clone();
        let path = format!("/api/events/{race}/rsvp");
        async move {
            call(
                &api,
                Method::PUT,
                &path,
                Some(tok),
                Some(json!({"status": "yes"})),
            )
            .await
        }
    }))
    .await;
    let seated = replies
        .iter()
        .filter(|r| r.body["waitlisted"] == false)
        .count();
    println!(
        "{:<34} {:>9.2} ms for all 20 ({seated} seated, {} waitlisted)",
        "20 RSVPs racing for 5 seats",
        ms(t.elapsed()),
        20 - seated
    );

    // Uploads end to end: reserve, PUT to S3, confirm.
    let (mut photo, mut letter, mut link) = (Vec::new(), Vec::new(), Vec::new());
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(64 * 1024, b' ');
    for _ in 0..runs {
        let t = Instant::now();
        let r = call(
            &api,
            Method::POST,
            &format!("/api/events/{event}/gallery/uploads"),
            Some(&token),
            Some(
                json!({"file_name": "p.png", "content_type": "image/png", "size_bytes": PNG.len()}),
            ),
        )
        .await;
        assert!(upload_to(&r, PNG).await.is_success());
        let c = call(
            &api,
            Method::POST,
            &format!("/api/events/{event}/gallery"),
            Some(&token),
            Some(json!({"upload_id": r.body["upload_id"]})),
        )
        .await;
        assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
        photo.push(ms(t.elapsed()));

        let t = Instant::now();
        let r = call(&api, Method::POST, "/api/documents/newsletters/uploads", Some(&token),
            Some(json!({"file_name": "l.pdf", "content_type": "application/pdf", "size_bytes": pdf.len()}))).await;
        assert!(upload_to(&r, &pdf).await.is_success());
        let c = call(&api, Method::POST, "/api/documents/newsletters", Some(&token),
            Some(json!({"upload_id": r.body["upload_id"], "title": "Bench", "published_date": "2026-01-01"}))).await;
        assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
        letter.push(ms(t.elapsed()));

        let t = Instant::now();
        let d = call(
            &api,
            Method::GET,
            &format!(
                "/api/documents/newsletters/{}/download",
                c.body["id"].as_str().unwrap()
            ),
            Some(&member_token),
            None,
        )
        .await;
        assert_eq!(d.status, StatusCode::OK);
        link.push(ms(t.elapsed()));
    }
    row("photo: reserve + PUT + confirm", &photo, floor);
    row("64 KiB PDF: reserve + PUT + create", &letter, floor);
    row("download link (presign)", &link, floor);
}
