//! The catalogue of error codes: every `code` an error answer can carry,
//! each with what it means. Codes are stable, for programs; the message
//! beside them is for people. The OpenAPI document lists them all (the
//! `ErrorCode` schema), so a client can match every one.

use schemars::JsonSchema;
use serde::Serialize;

/// Declares the codes: the enum (its wire names) and `as_str`.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $text:literal,)+) => {
        /// Every `code` an error answer carries.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ #[serde(rename = $text)] $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the catalogue's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code as it is sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

error_codes! {
    // Any route.
    /// 400: the request as a whole cannot be read (bad JSON, wrong content type).
    BadRequest = "bad_request",
    /// 401: no valid access token: sign in (again).
    Unauthorized = "unauthorized",
    /// 403: signed in, without the permission the route needs.
    Forbidden = "forbidden",
    /// 403: the member's role opens this, but it needs a membership in
    /// force: renewing opens it again.
    MembershipRequired = "membership_required",
    /// 404: no such thing, or not one the caller may know of.
    NotFound = "not_found",
    /// 405: the path does not take this method.
    MethodNotAllowed = "method_not_allowed",
    /// 409: the request conflicts with what is stored (a duplicate); `field` names it.
    Conflict = "conflict",
    /// 413: the body is larger than the route takes.
    PayloadTooLarge = "payload_too_large",
    /// 429: too many attempts; `Retry-After` says when to try again.
    TooManyAttempts = "too_many_attempts",
    /// 503: a dependency is unreachable; retrying later helps.
    ServiceUnavailable = "service_unavailable",
    /// 500: a fault on the server's side, logged.
    InternalError = "internal_error",

    // 422: a field (named by `field`) is not acceptable.
    /// The value is not acceptable; the message says why.
    Invalid = "invalid",
    /// The field is missing.
    Required = "required",
    /// The text is longer than the field takes.
    TooLong = "too_long",
    /// The password is too short, too common or close to the account's details.
    WeakPassword = "weak_password",
    /// Confirming an address with a password: not the one chosen at registration.
    WrongPassword = "wrong_password",
    /// The uploaded file is larger than its kind allows.
    TooLarge = "too_large",
    /// The uploaded file's content is not what its name or declared type says.
    ContentMismatch = "content_mismatch",

    // Signing in and sessions.
    /// 401: the email address and password do not match an account.
    InvalidCredentials = "invalid_credentials",
    /// 403: the account's email address is not confirmed yet.
    EmailNotVerified = "email_not_verified",
    /// 403: the application was not accepted.
    AccountRejected = "account_rejected",
    /// 403: the account is deactivated.
    AccountInactive = "account_inactive",
    /// 401: the refresh token is missing or not one of ours.
    InvalidRefreshToken = "invalid_refresh_token",
    /// 401: the session was signed out, revoked, or its password changed.
    SessionEnded = "session_ended",
    /// 401: the refresh token was used already: the session is revoked, as a stolen one would be.
    RefreshTokenReused = "refresh_token_reused",
    /// 401: the session is past its lifetime: sign in again.
    SessionExpired = "session_expired",
    /// 410: the emailed link was used already.
    TokenUsed = "token_used",
    /// 410: the emailed link is past its time.
    TokenExpired = "token_expired",
    /// 400: the emailed link is not one of ours.
    TokenInvalid = "token_invalid",
    /// 410: the invitation was accepted already.
    InvitationUsed = "invitation_used",
    /// 410: the invitation was withdrawn.
    InvitationRevoked = "invitation_revoked",
    /// 410: the invitation is past its time.
    InvitationExpired = "invitation_expired",

    // Members, roles and the lifecycle.
    /// 409: the member's status does not allow this move.
    IllegalTransition = "illegal_transition",
    /// 409: the change would leave no active superadmin.
    LastSuperadmin = "last_superadmin",
    /// 409: mail to the address is not sent any more (it bounced, or its
    /// owner reported it as spam), so the link asked for would not arrive.
    AddressUnreachable = "address_unreachable",
    /// 409: the account is erased already.
    AlreadyErased = "already_erased",
    /// 403: the role holds a permission the caller does not hold.
    CannotGrant = "cannot_grant",
    /// 409: a system role cannot be changed this way or deleted.
    SystemRole = "system_role",
    /// 403: the caller is not listed in the directory, so does not see it.
    NotListed = "not_listed",
    /// 409: an import of this file is running.
    ImportRunning = "import_running",
    /// 409: this import has finished; start a new one.
    ImportFinished = "import_finished",

    // Memberships and payments.
    /// 409: the application is not validated yet: payment comes after.
    NotValidated = "not_validated",
    /// 409: the member's status does not allow a payment.
    NotPayable = "not_payable",
    /// 409: the plan is retired and takes no new payments.
    PlanRetired = "plan_retired",
    /// 409: the plan has subscriptions or checkouts: retire it instead.
    PlanInUse = "plan_in_use",
    /// 409: the member holds a lifetime membership already.
    AlreadyLifetime = "already_lifetime",
    /// 409: only an active subscription can be cancelled.
    NotActive = "not_active",
    /// 409: the membership is not cancelled (by its member) to keep.
    NotCancelled = "not_cancelled",
    /// 409: the payment is refunded in full already, or was of no amount.
    NothingToRefund = "nothing_to_refund",
    /// 409: the organisation gives no instructions for paying offline.
    OfflineUnavailable = "offline_unavailable",
    /// 409: the promised payment was confirmed or cancelled already.
    NotPending = "not_pending",
    /// 503: online payments are not configured.
    PaymentsUnavailable = "payments_unavailable",
    /// 502: the payment provider refused or failed the request.
    PaymentProviderError = "payment_provider_error",
    /// 400: the webhook's signature timestamp is too far from now.
    StaleSignature = "stale_signature",
    /// 400: the webhook's signature does not sign its body.
    InvalidSignature = "invalid_signature",

    // Donations.
    /// 409: the gift has no receipt (not completed yet).
    NoReceipt = "no_receipt",
    /// 409: the gift has no email address to send its receipt to.
    NoEmail = "no_email",

    // Events.
    /// 409: the event is not published yet.
    NotPublished = "not_published",
    /// 409: the event has started: answers can no longer change.
    EventStarted = "event_started",

    // Documents and uploads.
    /// 409: the upload was never made (nothing at its URL).
    UploadMissing = "upload_missing",
    /// 409: the uploaded file changed after it was checked.
    UploadChanged = "upload_changed",
    /// 409: the storage quota is used up.
    QuotaExceeded = "quota_exceeded",
    /// 409: the bylaws keep one current version.
    KeepACurrentVersion = "keep_a_current_version",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_sent_as_named() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert_eq!(serde_json::to_value(code).unwrap(), text);
        }
    }
}
