//! Member administration: the list with its search, filters and sort, a
//! member's details and an admin's edits with their audit trail, and who
//! may do each of these.

use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app, TestApp, TestUser};
use serde_json::{json, Value};

fn emails(reply: &loaf_tests::Reply) -> Vec<String> {
    let mut out: Vec<String> = reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {:?}", reply.body))
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// An admin, and a few members with names that test the search.
async fn roster(app: &TestApp) -> (String, Vec<TestUser>) {
    let admin = app.user_with_role("admin").await;
    let people = vec![
        app.person("Zoë", "Ñúñez", "zoe@example.org", "active", "member")
            .await,
        app.person(
            "Jean-Luc",
            "Picard",
            "captain@enterprise.example",
            "pending_validation",
            "member",
        )
        .await,
        app.person("Ada", "Lovelace", "ada@example.org", "active", "finance")
            .await,
        app.person("Émile", "Zola", "emile_z@example.org", "expired", "member")
            .await,
    ];
    (app.token_for(&admin).await, people)
}

#[tokio::test]
async fn search_ignores_case_and_accents_and_matches_any_part() {
    let app = spawn_app().await;
    let (token, _) = roster(&app).await;
    for (q, expected) in [
        ("zoe", vec!["zoe@example.org"]),
        ("NUNEZ", vec!["zoe@example.org"]),
        ("ñúñ", vec!["zoe@example.org"]),
        ("emile", vec!["emile_z@example.org"]),
        ("enterprise", vec!["captain@enterprise.example"]),
        ("jean-luc pic", vec!["captain@enterprise.example"]),
        ("love", vec!["ada@example.org"]),
    ] {
        let reply = app
            .with_token(&token)
            .members()
            .list(&format!("q={}", urlencode(q)))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{q}: {:?}", reply.body);
        assert_eq!(emails(&reply), expected, "{q}");
    }
    // LIKE wildcards are taken literally.
    let reply = app.with_token(&token).members().list("q=e_z").await;
    assert_eq!(emails(&reply), ["emile_z@example.org"]);
    let reply = app.with_token(&token).members().list("q=%25").await;
    assert_eq!(reply.body["total"], 0);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn filters_sort_and_page_with_totals() {
    let app = spawn_app().await;
    let (token, people) = roster(&app).await;
    sqlx::query("UPDATE users SET member_since = '2024-03-15T10:00:00Z' WHERE id = $1")
        .bind(people[0].id)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET member_since = '2025-06-01T00:00:00Z' WHERE id = $1")
        .bind(people[2].id)
        .execute(&app.db)
        .await
        .unwrap();
    let plan = app.plan("Yearly", 3000).await;
    sqlx::query(
        "INSERT INTO subscriptions (user_id, plan_id, status, end_date) \
         VALUES ($1, $3, 'active', now() + interval '1 year'), \
                ($2, $3, 'active', now() - interval '1 day')",
    )
    .bind(people[0].id)
    .bind(people[3].id)
    .bind(plan)
    .execute(&app.db)
    .await
    .unwrap();

    let reply = app
        .with_token(&token)
        .members()
        .list("status=active&role=member")
        .await;
    assert_eq!(emails(&reply), ["zoe@example.org"]);
    let reply = app.with_token(&token).members().list("role=finance").await;
    assert_eq!(emails(&reply), ["ada@example.org"]);
    let reply = app
        .with_token(&token)
        .members()
        .list("member_since_from=2024-03-15&member_since_to=2024-03-15")
        .await;
    assert_eq!(emails(&reply), ["zoe@example.org"]);
    let reply = app
        .with_token(&token)
        .members()
        .list("member_since_from=2024-03-16")
        .await;
    assert_eq!(emails(&reply), ["ada@example.org"]);
    let reply = app
        .with_token(&token)
        .members()
        .list("has_active_subscription=true")
        .await;
    assert_eq!(emails(&reply), ["zoe@example.org"]);
    assert_eq!(reply.body["items"][0]["has_active_subscription"], true);
    let reply = app
        .with_token(&token)
        .members()
        .list("has_active_subscription=false")
        .await;
    assert_eq!(reply.body["total"], 4, "the admin and three without");

    let reply = app
        .with_token(&token)
        .members()
        .list("sort=-name&per_page=2")
        .await;
    assert_eq!(reply.body["total"], 5);
    let names: Vec<&str> = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["last_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Zola", "User"]);
    let reply = app
        .with_token(&token)
        .members()
        .list("sort=-name&per_page=2&page=3")
        .await;
    assert_eq!(reply.body["items"][0]["last_name"], "Lovelace");
    let reply = app.with_token(&token).members().list("sort=email").await;
    assert_eq!(reply.body["items"][0]["email"], "ada@example.org");
}

/// A term most members match ("zoe" in 9,000 of 12,000) is not counted: its
/// total is the planner's estimate, and the answer says so; its page is still exactly
/// the first matches in the asked order, whether found by walking the name
/// order ("zoe", spread over every name) or, when that walk gives up, through
/// the trigram index ("zzyzx", a surname that sorts last). A rarer term is
/// counted exactly.
#[tokio::test]
async fn a_common_term_estimates_its_total_but_not_its_page() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    app.bulk_load(
        "users",
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role) \
         SELECT 'bulk' || i || '@example.org', '!', \
                CASE WHEN i % 4 = 0 THEN 'Anne' ELSE 'Zoé' END, \
                CASE WHEN i > 3000 THEN 'Zzyzx' ELSE 'Name' || lpad(i::text, 5, '0') END, \
                CASE WHEN i % 5 = 0 THEN 'expired' ELSE 'active' END::userstatus, 'member' \
         FROM generate_series(1, 12000) AS i",
    )
    .await;

    for (query, term, status, order) in [
        ("q=zoe", "%zoe%", None, "name_key, id"),
        ("q=zoe&sort=-name", "%zoe%", None, "name_key DESC, id DESC"),
        (
            "q=zoe&status=active&page=3",
            "%zoe%",
            Some("active"),
            "name_key, id",
        ),
        ("q=zoe&sort=email", "%zoe%", None, "lower(email), id"),
        ("q=zzyzx", "%zzyzx%", None, "name_key, id"),
    ] {
        let reply = app.with_token(&token).members().list(query).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", reply.body);
        assert_eq!(reply.body["total_is_estimate"], true, "{query}");
        let total = reply.body["total"].as_i64().unwrap();
        assert!((5_000..=12_000).contains(&total), "{query}: {total}");
        let page: i64 = reply.body["page"].as_i64().unwrap();
        let expected: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT email FROM users WHERE search_text LIKE $1 \
             AND ($2::text IS NULL OR status::text = $2) \
             ORDER BY {order} LIMIT 25 OFFSET $3"
        ))
        .bind(term)
        .bind(status)
        .bind((page - 1) * 25)
        .fetch_all(&app.db)
        .await
        .unwrap();
        let got: Vec<&str> = reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["email"].as_str().unwrap())
            .collect();
        assert_eq!(got, expected, "{query}");
    }

    let reply = app.with_token(&token).members().list("q=name0004").await;
    assert_eq!(reply.body["total_is_estimate"], false);
    assert_eq!(reply.body["total"], 10, "{:?}", reply.body);
}

