//! Erasing a person: their identifying data removed or anonymised
//! everywhere the platform keeps it, while the financial records (their
//! subscriptions, gifts, refunds, receipt numbers) stay, pointing at the
//! anonymised account, for the retention period the organisation sets;
//! after it the daily job anonymises what is left of those too
//! ([`anonymise_past_retention`]).
//!
//! The account row stays as a tombstone (so the financial rows keep their
//! owner and the totals stay right): its address becomes
//! `erased-<id>@erased.invalid`, its name "Erased member", every other
//! personal field empty, its status `inactive`, its password unusable.
//!
//! [`erase`] runs in the caller's transaction (attributed to whoever asked)
//! and answers the storage keys to delete once it commits: the S3 side
//! cannot roll back, so it happens after ([`delete_files`]).

use crate::audit;
use crate::auth::other_superadmins;
use crate::uploads;
use chrono::{DateTime, Utc};
use loaf_core::db::like_contains;
use loaf_core::storage::Storage;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error("no such account")]
    NotFound,
    #[error("this account is erased already")]
    AlreadyErased,
    #[error("the last superadmin who can sign in cannot be erased")]
    LastSuperadmin,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Who asked for an erasure, for the trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AskedBy {
    /// The person, through the link sent to their address.
    Themselves,
    /// An admin holding `users.delete`.
    Admin,
}

/// What an erasure leaves to do after its transaction commits.
#[derive(Debug)]
pub struct Erased {
    pub user_id: Uuid,
    /// The person's address before, to drop from the import files.
    pub former_email: String,
    /// Their gallery photos, queued for deletion.
    pub queued: Vec<String>,
}

/// Where the files made for one person live (their receipts as PDF, their
/// data export), so that erasing them finds every one.
pub fn files_prefix(user_id: Uuid) -> String {
    format!("exports/people/{user_id}/")
}

