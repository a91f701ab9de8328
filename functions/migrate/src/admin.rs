//! Creating a superadmin: the seed guide's `create_admin.py`, for the
//! migrate function's bootstrap input and `loaf create-admin`.

use loaf_domain::audit::{act_as, Actor};
use loaf_domain::auth::password;
use loaf_domain::domain::Email;
use serde::Deserialize;
use sqlx::{Connection, PgConnection};

/// A superadmin to create. Deserialising does not validate; [`NewAdmin::validate`] does.
#[derive(Clone, Deserialize)]
pub struct NewAdmin {
    pub email: String,
    pub password: String,
    #[serde(default = "default_first_name")]
    pub first_name: String,
    #[serde(default = "default_last_name")]
    pub last_name: String,
}

fn default_first_name() -> String {
    "Super".into()
}

fn default_last_name() -> String {
    "Admin".into()
}

impl std::fmt::Debug for NewAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAdmin")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish()
    }
}

/// Why a superadmin was not created; each names the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("email: {0}")]
    Email(String),
    #[error("password: {0}")]
    Password(String),
    #[error("{field}: {message}")]
    Name {
        field: &'static str,
        message: &'static str,
    },
    #[error("email: an account with {0} already exists")]
    Exists(String),
    #[error("the superadmin role is missing: run migrate first")]
    NoRole,
}

/// A [`NewAdmin`] whose fields passed every check.
pub struct ValidAdmin {
    email: Email,
    password: String,
    first_name: String,
    last_name: String,
}

impl NewAdmin {
    /// Checks the email's form, the password policy and the names.
    pub fn validate(&self) -> Result<ValidAdmin, AdminError> {
        let email = Email::parse(&self.email).map_err(|e| AdminError::Email(e.to_string()))?;
        password::check_policy(&self.password, email.as_str())
            .map_err(|e| AdminError::Password(e.to_string()))?;
        let name = |field: &'static str, value: &str| -> Result<String, AdminError> {
            let value = value.trim();
            if value.is_empty() {
                return Err(AdminError::Name {
                    field,
                    message: "is required",
                });
            }
            if value.chars().count() > 100 {
                return Err(AdminError::Name {
                    field,
                    message: "has at most 100 characters",
                });
            }
            Ok(value.to_string())
        };
        Ok(ValidAdmin {
            first_name: name("first_name", &self.first_name)?,
            last_name: name("last_name", &self.last_name)?,
            password: self.password.clone(),
            email,
        })
    }
}

/// `true` when some user holds the superadmin role.
pub async fn superadmin_exists(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE r.code = 'superadmin') AS \"n!\"",
    )
    .fetch_one(conn)
    .await
}

/// Creates an active, verified superadmin. Refuses an email already in use.
pub async fn create_superadmin(
    conn: &mut PgConnection,
    new: &NewAdmin,
) -> Result<(), super::Error> {
    let admin = new.validate()?;
    let hash = password::hash(admin.password.clone())
        .await
        .map_err(super::Error::Hashing)?;
    let mut tx = conn.begin().await?;
    act_as(&mut tx, Actor::Setup).await?;
    let role_id: Option<uuid::Uuid> =
        sqlx::query_scalar!("SELECT id FROM roles WHERE code = 'superadmin'",)
            .fetch_optional(&mut *tx)
            .await?;
    let role_id = role_id.ok_or(AdminError::NoRole)?;
    let inserted = sqlx::query!(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role_id, \
                            email_verified, member_since, validated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, TRUE, now(), now()) \
         ON CONFLICT DO NOTHING",
        admin.email.as_str(),
        hash,
        admin.first_name,
        admin.last_name,
        role_id,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AdminError::Exists(admin.email.to_string()).into());
    }
    tx.commit().await?;
    tracing::info!(email = %admin.email, "superadmin created");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(email: &str, password: &str, first: &str) -> NewAdmin {
        NewAdmin {
            email: email.into(),
            password: password.into(),
            first_name: first.into(),
            last_name: "Admin".into(),
        }
    }

    #[test]
    fn refuses_each_bad_field() {
        let ok = "a long and unusual passphrase";
        assert!(matches!(
            admin("nope", ok, "A").validate(),
            Err(AdminError::Email(_))
        ));
        assert!(matches!(
            admin("a@b.org", "password1", "A").validate(),
            Err(AdminError::Password(_))
        ));
        assert!(matches!(
            admin("a@b.org", "short", "A").validate(),
            Err(AdminError::Password(_))
        ));
        assert!(matches!(
            admin("a@b.org", ok, "  ").validate(),
            Err(AdminError::Name {
                field: "first_name",
                ..
            })
        ));
        assert!(admin("A@B.org", ok, "Ada").validate().is_ok());
    }

    #[test]
    fn debug_hides_the_password() {
        let text = format!("{:?}", admin("a@b.org", "hunter2hunter2", "A"));
        assert!(!text.contains("hunter2"));
    }
}