#[tokio::test]
async fn a_wrong_filter_is_a_clear_error() {
    let app = spawn_app().await;
    let (token, _) = roster(&app).await;
    for (query, field) in [
        ("sort=password", "sort"),
        ("status=sleeping", "status"),
        ("member_since_from=15/03/2024", "member_since_from"),
        ("has_active_subscription=maybe", "has_active_subscription"),
        ("per_page=0", "per_page"),
    ] {
        let reply = app.with_token(&token).members().list(query).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["error"]["field"], field,
            "{query}: {:?}",
            reply.body
        );
    }
    let long = "a".repeat(201);
    let reply = app
        .with_token(&token)
        .members()
        .list(&format!("q={long}"))
        .await;
    assert_eq!(reply.body["error"]["field"], "q");
}

#[tokio::test]
async fn an_admin_reads_and_edits_a_member_and_the_trail_says_so() {
    let app = spawn_app().await;
    let (token, people) = roster(&app).await;
    let zoe = &people[0];
    let admin = app.with_token(&token);
    let members = admin.members();

    let shown = members.show(zoe.id).await;
    assert_eq!(shown.status, StatusCode::OK, "{:?}", shown.body);
    assert_eq!(shown.body["email"], "zoe@example.org");
    assert_eq!(shown.body["role_code"], "member");
    assert_eq!(shown.body["profile"]["first_name"], "Zoë");
    assert!(shown.body.get("password_hash").is_none());

    let change = json!({"phone": "+33 1 23 45 67 89", "directory": {"listed": true, "bio": "Hi"}});
    let edited = members.update(zoe.id, change).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(edited.body["profile"]["phone"], "+33 1 23 45 67 89");
    assert_eq!(edited.body["profile"]["directory"]["listed"], true);

    let bad = members.update(zoe.id, json!({"first_name": ""})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["field"], "first_name");
    assert_eq!(
        members.show(zoe.id).await.body["profile"]["first_name"],
        "Zoë"
    );

    let trail = members.audit(zoe.id).await;
    assert_eq!(trail.status, StatusCode::OK, "{:?}", trail.body);
    assert_eq!(trail.body["total"], 1);
    let entry = &trail.body["items"][0];
    assert_eq!(entry["action"], "profile");
    assert_eq!(entry["to_value"], "directory, phone");
    assert_eq!(entry["actor_name"], "Test User");

    let missing = uuid::Uuid::new_v4();
    assert_eq!(members.show(missing).await.status, StatusCode::NOT_FOUND);
    assert_eq!(members.audit(missing).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        members.show("not-a-uuid").await.status,
        StatusCode::NOT_FOUND,
        "an id that is not a UUID names nothing"
    );
}

