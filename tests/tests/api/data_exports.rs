//! Exports of a person's data: asked for by the member or by an admin with
//! `users.export`, built by the jobs function in the background into a ZIP
//! under the person's prefix, announced by email, handed out by a
//! short-lived link; audited; memory flat at 10,000 records.

use http::StatusCode;
use loaf_tests::{spawn_app, TestApp};
use serde_json::{json, Value};
use std::io::Read;

async fn run_exports(app: &TestApp) -> u64 {
    loaf_jobs::exports(&app.db, &app.state.storage, &app.state.config.email)
        .await
        .unwrap()
        .exports_ready
}

/// The archive behind `export`'s link, by file name.
async fn archive(export: &Value) -> std::collections::BTreeMap<String, Vec<u8>> {
    let url = export["download_url"].as_str().expect("a link when ready");
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        files.insert(f.name().to_string(), body);
    }
    files
}

fn json_of(files: &std::collections::BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    serde_json::from_slice(
        files
            .get(name)
            .unwrap_or_else(|| panic!("{name} in {:?}", files.keys())),
    )
    .unwrap()
}

#[tokio::test]
async fn a_member_exports_their_data_and_is_mailed_when_it_is_ready() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let plan = app.plan("Yearly", 3000).await;
    let admin = app.user_with_role("superadmin").await;
    let admin_calls = app.as_user(&admin).await;
    let paid = admin_calls
        .subscriptions()
        .record_payment(json!({"user_id": member.id, "plan_id": plan, "method": "cash"}))
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);

    // A consent given: its date is in the export.
    let consent = app
        .as_user(&member)
        .await
        .auth()
        .update_me(json!({"directory": {"listed": true}}))
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{:?}", consent.body);
    let none = app.as_user(&member).await.auth().export().await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let asked = app.as_user(&member).await.auth().ask_export().await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{:?}", asked.body);
    assert_eq!(asked.body["status"], "pending");
    assert_eq!(asked.body["download_url"], Value::Null);
    let again = app.as_user(&member).await.auth().ask_export().await;
    assert_eq!(
        again.body["id"], asked.body["id"],
        "one waiting export at a time"
    );
    let anonymous = app.anonymous().auth().ask_export().await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    assert_eq!(run_exports(&app).await, 1);
    assert_eq!(run_exports(&app).await, 0, "built once");
    let mail = app.mail_to(&member.email).await;
    let ready = mail
        .iter()
        .find(|m| m.kind == "data_export_ready")
        .expect("mailed");
    assert!(
        ready.text_body.contains("/profile/export"),
        "{}",
        ready.text_body
    );

    let shown = app.as_user(&member).await.auth().export().await;
    assert_eq!(shown.body["status"], "ready", "{:?}", shown.body);
    let files = archive(&shown.body).await;
    let account = json_of(&files, "account.json");
    assert_eq!(account["email"], member.email);
    assert_eq!(account["consents"]["terms"]["accepted"], json!(false));
    let changes = account["consent_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{account}");
    assert_eq!(changes[0]["what"], "directory");
    assert_eq!(account["consents"]["directory"]["listed"], true);
    assert!(changes[0]["at"].is_string());
    let memberships = json_of(&files, "memberships.json");
    assert_eq!(memberships.as_array().unwrap().len(), 1);
    assert_eq!(memberships[0]["plan"], "Yearly");
    for part in [
        "profile.json",
        "gifts.json",
        "events.json",
        "sessions.json",
        "invitations.json",
        "emails.json",
        "record_of_changes.json",
        "refunds.json",
        "promised_payments.json",
    ] {
        assert!(files.contains_key(part), "{part} in {:?}", files.keys());
    }
    let trail = json_of(&files, "record_of_changes.json");
    assert!(
        trail
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "subscription.insert"),
        "{trail}"
    );
    assert_eq!(shown.body["records"].as_i64().unwrap(), {
        let counted: usize = files
            .iter()
            .filter(|(name, _)| {
                name.ends_with(".json") && *name != "account.json" && *name != "profile.json"
            })
            .map(|(name, _)| json_of(&files, name).as_array().unwrap().len())
            .sum();
        counted as i64 + 2
    });
    // Under the member's own prefix, where an erasure finds it.
    let key: String = sqlx::query_scalar("SELECT file_key FROM data_exports WHERE user_id = $1")
        .bind(member.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        key.starts_with(&format!("exports/people/{}/", member.id)),
        "{key}"
    );
}

#[tokio::test]
async fn an_admin_exports_a_members_data_and_the_trail_says_who() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let other = app.user_with_role("member").await;
    let admin = app.user_with_role("superadmin").await;
    let refused = app
        .as_user(&other)
        .await
        .members()
        .ask_data_export(member.id)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = app
        .as_user(&other)
        .await
        .members()
        .data_export(member.id)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = app
        .as_user(&admin)
        .await
        .members()
        .ask_data_export(uuid::Uuid::new_v4())
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let asked = app
        .as_user(&admin)
        .await
        .members()
        .ask_data_export(member.id)
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{:?}", asked.body);
    assert_eq!(run_exports(&app).await, 1);
    let mail = app.mail_to(&admin.email).await;
    let ready = mail
        .iter()
        .find(|m| m.kind == "data_export_ready")
        .expect("the admin is mailed");
    assert!(ready
        .text_body
        .contains(&format!("/admin/members/{}", member.id)));
    assert!(app
        .mail_to(&member.email)
        .await
        .iter()
        .all(|m| m.kind != "data_export_ready"));
    let shown = app
        .as_user(&admin)
        .await
        .members()
        .data_export(member.id)
        .await;
    assert_eq!(shown.body["status"], "ready");
    // The member's own view shows the same export: it is about them.
    let own = app.as_user(&member).await.auth().export().await;
    assert_eq!(own.body["id"], shown.body["id"]);

    let trail = app
        .as_user(&admin)
        .await
        .audit_trail(&format!("target_type=export&subject_id={}", member.id))
        .await;
    let entries = trail.body["items"].as_array().unwrap();
    let asked_entry = entries
        .iter()
        .find(|e| e["action"] == "export.insert")
        .unwrap();
    assert_eq!(asked_entry["actor_id"], admin.id.to_string());
    assert!(entries.iter().any(|e| e["action"] == "export.update"
        && e["actor_job"] == "scheduler"
        && e["changes"]["status"] == json!(["running", "ready"])));
}

/// Peak resident memory of this process (each nextest test is a process).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn an_export_of_ten_thousand_records_streams_in_flat_memory() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    // 10,000 emails of ~2 KiB each: 20 MiB of history.
    sqlx::query(
        "INSERT INTO email_outbox (kind, to_address, subject, text_body, html_body, status) \
         SELECT 'notice', $1, 'Notice ' || n, repeat('history ', 256), '', 'sent' \
         FROM generate_series(1, 10000) n",
    )
    .bind(&member.email)
    .execute(&app.db)
    .await
    .unwrap();
    let asked = app.as_user(&member).await.auth().ask_export().await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    let before = peak_rss_kib();
    assert_eq!(run_exports(&app).await, 1);
    let grown = peak_rss_kib().saturating_sub(before);
    let shown = app.as_user(&member).await.auth().export().await;
    assert!(
        shown.body["records"].as_i64().unwrap() >= 10_000,
        "{:?}",
        shown.body
    );
    println!(
        "export of {} records ({} bytes zipped): peak memory grew {grown} KiB",
        shown.body["records"], shown.body["size_bytes"]
    );
    // Far below the 20 MiB the rows hold: they never sit in memory at once.
    assert!(grown < 16 * 1024, "peak memory grew {grown} KiB");
}
