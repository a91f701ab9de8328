//! The member lifecycle as an admin drives it: validating and rejecting
//! applicants (one by one and in bulk, each emailed), every other status
//! change through the transition table, and the superadmin who must remain.

use crate::auth_support::{session, verified_applicant, PASSWORD};
use http::StatusCode;
use loaf_tests::client::Caller;
use loaf_tests::{spawn_app, TestApp};
use serde_json::json;

const STATUSES: [&str; 10] = [
    "pending_email",
    "pending_validation",
    "pre_validated",
    "payment_pending",
    "active",
    "inactive",
    "canceled",
    "expired",
    "abandoned",
    "rejected",
];

/// The moves `POST /api/members/{id}/status` accepts, as README.md's
/// "Status moves" lists them; validation and rejection have their own
/// routes.
const ALLOWED: &[(&str, &str)] = &[
    ("pending_email", "pending_validation"),
    ("pending_email", "abandoned"),
    ("pending_email", "inactive"),
    ("abandoned", "pending_email"),
    ("abandoned", "inactive"),
    ("pending_validation", "pre_validated"),
    ("pending_validation", "abandoned"),
    ("pending_validation", "inactive"),
    ("pre_validated", "pending_validation"),
    ("pre_validated", "inactive"),
    ("payment_pending", "active"),
    ("payment_pending", "inactive"),
    ("active", "expired"),
    ("active", "inactive"),
    ("active", "canceled"),
    ("expired", "active"),
    ("expired", "inactive"),
    ("expired", "canceled"),
    ("inactive", "payment_pending"),
    ("inactive", "active"),
    ("canceled", "payment_pending"),
    ("canceled", "active"),
    ("rejected", "pending_validation"),
];

/// Requests as an admin.
async fn admin(app: &TestApp) -> Caller<'_> {
    app.as_user(&app.user_with_role("admin").await).await
}

#[tokio::test]
async fn validating_an_applicant_asks_them_to_pay_and_says_so_by_email() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    verified_applicant(&app, "grace@example.org").await;
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'grace@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    let reply = admin.members().validate(id).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "payment_pending");
    assert!(reply.body["validated_at"].is_string());
    assert!(reply.body["validated_by"].is_string());
    let mail = app.mail_to("grace@example.org").await;
    let welcome = mail
        .iter()
        .find(|m| m.kind == "validated")
        .expect("welcome email");
    assert_eq!(welcome.status, "sent");

    // Validating twice is an illegal move, not a second email.
    let again = admin.members().validate(id).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "illegal_transition");
    assert_eq!(app.mail_to("grace@example.org").await.len(), mail.len());

    let trail = admin.members().audit(id).await;
    let entry = &trail.body["items"][0];
    assert_eq!(
        (&entry["action"], &entry["from_value"], &entry["to_value"]),
        (
            &json!("status"),
            &json!("pending_validation"),
            &json!("payment_pending")
        )
    );
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_sends_it() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let applicant = app
        .person("Ken", "Ham", "ken@example.org", "pre_validated", "guest")
        .await;

    for body in [json!({}), json!({"reason": "   "}), json!({"reason": 7})] {
        let reply = admin.members().reject(applicant.id, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["error"]["field"], "reason", "{body}");
    }
    assert_eq!(app.status_of(applicant.id).await, "pre_validated");

    let reason = "We could not confirm your address.";
    let reply = admin
        .members()
        .reject(applicant.id, json!({"reason": reason}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "rejected");
    assert_eq!(reply.body["rejection_reason"], reason);
    assert!(reply.body["rejected_by"].is_string());
    let mail = app.mail_to("ken@example.org").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].kind, "rejected");
    assert!(mail[0].text_body.contains(reason), "{}", mail[0].text_body);

    let active = app.user_with_role("member").await;
    let reply = admin
        .members()
        .reject(active.id, json!({"reason": "No"}))
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(app.status_of(active.id).await, "active");
}

