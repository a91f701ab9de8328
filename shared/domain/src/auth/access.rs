//! Access follows membership: the one rule that turns a role's permissions
//! into what its holder may do today. The content a membership gives
//! ([`MEMBER_CONTENT`]: documents, galleries, members-only events and
//! RSVPs, the directory) needs a membership in force (`active`, or
//! `expired` within the organisation's grace period); without one the
//! member keeps their account, payments, receipts, profile and renewal, and
//! sees what anyone sees. Staff (a role holding any permission beyond that
//! content) keep it whatever their own membership, unless the organisation
//! sets `staff_need_membership`; their administrative permissions never
//! depend on it, so an organisation cannot lock its own admins out.

use super::Codes;
use crate::domain::UserStatus;
use crate::permissions::MEMBER_CONTENT;
use std::sync::Arc;

/// Where a member stands: their status and, once `expired`, whether the
/// grace period after their last period still runs (`loaf_grace_ends`,
/// migrations/0018_grace_period.sql).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub status: UserStatus,
    pub in_grace: bool,
    /// A payment they promised offline is on its way (pending), and the
    /// organisation lets that open the content (`pending_payment_access`,
    /// migrations/0026_offline_payments.sql).
    pub paying: bool,
}

impl Standing {
    /// Whether the membership is in force: `active`, or `expired` within
    /// the grace period; or, when the organisation lets it, a validated,
    /// lapsed or cancelled member's payment promised offline is on its way.
    pub fn in_force(self) -> bool {
        match self.status {
            UserStatus::Active => true,
            UserStatus::Expired => self.in_grace || self.paying,
            UserStatus::PaymentPending | UserStatus::Canceled => self.paying,
            _ => false,
        }
    }
}

/// Whether `codes` hold a permission beyond the member's content: an
/// administrative one (any of an admin's, a treasurer's, an event host's,
/// or a custom role's).
pub fn is_staff(codes: &Codes) -> bool {
    codes
        .iter()
        .any(|code| !MEMBER_CONTENT.contains(&code.as_str()))
}

/// What a holder of `codes` standing as `standing` may do: `codes` without
/// the member's content when their membership is not in force and they are
/// not staff exempted from it.
pub fn effective(codes: Codes, standing: Standing, staff_need_membership: bool) -> Codes {
    if standing.in_force() || (is_staff(&codes) && !staff_need_membership) {
        return codes;
    }
    Arc::new(
        codes
            .iter()
            .filter(|code| !MEMBER_CONTENT.contains(&code.as_str()))
            .cloned()
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Codes {
        Arc::new(list.iter().map(|c| c.to_string()).collect())
    }

    fn standing(status: UserStatus) -> Standing {
        Standing {
            status,
            in_grace: false,
            paying: false,
        }
    }

    fn sorted(codes: &Codes) -> Vec<&str> {
        let mut out: Vec<&str> = codes.iter().map(String::as_str).collect();
        out.sort();
        out
    }

    #[test]
    fn a_member_in_force_keeps_every_permission() {
        let member = codes(MEMBER_CONTENT);
        let kept = effective(member.clone(), standing(UserStatus::Active), true);
        assert!(Arc::ptr_eq(&kept, &member));
    }

    #[test]
    fn an_expired_member_keeps_it_through_the_grace_period_only() {
        let grace = Standing {
            status: UserStatus::Expired,
            in_grace: true,
            paying: false,
        };
        assert_eq!(
            effective(codes(MEMBER_CONTENT), grace, false).len(),
            MEMBER_CONTENT.len()
        );
        assert!(effective(codes(MEMBER_CONTENT), standing(UserStatus::Expired), false).is_empty());
        // Grace is for a membership that ran out, not for any other status.
        for status in [
            UserStatus::PaymentPending,
            UserStatus::Canceled,
            UserStatus::PreValidated,
        ] {
            let other = Standing {
                status,
                in_grace: true,
                paying: false,
            };
            assert!(!other.in_force(), "{status:?}");
        }
    }

    #[test]
    fn without_a_membership_in_force_the_content_goes() {
        for status in UserStatus::ALL {
            if status == UserStatus::Active {
                continue;
            }
            let left = effective(codes(MEMBER_CONTENT), standing(status), false);
            assert!(left.is_empty(), "{status:?}: {:?}", sorted(&left));
            // A guest's events.view is member content too: applicants see
            // public events only.
            assert!(effective(codes(&["events.view"]), standing(status), false).is_empty());
        }
    }

    #[test]
    fn staff_keep_the_content_unless_the_organisation_says_otherwise() {
        let finance = codes(&["financials.view", "financials.create", "events.view"]);
        let kept = effective(finance.clone(), standing(UserStatus::Expired), false);
        assert!(Arc::ptr_eq(&kept, &finance));
        let strict = effective(finance, standing(UserStatus::Expired), true);
        // The administrative permission stays, the member's content goes.
        assert_eq!(sorted(&strict), ["financials.create"]);
    }

    #[test]
    fn staff_are_those_with_any_permission_beyond_the_content() {
        assert!(!is_staff(&codes(MEMBER_CONTENT)));
        assert!(!is_staff(&codes(&["events.view"])));
        assert!(is_staff(&codes(&["events.view", "events.rsvps"])));
        assert!(!is_staff(&codes(&[])));
    }

    #[test]
    fn a_payment_on_its_way_opens_the_content_only_to_those_who_may_pay() {
        for (status, opens) in [
            (UserStatus::PaymentPending, true),
            (UserStatus::Expired, true),
            (UserStatus::Canceled, true),
            (UserStatus::PendingValidation, false),
            (UserStatus::Inactive, false),
        ] {
            let paying = Standing {
                status,
                in_grace: false,
                paying: true,
            };
            assert_eq!(paying.in_force(), opens, "{status:?}");
        }
    }
}
