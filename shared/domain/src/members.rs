//! Members as stored (`users`): the statements other aggregates' rules
//! need about a person. The members' own routes (profiles, lists, status
//! changes) keep theirs in the members function for now.

use crate::domain::UserStatus;
use sqlx::PgConnection;
use uuid::Uuid;

/// Member `id`'s full name and address.
pub async fn name_and_email(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query!(
        "SELECT trim(concat_ws(' ', first_name, last_name)) AS \"name!\", email FROM users WHERE id = $1",
        id,
    )
    .map(|r| (r.name, r.email))
    .fetch_optional(conn)
    .await
}

/// Member `id`'s status.
pub async fn status_of(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserStatus>> {
    sqlx::query_scalar!(
        "SELECT status AS \"status: loaf_domain::domain::UserStatus\" FROM users WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// Whether an account has the address `email` (lower case).
pub async fn email_taken(conn: &mut PgConnection, email: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1) AS \"n!\"",
        email,
    )
    .fetch_one(conn)
    .await
}

/// The account an accepted invitation makes.
#[derive(Debug)]
pub struct Invited<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub role_id: Option<Uuid>,
    /// The inviter, who stands for the validation.
    pub validated_by: Option<Uuid>,
    /// The terms accepted.
    pub terms_version: &'a str,
}

/// Creates the account of an accepted invitation: the address confirmed
/// and validated by the inviter, so it starts in `payment_pending`.
/// `None`: an account has the address.
pub async fn create_invited(
    conn: &mut PgConnection,
    invited: &Invited<'_>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role_id, \
                            email_verified, validated_at, validated_by, accepts_tos, tos_accepted_at, tos_version) \
         VALUES (lower($1), $2, $3, $4, 'payment_pending', $5, true, now(), $6, true, now(), $7) \
         ON CONFLICT DO NOTHING RETURNING id",
        invited.email,
        invited.password_hash,
        invited.first_name,
        invited.last_name,
        invited.role_id,
        invited.validated_by,
        invited.terms_version,
    )
    .fetch_optional(conn)
    .await
}