#[tokio::test]
async fn bulk_decisions_change_the_applicants_and_report_the_rest() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let a = app
        .person("A", "One", "a@example.org", "pending_validation", "guest")
        .await;
    let b = app
        .person("B", "Two", "b@example.org", "pre_validated", "guest")
        .await;
    let active = app.user_with_role("member").await;
    let unknown = uuid::Uuid::new_v4();

    let reply = admin
        .members()
        .validate_many(json!({"ids": [a.id, active.id, b.id, unknown, a.id]}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["done"], json!([a.id, b.id]));
    let refused = reply.body["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2);
    assert_eq!(refused[0]["id"], json!(active.id));
    assert_eq!(refused[0]["code"], "illegal_transition");
    assert_eq!(refused[1]["code"], "not_found");
    assert_eq!(app.status_of(a.id).await, "payment_pending");
    assert_eq!(app.status_of(b.id).await, "payment_pending");
    assert_eq!(app.status_of(active.id).await, "active");
    assert_eq!(app.mail_to("a@example.org").await[0].kind, "validated");
    assert!(app.mail_to(&active.email).await.is_empty());

    let c = app
        .person("C", "Three", "c@example.org", "pending_validation", "guest")
        .await;
    for (reject, body, field) in [
        (true, json!({"ids": [c.id]}), "reason"),
        (true, json!({"ids": [], "reason": "x"}), "ids"),
        (false, json!({"ids": [c.id], "reason": "x"}), "reason"),
        (false, json!({"ids": ["nope"]}), "ids[0]"),
    ] {
        let reply = match reject {
            true => admin.members().reject_many(body.clone()).await,
            false => admin.members().validate_many(body.clone()).await,
        };
        assert_eq!(reply.status.as_u16() / 100, 4, "{body}");
        assert_eq!(
            reply.body["error"]["field"], field,
            "{body}: {:?}",
            reply.body
        );
    }
    let reply = admin
        .members()
        .reject_many(json!({"ids": [c.id], "reason": "Duplicate application."}))
        .await;
    assert_eq!(reply.body["done"], json!([c.id]));
    assert_eq!(app.status_of(c.id).await, "rejected");
}

#[tokio::test]
async fn every_move_outside_the_transition_table_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let member = app.user_with_role("member").await;
    for from in STATUSES {
        for to in STATUSES {
            sqlx::query("UPDATE users SET status = $2::userstatus WHERE id = $1")
                .bind(member.id)
                .bind(from)
                .execute(&app.db)
                .await
                .unwrap();
            let reply = admin
                .members()
                .set_status(member.id, json!({"status": to}))
                .await;
            if ALLOWED.contains(&(from, to)) {
                assert_eq!(
                    reply.status,
                    StatusCode::OK,
                    "{from} → {to}: {:?}",
                    reply.body
                );
                assert_eq!(app.status_of(member.id).await, to);
            } else {
                assert_eq!(reply.status, StatusCode::CONFLICT, "{from} → {to}");
                assert_eq!(reply.error_code(), "illegal_transition");
                assert_eq!(app.status_of(member.id).await, from, "{from} → {to}");
            }
        }
    }
    let moves: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE subject_id = $1 AND target_type = 'member'",
    )
    .bind(member.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(moves, ALLOWED.len() as i64, "one audit entry per move made");

    let reply = admin
        .members()
        .set_status(member.id, json!({"status": "asleep"}))
        .await;
    assert_eq!(reply.body["error"]["field"], "status");
}

#[tokio::test]
async fn deactivating_a_member_signs_them_out() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    verified_applicant(&app, "lin@example.org").await;
    sqlx::query("UPDATE users SET status = 'active' WHERE email = 'lin@example.org'")
        .execute(&app.db)
        .await
        .unwrap();
    let (access, refresh) = session(&app, "lin@example.org", PASSWORD).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'lin@example.org'")
        .fetch_one(&app.db)
        .await
        .unwrap();

    let reply = admin
        .members()
        .set_status(
            id,
            json!({"status": "inactive", "reason": "Asked to leave."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let me = app.with_token(&access).auth().me().await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let refreshed = app
        .anonymous()
        .auth()
        .refresh(json!({"refresh_token": refresh}))
        .await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_last_superadmin_cannot_be_disabled_or_demoted() {
    let app = spawn_app().await;
    let boss = app.user_with_role("superadmin").await;
    let boss_calls = app.as_user(&boss).await;
    let members = boss_calls.members();
    let member_role: uuid::Uuid = sqlx::query_scalar("SELECT id FROM roles WHERE code = 'member'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // A superadmin who cannot sign in does not count.
    let dormant = app.user_with_role("superadmin").await;
    sqlx::query("UPDATE users SET status = 'inactive' WHERE id = $1")
        .bind(dormant.id)
        .execute(&app.db)
        .await
        .unwrap();

    let reply = members
        .set_status(boss.id, json!({"status": "inactive"}))
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.error_code(), "last_superadmin");
    let reply = members.set_role(boss.id, member_role).await;
    assert_eq!(reply.error_code(), "last_superadmin");
    assert_eq!(app.status_of(boss.id).await, "active");

    app.user_with_role("superadmin").await;
    let reply = members.set_role(boss.id, member_role).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["role_code"], "member");
}
