//! CSV imports, end to end: a job and its presigned upload, a preview, the
//! real run with invitations, the per-line report, and files that cannot
//! be read. The file goes to the real S3-protocol endpoint.

use crate::auth_support::login;
use http::StatusCode;
use loaf_tests::{spawn_app, Reply, TestApp};
use serde_json::{json, Value};

async fn admin_token(app: &TestApp) -> String {
    let admin = app.user_with_role("admin").await;
    app.token_for(&admin).await
}

/// Creates a job for `bytes` and uploads them by the presigned URL;
/// answers the job id.
async fn uploaded(app: &TestApp, token: &str, bytes: &[u8]) -> String {
    let created = app
        .with_token(token)
        .imports()
        .create(json!({"filename": "members.csv", "size_bytes": bytes.len()}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["status"], "awaiting_upload");
    upload(&created.body["upload"], bytes).await;
    created.body["id"].as_str().unwrap().to_string()
}

async fn upload(presigned: &Value, bytes: &[u8]) {
    let mut req = reqwest::Client::new()
        .put(presigned["url"].as_str().unwrap())
        .body(bytes.to_vec());
    for pair in presigned["headers"].as_array().unwrap() {
        req = req.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    let res = req.send().await.unwrap();
    assert!(
        res.status().is_success(),
        "upload: {}",
        res.text().await.unwrap()
    );
}

async fn start(app: &TestApp, token: &str, id: &str, body: Option<Value>) -> Reply {
    app.with_token(token).imports().start(id, body).await
}

async fn users(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

fn report(reply: &Reply) -> Vec<(u64, String, String)> {
    reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", reply.body))
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap_or("").to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A spreadsheet as a French-locale Excel saves it: semicolons, a byte
/// order mark, its own column names, a blank trailing line.
const SHEET: &str = "\u{feff}E-mail;Prénom;Nom;Téléphone;Date d'adhésion;Pointure\r\n\
    ada@example.org;Ada;Lovelace;+44 20 7946 0958;2019-04-01;38\r\n\
    not-an-email;Bad;Row;;;\r\n\
    grace@example.org;Grace;Hopper;;2020-01-15;\r\n\
    ADA@example.org;Ada;Again;;;\r\n\
    taken@example.org;Already;There;;;\r\n\
    emile@example.org;Émile;Zola;;31/12/2001;\r\n\
    \"jl@example.org\";\"Jean-Luc; the captain\";Picard;;;\r\n\
    ;;;;;\r\n";

#[tokio::test]
async fn a_spreadsheet_is_previewed_then_imported_with_invitations() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    app.person("Al", "Ready", "taken@example.org", "active", "member")
        .await;
    let before = users(&app).await;
    let id = uploaded(&app, &token, SHEET.as_bytes()).await;

    let preview = start(&app, &token, &id, Some(json!({"dry_run": true}))).await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.body);
    let expected_report = vec![
        (3, "E-mail".to_string(), "invalid".to_string()),
        (5, "E-mail".into(), "duplicate_in_file".into()),
        (6, "E-mail".into(), "already_member".into()),
        (7, "Date d'adhésion".into(), "invalid".into()),
    ];
    assert_eq!(report(&preview), expected_report, "{:?}", preview.body);
    assert_eq!(preview.body["status"], "partial");
    assert_eq!(preview.body["dry_run"], true);
    assert_eq!(
        (
            &preview.body["total_rows"],
            &preview.body["successful_rows"],
            &preview.body["failed_rows"]
        ),
        (&json!(7), &json!(3), &json!(4))
    );
    assert_eq!(preview.body["ignored_columns"], json!(["Pointure"]));
    assert_eq!(users(&app).await, before, "a preview writes nothing");

    let run = start(&app, &token, &id, Some(json!({"send_invitations": true}))).await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
    assert_eq!(run.body["dry_run"], false);
    assert_eq!(run.body["successful_rows"], 3);
    assert_eq!(run.body["invitations_sent"], 3);
    assert_eq!(report(&run), expected_report);
    assert_eq!(users(&app).await, before + 3);
    let (status, role, since, phone): (String, String, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT status::text, role::text, member_since::date::text, phone FROM users WHERE email = 'ada@example.org'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((status.as_str(), role.as_str()), ("active", "member"));
    assert_eq!(since.as_deref(), Some("2019-04-01"));
    assert_eq!(phone.as_deref(), Some("+44 20 7946 0958"));
    let name: String =
        sqlx::query_scalar("SELECT first_name FROM users WHERE email = 'jl@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(name, "Jean-Luc; the captain");

    // Nobody signs in before choosing a password; the emailed link sets it.
    assert_eq!(
        login(&app, "grace@example.org", "any password at all")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let mail = app.mail_to("grace@example.org").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].kind, "account_ready");
    let link = mail[0].link_token();
    let reset = app
        .anonymous()
        .auth()
        .reset_password(json!({"token": link, "new_password": "compiling the first compiler"}))
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
    let signed_in = login(&app, "grace@example.org", "compiling the first compiler").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{:?}", signed_in.body);

    let again = start(&app, &token, &id, None).await;
    assert_eq!(
        (again.status, again.error_code()),
        (StatusCode::CONFLICT, "import_finished")
    );
    let listed = app.with_token(&token).imports().list().await;
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0]["status"], "partial");
}

#[tokio::test]
async fn files_that_cannot_be_read_fail_with_the_reason_and_import_nothing() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let before = users(&app).await;
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("email,name\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    for (bytes, line, code) in [
        (
            b"email,name\nzoe@example.org,Zo\xEB Smith\n".to_vec(),
            2,
            "wrong_encoding",
        ),
        (utf16, 1, "wrong_encoding"),
        (
            b"first_name,last_name\nAda,Lovelace\n".to_vec(),
            1,
            "missing_column",
        ),
        (
            b"email,last_name\nada@example.org,Lovelace\n".to_vec(),
            1,
            "missing_column",
        ),
        (b"email,name\n".to_vec(), 1, "empty_file"),
        (b"\n\n".to_vec(), 1, "empty_file"),
        (
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            1,
            "wrong_encoding",
        ),
    ] {
        let id = uploaded(&app, &token, &bytes).await;
        let reply = start(&app, &token, &id, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(reply.body["status"], "failed", "{:?}", reply.body);
        let errors = reply.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{:?}", reply.body);
        assert_eq!(
            (
                errors[0]["line"].as_u64().unwrap(),
                errors[0]["code"].as_str().unwrap()
            ),
            (line, code)
        );
        assert!(!errors[0]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(users(&app).await, before);

    // A quote left open swallows the rest of the file into one cell: the
    // line is refused with what is missing, not guessed at.
    let id = uploaded(
        &app,
        &token,
        b"email,name\n\"ada@example.org,Ada Lovelace\ngrace@example.org,Grace Hopper\n",
    )
    .await;
    let reply = start(&app, &token, &id, None).await;
    assert_eq!(reply.body["status"], "failed", "{:?}", reply.body);
    assert_eq!(report(&reply)[0].0, 2);
    assert_eq!(users(&app).await, before);
}

#[tokio::test]
async fn wrong_import_requests_are_clear_errors() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    for (body, field) in [
        (
            json!({"filename": "members.xlsx", "size_bytes": 10}),
            "filename",
        ),
        (
            json!({"filename": "members.csv", "size_bytes": 0}),
            "size_bytes",
        ),
        (
            json!({"filename": "members.csv", "size_bytes": 10_485_761}),
            "size_bytes",
        ),
        (json!({"filename": "members.csv"}), "size_bytes"),
        (json!({"filename": "", "size_bytes": 10}), "filename"),
    ] {
        let reply = app.with_token(&token).imports().create(body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            reply.body["error"]["field"], field,
            "{body}: {:?}",
            reply.body
        );
    }

    // Started before the upload: refused, and it can start once uploaded.
    let bytes = b"email,name\nada@example.org,Ada Lovelace\n";
    let created = app
        .with_token(&token)
        .imports()
        .create(json!({"filename": "m.csv", "size_bytes": bytes.len()}))
        .await;
    let id = created.body["id"].as_str().unwrap();
    let early = start(&app, &token, id, None).await;
    assert_eq!(
        (early.status, early.error_code()),
        (StatusCode::CONFLICT, "upload_missing")
    );
    let shown = app.with_token(&token).imports().show(&id).await;
    assert_eq!(shown.body["status"], "awaiting_upload");

    let reply = start(
        &app,
        &token,
        id,
        Some(json!({"dry_run": true, "send_invitations": true})),
    )
    .await;
    assert_eq!(reply.body["error"]["field"], "send_invitations");
    let reply = start(&app, &token, id, Some(json!({"dry_run": "yes"}))).await;
    assert_eq!(reply.body["error"]["field"], "dry_run");

    upload(&created.body["upload"], bytes).await;
    let run = start(&app, &token, id, None).await;
    assert_eq!(run.body["status"], "completed", "{:?}", run.body);

    let missing = uuid::Uuid::new_v4();
    assert_eq!(
        start(&app, &token, &missing.to_string(), None).await.status,
        StatusCode::NOT_FOUND
    );

    // A signed upload URL takes only the size it was signed for.
    let created = app
        .with_token(&token)
        .imports()
        .create(json!({"filename": "m.csv", "size_bytes": 5}))
        .await;
    let presigned = &created.body["upload"];
    let mut req = reqwest::Client::new()
        .put(presigned["url"].as_str().unwrap())
        .body(b"email,name\n".to_vec());
    for pair in presigned["headers"].as_array().unwrap() {
        if pair[0] != "content-length" {
            req = req.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        }
    }
    assert!(!req.send().await.unwrap().status().is_success());
}

#[tokio::test]
async fn ten_thousand_members_import_in_one_run() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let mut file = String::from("email,first_name,last_name,city,member_since\n");
    for i in 0..10_000 {
        file.push_str(&format!(
            "member{i}@example.org,First{i},Last{i},Lyon,2020-01-01\n"
        ));
    }
    file.push_str("member42@example.org,Twice,Listed,Lyon,2020-01-01\n");
    let id = uploaded(&app, &token, file.as_bytes()).await;
    let run = start(&app, &token, &id, None).await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
    assert_eq!(run.body["successful_rows"], 10_000);
    assert_eq!(
        report(&run),
        [(10_002, "email".to_string(), "duplicate_in_file".to_string())]
    );
    let imported: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE city = 'Lyon'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(imported, 10_000);
    let trail: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE reason LIKE 'Imported%'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(trail, 10_000);
}

#[tokio::test]
async fn a_running_import_is_not_started_twice_and_an_interrupted_one_starts_again() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let id = uploaded(&app, &token, b"email,name\nada@example.org,Ada Lovelace\n").await;
    let set = |age: &'static str| {
        let db = app.db.clone();
        let id = id.clone();
        async move {
            sqlx::query(&format!(
                "UPDATE import_jobs SET status = 'processing', queued_at = now() - interval '{age}' \
                 WHERE id = $1::uuid"
            ))
            .bind(id)
            .execute(&db)
            .await
            .unwrap();
        }
    };
    // Another request is running it.
    set("1 second").await;
    let reply = start(&app, &token, &id, None).await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::CONFLICT, "import_running")
    );
    // The function running it was cut off: it wrote nothing and may restart.
    set("3 minutes").await;
    let shown = app.with_token(&token).imports().show(&id).await;
    assert_eq!(shown.body["status"], "interrupted");
    let reply = start(&app, &token, &id, None).await;
    assert_eq!(reply.body["status"], "completed", "{:?}", reply.body);
    assert_eq!(reply.body["successful_rows"], 1);
}

