//! The member export: the list's filters, a CSV file in S3 reached by a
//! short-lived link, cells that cannot run as spreadsheet formulas, and a
//! file large enough to go up in several parts.

use http::StatusCode;
use loaf_tests::{spawn_app, TestApp};

/// Exports with `query` and downloads the file: (answer, header, rows).
async fn export(
    app: &TestApp,
    token: &str,
    query: &str,
) -> (serde_json::Value, Vec<String>, Vec<Vec<String>>) {
    let reply = app.with_token(token).members().export(query).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let res = reqwest::get(reply.body["download_url"].as_str().unwrap())
        .await
        .unwrap();
    assert!(res.status().is_success());
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("members-"), "{disposition}");
    let bytes = res.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a UTF-8 byte order mark for spreadsheets"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (reply.body, header, rows)
}

#[tokio::test]
async fn the_export_follows_the_filters_and_defuses_formulas() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    app.person(
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "Smith",
        "evil@example.org",
        "active",
        "member",
    )
    .await;
    app.person("@SUM(A1:A9)", "-2+3", "sum@example.org", "active", "member")
        .await;
    app.person(
        "Zoë",
        "Ñúñez, \"la reine\"",
        "zoe@example.org",
        "active",
        "member",
    )
    .await;
    app.person(
        "Pending",
        "Person",
        "pending@example.org",
        "pending_validation",
        "guest",
    )
    .await;
    sqlx::query("UPDATE users SET phone = '+33 1 23 45 67 89' WHERE email = 'zoe@example.org'")
        .execute(&app.db)
        .await
        .unwrap();

    let (answer, header, rows) = export(&app, &token, "status=active&role=member&sort=email").await;
    assert_eq!(answer["rows"], 3);
    assert!(answer["expires_at"].is_string());
    assert_eq!(&header[..4], ["id", "email", "first_name", "last_name"]);
    let by_email = |email: &str| rows.iter().find(|r| r[1] == email).unwrap().clone();
    assert_eq!(
        rows.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(),
        ["evil@example.org", "sum@example.org", "zoe@example.org"]
    );
    assert_eq!(
        by_email("evil@example.org")[2],
        "'=HYPERLINK(\"http://evil.example\",\"click\")"
    );
    assert_eq!(by_email("sum@example.org")[2], "'@SUM(A1:A9)");
    assert_eq!(by_email("sum@example.org")[3], "'-2+3");
    let zoe = by_email("zoe@example.org");
    assert_eq!(zoe[3], "Ñúñez, \"la reine\"");
    assert_eq!(zoe[6], "'+33 1 23 45 67 89");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell}"
            );
        }
    }

    let (answer, _, rows) = export(&app, &token, "q=pending").await;
    assert_eq!((answer["rows"].as_u64(), rows.len()), (Some(1), 1));
    let reply = app
        .with_token(&token)
        .members()
        .export("sort=shoe_size")
        .await;
    assert_eq!(reply.body["error"]["field"], "sort");

    // Finance may export; a member may not.
    let finance = app.user_with_role("finance").await;
    let (_, _, rows) = export(&app, &app.token_for(&finance).await, "").await;
    assert_eq!(rows.len(), 6);
    let member = app.user_with_role("member").await;
    let reply = app.as_user(&member).await.members().export("").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_large_export_goes_up_in_parts_and_arrives_whole() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    // About 190 bytes a row: 40,000 rows make several 6 MiB parts.
    app.bulk_load(
        "users",
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role, address, city) \
         SELECT 'bulk' || i || '@example.org', '!', 'First' || i, 'Last' || i, 'active', 'member', \
                repeat('Long Street Name ', 5) || i, 'Springfield' \
         FROM generate_series(1, 40000) AS i",
    )
    .await;
    let (answer, _, rows) = export(&app, &token, "sort=email").await;
    assert_eq!(answer["rows"], 40_001);
    assert_eq!(rows.len(), 40_001);
    assert!(rows
        .windows(2)
        .all(|w| w[0][1].to_lowercase() <= w[1][1].to_lowercase()));
    assert!(rows.iter().any(|r| r[1] == "bulk40000@example.org"));
}
