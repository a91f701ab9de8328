//! The document libraries, uploads through presigned S3 URLs, storage
//! usage and its reconciliation, the organisation's settings and logo.

use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app, upload_to, Reply, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn admin(app: &TestApp) -> String {
    let user = app.user_with_role("admin").await;
    app.token_for(&user).await
}

async fn reserve(app: &TestApp, token: &str, kind: &str, content_type: &str, size: usize) -> Reply {
    app.with_token(token).documents(kind).reserve(json!({"file_name": "Rapport annuel 2025.pdf", "content_type": content_type, "size_bytes": size})).await
}

/// Reserves, uploads and creates a newsletter of `bytes`; answers its reply.
async fn newsletter(app: &TestApp, token: &str, bytes: &[u8]) -> Reply {
    let r = reserve(app, token, "newsletters", "application/pdf", bytes.len()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(upload_to(&r, bytes).await.is_success());
    app.with_token(token).documents("newsletters").add(json!({"upload_id": r.body["upload_id"], "title": "Spring letter", "published_date": "2026-03-01"})).await
}

async fn usage(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT total_bytes_used FROM storage_usage")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_newsletter_goes_up_through_s3_and_down_by_a_short_link() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    let created = newsletter(&app, &token, PDF).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["published_date"], "2026-03-01");
    assert_eq!(created.body["size_bytes"], PDF.len());
    assert_eq!(created.body["content_type"], "application/pdf");
    assert!(created.body.get("year").is_none());
    assert_eq!(usage(&app).await, PDF.len() as i64);

    let member = app.user_with_role("member").await;
    let member_token = app.token_for(&member).await;
    let list = app
        .with_token(&member_token)
        .documents("newsletters")
        .list("")
        .await;
    assert_eq!(list.body["total"], 1);
    let id = created.body["id"].as_str().unwrap();
    let link = app
        .with_token(&member_token)
        .documents("newsletters")
        .download(&id)
        .await;
    assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
    let got = reqwest::get(link.body["url"].as_str().unwrap())
        .await
        .unwrap();
    let disposition = got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("Rapport%20annuel%202025.pdf"),
        "{disposition}"
    );
    assert_eq!(got.bytes().await.unwrap().as_ref(), PDF);

    let shown = app.with_token(&token).storage_usage().await;
    assert_eq!(shown.body["newsletters_bytes"], PDF.len());
    assert_eq!(shown.body["total_bytes_used"], PDF.len());

    let key: String = sqlx::query_scalar("SELECT file_key FROM newsletter_archives")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(key.starts_with("documents/newsletters/"), "{key}");
    let r = app
        .with_token(&token)
        .documents("newsletters")
        .delete(&id)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(usage(&app).await, 0);
    assert!(app.state.storage.head(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn uploads_are_checked_for_type_size_quota_content_and_library() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    for (ctype, size, field, code) in [
        ("application/x-msdownload", 10, "content_type", "invalid"),
        ("image/svg+xml", 10, "content_type", "invalid"),
        ("application/vnd.ms-excel", 10, "content_type", "invalid"), // known, not allowed here
        ("application/pdf", 0, "size_bytes", "invalid"),
        (
            "application/pdf",
            2 * 1024 * 1024,
            "size_bytes",
            "too_large",
        ),
    ] {
        let r = reserve(&app, &token, "newsletters", ctype, size).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{ctype}: {:?}",
            r.body
        );
        assert_eq!(
            (r.body["error"]["field"].as_str(), r.error_code()),
            (Some(field), code)
        );
    }

    // Over quota: refused before the URL is handed out...
    sqlx::query("UPDATE storage_usage SET max_bytes_allowed = 100")
        .execute(&app.db)
        .await
        .unwrap();
    let r = reserve(&app, &token, "newsletters", "application/pdf", 101).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "quota_exceeded")
    );
    // ...and again at confirmation, if the quota shrank meanwhile.
    let r = reserve(&app, &token, "newsletters", "application/pdf", PDF.len()).await;
    assert!(upload_to(&r, PDF).await.is_success());
    sqlx::query("UPDATE storage_usage SET max_bytes_allowed = 10")
        .execute(&app.db)
        .await
        .unwrap();
    let create = |upload_id: Value, kind: &'static str| {
        let api = app.api();
        let token = token.clone();
        async move {
            call(
                &api,
                Method::POST,
                &format!("/api/documents/{kind}"),
                Some(&token),
                Some(if kind == "bylaws" {
                    json!({"upload_id": upload_id, "title": "T", "version": "1",
                           "effective_date": "2026-01-01"})
                } else {
                    json!({"upload_id": upload_id, "title": "T", "published_date": "2026-01-01"})
                }),
            )
            .await
        }
    };
    let refused = create(r.body["upload_id"].clone(), "newsletters").await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (StatusCode::CONFLICT, "quota_exceeded")
    );
    sqlx::query("UPDATE storage_usage SET max_bytes_allowed = 10737418240")
        .execute(&app.db)
        .await
        .unwrap();

    // Confirmed into another library: unknown there.
    let other = create(r.body["upload_id"].clone(), "bylaws").await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        other.body
    );
    assert_eq!(other.body["error"]["field"], "upload_id");

    // Never uploaded.
    let r2 = reserve(&app, &token, "newsletters", "application/pdf", 500).await;
    let missing = create(r2.body["upload_id"].clone(), "newsletters").await;
    assert_eq!(
        (missing.status, missing.error_code()),
        (StatusCode::CONFLICT, "upload_missing")
    );
    // A body of another length than the one signed: S3 refuses it.
    assert!(!upload_to(&r2, PDF).await.is_success());
    // Declared a PDF, is a PNG.
    let r3 = reserve(&app, &token, "newsletters", "application/pdf", PNG.len()).await;
    assert!(upload_to(&r3, PNG).await.is_success());
    let mismatch = create(r3.body["upload_id"].clone(), "newsletters").await;
    assert_eq!(
        mismatch.error_code(),
        "content_mismatch",
        "{:?}",
        mismatch.body
    );
    // An id that was never reserved.
    let unknown = create(json!(Uuid::new_v4()), "newsletters").await;
    assert_eq!(unknown.body["error"]["field"], "upload_id");

    assert_eq!(usage(&app).await, 0, "nothing refused was counted");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM newsletter_archives")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    // The first upload, still waiting, goes through now.
    let ok = create(r.body["upload_id"].clone(), "newsletters").await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
}

