//! Invitations, end to end: an admin invites, the invitee follows the
//! emailed link and is signed in with the role; resend, revoke, and the
//! rules that keep invitations from granting more than the inviter holds.

use crate::auth_support::{count, registration};
use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app, TestApp};
use serde_json::{json, Value};

async fn role_id(app: &TestApp, code: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM roles WHERE code = $1")
        .bind(code)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id.to_string()
}

fn acceptance() -> Value {
    let mut body = registration("unused@example.org");
    body.as_object_mut().unwrap().remove("email");
    body
}

#[tokio::test]
async fn an_admin_invites_and_the_invitee_joins_with_the_role() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let finance = role_id(&app, "finance").await;

    let created = app
        .with_token(&token)
        .invitations()
        .create(json!({"email": "Grace@Example.org", "role_id": finance, "first_name": "Grace"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "grace@example.org");
    assert_eq!(created.body["role_code"], "finance");
    assert_eq!(created.body["status"], "pending");
    assert!(
        created.body.get("token").is_none(),
        "the token travels only by email"
    );
    let mail = app.mail_to("grace@example.org").await;
    assert_eq!(
        (mail[0].kind.as_str(), mail[0].status.as_str()),
        ("invitation", "sent")
    );
    assert!(
        mail[0].text_body.contains("Test User invited you"),
        "{}",
        mail[0].text_body
    );
    assert!(
        mail[0].text_body.contains("as Finance"),
        "{}",
        mail[0].text_body
    );

    let link = app.token_mailed("grace@example.org", "invitation").await;
    let shown = app.anonymous().auth().invitation(&link).await;
    assert_eq!(shown.body["role_code"], "finance");
    let joined = app
        .anonymous()
        .auth()
        .accept_invitation(&link, acceptance())
        .await;
    assert_eq!(joined.status, StatusCode::CREATED, "{:?}", joined.body);
    assert_eq!(joined.body["user"]["role"], "finance");

    let list = app
        .with_token(&token)
        .invitations()
        .list("status=accepted")
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["status"], "accepted");
    let again = app
        .with_token(&token)
        .invitations()
        .create(json!({"email": "grace@example.org"}))
        .await;
    assert_eq!(
        (again.status, again.body["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("email"))
    );
}

#[tokio::test]
async fn one_pending_invitation_per_address_and_bad_input_writes_nothing() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let invite = |body: Value| {
        call(
            &api,
            Method::POST,
            "/api/invitations",
            Some(&token),
            Some(body),
        )
    };

    assert_eq!(
        invite(json!({"email": "a@example.org"})).await.status,
        StatusCode::CREATED
    );
    let twice = invite(json!({"email": "A@example.org"})).await;
    assert_eq!(
        (twice.status, twice.body["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("email"))
    );

    for (body, field) in [
        (json!({"email": "nope"}), "email"),
        (json!({}), "email"),
        (
            json!({"email": "b@example.org", "role_id": uuid::Uuid::new_v4()}),
            "role_id",
        ),
        (
            json!({"email": "b@example.org", "role_id": "admin"}),
            "role_id",
        ),
        (
            json!({"email": "b@example.org", "phone": "call me"}),
            "phone",
        ),
        (
            json!({"email": "b@example.org", "first_name": "x".repeat(101)}),
            "first_name",
        ),
        (
            json!({"email": "b@example.org", "status": "accepted"}),
            "status",
        ),
    ] {
        let reply = invite(body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["error"]["field"], field, "{body}");
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM user_invitations").await,
        1
    );
    assert_eq!(count(&app, "SELECT count(*) FROM email_outbox").await, 1);

    // A pending invitation past its date no longer holds the address.
    sqlx::query("UPDATE user_invitations SET expires_at = now() - interval '1 minute'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        invite(json!({"email": "a@example.org"})).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn nobody_invites_into_a_role_holding_more_than_they_do() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let superadmin = app.user_with_role("superadmin").await;
    let top = role_id(&app, "superadmin").await;
    let body = json!({"email": "boss@example.org", "role_id": top});
    let by_admin = app
        .as_user(&admin)
        .await
        .invitations()
        .create(body.clone())
        .await;
    assert_eq!(
        (by_admin.status, by_admin.error_code()),
        (StatusCode::FORBIDDEN, "cannot_grant")
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM user_invitations").await,
        0
    );
    let by_super = app
        .as_user(&superadmin)
        .await
        .invitations()
        .create(body)
        .await;
    assert_eq!(by_super.status, StatusCode::CREATED);
}

#[tokio::test]
async fn members_and_strangers_cannot_touch_invitations() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.user_with_role("admin").await;
    let created = app
        .as_user(&admin)
        .await
        .invitations()
        .create(json!({"email": "x@example.org"}))
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let member = app.user_with_role("member").await;
    let member_token = app.token_for(&member).await;
    for (method, path, body) in [
        (Method::GET, "/api/invitations".to_string(), None),
        (
            Method::POST,
            "/api/invitations".to_string(),
            Some(json!({"email": "y@example.org"})),
        ),
        (Method::POST, format!("/api/invitations/{id}/resend"), None),
        (Method::DELETE, format!("/api/invitations/{id}"), None),
    ] {
        let as_member = call(
            &api,
            method.clone(),
            &path,
            Some(&member_token),
            body.clone(),
        )
        .await;
        assert_eq!(as_member.status, StatusCode::FORBIDDEN, "{method} {path}");
        let anonymous = call(&api, method.clone(), &path, None, body).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM user_invitations WHERE status = 'pending'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn resend_replaces_the_link_and_revoke_ends_it() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let created = app
        .with_token(&token)
        .invitations()
        .create(json!({"email": "r@example.org"}))
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let first = app.token_mailed("r@example.org", "invitation").await;

    sqlx::query("UPDATE user_invitations SET expires_at = now() - interval '1 day'")
        .execute(&app.db)
        .await
        .unwrap();
    let listed = app
        .with_token(&token)
        .invitations()
        .list("status=expired")
        .await;
    assert_eq!(
        listed.body["total"], 1,
        "a pending invitation past its date lists as expired"
    );

    let resent = app.with_token(&token).invitations().resend(&id).await;
    assert_eq!(resent.status, StatusCode::OK, "{:?}", resent.body);
    assert_eq!(resent.body["status"], "pending");
    let second = app.token_mailed("r@example.org", "invitation").await;
    assert_ne!(first, second);
    let old = app.anonymous().auth().invitation(&first).await;
    assert_eq!(
        old.status,
        StatusCode::NOT_FOUND,
        "the old link stopped working"
    );
    assert_eq!(
        app.anonymous().auth().invitation(&second).await.status,
        StatusCode::OK
    );

    let revoked = app.with_token(&token).invitations().revoke(&id).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let dead = app.anonymous().auth().invitation(&second).await;
    assert_eq!(dead.error_code(), "invitation_revoked");
    assert_eq!(
        app.with_token(&token)
            .invitations()
            .revoke(&id)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let resend_revoked = app.with_token(&token).invitations().resend(&id).await;
    assert_eq!(resend_revoked.status, StatusCode::CONFLICT);

    for path in [
        format!("/api/invitations/{}", uuid::Uuid::new_v4()),
        "/api/invitations/not-a-uuid".to_string(),
    ] {
        assert_eq!(
            call(&api, Method::DELETE, &path, Some(&token), None)
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_list_filters_searches_and_pages() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    for i in 0..7 {
        let email = if i % 2 == 0 {
            format!("even{i}@club.org")
        } else {
            format!("odd{i}@example.org")
        };
        app.with_token(&token)
            .invitations()
            .create(json!({"email": email}))
            .await;
    }
    let page = app
        .with_token(&token)
        .invitations()
        .list("per_page=3&page=2")
        .await;
    assert_eq!(
        (
            page.body["total"].as_i64(),
            page.body["items"].as_array().unwrap().len()
        ),
        (Some(7), 3)
    );
    let club = app
        .with_token(&token)
        .invitations()
        .list("q=CLUB.org")
        .await;
    assert_eq!(club.body["total"], 4);
    let wild = app.with_token(&token).invitations().list("q=%25").await;
    assert_eq!(wild.body["total"], 0, "% is searched literally");
    let bad = app
        .with_token(&token)
        .invitations()
        .list("status=maybe")
        .await;
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status"))
    );
    let bad_page = app
        .with_token(&token)
        .invitations()
        .list("per_page=1000")
        .await;
    assert_eq!(bad_page.body["error"]["field"], "per_page");
}
