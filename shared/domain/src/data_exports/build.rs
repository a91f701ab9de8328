//! What an export holds, read for the jobs function's builder: the
//! export's row (claimed, failed, ready), the person's account with their
//! consents, each part of their history as JSON rows streamed from the
//! database, and the photos they uploaded. Like an erasure, it reads every
//! table that holds something of a person, so its statements are here
//! together rather than with each table's own.

use futures_util::stream::BoxStream;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// An export claimed for building.
#[derive(Debug)]
pub struct Job {
    pub id: Uuid,
    /// Whose data.
    pub user_id: Uuid,
    /// Who asked, when not the person.
    pub requested_by: Option<Uuid>,
}

/// Claims the oldest waiting export (or one whose builder died more than
/// 15 minutes ago), counting the attempt.
pub async fn claim(conn: &mut PgConnection) -> sqlx::Result<Option<Job>> {
    sqlx::query_as!(
        Job,
        "UPDATE data_exports SET status = 'running', started_at = now(), attempts = attempts + 1 \
         WHERE id = (SELECT id FROM data_exports \
                     WHERE status = 'pending' \
                        OR (status = 'running' AND started_at < now() - interval '15 minutes') \
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, user_id, requested_by",
    )
    .fetch_optional(conn)
    .await
}

/// Export `id` failed with `error`: it waits for another attempt, or is
/// `failed` after `max_attempts`.
pub async fn failed(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    max_attempts: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE data_exports SET error = $2, \
             status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END \
         WHERE id = $1",
        id,
        error,
        max_attempts,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What a built archive holds.
#[derive(Debug)]
pub struct Built {
    pub key: String,
    pub size_bytes: i64,
    pub records: i64,
    pub files: i32,
}

/// Export `id` is ready as `built`; `false` when the export is gone (its
/// person was erased while it was being built).
pub async fn ready(conn: &mut PgConnection, id: Uuid, built: &Built) -> sqlx::Result<bool> {
    let marked = sqlx::query!(
        "UPDATE data_exports SET status = 'ready', ready_at = now(), file_key = $2, \
             size_bytes = $3, records = $4, files = $5, error = NULL WHERE id = $1",
        id,
        built.key,
        built.size_bytes,
        built.records,
        built.files,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(marked > 0)
}

/// Who the ready mail goes to (`asker`) and whom it is about (`subject`).
#[derive(Debug)]
pub struct People {
    pub email: String,
    pub asker_name: String,
    /// The person's full name.
    pub subject: String,
}

/// The asker's address and first name, and the person's full name.
pub async fn people(conn: &mut PgConnection, asker: Uuid, subject: Uuid) -> sqlx::Result<People> {
    sqlx::query_as!(
        People,
        r#"SELECT a.email, a.first_name AS asker_name,
                  trim(concat_ws(' ', s.first_name, s.last_name)) AS "subject!"
           FROM users a, users s WHERE a.id = $1 AND s.id = $2"#,
        asker,
        subject,
    )
    .fetch_one(conn)
    .await
}

/// `user`'s account: status, role, dates, and their consents with when
/// each changed.
pub async fn account(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Value> {
    sqlx::query_scalar!(
        r#"SELECT jsonb_build_object(
               'id', u.id, 'email', u.email, 'status', u.status, 'role', r.code,
               'email_verified', u.email_verified, 'member_since', u.member_since,
               'validated_at', u.validated_at, 'registered_at', u.created_at,
               'last_login_at', u.last_login_at,
               'consents', jsonb_build_object(
                   'terms', jsonb_build_object('accepted', u.accepts_tos,
                       'version', u.tos_version, 'accepted_at', u.tos_accepted_at),
                   'newsletter', jsonb_build_object('subscribed', u.newsletter_subscribed,
                       'publish_name', u.newsletter_publish_name,
                       'publish_photo', u.newsletter_publish_photo,
                       'publish_birthday', u.newsletter_publish_birthday),
                   'directory', jsonb_build_object('listed', u.show_in_directory)),
               'consent_changes', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                       'at', a.created_at, 'what', a.to_value) ORDER BY a.created_at), '[]')
                   FROM audit_log a WHERE a.subject_id = u.id AND a.action = 'profile'
                     AND (a.to_value LIKE '%newsletter%' OR a.to_value LIKE '%directory%')),
               'email_state', (SELECT to_jsonb(s) - 'address' FROM email_suppressions s
                   WHERE s.address = lower(u.email)),
               'calendar_feed_since', (SELECT c.created_at FROM calendar_tokens c WHERE c.user_id = u.id)
           ) AS "account!"
           FROM users u LEFT JOIN roles r ON r.id = u.role_id WHERE u.id = $1"#,
        user,
    )
    .fetch_one(conn)
    .await
}

/// A part of a person's history, a file of the archive each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Memberships,
    PromisedPayments,
    Gifts,
    Refunds,
    Events,
    Sessions,
    Invitations,
    Emails,
    RecordOfChanges,
}