#[tokio::test]
async fn each_library_checks_its_own_permissions() {
    let app = spawn_app().await;
    let admin_token = admin(&app).await;
    let finance = app.user_with_role("finance").await;
    let finance_token = app.token_for(&finance).await;
    let member = app.user_with_role("member").await;
    let member_token = app.token_for(&member).await;
    let bodies = [
        (
            "newsletters",
            json!({"url": "https://example.org/n.pdf", "title": "N", "published_date": "2026-01-01"}),
        ),
        (
            "financial-reports",
            json!({"url": "https://example.org/f.pdf", "title": "F", "year": 2025}),
        ),
        (
            "bylaws",
            json!({"url": "https://example.org/b.pdf", "title": "B", "version": "3", "effective_date": "2026-01-01"}),
        ),
    ];
    for (kind, body) in &bodies {
        let path = format!("/api/documents/{kind}");
        let r = call(
            &app.api(),
            Method::POST,
            &path,
            Some(&member_token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "member creates {kind}");
        let r = call(&app.api(), Method::POST, &path, None, Some(body.clone())).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "stranger creates {kind}"
        );
        let by_finance = call(
            &app.api(),
            Method::POST,
            &path,
            Some(&finance_token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            by_finance.status == StatusCode::CREATED,
            *kind == "financial-reports",
            "finance creates {kind}: {:?}",
            by_finance.body
        );
        let r = call(
            &app.api(),
            Method::POST,
            &path,
            Some(&admin_token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{kind}: {:?}", r.body);
        let id = r.body["id"].as_str().unwrap();
        let item = format!("{path}/{id}");
        for method in [Method::PATCH, Method::DELETE] {
            let body = (method == Method::PATCH).then(|| json!({"title": "Mine now"}));
            let r = call(&app.api(), method.clone(), &item, Some(&member_token), body).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "member {method} {kind}");
        }
        // Members read every library; the link is the external address.
        let link = call(
            &app.api(),
            Method::GET,
            &format!("{path}/{id}/download"),
            Some(&member_token),
            None,
        )
        .await;
        assert_eq!(link.body["url"], body["url"], "{kind}");
        let r = call(&app.api(), Method::GET, &path, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }

    // Financial reports kept from a role without financials.view.
    let role: Uuid = sqlx::query_scalar(
        "INSERT INTO roles (code, name) VALUES ('reader', 'Reader') RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO role_permissions (role_id, permission_id) \
         SELECT $1, id FROM permissions WHERE code IN ('newsletters.view', 'bylaws.view')",
    )
    .bind(role)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("UPDATE users SET role_id = $1 WHERE id = $2")
        .bind(role)
        .bind(member.id)
        .execute(&app.db)
        .await
        .unwrap();
    let r = app
        .with_token(&member_token)
        .documents("financial-reports")
        .list("")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .with_token(&member_token)
        .documents("bylaws")
        .list("")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .with_token(&admin_token)
        .documents("minutes")
        .list("")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Each library's own fields, and only those.
    for (kind, body, field) in [
        (
            "financial-reports",
            json!({"url": "https://x.org/a", "title": "F"}),
            "year",
        ),
        (
            "financial-reports",
            json!({"url": "https://x.org/a", "title": "F", "year": 1066}),
            "year",
        ),
        (
            "newsletters",
            json!({"url": "https://x.org/a", "title": "N"}),
            "published_date",
        ),
        (
            "newsletters",
            json!({"url": "https://x.org/a", "title": "N", "published_date": "2026-01-01", "year": 2026}),
            "year",
        ),
        (
            "bylaws",
            json!({"url": "https://x.org/a", "title": "B", "effective_date": "2026-01-01"}),
            "version",
        ),
        (
            "newsletters",
            json!({"url": "http://x.org/a", "title": "N", "published_date": "2026-01-01"}),
            "url",
        ),
        (
            "newsletters",
            json!({"url": "https://user:pw@x.org/a", "title": "N", "published_date": "2026-01-01"}),
            "url",
        ),
        (
            "newsletters",
            json!({"title": "N", "published_date": "2026-01-01"}),
            "upload_id",
        ),
        (
            "newsletters",
            json!({"url": "https://x.org/a", "published_date": "2026-01-01"}),
            "title",
        ),
    ] {
        let r = app
            .with_token(&admin_token)
            .documents(kind)
            .add(body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn one_version_of_the_bylaws_is_current_even_under_concurrency() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    let mut ids = Vec::new();
    for v in 1..=6 {
        let r = app.with_token(&token).documents("bylaws").add(json!({"url": format!("https://example.org/bylaws-v{v}.pdf"), "title": "Bylaws",
                        "version": v.to_string(), "effective_date": "2026-01-01", "is_current": v == 1})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let current = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM bylaws_documents WHERE is_current")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(current().await, 1);
    // Six admins each make a different version current at once.
    let requests = ids.iter().map(|id| {
        let api = app.api();
        let token = token.clone();
        let path = format!("/api/documents/bylaws/{id}");
        async move {
            call(
                &api,
                Method::PATCH,
                &path,
                Some(&token),
                Some(json!({"is_current": true})),
            )
            .await
        }
    });
    for r in futures_util::future::join_all(requests).await {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    assert_eq!(current().await, 1);
    let listed = app.with_token(&token).documents("bylaws").list("").await;
    let current_id = listed.body["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        listed.body["items"][0]["is_current"], true,
        "the current version lists first"
    );
    let r = app
        .with_token(&token)
        .documents("bylaws")
        .update(&current_id, json!({"is_current": false}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "keep_a_current_version")
    );
    // Made impossible by the database too.
    let second = sqlx::query("UPDATE bylaws_documents SET is_current = true WHERE id = $1::uuid")
        .bind(ids.iter().find(|i| **i != current_id).unwrap())
        .execute(&app.db)
        .await;
    assert!(second.is_err());
}

#[tokio::test]
async fn usage_is_the_sum_of_the_objects_after_uploads_and_deletes() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    let mut live: Vec<(String, usize)> = Vec::new();
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..24 {
        if live.is_empty() || next() % 3 != 0 {
            let size = 16 + next() % 4000;
            let mut bytes = PDF.to_vec();
            bytes.resize(size.max(PDF.len()), b' ');
            let r = newsletter(&app, &token, &bytes).await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            live.push((r.body["id"].as_str().unwrap().to_string(), bytes.len()));
        } else {
            let (id, _) = live.remove(next() % live.len());
            let r = app
                .with_token(&token)
                .documents("newsletters")
                .delete(&id)
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT);
        }
        let expected: usize = live.iter().map(|(_, size)| size).sum();
        assert_eq!(usage(&app).await, expected as i64);
    }
    // S3 agrees: reconciling changes nothing.
    let report = loaf_domain::uploads::reconcile(&app.db, &app.state.storage)
        .await
        .unwrap();
    assert_eq!(report.usage_before, report.usage_after);
    assert_eq!(report.objects as usize, live.len());
    assert!(
        report.orphans.is_empty() && report.missing.is_empty(),
        "{report:?}"
    );

    // Drift (a row's size written wrong, say): reconcile puts it right.
    sqlx::query("UPDATE storage_usage SET total_bytes_used = total_bytes_used + 12345")
        .execute(&app.db)
        .await
        .unwrap();
    let fixed = loaf_domain::uploads::reconcile(&app.db, &app.state.storage)
        .await
        .unwrap();
    assert_eq!(fixed.usage_before - fixed.usage_after, 12345);
}

#[tokio::test]
async fn a_failed_s3_delete_is_queued_and_retried_never_counted_twice() {
    let mut app = spawn_app().await;
    let token = admin(&app).await;
    let created = newsletter(&app, &token, PDF).await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let key: String = sqlx::query_scalar("SELECT file_key FROM newsletter_archives")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // S3 unreachable for this request.
    let good = app.state.clone();
    let mut config = (*app.state.config).clone();
    config.storage.endpoint = Some("http://127.0.0.1:9".into());
    app.state = loaf_http::AppState::new(
        config.clone(),
        app.db.clone(),
        loaf_core::storage::Storage::new(&config.storage),
        (*app.state.mailer).clone(),
    );
    let r = app
        .with_token(&token)
        .documents("newsletters")
        .delete(&id)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(usage(&app).await, 0);
    // (The upload's staged copy was queued at the claim, and deleted.)
    let (queued, attempts): (String, i32) =
        sqlx::query_as("SELECT file_key, attempts FROM storage_deletions WHERE file_key = $1")
            .bind(&key)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((queued.as_str(), attempts), (key.as_str(), 1));
    assert!(good.storage.head(&key).await.unwrap().is_some());

    app.state = good;
    let summary = app.run_jobs(chrono::Utc::now()).await;
    assert_eq!(
        summary.objects_deleted, 2,
        "the document and the staged upload it was copied from"
    );
    assert!(app.state.storage.head(&key).await.unwrap().is_none());
    assert_eq!(usage(&app).await, 0, "the bytes left once");
}

#[tokio::test]
async fn the_organisation_sets_its_name_zone_currency_and_logo() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    let public = app.anonymous().settings().show().await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(
        (
            public.body["name"].clone(),
            public.body["time_zone"].clone(),
            public.body["currency"].clone()
        ),
        (json!("LOAF Test"), json!("UTC"), json!("EUR"))
    );
    assert!(public.body["logo_url"].is_null());

    let member = app.user_with_role("member").await;
    let member_token = app.token_for(&member).await;
    let patch = |body: Value, token: String| {
        let caller = app.with_token(&token);
        async move { caller.settings().update(body).await }
    };
    assert_eq!(
        patch(json!({"name": "Mine"}), member_token.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for (body, field) in [
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"currency": "EURO"}), "currency"),
        (json!({"contact_email": "nobody"}), "contact_email"),
        (json!({"name": ""}), "name"),
    ] {
        let r = patch(body.clone(), token.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    let r = patch(
        json!({"name": "Friends of the Park", "contact_email": "hello@park.example", "time_zone": "Europe/Paris", "currency": "chf"}),
        token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["currency"], "CHF");
    assert_eq!(r.body["time_zone"], "Europe/Paris");

    // The logo: images only.
    let logo = |ctype: &str, size: usize| {
        let caller = app.with_token(&token);
        let body = json!({"file_name": "logo.png", "content_type": ctype, "size_bytes": size});
        async move { caller.settings().reserve_logo(body).await }
    };
    assert_eq!(
        logo("application/pdf", 10).await.body["error"]["field"],
        "content_type"
    );
    assert_eq!(
        logo("image/svg+xml", 10).await.body["error"]["field"],
        "content_type"
    );
    let r = app
        .with_token(&member_token)
        .settings()
        .reserve_logo(json!({"file_name": "x.png", "content_type": "image/png", "size_bytes": 10}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut first_key = String::new();
    for round in 0..2 {
        let r = logo("image/png", PNG.len()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert!(upload_to(&r, PNG).await.is_success());
        let set = app
            .with_token(&token)
            .settings()
            .set_logo(json!({"upload_id": r.body["upload_id"]}))
            .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        let url = set.body["logo_url"].as_str().unwrap();
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
        if round == 0 {
            first_key = r.body["key"].as_str().unwrap().to_string();
            assert!(first_key.starts_with("branding/logo/"));
        }
    }
    // Replaced: the old file is gone and counted once.
    assert!(app.state.storage.head(&first_key).await.unwrap().is_none());
    assert_eq!(usage(&app).await, PNG.len() as i64);
    let shown = app.with_token(&token).storage_usage().await;
    assert_eq!(shown.body["logo_bytes"], PNG.len());
    let gone = app.with_token(&token).settings().remove_logo().await;
    assert!(gone.body["logo_url"].is_null());
    assert_eq!(usage(&app).await, 0);
}
