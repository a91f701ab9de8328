//! The email outbox: a message exists exactly when the change that caused
//! it committed, and is delivered once, through SES or the mail folder,
//! surviving provider outages with retries.

use loaf_domain::email::outbox::{self, MAX_ATTEMPTS};
use loaf_domain::email::transport::Transport;
use loaf_domain::email::Mail;
use loaf_tests::ses::{Mode, Ses};
use loaf_tests::{spawn_app, TestApp};
use uuid::Uuid;

async fn queue(app: &TestApp, to: &str) -> Uuid {
    let mut tx = app.db.begin().await.unwrap();
    let id = outbox::enqueue(
        &mut tx,
        &app.state.config.email,
        to,
        &Mail::PasswordChanged {
            first_name: "Ada".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn row(app: &TestApp, id: Uuid) -> (String, i32, Option<String>, bool) {
    sqlx::query_as(
        "SELECT status, attempts, last_error, next_attempt_at > now() + interval '20 seconds' \
         FROM email_outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

const FROM: &str = "LOAF <no-reply@example.org>";

#[tokio::test]
async fn a_message_exists_exactly_when_its_transaction_commits() {
    let app = spawn_app().await;
    let mail = Mail::Validated {
        first_name: "Ada".into(),
    };
    let mut tx = app.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &app.state.config.email, "ada@example.org", &mail)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(app.mail_to("ada@example.org").await.is_empty());
    queue(&app, "ada@example.org").await;
    assert_eq!(app.mail_to("ada@example.org").await.len(), 1);
}

#[tokio::test]
async fn ses_receives_the_message_in_its_wire_format() {
    let app = spawn_app().await;
    let ses = Ses::start().await;
    let transport = ses.transport(Some("loaf-events"));
    let id = queue(&app, "ada@example.org").await;
    let done = outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!((done.sent, done.retrying, done.failed), (1, 0, 0));
    let sent = ses.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["FromEmailAddress"], FROM);
    assert_eq!(sent[0]["ConfigurationSetName"], "loaf-events");
    assert_eq!(sent[0]["Destination"]["ToAddresses"][0], "ada@example.org");
    let simple = &sent[0]["Content"]["Simple"];
    assert_eq!(
        simple["Subject"]["Data"],
        "Your LOAF Test password was changed"
    );
    assert!(simple["Body"]["Html"]["Data"]
        .as_str()
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
    let provider_id: Option<String> =
        sqlx::query_scalar("SELECT provider_message_id FROM email_outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(provider_id.unwrap().ends_with("stand-in"));
}

#[tokio::test]
async fn a_message_ses_took_is_sent_once_even_when_its_answer_is_garbled() {
    let app = spawn_app().await;
    let ses = Ses::start().await;
    let transport = ses.transport(None);
    let id = queue(&app, "ada@example.org").await;
    ses.set_mode(Mode::AcceptGarbled);
    let done = outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!((done.sent, done.retrying, done.failed), (1, 0, 0));
    let (status, attempts, error, _) = row(&app, id).await;
    assert_eq!((status.as_str(), attempts, error), ("sent", 1, None));
    sqlx::query("UPDATE email_outbox SET next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
    outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!(ses.sent().len(), 1, "sent once");
}

#[tokio::test]
async fn an_outage_delays_mail_and_loses_none() {
    let app = spawn_app().await;
    let ses = Ses::start().await;
    let transport = ses.transport(None);
    let id = queue(&app, "ada@example.org").await;

    ses.set_mode(Mode::Unavailable);
    let done = outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!((done.sent, done.retrying), (0, 1));
    let (status, attempts, error, later) = row(&app, id).await;
    assert_eq!((status.as_str(), attempts, later), ("pending", 1, true));
    assert!(error.unwrap().contains("ServiceUnavailable"));
    // Not due yet: a second run leaves it alone.
    let idle = outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!(idle, Default::default());

    ses.set_mode(Mode::Accept);
    sqlx::query("UPDATE email_outbox SET next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
    let done = outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!(done.sent, 1);
    let (status, attempts, error, _) = row(&app, id).await;
    assert_eq!((status.as_str(), attempts, error), ("sent", 2, None));
    assert_eq!(ses.sent().len(), 1);
}

#[tokio::test]
async fn a_refused_message_or_one_out_of_attempts_is_marked_failed() {
    let app = spawn_app().await;
    let ses = Ses::start().await;
    let transport = ses.transport(None);
    let rejected = queue(&app, "unverified@example.org").await;
    ses.set_mode(Mode::Reject);
    let done = outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!(done.failed, 1);
    assert_eq!(row(&app, rejected).await.0, "failed");

    let tired = queue(&app, "ada@example.org").await;
    sqlx::query("UPDATE email_outbox SET attempts = $2 WHERE id = $1")
        .bind(tired)
        .bind(MAX_ATTEMPTS - 1)
        .execute(&app.db)
        .await
        .unwrap();
    ses.set_mode(Mode::Unavailable);
    let done = outbox::deliver_due(&app.db, &transport, FROM, None, 10)
        .await
        .unwrap();
    assert_eq!(done.failed, 1);
    assert_eq!(row(&app, tired).await.0, "failed");
}

#[tokio::test]
async fn concurrent_senders_deliver_each_message_once() {
    let app = spawn_app().await;
    let ses = Ses::start().await;
    let transport = ses.transport(None);
    for i in 0..30 {
        queue(&app, &format!("m{i}@example.org")).await;
    }
    let (a, b, c) = tokio::join!(
        outbox::deliver_due(&app.db, &transport, FROM, None, 30),
        outbox::deliver_due(&app.db, &transport, FROM, None, 30),
        outbox::deliver_due(&app.db, &transport, FROM, None, 30),
    );
    let total = a.unwrap().sent + b.unwrap().sent + c.unwrap().sent;
    assert_eq!(total, 30);
    assert_eq!(ses.sent().len(), 30);
}

#[tokio::test]
async fn the_mail_folder_gets_one_eml_per_message_and_retries_when_it_cannot_write() {
    let app = spawn_app().await;
    let blocked = app.mail_dir.with_file_name("not-a-folder");
    std::fs::write(&blocked, "a file where the folder should be").unwrap();
    let id = queue(&app, "ada@example.org").await;
    let done = outbox::deliver_due(&app.db, &Transport::Directory(blocked), FROM, None, 10)
        .await
        .unwrap();
    assert_eq!(done.retrying, 1);
    assert_eq!(row(&app, id).await.0, "pending");

    sqlx::query("UPDATE email_outbox SET next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
    let summary = loaf_jobs::send_email(&app.db, &app.state.mailer)
        .await
        .unwrap();
    assert_eq!(summary.sent, 1);
    let files: Vec<_> = std::fs::read_dir(&app.mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("To: ada@example.org\r\n"), "{eml}");
    assert!(eml.contains("Content-Type: multipart/alternative"));
}