/// Erases `user_id` inside the caller's transaction.
pub async fn erase(
    conn: &mut PgConnection,
    user_id: Uuid,
    asked_by: AskedBy,
) -> Result<Erased, ErasureError> {
    let person = sqlx::query!(
        r#"SELECT u.email, u.erased_at IS NOT NULL AS "erased!",
                  trim(concat_ws(' ', u.first_name, u.last_name)) AS "name!",
                  COALESCE(r.code = 'superadmin', false) AS "superadmin!"
           FROM users u LEFT JOIN roles r ON r.id = u.role_id
           WHERE u.id = $1 FOR UPDATE OF u"#,
        user_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ErasureError::NotFound)?;
    if person.erased {
        return Err(ErasureError::AlreadyErased);
    }
    if person.superadmin && other_superadmins(conn, user_id).await? == 0 {
        return Err(ErasureError::LastSuperadmin);
    }
    let email = person.email.to_lowercase();

    // The rows about them that outlive the erasure: their entries in the
    // trail are found through these.
    let related: Vec<Uuid> = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM subscriptions WHERE user_id = $1
           UNION ALL SELECT id FROM donations WHERE user_id = $1 OR lower(donor_email) = $2
           UNION ALL SELECT id FROM pending_payments WHERE user_id = $1
           UNION ALL SELECT id FROM user_invitations WHERE lower(email) = $2 OR accepted_by = $1
           UNION ALL SELECT r.id FROM payment_refunds r
               LEFT JOIN subscriptions s ON s.id = r.subscription_id
               LEFT JOIN donations d ON d.id = r.donation_id
               WHERE s.user_id = $1 OR d.user_id = $1 OR lower(d.donor_email) = $2
           UNION ALL SELECT id FROM event_galleries WHERE uploaded_by = $1"#,
        user_id,
        email,
    )
    .fetch_all(&mut *conn)
    .await?;

    // The financial records keep amounts, dates, numbers and methods;
    // what they said about the person goes.
    sqlx::query!(
        "UPDATE donations SET donor_email = NULL, donor_name = NULL, message = NULL, \
             dedication = NULL, notes = NULL, anonymous = true, updated_at = now() \
         WHERE user_id = $1 OR lower(donor_email) = $2",
        user_id,
        email,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE subscriptions SET manual_payment_notes = NULL, cancellation_reason = NULL, \
             stripe_customer_id = NULL, updated_at = now() WHERE user_id = $1",
        user_id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE pending_payments SET cancel_reason = NULL WHERE user_id = $1",
        user_id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE payment_refunds SET reason = 'erased' WHERE id = ANY($1)",
        &related,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE user_invitations SET email = 'erased-' || id || '@erased.invalid', \
             first_name = NULL, last_name = NULL, phone = NULL \
         WHERE lower(email) = $1 OR accepted_by = $2",
        email,
        user_id,
    )
    .execute(&mut *conn)
    .await?;
    // Their photos in the galleries go, their objects queued for deletion.
    let photos = sqlx::query!(
        "DELETE FROM event_galleries WHERE uploaded_by = $1 RETURNING image_key, file_size_bytes",
        user_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut queued = Vec::with_capacity(photos.len());
    for photo in photos {
        uploads::forget(conn, &photo.image_key, photo.file_size_bytes).await?;
        queued.push(photo.image_key);
    }

    // Every way back to them: sessions, links, calendar feed, throttles,
    // the mark on their address, the mail to them or naming them.
    for statement in [
        sqlx::query!("DELETE FROM refresh_tokens WHERE user_id = $1", user_id),
        sqlx::query!("DELETE FROM account_tokens WHERE user_id = $1", user_id),
        sqlx::query!("DELETE FROM calendar_tokens WHERE user_id = $1", user_id),
    ] {
        statement.execute(&mut *conn).await?;
    }
    let pattern = like_contains(&email);
    let name_pattern = like_contains(&person.name);
    sqlx::query!(
        "DELETE FROM login_throttle WHERE lower(key) LIKE $1",
        pattern
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("DELETE FROM rate_limits WHERE lower(key) LIKE $1", pattern)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE donation_statements SET donor_key = 'erased:' || id WHERE donor_key = 'email:' || $1",
        email,
    )
    .execute(&mut *conn)
    .await?;
    // Their exports' archives go with their prefix (below, after commit).
    sqlx::query!("DELETE FROM data_exports WHERE user_id = $1", user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("DELETE FROM email_suppressions WHERE address = $1", email)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "DELETE FROM email_outbox WHERE lower(to_address) = $1 \
             OR lower(text_body) LIKE $2 OR text_body LIKE $3",
        email,
        pattern,
        name_pattern,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE import_jobs SET errors = (SELECT COALESCE(jsonb_agg(e), '[]') \
             FROM jsonb_array_elements(errors) e WHERE lower(e::text) NOT LIKE $1) \
         WHERE lower(errors::text) LIKE $1",
        pattern,
    )
    .execute(&mut *conn)
    .await?;

    // The account itself, a tombstone from now on.
    sqlx::query!(
        "UPDATE users SET email = 'erased-' || id || '@erased.invalid', password_hash = '!', \
             first_name = 'Erased', last_name = 'member', phone = NULL, address = NULL, \
             city = NULL, state = NULL, zipcode = NULL, date_of_birth = NULL, \
             lead_sources = '[]', referred_by_member_name = NULL, partner_first_name = NULL, \
             partner_last_name = NULL, partner_is_member = false, \
             partner_plan_to_become_member = false, emergency_contact_name = NULL, \
             emergency_contact_phone = NULL, emergency_contact_relationship = NULL, \
             interests = '[]', volunteer_interests = '[]', scholarship_requested = false, \
             scholarship_reason = NULL, newsletter_subscribed = false, \
             newsletter_publish_name = false, newsletter_publish_photo = false, \
             newsletter_publish_birthday = false, show_in_directory = false, \
             directory_email = NULL, directory_bio = NULL, directory_address = NULL, \
             directory_phone = NULL, directory_dob = NULL, directory_partner_name = NULL, \
             profile_photo_url = NULL, social_media_facebook = NULL, \
             social_media_instagram = NULL, social_media_twitter = NULL, \
             social_media_linkedin = NULL, status = 'inactive', email_verified = false, \
             email_verification_token = NULL, password_reset_token = NULL, \
             rejection_reason = NULL, token_version = token_version + 1, \
             erased_at = now(), updated_at = now() \
         WHERE id = $1",
        user_id,
    )
    .execute(&mut *conn)
    .await?;

    // Last, so it covers the entries the statements above just wrote: the
    // trail keeps what happened and when, not the values about them.
    sqlx::query!(
        "UPDATE audit_log SET from_value = NULL, to_value = NULL, reason = NULL, \
             changes = (SELECT jsonb_object_agg(key, '\"[erased]\"'::jsonb) \
                        FROM jsonb_each(changes)) \
         WHERE subject_id = $1 OR target_id = $1 OR target_id = ANY($2) \
            OR lower(changes::text) LIKE $3",
        user_id,
        &related,
        pattern,
    )
    .execute(&mut *conn)
    .await?;
    audit::note(
        conn,
        "erasure",
        "member",
        Some(user_id),
        Some(user_id),
        serde_json::json!({ "asked_by": asked_by }),
    )
    .await?;
    Ok(Erased {
        user_id,
        former_email: email,
        queued,
    })
}

