//! Email that respects bounces and complaints: the email provider's events
//! (SES through SNS, in their wire format, as `loaf email bounce` feeds
//! them) mark the address; the outbox never mails it again; the routes that
//! email a link on request say the address cannot be reached; admins see
//! the mark on the member's page and may clear it.

use http::StatusCode;
use loaf::local_ses;
use loaf_domain::email::Mailer;
use loaf_jobs::Job;
use loaf_tests::{spawn_app, TestApp};
use serde_json::json;

async fn provider_says(app: &TestApp, address: &str, complaint: bool) -> loaf_jobs::EmailEvents {
    let event = local_ses::event(address, complaint);
    assert_eq!(
        Job::of(&event),
        Job::EmailEvents,
        "an SNS event is not the daily run"
    );
    loaf_jobs::email_events(&app.db, &event).await.unwrap()
}

#[tokio::test]
async fn a_hard_bounce_stops_the_mail_and_says_so_until_an_admin_clears_it() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let admin = app.as_user(&app.user_with_role("superadmin").await).await;

    // Mail queued before the bounce is not sent after it either.
    let forgot = app
        .anonymous()
        .auth()
        .forgot_password(json!({"email": member.email}))
        .await;
    assert_eq!(forgot.status, StatusCode::ACCEPTED);
    let done = provider_says(&app, &member.email.to_uppercase(), false).await;
    assert_eq!((done.bounces, done.complaints, done.ignored), (1, 0, 0));
    let mailer = Mailer::from_config(app.state.config.email.clone());
    let delivery = loaf_jobs::send_email(&app.db, &mailer).await.unwrap();
    assert_eq!((delivery.sent, delivery.suppressed), (0, 1), "{delivery:?}");
    let mail = app.mail_to(&member.email).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].status, "suppressed");

    // Asked for now, a link says it cannot arrive.
    let again = app
        .anonymous()
        .auth()
        .forgot_password(json!({"email": member.email}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert_eq!(again.error_code(), "address_unreachable");
    let resend = app
        .anonymous()
        .auth()
        .resend_verification(json!({"email": member.email}))
        .await;
    assert_eq!(resend.error_code(), "address_unreachable");
    let invited = admin
        .invitations()
        .create(json!({"email": member.email}))
        .await;
    assert_eq!(invited.status, StatusCode::CONFLICT);
    let other = app.user_with_role("member").await;
    let moved = app
        .as_user(&other)
        .await
        .auth()
        .change_email(json!({"new_email": member.email, "current_password": "irrelevant"}))
        .await;
    assert!(moved.status.is_client_error(), "{:?}", moved.body);
    let member_calls = app.as_user(&member).await;
    let erase = member_calls.auth().request_erasure(json!({})).await;
    assert_eq!(erase.error_code(), "address_unreachable");

    // Admins see why; a member may not clear it; an admin may, once.
    let shown = admin.members().show(member.id).await;
    let mark = &shown.body["email_suppression"];
    assert_eq!(mark["reason"], "bounce", "{:?}", shown.body);
    assert!(mark["detail"].as_str().unwrap().contains("5.1.1"), "{mark}");
    let path = format!("/api/members/{}/email-suppression", member.id);
    let token = app.token_for(&member).await;
    let api = app.api();
    let refused = loaf_tests::call(&api, http::Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = loaf_tests::call(&api, http::Method::DELETE, &path, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let admin_token = app.token_for(&app.user_with_role("superadmin").await).await;
    let cleared =
        loaf_tests::call(&api, http::Method::DELETE, &path, Some(&admin_token), None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT, "{:?}", cleared.body);
    let twice = loaf_tests::call(&api, http::Method::DELETE, &path, Some(&admin_token), None).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    let shown = admin.members().show(member.id).await;
    assert_eq!(shown.body["email_suppression"], serde_json::Value::Null);
    let forgot = app
        .anonymous()
        .auth()
        .forgot_password(json!({"email": member.email}))
        .await;
    assert_eq!(forgot.status, StatusCode::ACCEPTED, "mailed again");

    // The trail says who marked and who cleared.
    let trail = admin.audit_trail("target_type=email_suppression").await;
    let entries: Vec<(&str, &str)> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_job"].as_str().unwrap_or("person"),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("email_suppression.delete", "person"),
            ("email_suppression.insert", "email_provider")
        ]
    );
}

#[tokio::test]
async fn a_complaint_outranks_a_bounce_and_a_soft_bounce_marks_nothing() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    provider_says(&app, &member.email, false).await;
    let done = provider_says(&app, &member.email, true).await;
    assert_eq!(done.complaints, 1);
    let again = app
        .anonymous()
        .auth()
        .forgot_password(json!({"email": member.email}))
        .await;
    assert_eq!(again.error_code(), "address_unreachable");
    assert!(again.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("spam"));
    let (reason, events): (String, i32) =
        sqlx::query_as("SELECT reason, events FROM email_suppressions WHERE address = $1")
            .bind(member.email.to_lowercase())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((reason.as_str(), events), ("complaint", 2));

    let soft = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification",
        "Message": json!({"eventType": "Bounce", "bounce": {"bounceType": "Transient",
            "bouncedRecipients": [{"emailAddress": "full.mailbox@example.org"}]}}).to_string()}}]});
    let done = loaf_jobs::email_events(&app.db, &soft).await.unwrap();
    assert_eq!((done.bounces, done.ignored), (0, 1));
    let marked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM email_suppressions WHERE address = 'full.mailbox@example.org'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(marked, 0);
}