#[tokio::test]
async fn imported_memberships_expire_and_are_reminded_and_refused_lines_come_back_to_fix() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    app.plan("Yearly", 3000).await;
    sqlx::query("INSERT INTO subscription_plans (name, price_cents, billing_cycle) VALUES ('Forever', 50000, 'lifetime')")
        .execute(&app.db)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let day = |days: i64| {
        (now + chrono::Duration::days(days))
            .date_naive()
            .to_string()
    };
    let sheet = format!(
        "email,first_name,last_name,phone,plan,paid_until,paid_on\r\n\
         ada@example.org,Ada,Lovelace,+44 20 7946 0958,Yearly,{},\r\n\
         bob@example.org,Bob,Lapsed,,yearly,{},\r\n\
         cy@example.org,Cy,Forever,,Forever,,\r\n\
         dee@example.org,Dee,Nogood,+33 6 12 34 56 78,Gold,{},\r\n\
         eve@example.org,Eve,Noplan,,,{},\r\n",
        day(20),
        day(-40),
        day(20),
        day(20),
    );
    let id = uploaded(&app, &token, sheet.as_bytes()).await;
    let run = start(&app, &token, &id, None).await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
    assert_eq!(
        report(&run),
        [
            (5, "plan".to_string(), "invalid".to_string()),
            (6, "paid_until".into(), "required".into())
        ]
    );
    let periods: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT u.email, u.status::text, s.status::text, (s.end_date AT TIME ZONE 'UTC')::date::text, s.payment_method \
         FROM users u JOIN subscriptions s ON s.user_id = u.id ORDER BY u.email",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let expected = [
        (
            "ada@example.org",
            "active",
            "active",
            Some(day(21)),
            "imported",
        ),
        (
            "bob@example.org",
            "expired",
            "expired",
            Some(day(-39)),
            "imported",
        ),
        ("cy@example.org", "active", "active", None, "imported"),
    ];
    let got: Vec<_> = periods
        .iter()
        .map(|(e, u, s, end, m)| (e.as_str(), u.as_str(), s.as_str(), end.clone(), m.as_str()))
        .collect();
    assert_eq!(got, expected);

    // Like any member's: Ada is reminded a month before her end, Bob that
    // his has ended; at Ada's end the job expires her.
    let jobs = app.run_jobs(now).await;
    assert_eq!(jobs.renewal_reminders, 2);
    assert_eq!(
        app.mail_to("ada@example.org").await[0].kind,
        "renewal_reminder"
    );
    assert_eq!(
        app.mail_to("bob@example.org").await[0].kind,
        "membership_ended"
    );
    let ended = app.run_jobs(now + chrono::Duration::days(21)).await;
    assert_eq!((ended.subscriptions_expired, ended.members_lapsed), (1, 1));

    // The refused lines come back as the file had them, with why; fixed,
    // they import.
    let member = app.user_with_role("member").await;
    let member = app.token_for(&member).await;
    let r = app.with_token(&member).imports().rejected(&id).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let missing = uuid::Uuid::new_v4();
    let r = app.with_token(&token).imports().rejected(missing).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let link = app.with_token(&token).imports().rejected(&id).await;
    assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
    assert_eq!(link.body["rows"], 2);
    let res = reqwest::get(link.body["download_url"].as_str().unwrap())
        .await
        .unwrap();
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("members-rejected-"));
    let text = res.text().await.unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("email,first_name,last_name,phone,plan,paid_until,paid_on,error")
    );
    let dee = lines.next().unwrap();
    assert!(
        dee.starts_with(&format!(
            "dee@example.org,Dee,Nogood,+33 6 12 34 56 78,Gold,{},,",
            day(20)
        )),
        "{dee}"
    );
    assert!(
        dee.contains("plan: No plan is named \"\"Gold\"\": use one of Forever, Yearly."),
        "{dee}"
    );
    assert!(lines
        .next()
        .unwrap()
        .starts_with("eve@example.org,Eve,Noplan,,,"));
    assert_eq!(lines.next(), None);

    let fixed = text
        .replace(",Gold,", ",Yearly,")
        .replace("Noplan,,,", "Noplan,,Yearly,");
    let again = uploaded(&app, &token, fixed.as_bytes()).await;
    let run = start(&app, &token, &again, None).await;
    assert_eq!(
        (&run.body["successful_rows"], &run.body["failed_rows"]),
        (&json!(2), &json!(0)),
        "{:?}",
        run.body
    );
    assert_eq!(run.body["ignored_columns"], json!(["error"]));
    let r = app.with_token(&token).imports().rejected(again).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "nothing refused");
}