/// After [`erase`] commits: deletes the person's gallery photos (queued by
/// the erasure), the files made for them, and their rows in the import
/// files the organisation uploaded. Answers how many objects changed.
pub async fn delete_files(
    db: &PgPool,
    storage: &Storage,
    erased: &Erased,
) -> Result<u64, ErasureFilesError> {
    let mut changed = uploads::delete_now(db, storage, Some(&erased.queued)).await?;
    for (key, _) in storage.list(&files_prefix(erased.user_id)).await? {
        storage.delete(&key).await?;
        changed += 1;
    }
    for (key, _) in storage.list("imports/").await? {
        let Some(bytes) = storage.get_bytes(&key, i64::MAX).await? else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let kept: Vec<&str> = text
            .split_inclusive('\n')
            .filter(|line| !line.to_lowercase().contains(&erased.former_email))
            .collect();
        if kept.len() < text.split_inclusive('\n').count() {
            storage
                .put_bytes(&key, "text/csv", kept.concat().into_bytes())
                .await?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[derive(Debug, thiserror::Error)]
pub enum ErasureFilesError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] loaf_core::storage::StorageError),
}

/// The daily job, as of `at`: the financial records of people erased longer
/// ago than the organisation's retention period lose what still ties them to a payment account (the provider's
/// references), and the tombstone its remaining dates; each person once.
/// Counting from the erasure keeps every record at least `years` after its
/// own date. Answers how many people it finished.
pub async fn anonymise_past_retention(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query_scalar!(
        r#"WITH due AS (
               UPDATE users SET records_anonymised_at = now(), member_since = NULL,
                   validated_at = NULL, last_login_at = NULL, tos_accepted_at = NULL,
                   updated_at = now()
               WHERE erased_at < $1::timestamptz - make_interval(
                         years => (SELECT record_retention_years FROM organisation_settings))
                 AND records_anonymised_at IS NULL
               RETURNING id),
           subs AS (
               UPDATE subscriptions s SET stripe_subscription_id = NULL, updated_at = now()
               FROM due WHERE s.user_id = due.id AND s.stripe_subscription_id IS NOT NULL),
           gifts AS (
               UPDATE donations d SET stripe_checkout_session_id = NULL,
                   stripe_payment_intent_id = NULL, updated_at = now()
               FROM due WHERE d.user_id = due.id
                 AND (d.stripe_checkout_session_id IS NOT NULL
                      OR d.stripe_payment_intent_id IS NOT NULL)),
           checkouts AS (
               UPDATE membership_checkouts c SET provider_session_id = NULL,
                   payment_intent_id = NULL
               FROM due WHERE c.user_id = due.id)
           SELECT count(*) AS "n!" FROM due"#,
        at,
    )
    .fetch_one(conn)
    .await?;
    Ok(done as u64)
}
