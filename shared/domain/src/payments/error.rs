//! Why the payments module refused: its own errors, mapped to an answer
//! once, in `loaf_http::error`.

use super::signature::SignatureError;
use crate::domain::UserStatus;
use crate::memberships::MembershipError;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Online payments are not configured (or their keys are unreadable).
    #[error("online payments are off")]
    Unavailable,
    /// The provider refused to open a checkout or could not be reached;
    /// nothing was charged. The cause is logged where it happened.
    #[error("the payment provider failed")]
    Provider,
    /// The provider refused a refund or could not be reached; nothing was
    /// refunded. The cause is logged where it happened.
    #[error("the payment provider did not refund")]
    RefundFailed,
    /// The payment is refunded in full already (or was of no amount).
    #[error("nothing left to refund")]
    NothingToRefund,
    /// The organisation gives no instructions for paying offline.
    #[error("offline payment is not offered")]
    OfflineUnavailable,
    /// The promised payment was confirmed or cancelled already.
    #[error("the payment is no longer pending")]
    NotPending,
    /// A webhook delivery the provider did not sign, or signed too long ago.
    #[error("webhook signature: {0:?}")]
    Signature(SignatureError),
    /// A signed webhook body that is not an event.
    #[error("not a provider event: {0}")]
    NotAnEvent(String),
    /// The payer's application is not validated yet.
    #[error("not validated yet")]
    NotValidated,
    /// The payer's account is in a status that pays no membership.
    #[error("an account in status {} cannot pay", .0.as_str())]
    NotPayable(UserStatus),
    /// The payer holds a lifetime membership: nothing to renew.
    #[error("already a lifetime member")]
    AlreadyLifetime,
    /// A request field the payment cannot take; `field` is the request's.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A request field the payment needs.
    #[error("{0} is required")]
    Required(&'static str),
    /// Too many checkouts from one source or for one donor.
    #[error("too many checkouts, retry after {retry_after_secs} s")]
    TooMany { retry_after_secs: u64 },
    #[error(transparent)]
    Membership(#[from] MembershipError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl PaymentError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        PaymentError::Invalid {
            field,
            message: message.into(),
        }
    }
}
