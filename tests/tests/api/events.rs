//! Events: visibility, the managers' routes, RSVPs with capacity under real
//! concurrency, attendance, galleries through S3, iCalendar files and feeds
//! parsed back with an iCalendar parser.

use chrono::{Duration, Utc};
use http::{Method, StatusCode};
use icalendar::{Calendar, CalendarComponent, Component};
use loaf_tests::{call, spawn_app, upload_to, Reply, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn manager(app: &TestApp) -> String {
    let user = app.user_with_role("admin").await;
    app.token_for(&user).await
}

/// A published event starting in `days` days, with `extra` fields.
async fn event(app: &TestApp, token: &str, days: i64, extra: Value) -> String {
    let start = Utc::now() + Duration::days(days);
    let mut body = json!({"title": "Spring picnic", "start_at": start, "end_at": start + Duration::hours(3),
                          "location": "The park", "time_zone": "Europe/Paris"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.with_token(token).events().create(body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let p = app.with_token(token).events().publish(&id).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    id
}

async fn rsvp(app: &TestApp, token: &str, id: &str, status: &str) -> Reply {
    app.with_token(token)
        .events()
        .rsvp(&id, json!({"status": status}))
        .await
}

async fn member(app: &TestApp) -> (loaf_tests::TestUser, String) {
    let user = app.user_with_role("member").await;
    let token = app.token_for(&user).await;
    (user, token)
}

fn parse(ics: &str) -> Vec<icalendar::Event> {
    let calendar: Calendar = ics.parse().expect("a calendar an iCalendar parser reads");
    calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

async fn get_text(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    use tower::ServiceExt;
    let mut req = http::Request::get(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app
        .api()
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn guests_see_published_public_events_members_the_rest_managers_drafts() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let public = event(&app, &token, 3, json!({"visibility": "public"})).await;
    let members_only = event(&app, &token, 4, json!({})).await;
    let start = Utc::now() + Duration::days(5);
    let draft = app
        .with_token(&token)
        .events()
        .create(
            json!({"title": "Draft", "start_at": start, "end_at": start, "visibility": "public"}),
        )
        .await;
    let draft = draft.body["id"].as_str().unwrap().to_string();
    let past = event(&app, &token, -10, json!({"visibility": "public"})).await;
    let (_, member_token) = member(&app).await;

    let guest = app.anonymous().events().list("").await;
    assert_eq!(event_ids(&guest), std::slice::from_ref(&public));
    let seen = app.with_token(&member_token).events().list("").await;
    assert_eq!(event_ids(&seen), [public.clone(), members_only.clone()]);
    let all = app.with_token(&token).events().list("").await;
    assert_eq!(
        event_ids(&all),
        [public.clone(), members_only.clone(), draft.clone()]
    );
    let old = app.anonymous().events().list("when=past").await;
    assert_eq!(event_ids(&old), [past]);
    let ranged = call(
        &app.api(),
        Method::GET,
        &format!(
            "/api/events?from={}",
            (Utc::now() + Duration::days(4) - Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ")
        ),
        Some(&member_token),
        None,
    )
    .await;
    assert_eq!(event_ids(&ranged), std::slice::from_ref(&members_only));
    assert_eq!(
        app.anonymous().events().list("when=soon").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A members-only event and a draft do not exist for those who may not see them.
    for (who, path) in [
        (None, &members_only),
        (None, &draft),
        (Some(&member_token), &draft),
    ] {
        let r = call(
            &app.api(),
            Method::GET,
            &format!("/api/events/{path}"),
            who.map(|t| t.as_str()),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let (status, _) = get_text(
            &app,
            &format!("/api/events/{path}/calendar.ics"),
            who.map(|t| t.as_str()),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // Members cannot manage; strangers are asked to sign in.
    let body = json!({"title": "Mine", "start_at": start, "end_at": start});
    for (method, path, body) in [
        (Method::POST, "/api/events".to_string(), Some(body.clone())),
        (Method::PATCH, format!("/api/events/{public}"), Some(body)),
        (Method::DELETE, format!("/api/events/{public}"), None),
        (Method::POST, format!("/api/events/{draft}/publish"), None),
        (Method::GET, format!("/api/events/{public}/rsvps"), None),
        (
            Method::POST,
            format!("/api/events/{public}/attendance"),
            Some(json!({"user_ids": [], "attended": true})),
        ),
    ] {
        let r = call(
            &app.api(),
            method.clone(),
            &path,
            Some(&member_token),
            body.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        let r = call(&app.api(), method.clone(), &path, None, body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }

    // Bad events are refused by field.
    for (body, field) in [
        (json!({"start_at": start, "end_at": start}), "title"),
        (json!({"title": "X", "end_at": start}), "start_at"),
        (
            json!({"title": "X", "start_at": start, "end_at": start - Duration::hours(1)}),
            "end_at",
        ),
        (
            json!({"title": "X", "start_at": start, "end_at": start, "capacity": 0}),
            "capacity",
        ),
        (
            json!({"title": "X", "start_at": start, "end_at": start, "visibility": "secret"}),
            "visibility",
        ),
        (
            json!({"title": "X", "start_at": start, "end_at": start, "time_zone": "Mars/Base"}),
            "time_zone",
        ),
        (
            json!({"title": "X", "start_at": "tomorrow", "end_at": start}),
            "start_at",
        ),
    ] {
        let r = app.with_token(&token).events().create(body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
}

/// The ids of a page of events.
fn event_ids(r: &Reply) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {:?}", r.body))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// The events in a calendar feed, by id.
async fn feed_uids(app: &TestApp, feed_path: &str) -> Vec<String> {
    let (status, ics) = get_text(app, feed_path, None).await;
    assert_eq!(status, StatusCode::OK, "{ics}");
    parse(&ics)
        .iter()
        .map(|e| e.get_uid().unwrap().trim_end_matches("@loaf").to_string())
        .collect()
}

#[tokio::test]
async fn members_only_events_follow_the_membership_feed_included() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let public = event(&app, &token, 3, json!({"visibility": "public"})).await;
    let members_only = event(&app, &token, 4, json!({"title": "Members' evening"})).await;
    let (member, member_token) = member(&app).await;
    let feed = app
        .with_token(&member_token)
        .events()
        .calendar_token()
        .await;
    assert_eq!(feed.status, StatusCode::CREATED, "{:?}", feed.body);
    let feed_path = format!(
        "/api/calendar/feed.ics?token={}",
        feed.body["token"].as_str().unwrap()
    );
    let both = [public.clone(), members_only.clone()];
    assert_eq!(
        event_ids(&app.with_token(&member_token).events().list("").await),
        both
    );
    assert_eq!(feed_uids(&app, &feed_path).await, both);

    // The membership lapses: the same session, the same feed, public
    // events only; the members' evening is not there to open or answer.
    sqlx::query("UPDATE users SET status = 'expired' WHERE id = $1")
        .bind(member.id)
        .execute(&app.db)
        .await
        .unwrap();
    let caller = app.with_token(&member_token);
    let lapsed = caller.events();
    assert_eq!(
        event_ids(&lapsed.list("").await),
        std::slice::from_ref(&public)
    );
    assert_eq!(
        feed_uids(&app, &feed_path).await,
        std::slice::from_ref(&public)
    );
    assert_eq!(
        lapsed.show(&members_only).await.status,
        StatusCode::NOT_FOUND
    );
    let answer = lapsed.rsvp(&public, json!({"status": "yes"})).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
    assert_eq!(answer.error_code(), "membership_required");
    // A cancelled members-only event is not announced to them either.
    let other = event(&app, &token, 6, json!({"title": "Members' quiz"})).await;
    assert_eq!(
        app.with_token(&token).events().delete(&other).await.status,
        StatusCode::NO_CONTENT
    );
    let (_, ics) = get_text(&app, &feed_path, None).await;
    assert!(!ics.contains("Members' quiz"), "{ics}");

    // Renewed: everything is back, in the same session.
    sqlx::query("UPDATE users SET status = 'active' WHERE id = $1")
        .bind(member.id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        event_ids(&app.with_token(&member_token).events().list("").await),
        both
    );
    assert_eq!(
        rsvp(&app, &member_token, &members_only, "yes").await.status,
        StatusCode::OK
    );

    // A self-registered applicant (role guest, which holds events.view)
    // sees public events only, in the list and in a feed.
    let applicant = app
        .person(
            "New",
            "Applicant",
            "applicant@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    let applicant = app.token_for(&applicant).await;
    let seen = app.with_token(&applicant).events().list("").await;
    assert_eq!(event_ids(&seen), std::slice::from_ref(&public));
    assert_eq!(
        app.with_token(&applicant)
            .events()
            .show(&members_only)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// How many emails told `members` that a seat freed up for them.
async fn told_of_a_seat(app: &TestApp, members: &[(loaf_tests::TestUser, String)]) -> usize {
    let mut told = 0;
    for (user, _) in members {
        let mail = app.mail_to(&user.email).await;
        told += mail.iter().filter(|m| m.kind == "seat_confirmed").count();
    }
    told
}

#[tokio::test]
async fn two_members_racing_for_the_last_seat_cannot_both_get_it() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let id = event(&app, &token, 2, json!({"capacity": 3})).await;
    let mut members = Vec::new();
    for _ in 0..12 {
        members.push(member(&app).await);
    }
    let answers = members.iter().map(|(_, t)| {
        let app = &app;
        let id = id.clone();
        async move { rsvp(app, t, &id, "yes").await }
    });
    let replies = futures_util::future::join_all(answers).await;
    let seated = replies
        .iter()
        .filter(|r| r.body["waitlisted"] == false)
        .count();
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    assert_eq!(seated, 3, "exactly the capacity got seats");
    let shown = app.with_token(&token).events().show(&id).await;
    assert_eq!(
        (
            shown.body["attending"].clone(),
            shown.body["waitlisted"].clone()
        ),
        (json!(3), json!(9))
    );

    // A seated member leaves: the earliest on the waitlist moves up.
    let seated_index = replies
        .iter()
        .position(|r| r.body["waitlisted"] == false)
        .unwrap();
    let r = rsvp(&app, &members[seated_index].1, &id, "no").await;
    assert_eq!(r.body["status"], "no");
    // Each member reads their own answer back; one who never answered has none.
    let mine = app
        .with_token(&members[seated_index].1)
        .events()
        .my_rsvp(&id)
        .await;
    assert_eq!(mine.body, json!({"status": "no", "waitlisted": false}));
    let (_, silent) = member(&app).await;
    let none = app.with_token(&silent).events().my_rsvp(&id).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let shown = app.with_token(&token).events().show(&id).await;
    assert_eq!(
        (
            shown.body["attending"].clone(),
            shown.body["waitlisted"].clone()
        ),
        (json!(3), json!(8))
    );
    let list = app
        .with_token(&token)
        .events()
        .rsvps(&id, "per_page=100")
        .await;
    assert_eq!(list.body["total"], 12);
    // Whoever moved up was told; those still waiting were not.
    let told = told_of_a_seat(&app, &members).await;
    assert_eq!(told, 1, "one seat freed, one email");

    // The event grows by two seats: the next two move up, and are told.
    let r = app
        .with_token(&token)
        .events()
        .update(&id, json!({"capacity": 5}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (r.body["attending"].clone(), r.body["waitlisted"].clone()),
        (json!(5), json!(6))
    );
    assert_eq!(told_of_a_seat(&app, &members).await, 3);
    let mut seats = Vec::new();
    for (user, _) in &members {
        let mail = app.mail_to(&user.email).await;
        seats.extend(mail.into_iter().filter(|m| m.kind == "seat_confirmed"));
    }
    let seat = &seats[0];
    assert!(seat.subject.contains("Spring picnic"), "{seat:?}");
    assert!(
        seat.text_body.contains(&format!("/events/{id}")),
        "{seat:?}"
    );
    assert!(
        seat.text_body.contains("Europe/Paris") && !seat.text_body.contains("UTC"),
        "the start on the event's own clock: {seat:?}"
    );
    // Fewer seats than taken: nobody loses theirs, nobody moves up.
    let r = app
        .with_token(&token)
        .events()
        .update(&id, json!({"capacity": 2}))
        .await;
    assert_eq!(
        (r.body["attending"].clone(), r.body["waitlisted"].clone()),
        (json!(5), json!(6))
    );
    assert_eq!(told_of_a_seat(&app, &members).await, 3);
}

#[tokio::test]
async fn answers_close_when_the_event_starts_and_attendance_pre_validates_applicants() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let id = event(&app, &token, 1, json!({})).await;
    let (_, member_token) = member(&app).await;
    assert_eq!(
        rsvp(&app, &member_token, &id, "maybe").await.status,
        StatusCode::OK
    );
    assert_eq!(
        rsvp(&app, &member_token, &id, "perhaps").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    sqlx::query("UPDATE events SET start_at = now() - interval '1 minute' WHERE id = $1::uuid")
        .bind(&id)
        .execute(&app.db)
        .await
        .unwrap();
    let late = rsvp(&app, &member_token, &id, "yes").await;
    assert_eq!(
        (late.status, late.error_code()),
        (StatusCode::CONFLICT, "event_started")
    );

    // The applicant came along: the host marks them, they move on.
    let applicant = app
        .person(
            "Ann",
            "Plicant",
            "ann@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    let r = app
        .with_token(&token)
        .events()
        .attendance(&id, json!({"user_ids": [applicant.id], "attended": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["pre_validated"], 1);
    assert_eq!(app.status_of(applicant.id).await, "pre_validated");
    let bad = app
        .with_token(&token)
        .events()
        .attendance(&id, json!({"user_ids": [Uuid::new_v4()], "attended": true}))
        .await;
    assert_eq!(bad.body["error"]["field"], "user_ids");
}

#[tokio::test]
async fn photos_go_up_through_s3_and_count_in_the_storage_usage() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let id = event(&app, &token, -1, json!({})).await;
    let other = event(&app, &token, -2, json!({})).await;
    let reserve = |event: String, ctype: &'static str, size: usize| {
        let api = app.api();
        let token = token.clone();
        async move {
            call(
                &api,
                Method::POST,
                &format!("/api/events/{event}/gallery/uploads"),
                Some(&token),
                Some(json!({"file_name": "picnic.png", "content_type": ctype, "size_bytes": size})),
            )
            .await
        }
    };
    assert_eq!(
        reserve(id.clone(), "application/pdf", 10).await.body["error"]["field"],
        "content_type"
    );
    assert_eq!(
        reserve(id.clone(), "image/png", 10 * 1024 * 1024)
            .await
            .error_code(),
        "too_large"
    );
    sqlx::query("UPDATE storage_usage SET max_bytes_allowed = 10")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        reserve(id.clone(), "image/png", PNG.len())
            .await
            .error_code(),
        "quota_exceeded"
    );
    sqlx::query("UPDATE storage_usage SET max_bytes_allowed = 10737418240")
        .execute(&app.db)
        .await
        .unwrap();

    let r = reserve(id.clone(), "image/png", PNG.len()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["key"]
        .as_str()
        .unwrap()
        .starts_with(&format!("gallery/{id}/")));
    assert!(upload_to(&r, PNG).await.is_success());
    // Confirmed at another event: not an upload waiting there.
    let wrong = app
        .with_token(&token)
        .events()
        .add_photo(&other, json!({"upload_id": r.body["upload_id"]}))
        .await;
    assert_eq!(
        wrong.body["error"]["field"], "upload_id",
        "{:?}",
        wrong.body
    );
    let photo = app
        .with_token(&token)
        .events()
        .add_photo(
            &id,
            json!({"upload_id": r.body["upload_id"], "caption": "Everyone"}),
        )
        .await;
    assert_eq!(photo.status, StatusCode::CREATED, "{:?}", photo.body);
    let used: i64 = sqlx::query_scalar("SELECT total_bytes_used FROM storage_usage")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(used, PNG.len() as i64);

    let (_, member_token) = member(&app).await;
    let listed = app.with_token(&member_token).events().photos(&id).await;
    assert_eq!(listed.body["total"], 1);
    let url = listed.body["items"][0]["url"].as_str().unwrap();
    assert_eq!(
        reqwest::get(url)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        PNG
    );
    let photo_id = photo.body["id"].as_str().unwrap();
    let r = app
        .with_token(&member_token)
        .events()
        .delete_photo(&id, &photo_id)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .with_token(&token)
        .events()
        .update_photo(&id, &photo_id, json!({"caption": "Everyone, at noon"}))
        .await;
    assert_eq!(r.body["caption"], "Everyone, at noon");
    // Deleting the event takes its photos: bytes freed, objects gone.
    let key: String = sqlx::query_scalar("SELECT image_key FROM event_galleries")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let r = app.with_token(&token).events().delete(&id).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let used: i64 = sqlx::query_scalar("SELECT total_bytes_used FROM storage_usage")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(used, 0);
    assert!(app.state.storage.head(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn calendars_carry_stable_uids_updates_and_cancellations() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let id = event(
        &app,
        &token,
        7,
        json!({"visibility": "public", "description": "Bring food; share it"}),
    )
    .await;
    let (status, ics) = get_text(&app, &format!("/api/events/{id}/calendar.ics"), None).await;
    assert_eq!(status, StatusCode::OK);
    let events = parse(&ics);
    assert_eq!(events.len(), 1);
    let uid = events[0].get_uid().unwrap().to_string();
    assert_eq!(uid, format!("{id}@loaf"));
    assert_eq!(events[0].get_summary(), Some("Spring picnic"));
    assert_eq!(events[0].get_description(), Some("Bring food; share it"));
    let first_sequence = events[0].get_sequence().unwrap();

    // A member's feed.
    let (_, member_token) = member(&app).await;
    let feed = app
        .with_token(&member_token)
        .events()
        .calendar_token()
        .await;
    assert_eq!(feed.status, StatusCode::CREATED, "{:?}", feed.body);
    let token_param = feed.body["token"].as_str().unwrap().to_string();
    assert!(feed.body["webcal_url"]
        .as_str()
        .unwrap()
        .starts_with("webcal://"));
    let members_only = event(&app, &token, 8, json!({"title": "Members' evening"})).await;
    let feed_path = format!("/api/calendar/feed.ics?token={token_param}");
    let (status, ics) = get_text(&app, &feed_path, None).await;
    assert_eq!(status, StatusCode::OK);
    let uids: Vec<String> = parse(&ics)
        .iter()
        .map(|e| e.get_uid().unwrap().to_string())
        .collect();
    assert_eq!(uids, [uid.clone(), format!("{members_only}@loaf")]);

    // An edit: same UID, higher SEQUENCE, new time.
    let new_start = Utc::now() + Duration::days(9);
    let r = app
        .with_token(&token)
        .events()
        .update(
            &id,
            json!({"start_at": new_start, "end_at": new_start + Duration::hours(2)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (_, ics) = get_text(&app, &feed_path, None).await;
    let edited = parse(&ics)
        .into_iter()
        .find(|e| e.get_uid() == Some(&uid))
        .unwrap();
    assert!(edited.get_sequence().unwrap() > first_sequence);
    // Written in UTC ("Z"), which every calendar app places right.
    let starts = match edited.get_start().unwrap() {
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(dt)) => dt,
        other => panic!("a UTC date-time start, not {other:?}"),
    };
    assert_eq!(starts.timestamp(), new_start.timestamp());

    // Deleted: the feed says cancelled, with the same UID and a higher SEQUENCE.
    let r = app.with_token(&token).events().delete(&id).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let (_, ics) = get_text(&app, &feed_path, None).await;
    assert!(ics.contains("STATUS:CANCELLED"), "{ics}");
    let gone = parse(&ics)
        .into_iter()
        .find(|e| e.get_uid() == Some(&uid))
        .unwrap();
    assert!(gone.get_sequence().unwrap() > edited.get_sequence().unwrap());

    // Revoked, or never issued: no feed.
    let r = app
        .with_token(&member_token)
        .events()
        .revoke_calendar_token()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        get_text(&app, &feed_path, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_text(&app, "/api/calendar/feed.ics?token=nope", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_text(&app, "/api/calendar/feed.ics", None).await.0,
        StatusCode::NOT_FOUND
    );
}

/// The kinds of `to`'s email, oldest first.
async fn mail_kinds(app: &TestApp, to: &str) -> Vec<String> {
    app.mail_to(to).await.into_iter().map(|m| m.kind).collect()
}

#[tokio::test]
async fn those_attending_are_reminded_a_day_before_once_and_again_if_the_event_moves() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let evening = event(
        &app,
        &token,
        2,
        json!({"title": "Members' evening", "capacity": 2}),
    )
    .await;
    let picnic = event(&app, &token, 2, json!({"visibility": "public"})).await;
    let (ada, ada_token) = member(&app).await;
    let (bea, bea_token) = member(&app).await;
    let (cy, cy_token) = member(&app).await;
    let (dan, dan_token) = member(&app).await;
    let (eve, eve_token) = member(&app).await;
    let (fay, fay_token) = member(&app).await;
    for (who, status) in [
        (&ada_token, "yes"),
        (&bea_token, "yes"),
        (&cy_token, "yes"),
        (&dan_token, "no"),
    ] {
        assert_eq!(
            rsvp(&app, who, &evening, status).await.status,
            StatusCode::OK
        );
    }
    for who in [&eve_token, &fay_token] {
        assert_eq!(
            rsvp(&app, who, &evening, "yes").await.status,
            StatusCode::OK
        );
        assert_eq!(rsvp(&app, who, &picnic, "yes").await.status, StatusCode::OK);
    }
    // Eve's membership lapses: the members' evening is no longer hers to
    // see, the public picnic is. Fay answered the picnic within the day
    // before it: she just decided, no reminder.
    sqlx::query("UPDATE users SET status = 'expired' WHERE id = $1")
        .bind(eve.id)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE event_rsvps SET updated_at = now() + interval '30 hours' WHERE user_id = $1 AND event_id = $2")
        .bind(fay.id)
        .bind(Uuid::parse_str(&picnic).unwrap())
        .execute(&app.db)
        .await
        .unwrap();

    // 25 hours before: nothing yet. 23 hours before, two runs at once:
    // Ada and Bea (holding the seats; Cy and Fay wait, Dan said no) and
    // Eve for the picnic, each once.
    let now = Utc::now();
    assert_eq!(
        app.run_hourly(now + Duration::hours(23))
            .await
            .event_reminders,
        0
    );
    let at = now + Duration::hours(25);
    let (a, b) = tokio::join!(app.run_hourly(at), app.run_hourly(at));
    assert_eq!(a.event_reminders + b.event_reminders, 3);
    assert_eq!(
        app.run_hourly(at + Duration::hours(1))
            .await
            .event_reminders,
        0
    );
    for (who, kinds) in [
        (&ada, vec!["event_reminder"]),
        (&bea, vec!["event_reminder"]),
        (&cy, vec![]),
        (&dan, vec![]),
        (&eve, vec!["event_reminder"]),
        (&fay, vec![]),
    ] {
        assert_eq!(mail_kinds(&app, &who.email).await, kinds, "{}", who.email);
    }
    let mail = &app.mail_to(&ada.email).await[0];
    assert!(
        mail.subject.starts_with("Reminder: Members' evening"),
        "{mail:?}"
    );
    assert!(
        mail.text_body.contains("(Europe/Paris), at The park"),
        "{mail:?}"
    );
    assert!(
        mail.text_body.contains(&format!("/events/{evening}")),
        "{mail:?}"
    );
    assert!(app.mail_to(&eve.email).await[0]
        .subject
        .contains("Spring picnic"));

    // The evening moves an hour later: those attending hear of the new time.
    let later = app
        .with_token(&token)
        .events()
        .update(
            &evening,
            json!({
                "start_at": now + Duration::days(2) + Duration::hours(1),
                "end_at": now + Duration::days(2) + Duration::hours(4),
            }),
        )
        .await;
    assert_eq!(later.status, StatusCode::OK, "{:?}", later.body);
    assert_eq!(app.run_hourly(at).await.event_reminders, 2);
    assert_eq!(app.run_hourly(at).await.event_reminders, 0);
    // The old platform's counters follow.
    let counted: i32 =
        sqlx::query_scalar("SELECT event_attendance_reminders_sent FROM users WHERE id = $1")
            .bind(ada.id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(counted, 2);
}
