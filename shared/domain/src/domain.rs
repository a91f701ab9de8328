//! Types that carry the rules: a value of these types is valid by
//! construction, so handlers never re-check.

use loaf_core::error_code::ErrorCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address, trimmed and lower-cased (addresses are compared
/// case-insensitively everywhere), at most 254 characters, one `@`, a
/// non-empty local part and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(transparent)]
#[schemars(extend("format" = "email", "maxLength" = 254))]
pub struct Email(String);

/// Why a string is not an [`Email`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEmail(&'static str);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(InvalidEmail("Enter an email address."));
        }
        if email.chars().count() > 254 {
            return Err(InvalidEmail("An email address has at most 254 characters."));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(InvalidEmail("An email address needs an @."));
        };
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c));
        if !(local_ok && domain_ok) {
            return Err(InvalidEmail(
                "Enter a valid email address, like name@example.org.",
            ));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Email::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Whole cents as a decimal amount: `2550` → `25.50`. Amounts are kept in
/// cents everywhere; this is how messages, receipts and exports show them.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (cents / 100).abs(), (cents % 100).abs())
}

/// The `userstatus` enum: where a person is in the membership lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, JsonSchema,
)]
#[sqlx(type_name = "userstatus", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    PendingEmail,
    PendingValidation,
    PreValidated,
    PaymentPending,
    Active,
    Inactive,
    Canceled,
    Expired,
    Abandoned,
    Rejected,
}

impl UserStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [UserStatus; 10] = [
        UserStatus::PendingEmail,
        UserStatus::PendingValidation,
        UserStatus::PreValidated,
        UserStatus::PaymentPending,
        UserStatus::Active,
        UserStatus::Inactive,
        UserStatus::Canceled,
        UserStatus::Expired,
        UserStatus::Abandoned,
        UserStatus::Rejected,
    ];

    /// Whether `POST /api/members/{id}/status` may move a member from this
    /// status to `to`: the lifecycle's transition table. Validation
    /// (→ `payment_pending`) and rejection have their own routes, because
    /// they notify the applicant; `active` normally follows a payment.
    pub fn may_become(self, to: UserStatus) -> bool {
        use UserStatus::*;
        matches!(
            (self, to),
            (PendingEmail, PendingValidation | Abandoned | Inactive)
                | (Abandoned, PendingEmail | Inactive)
                | (PendingValidation, PreValidated | Abandoned | Inactive)
                | (PreValidated, PendingValidation | Inactive)
                | (PaymentPending, Active | Inactive)
                | (Active, Expired | Inactive | Canceled)
                | (Expired, Active | Inactive | Canceled)
                | (Inactive | Canceled, PaymentPending | Active)
                | (Rejected, PendingValidation)
        )
    }

    /// Every status this one may become through `POST
    /// /api/members/{id}/status`, in the catalogue's order: what a member's
    /// page offers.
    pub fn moves(self) -> Vec<UserStatus> {
        UserStatus::ALL
            .into_iter()
            .filter(|to| self.may_become(*to))
            .collect()
    }

    /// The name the database and the API use (`pending_email`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::PendingEmail => "pending_email",
            UserStatus::PendingValidation => "pending_validation",
            UserStatus::PreValidated => "pre_validated",
            UserStatus::PaymentPending => "payment_pending",
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
            UserStatus::Canceled => "canceled",
            UserStatus::Expired => "expired",
            UserStatus::Abandoned => "abandoned",
            UserStatus::Rejected => "rejected",
        }
    }

    /// Why a user in this status may not sign in (an error code and what to
    /// do), or `None` when they may. Applicants and lapsed or cancelled
    /// members sign in to follow their application, read their receipts or
    /// renew; `inactive` is an account the organisation closed.
    pub fn sign_in_refusal(self) -> Option<(ErrorCode, &'static str)> {
        match self {
            UserStatus::PendingEmail | UserStatus::Abandoned => Some((
                ErrorCode::EmailNotVerified,
                "Confirm your email address first: follow the link we emailed you, \
                 or ask for a new one at POST /api/auth/resend-verification.",
            )),
            UserStatus::Rejected => Some((
                ErrorCode::AccountRejected,
                "Your application was not accepted. Contact the organisation if you think this is a mistake.",
            )),
            UserStatus::Inactive => Some((
                ErrorCode::AccountInactive,
                "This account is deactivated. Contact the organisation to reactivate it.",
            )),
            UserStatus::PendingValidation
            | UserStatus::PreValidated
            | UserStatus::PaymentPending
            | UserStatus::Active
            | UserStatus::Expired
            | UserStatus::Canceled => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_status_moves_to_itself_and_rejection_and_validation_have_their_own_routes() {
        use UserStatus::*;
        for s in UserStatus::ALL {
            assert!(!s.may_become(s), "{s:?}");
            assert!(!s.may_become(Rejected), "{s:?} → rejected");
        }
        assert!(!PendingValidation.may_become(PaymentPending));
        assert!(!PreValidated.may_become(PaymentPending));
    }

    #[test]
    fn every_status_has_a_way_out() {
        for s in UserStatus::ALL {
            assert!(!s.moves().is_empty(), "{s:?} is a dead end");
        }
    }

    #[test]
    fn money_shows_cents_as_a_decimal() {
        assert_eq!(money(2550), "25.50");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(0), "0.00");
        assert_eq!(money(-150), "-1.50");
    }

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").unwrap().as_str(),
            "ada@example.org"
        );
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "élodie@exemple.fr",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        let long = format!("{}@example.org", "a".repeat(250));
        for bad in [
            "",
            "   ",
            "plain",
            "@example.org",
            "a@",
            "a@b",
            "a@@b.org",
            "a b@c.org",
            "a@.org",
            "a@b..org",
            "a@b.org.",
            "<a>@b.org",
            long.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn status_names_are_the_serialised_ones() {
        for status in UserStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
        let e: Email = serde_json::from_str("\"X@Y.org\"").unwrap();
        assert_eq!(e.as_str(), "x@y.org");
    }
}