impl Part {
    /// Every part, in the archive's order.
    pub const ALL: [Part; 9] = [
        Part::Memberships,
        Part::PromisedPayments,
        Part::Gifts,
        Part::Refunds,
        Part::Events,
        Part::Sessions,
        Part::Invitations,
        Part::Emails,
        Part::RecordOfChanges,
    ];

    /// Its file in the archive.
    pub fn file_name(self) -> &'static str {
        match self {
            Part::Memberships => "memberships.json",
            Part::PromisedPayments => "promised_payments.json",
            Part::Gifts => "gifts.json",
            Part::Refunds => "refunds.json",
            Part::Events => "events.json",
            Part::Sessions => "sessions.json",
            Part::Invitations => "invitations.json",
            Part::Emails => "emails.json",
            Part::RecordOfChanges => "record_of_changes.json",
        }
    }
}

/// `user`'s rows of `part`, as JSON, streamed in order.
pub fn rows<'c>(
    conn: &'c mut PgConnection,
    part: Part,
    user: Uuid,
) -> BoxStream<'c, sqlx::Result<Option<Value>>> {
    match part {
        Part::Memberships => sqlx::query_scalar!(
        r#"SELECT to_jsonb(s) || jsonb_build_object('plan', p.name) AS "row"
           FROM subscriptions s JOIN subscription_plans p ON p.id = s.plan_id
           WHERE s.user_id = $1 ORDER BY s.start_date"#,
        user,
    )
        .fetch(conn),
        Part::PromisedPayments => sqlx::query_scalar!(
        r#"SELECT to_jsonb(p) AS "row" FROM pending_payments p WHERE p.user_id = $1
           ORDER BY p.created_at"#,
        user,
    )
        .fetch(conn),
        Part::Gifts => sqlx::query_scalar!(
        r#"SELECT to_jsonb(d) AS "row" FROM donations d JOIN users u ON u.id = $1
           WHERE d.user_id = u.id OR lower(d.donor_email) = lower(u.email)
           ORDER BY d.created_at"#,
        user,
    )
        .fetch(conn),
        Part::Refunds => sqlx::query_scalar!(
        r#"SELECT to_jsonb(r) AS "row" FROM payment_refunds r
           LEFT JOIN subscriptions s ON s.id = r.subscription_id
           LEFT JOIN donations d ON d.id = r.donation_id
           WHERE s.user_id = $1 OR d.user_id = $1 ORDER BY r.created_at"#,
        user,
    )
        .fetch(conn),
        Part::Events => sqlx::query_scalar!(
        r#"SELECT jsonb_build_object('event', e.title, 'starts_at', e.start_at,
               'answer', r.rsvp_status, 'waitlisted', r.waitlisted, 'attended', r.attended,
               'attended_at', r.attended_at, 'answered_at', r.created_at,
               'changed_at', r.updated_at) AS "row"
           FROM event_rsvps r JOIN events e ON e.id = r.event_id
           WHERE r.user_id = $1 ORDER BY e.start_at"#,
        user,
    )
        .fetch(conn),
        Part::Sessions => sqlx::query_scalar!(
        r#"SELECT jsonb_build_object('family', family_id, 'created_at', created_at,
               'expires_at', expires_at, 'used_at', used_at, 'revoked_at', revoked_at) AS "row"
           FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at"#,
        user,
    )
        .fetch(conn),
        Part::Invitations => sqlx::query_scalar!(
        r#"SELECT to_jsonb(i) - 'token' AS "row" FROM user_invitations i JOIN users u ON u.id = $1
           WHERE lower(i.email) = lower(u.email) OR i.accepted_by = u.id
           ORDER BY i.invited_at"#,
        user,
    )
        .fetch(conn),
        Part::Emails => sqlx::query_scalar!(
        r#"SELECT jsonb_build_object('kind', o.kind, 'subject', o.subject, 'status', o.status,
               'queued_at', o.created_at, 'sent_at', o.sent_at, 'text', o.text_body) AS "row"
           FROM email_outbox o JOIN users u ON u.id = $1
           WHERE lower(o.to_address) = lower(u.email) ORDER BY o.created_at"#,
        user,
    )
        .fetch(conn),
        Part::RecordOfChanges => sqlx::query_scalar!(
        r#"SELECT jsonb_build_object('at', a.created_at, 'action', a.action,
               'target', a.target_type, 'by', COALESCE(
                   NULLIF(trim(concat_ws(' ', p.first_name, p.last_name)), ''), a.actor_job),
               'from', a.from_value, 'to', a.to_value, 'reason', a.reason,
               'changes', a.changes) AS "row"
           FROM audit_log a LEFT JOIN users p ON p.id = a.actor_id
           WHERE a.subject_id = $1 ORDER BY a.created_at, a.id"#,
        user,
    )
        .fetch(conn),
    }
}

/// The objects of the gallery photos `user` uploaded, oldest first.
pub async fn photo_keys(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT image_key FROM event_galleries WHERE uploaded_by = $1 ORDER BY created_at",
        user,
    )
    .fetch_all(conn)
    .await
}
