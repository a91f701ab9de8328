//! The transactional outbox: an email is a row written in the same
//! transaction as the change that causes it, so it exists exactly when the
//! change committed. Senders deliver due rows, retrying with backoff; a
//! provider outage delays mail and loses none.

use super::transport::{Outgoing, Transport};
use super::Mail;
use loaf_core::config::EmailConfig;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// Attempts before a message is marked `failed` (about six hours of retries).
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a claimed row stays invisible to other senders.
const LEASE: Duration = Duration::from_secs(300);

/// Queues `mail` to `to` inside the caller's transaction.
pub async fn enqueue(
    conn: &mut PgConnection,
    cfg: &EmailConfig,
    to: &str,
    mail: &Mail,
) -> Result<Uuid, sqlx::Error> {
    let r = mail.render(cfg);
    sqlx::query_scalar!(
        "INSERT INTO email_outbox (kind, to_address, subject, text_body, html_body) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        r.kind,
        to,
        &r.subject,
        &r.text,
        &r.html,
    )
    .fetch_one(conn)
    .await
}

/// Queues `mail` to `to` when `send`, else writes nothing, by one and the
/// same statement: for flows whose timing must not tell which happened.
pub async fn enqueue_if(
    conn: &mut PgConnection,
    cfg: &EmailConfig,
    to: &str,
    mail: &Mail,
    send: bool,
) -> Result<Option<Uuid>, sqlx::Error> {
    let r = mail.render(cfg);
    sqlx::query_scalar!(
        "INSERT INTO email_outbox (kind, to_address, subject, text_body, html_body) \
         SELECT $1, $2, $3, $4, $5 WHERE $6 RETURNING id",
        r.kind,
        to,
        &r.subject,
        &r.text,
        &r.html,
        send,
    )
    .fetch_optional(conn)
    .await
}

/// Queues many emails in one statement inside the caller's transaction (an
/// import's invitations); answers their ids.
pub async fn enqueue_many(
    conn: &mut PgConnection,
    cfg: &EmailConfig,
    mails: &[(String, Mail)],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut columns: [Vec<String>; 5] = Default::default();
    for (to, mail) in mails {
        let r = mail.render(cfg);
        columns[0].push(r.kind.to_string());
        columns[1].push(to.clone());
        columns[2].push(r.subject);
        columns[3].push(r.text);
        columns[4].push(r.html);
    }
    let [kinds, tos, subjects, texts, htmls] = columns;
    sqlx::query_scalar!(
        "INSERT INTO email_outbox (kind, to_address, subject, text_body, html_body) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
         RETURNING id",
        &kinds,
        &tos,
        &subjects,
        &texts,
        &htmls,
    )
    .fetch_all(conn)
    .await
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub sent: u32,
    /// Failed this time, scheduled again.
    pub retrying: u32,
    /// Given up: refused by the provider or out of attempts.
    pub failed: u32,
    /// Not sent, ever: the address bounced or complained
    /// (`email::suppressions`).
    pub suppressed: u32,
}

/// The delay before attempt `attempts + 1`: 30 s doubling, at most 2 hours.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs((30u64 << exp).min(7200))
}

struct Claimed {
    id: Uuid,
    kind: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i32,
}

/// Delivers up to `limit` due messages (only those in `only`, when given),
/// oldest first. Claims are leases, so concurrent senders never send one
/// message twice and a sender that dies mid-way delays its claims only.
pub async fn deliver_due(
    db: &PgPool,
    transport: &Transport,
    from: &str,
    only: Option<&[Uuid]>,
    limit: i64,
) -> Result<Delivery, sqlx::Error> {
    // Mail to an address the provider reported is never sent (sending it
    // again would hurt the sender's reputation with every mailbox).
    let suppressed = sqlx::query!(
        "UPDATE email_outbox o SET status = 'suppressed', \
             last_error = 'not sent: the address ' || CASE s.reason WHEN 'bounce' THEN 'bounced' \
                 ELSE 'reported our mail as spam' END \
         FROM email_suppressions s \
         WHERE o.status = 'pending' AND s.address = lower(o.to_address) \
           AND ($1::uuid[] IS NULL OR o.id = ANY($1))",
        only,
    )
    .execute(db)
    .await?
    .rows_affected();
    let claimed: Vec<Claimed> = sqlx::query_as!(
        Claimed,
        "UPDATE email_outbox o \
         SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $3) \
         FROM (SELECT id FROM email_outbox \
               WHERE status = 'pending' AND next_attempt_at <= now() \
                 AND ($1::uuid[] IS NULL OR id = ANY($1)) \
               ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) due \
         WHERE o.id = due.id \
         RETURNING o.id, o.kind, o.to_address, o.subject, o.text_body, o.html_body, o.attempts",
        only,
        limit,
        LEASE.as_secs_f64(),
    )
    .fetch_all(db)
    .await?;
    let mut done = Delivery {
        suppressed: suppressed as u32,
        ..Delivery::default()
    };
    for row in claimed {
        let msg = Outgoing {
            id: row.id,
            kind: row.kind,
            to: row.to_address,
            subject: row.subject,
            text: row.text_body,
            html: row.html_body,
        };
        match transport.send(from, &msg).await {
            Ok(provider_id) => {
                sqlx::query!(
                    "UPDATE email_outbox SET status = 'sent', sent_at = now(), \
                     provider_message_id = $2, last_error = NULL WHERE id = $1",
                    msg.id,
                    provider_id,
                )
                .execute(db)
                .await?;
                done.sent += 1;
            }
            Err(err) => {
                let give_up = err.permanent || row.attempts >= MAX_ATTEMPTS;
                tracing::warn!(id = %msg.id, kind = %msg.kind, attempts = row.attempts, give_up, error = %err, "email not sent");
                sqlx::query!(
                    "UPDATE email_outbox SET last_error = $2, \
                     status = CASE WHEN $3 THEN 'failed' ELSE status END, \
                     next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1",
                    msg.id,
                    err.message.chars().take(2000).collect::<String>(),
                    give_up,
                    backoff(row.attempts).as_secs_f64(),
                )
                .execute(db)
                .await?;
                if give_up {
                    done.failed += 1;
                } else {
                    done.retrying += 1;
                }
            }
        }
    }
    Ok(done)
}

/// Deletes mail sent more than 90 days ago (failed mail stays for an admin
/// to look at); answers how many.
pub async fn delete_old_sent(db: &sqlx::PgPool) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM email_outbox WHERE status = 'sent' AND sent_at < now() - interval '90 days'"
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(5), Duration::from_secs(480));
        assert_eq!(backoff(9), Duration::from_secs(7200));
        assert_eq!(backoff(40), Duration::from_secs(7200));
    }
}