#[tokio::test]
async fn an_applicant_who_looks_like_a_member_is_shown_with_what_matches() {
    let app = spawn_app().await;
    let (token, people) = roster(&app).await;
    let set = |id: uuid::Uuid, phone: &'static str, street: &'static str, zip: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query("UPDATE users SET phone = $2, address = $3, zipcode = $4 WHERE id = $1")
                .bind(id)
                .bind(phone)
                .bind(street)
                .bind(zip)
                .execute(&db)
                .await
                .unwrap();
        }
    };
    // Zoë Ñúñez, a member; an applicant typed without accents and with a
    // typo, another with Zoë's phone written differently, a third at
    // Ada's address written differently, and a stranger.
    let zoe = &people[0];
    let ada = &people[2];
    set(zoe.id, "+44 20 7946 0958", "1 Rue de l'Église", "75001").await;
    set(
        ada.id,
        "+33 6 00 00 00 01",
        "12 St James's Square",
        "SW1Y 4JH",
    )
    .await;
    let typo = app
        .person(
            "Zoe",
            "Nunnez",
            "zoe2@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    let phone = app
        .person(
            "Grace",
            "Hopper",
            "grace@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    set(phone.id, "020 7946 0958", "5 Elm Row", "EH7 4AA").await;
    let address = app
        .person(
            "Mary",
            "Somerville",
            "mary@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    set(address.id, "", "12 ST. JAMES'S  SQUARE", "sw1y 4jh").await;
    let stranger = app
        .person(
            "Charles",
            "Babbage",
            "charles@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    set(stranger.id, "0131 496 0000", "3 Pine Walk", "EH1 1AA").await;

    let admin = app.with_token(&token);
    let members = admin.members();
    let similar = |id: uuid::Uuid| members.similar(id);
    let found = similar(typo.id).await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    assert_eq!(found.body.as_array().unwrap().len(), 1, "{:?}", found.body);
    assert_eq!(found.body[0]["email"], "zoe@example.org");
    assert_eq!(found.body[0]["same_name"], true);
    assert_eq!(found.body[0]["same_phone"], false);

    let found = similar(phone.id).await;
    assert_eq!(found.body.as_array().unwrap().len(), 1, "{:?}", found.body);
    assert_eq!(found.body[0]["email"], "zoe@example.org");
    assert_eq!(found.body[0]["same_phone"], true);
    assert_eq!(found.body[0]["same_name"], false);

    let found = similar(address.id).await;
    assert_eq!(found.body.as_array().unwrap().len(), 1, "{:?}", found.body);
    assert_eq!(found.body[0]["email"], "ada@example.org");
    assert_eq!(found.body[0]["same_address"], true);

    let found = similar(stranger.id).await;
    assert_eq!(found.body, json!([]), "nobody looks like a stranger");
    assert_eq!(
        similar(uuid::Uuid::new_v4()).await.status,
        StatusCode::NOT_FOUND
    );

    // The member page offers the moves the transition table allows.
    let shown = app.with_token(&token).members().show(typo.id).await;
    assert_eq!(
        shown.body["status_moves"],
        json!(["pre_validated", "inactive", "abandoned"])
    );
}

/// Every members-function route that is not for everyone, with a body that
/// would be valid.
fn admin_routes(id: uuid::Uuid, role: uuid::Uuid) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/api/members".into(), None),
        (Method::GET, format!("/api/members/{id}"), None),
        (Method::GET, format!("/api/members/{id}/similar"), None),
        (
            Method::PATCH,
            format!("/api/members/{id}"),
            Some(json!({"phone": "+1 555 0100"})),
        ),
        (Method::GET, format!("/api/members/{id}/audit"), None),
        (Method::POST, format!("/api/members/{id}/validate"), None),
        (
            Method::POST,
            format!("/api/members/{id}/reject"),
            Some(json!({"reason": "No"})),
        ),
        (
            Method::POST,
            format!("/api/members/{id}/status"),
            Some(json!({"status": "inactive"})),
        ),
        (
            Method::PUT,
            format!("/api/members/{id}/role"),
            Some(json!({"role_id": role})),
        ),
        (
            Method::POST,
            "/api/members/validate".into(),
            Some(json!({"ids": [id]})),
        ),
        (
            Method::POST,
            "/api/members/reject".into(),
            Some(json!({"ids": [id], "reason": "No"})),
        ),
        (Method::GET, "/api/permissions".into(), None),
        (Method::GET, "/api/roles".into(), None),
        (
            Method::POST,
            "/api/roles".into(),
            Some(json!({"code": "x1", "name": "X"})),
        ),
        (Method::GET, format!("/api/roles/{role}"), None),
        (
            Method::PATCH,
            format!("/api/roles/{role}"),
            Some(json!({"name": "Y"})),
        ),
        (Method::DELETE, format!("/api/roles/{role}"), None),
        (
            Method::PUT,
            format!("/api/roles/{role}/permissions"),
            Some(json!({"codes": []})),
        ),
        (Method::GET, "/api/invitations".into(), None),
        (
            Method::POST,
            "/api/invitations".into(),
            Some(json!({"email": "x@example.org"})),
        ),
        (Method::GET, "/api/dashboard/stats".into(), None),
        (Method::GET, "/api/members/export".into(), None),
        (Method::GET, "/api/imports".into(), None),
        (
            Method::POST,
            "/api/imports".into(),
            Some(json!({"filename": "m.csv", "size_bytes": 9})),
        ),
        (Method::GET, format!("/api/imports/{id}"), None),
        (Method::POST, format!("/api/imports/{id}/start"), None),
    ]
}

#[tokio::test]
async fn a_member_is_refused_every_admin_route_and_a_stranger_is_asked_to_sign_in() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let other = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    let role: uuid::Uuid = sqlx::query_scalar("SELECT id FROM roles WHERE code = 'member'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let trail = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    let trail_before = trail().await;
    for (method, path, body) in admin_routes(other.id, role) {
        let reply = call(
            &app.api(),
            method.clone(),
            &path,
            Some(&token),
            body.clone(),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {:?}",
            reply.body
        );
        let reply = call(&app.api(), method.clone(), &path, None, body).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    assert_eq!(app.status_of(other.id).await, "active", "nothing changed");
    assert_eq!(
        trail().await,
        trail_before,
        "a refused call leaves no trace"
    );
}

#[tokio::test]
async fn finance_reads_the_member_list_but_changes_nobody() {
    let app = spawn_app().await;
    let (_, people) = roster(&app).await;
    let finance = app.user_with_role("finance").await;
    let token = app.token_for(&finance).await;
    let applicant = &people[1];

    assert_eq!(
        app.with_token(&token).members().list("").await.status,
        StatusCode::OK
    );
    let path = format!("/api/members/{}", applicant.id);
    let finance = app.with_token(&token);
    assert_eq!(
        finance.members().show(applicant.id).await.status,
        StatusCode::OK
    );
    let stats = finance.dashboard_stats().await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(stats.body.get("donations_this_year_cents").is_some());

    for (method, path, body) in [
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"phone": "+1 555 0100"})),
        ),
        (Method::POST, format!("{path}/validate"), None),
        (
            Method::POST,
            format!("{path}/status"),
            Some(json!({"status": "abandoned"})),
        ),
        (Method::GET, format!("{path}/audit"), None),
        (Method::GET, "/api/roles".into(), None),
    ] {
        let reply = call(&app.api(), method.clone(), &path, Some(&token), body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    assert_eq!(app.status_of(applicant.id).await, "pending_validation");
}
