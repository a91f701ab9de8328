//! The database's enumerations as Rust enums. A value travels typed from
//! the row to the JSON and back: its name on the wire, in SQL and in the
//! OpenAPI document is one string, written once here. Most are PostgreSQL
//! enum types; the `text` ones are columns with a `CHECK (... IN ...)`
//! constraint, bound and read as text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares an enumeration the database stores, with `ALL` (declaration
/// order), `as_str` (its one name) and `Display`. `in "typename"` maps a
/// PostgreSQL enum type; `in text` a checked text column.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $name:ident in $sql:literal { $($variant:ident = $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, sqlx::Type,
        )]
        #[sqlx(type_name = $sql)]
        pub enum $name {
            $(#[serde(rename = $text)] #[sqlx(rename = $text)] $variant,)+
        }
        stored_enum!(@common $name { $($variant = $text,)+ });
    };
    (
        $(#[$meta:meta])*
        $name:ident in text { $($variant:ident = $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)+
        }
        stored_enum!(@common $name { $($variant = $text,)+ });

        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl sqlx::Decode<'_, sqlx::Postgres> for $name {
            fn decode(
                value: sqlx::postgres::PgValueRef<'_>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                $name::ALL
                    .iter()
                    .find(|v| v.as_str() == text)
                    .copied()
                    .ok_or_else(|| format!("{text:?} is not a {}", stringify!($name)).into())
            }
        }

        impl sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }
    };
    (@common $name:ident { $($variant:ident = $text:literal,)+ }) => {
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name the database, the API and exports use.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// A subscription period's state: paid and running, over, or cancelled
    /// by an admin.
    SubscriptionStatus in "subscriptionstatus" {
        Active = "active",
        Expired = "expired",
        Cancelled = "cancelled",
    }
}

stored_enum! {
    /// A membership checkout's state at the payment provider: `open` until
    /// paid, failed or expired; `refunded` when its money went back.
    CheckoutStatus in text {
        Open = "open",
        Paid = "paid",
        Failed = "failed",
        Expired = "expired",
        Refunded = "refunded",
    }
}

stored_enum! {
    /// How money arrived: online through the payment provider, or recorded
    /// by an admin (`in_kind`: goods or services, donations only;
    /// `complimentary`: a membership period granted without payment;
    /// `imported`: a period carried over by a member import).
    PaymentMethod in text {
        Online = "online",
        Cash = "cash",
        Cheque = "cheque",
        BankTransfer = "bank_transfer",
        InKind = "in_kind",
        Complimentary = "complimentary",
        Imported = "imported",
    }
}

stored_enum! {
    /// How long a plan's payment covers: a month, three, a year, for life,
    /// or a fixed calendar period (`custom`, with its days).
    BillingCycle in text {
        Monthly = "monthly",
        Quarterly = "quarterly",
        Yearly = "yearly",
        Lifetime = "lifetime",
        Custom = "custom",
    }
}

stored_enum! {
    /// A donation's state: `pending` until the provider confirms an online
    /// one; recorded gifts are `completed` at once.
    DonationStatus in "donationstatus" {
        Pending = "pending",
        Completed = "completed",
        Failed = "failed",
    }
}

stored_enum! {
    /// Who gave: a signed-in member, or the public (a name and an email).
    DonationType in "donationtype" {
        Member = "member",
        Public = "public",
    }
}

stored_enum! {
    /// An invitation's state. A pending one past its expiry is reported as
    /// `expired`.
    InvitationStatus in "invitationstatus" {
        Pending = "pending",
        Accepted = "accepted",
        Expired = "expired",
        Revoked = "revoked",
    }
}

stored_enum! {
    /// An answer to an event: only `yes` takes a seat.
    RsvpStatus in "rsvpstatus" {
        Yes = "yes",
        No = "no",
        Maybe = "maybe",
    }
}

stored_enum! {
    /// Who may see an event: anyone, or signed-in members.
    Visibility in text {
        Public = "public",
        Members = "members",
    }
}

stored_enum! {
    /// A member import's state: `partial` when some rows were refused.
    ImportJobStatus in "importjobstatus" {
        Processing = "processing",
        Completed = "completed",
        Failed = "failed",
        Partial = "partial",
    }
}

stored_enum! {
    /// Where a member import stands, as the API reports it: the stored
    /// status, or `awaiting_upload` until first started, or `interrupted`
    /// for a run cut off before it finished (it wrote nothing and may be
    /// started again). Computed by the query that reads the job.
    ImportState in text {
        AwaitingUpload = "awaiting_upload",
        Processing = "processing",
        Completed = "completed",
        Partial = "partial",
        Failed = "failed",
        Interrupted = "interrupted",
    }
}

/// A payment an admin records for a membership: money that did not come
/// through the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfflineMethod {
    Cash,
    Cheque,
    BankTransfer,
}

impl From<OfflineMethod> for PaymentMethod {
    fn from(method: OfflineMethod) -> Self {
        match method {
            OfflineMethod::Cash => PaymentMethod::Cash,
            OfflineMethod::Cheque => PaymentMethod::Cheque,
            OfflineMethod::BankTransfer => PaymentMethod::BankTransfer,
        }
    }
}

stored_enum! {
    /// How a member promises to pay offline.
    PromisedMethod in text {
        BankTransfer = "bank_transfer",
        Cheque = "cheque",
    }
}

impl From<PromisedMethod> for OfflineMethod {
    fn from(method: PromisedMethod) -> Self {
        match method {
            PromisedMethod::BankTransfer => OfflineMethod::BankTransfer,
            PromisedMethod::Cheque => OfflineMethod::Cheque,
        }
    }
}

stored_enum! {
    /// Where a promised offline payment stands: `pending` until an admin
    /// `confirmed` the money arrived, or `cancelled` it (or the member
    /// promised another).
    PendingStatus in text {
        Pending = "pending",
        Confirmed = "confirmed",
        Cancelled = "cancelled",
    }
}

stored_enum! {
    /// Where a data export stands: `pending` (waiting for the background
    /// job), `running`, `ready` (its link works), or `failed` after its
    /// attempts.
    ExportStatus in text {
        Pending = "pending",
        Running = "running",
        Ready = "ready",
        Failed = "failed",
    }
}

/// A gift an admin records: money that did not come through the provider,
/// or goods and services (`in_kind`, described).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GiftMethod {
    Cash,
    Cheque,
    BankTransfer,
    InKind,
}

impl From<GiftMethod> for PaymentMethod {
    fn from(method: GiftMethod) -> Self {
        match method {
            GiftMethod::Cash => PaymentMethod::Cash,
            GiftMethod::Cheque => PaymentMethod::Cheque,
            GiftMethod::BankTransfer => PaymentMethod::BankTransfer,
            GiftMethod::InKind => PaymentMethod::InKind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_stored_names() {
        for status in SubscriptionStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
            let back: SubscriptionStatus = serde_json::from_value(json).unwrap();
            assert_eq!(back, *status);
        }
        assert_eq!(PaymentMethod::BankTransfer.to_string(), "bank_transfer");
        assert_eq!(
            serde_json::to_value(GiftMethod::InKind).unwrap(),
            PaymentMethod::from(GiftMethod::InKind).as_str()
        );
        assert_eq!(
            serde_json::to_value(OfflineMethod::BankTransfer).unwrap(),
            PaymentMethod::from(OfflineMethod::BankTransfer).as_str()
        );
    }
}
