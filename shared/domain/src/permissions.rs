//! The permission catalogue: 59 permissions in 10 modules, the 5 system roles
//! and what each holds. The migrate function seeds these rows; routes demand
//! them through the marker types in [`perm`], so a handler's signature says
//! which permission it checks and a typo is a compile error.

/// One permission as seeded into the `permissions` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionDef {
    /// `module.action`, the code routes check and tokens report.
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub module: &'static str,
}

/// A permission a route can demand (see `auth::Require`).
pub trait Permission: Send + Sync + 'static {
    const CODE: &'static str;
}

macro_rules! catalogue {
    ($( $module:literal { $( $marker:ident $code:literal $name:literal $desc:literal; )* } )*) => {
        /// Every permission, grouped by module in display order.
        pub static PERMISSIONS: &[PermissionDef] = &[
            $( $( PermissionDef { code: $code, name: $name, description: $desc, module: $module }, )* )*
        ];

        /// One marker type per permission, for `Require<perm::UsersView>`.
        pub mod perm {
            $( $(
                #[doc = $desc]
                #[derive(Debug)]
                pub struct $marker;
                impl super::Permission for $marker {
                    const CODE: &'static str = $code;
                }
            )* )*
        }
    };
}

catalogue! {
    "users" {
        UsersView "users.view" "View members" "See the member list, search it and open a member's details.";
        UsersCreate "users.create" "Create members" "Add a member by hand.";
        UsersEdit "users.edit" "Edit members" "Change a member's profile details.";
        UsersDelete "users.delete" "Delete members" "Remove a member's account.";
        UsersStatus "users.status" "Change member status" "Move a member between statuses (activate, deactivate, expire).";
        UsersApprove "users.approve" "Validate applicants" "Validate or reject membership applications.";
        UsersInvite "users.invite" "Invite members" "Send, resend and revoke invitations.";
        UsersImport "users.import" "Import members" "Import members from a CSV file.";
        UsersExport "users.export" "Export members" "Download the member list as CSV.";
        UsersAudit "users.audit" "Read the audit trail" "See who changed what and when: members, roles, plans, payments, events, documents, settings, exports and erasures.";
        UsersDirectory "users.directory" "Browse the directory" "See the members who chose to appear in the directory.";
    }
    "events" {
        EventsView "events.view" "View events" "See published events, including members-only ones.";
        EventsCreate "events.create" "Create events" "Create new events as drafts.";
        EventsEdit "events.edit" "Edit events" "Change an event's details.";
        EventsDelete "events.delete" "Delete events" "Delete an event.";
        EventsPublish "events.publish" "Publish events" "Publish or unpublish an event.";
        EventsRsvp "events.rsvp" "RSVP to events" "Answer yes, no or maybe to an event.";
        EventsRsvps "events.rsvps" "View RSVPs" "See who answered an event's RSVP.";
        EventsAttendance "events.attendance" "Mark attendance" "Record who attended an event.";
    }
    "subscriptions" {
        SubscriptionsView "subscriptions.view" "View subscriptions" "See every member's subscriptions.";
        SubscriptionsCreate "subscriptions.create" "Create subscriptions" "Start a subscription for a member.";
        SubscriptionsEdit "subscriptions.edit" "Edit subscriptions" "Change a subscription's period or amounts.";
        SubscriptionsCancel "subscriptions.cancel" "Cancel subscriptions" "Cancel a member's subscription.";
        SubscriptionsManualPayment "subscriptions.manual_payment" "Record manual payments" "Record cash, cheque or bank payments.";
        SubscriptionsExport "subscriptions.export" "Export subscriptions" "Download subscription data as CSV.";
        SubscriptionsPlans "subscriptions.plans" "Manage plans" "Create, edit and retire subscription plans.";
        SubscriptionsStats "subscriptions.stats" "Membership statistics" "See membership and revenue figures on the dashboard.";
    }
    "donations" {
        DonationsView "donations.view" "View donations" "See donations and donor details.";
        DonationsCreate "donations.create" "Record donations" "Record offline donations (cash, cheque, bank, in kind).";
        DonationsEdit "donations.edit" "Edit donations" "Correct a donation's details or record a refund.";
        DonationsExport "donations.export" "Export donations" "Download donations as CSV.";
        DonationsStats "donations.stats" "Donation statistics" "See donation totals and top donors.";
        DonationsReceipts "donations.receipts" "Send receipts" "Re-send a donation receipt.";
    }
    "financials" {
        FinancialsView "financials.view" "View financial reports" "Read and download financial reports.";
        FinancialsCreate "financials.create" "Upload financial reports" "Add a financial report.";
        FinancialsEdit "financials.edit" "Edit financial reports" "Change a financial report's details.";
        FinancialsDelete "financials.delete" "Delete financial reports" "Remove a financial report.";
        FinancialsExport "financials.export" "Export financial data" "Download financial data as CSV.";
    }
    "newsletters" {
        NewslettersView "newsletters.view" "View newsletters" "Read the newsletter archive.";
        NewslettersCreate "newsletters.create" "Add newsletters" "Add a newsletter to the archive.";
        NewslettersEdit "newsletters.edit" "Edit newsletters" "Change a newsletter's details.";
        NewslettersDelete "newsletters.delete" "Delete newsletters" "Remove a newsletter from the archive.";
    }
    "bylaws" {
        BylawsView "bylaws.view" "View bylaws" "Read the bylaws.";
        BylawsCreate "bylaws.create" "Add bylaws" "Add a version of the bylaws.";
        BylawsEdit "bylaws.edit" "Edit bylaws" "Change bylaws details and which version is current.";
        BylawsDelete "bylaws.delete" "Delete bylaws" "Remove a version of the bylaws.";
    }
    "gallery" {
        GalleryView "gallery.view" "View galleries" "See event photo galleries.";
        GalleryUpload "gallery.upload" "Upload photos" "Add photos to an event's gallery.";
        GalleryEdit "gallery.edit" "Edit photos" "Change photo captions.";
        GalleryDelete "gallery.delete" "Delete photos" "Remove photos from a gallery.";
    }
    "settings" {
        SettingsView "settings.view" "View settings" "See the organisation's settings.";
        SettingsEdit "settings.edit" "Edit settings" "Change the organisation's name, contact, time zone and currency.";
        SettingsStorage "settings.storage" "Manage storage" "See storage usage and the quota.";
        SettingsLogo "settings.logo" "Change the logo" "Upload the logo the admin dashboard shows.";
    }
    "permissions" {
        PermissionsView "permissions.view" "View roles" "See roles and the permission matrix.";
        PermissionsCreate "permissions.create" "Create roles" "Create custom roles.";
        PermissionsEdit "permissions.edit" "Edit roles" "Rename roles and change their permission sets.";
        PermissionsDelete "permissions.delete" "Delete roles" "Delete custom roles.";
        PermissionsAssign "permissions.assign" "Assign roles" "Give a member a role.";
    }
}

/// A system role: seeded, cannot be deleted; its `code` matches the legacy
/// `userrole` enum value.
#[derive(Debug, Clone, Copy)]
pub struct SystemRole {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// The permission codes the role starts with.
    pub grants: Grants,
}

/// Which permissions a system role starts with.
#[derive(Debug, Clone, Copy)]
pub enum Grants {
    All,
    AllExcept(&'static [&'static str]),
    Only(&'static [&'static str]),
}

impl SystemRole {
    /// The codes this role starts with, in catalogue order.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        PERMISSIONS
            .iter()
            .map(|p| p.code)
            .filter(move |code| match self.grants {
                Grants::All => true,
                Grants::AllExcept(except) => !except.contains(code),
                Grants::Only(only) => only.contains(code),
            })
    }
}

/// What a membership gives: the member role's permissions, which need a
/// membership in force (`auth::access`) whoever holds them.
pub const MEMBER_CONTENT: &[&str] = &[
    "users.directory",
    "events.view",
    "events.rsvp",
    "newsletters.view",
    "bylaws.view",
    "financials.view",
    "gallery.view",
];

/// The five system roles, most powerful first.
pub static SYSTEM_ROLES: &[SystemRole] = &[
    SystemRole {
        code: "superadmin",
        name: "Super Admin",
        description: "Everything, including defining roles and their permissions.",
        grants: Grants::All,
    },
    SystemRole {
        code: "admin",
        name: "Admin",
        description: "Runs the organisation day to day; cannot redefine roles.",
        grants: Grants::AllExcept(&[
            "permissions.create",
            "permissions.edit",
            "permissions.delete",
        ]),
    },
    SystemRole {
        code: "finance",
        name: "Finance",
        description: "Subscriptions, payments, donations and financial reports.",
        grants: Grants::Only(&[
            "users.view",
            "users.export",
            "users.directory",
            "events.view",
            "events.rsvp",
            "subscriptions.view",
            "subscriptions.create",
            "subscriptions.edit",
            "subscriptions.cancel",
            "subscriptions.manual_payment",
            "subscriptions.export",
            "subscriptions.plans",
            "subscriptions.stats",
            "donations.view",
            "donations.create",
            "donations.edit",
            "donations.export",
            "donations.stats",
            "donations.receipts",
            "financials.view",
            "financials.create",
            "financials.edit",
            "financials.delete",
            "financials.export",
            "newsletters.view",
            "bylaws.view",
            "gallery.view",
            "settings.view",
        ]),
    },
    SystemRole {
        code: "member",
        name: "Member",
        description: "A member in good standing: events, documents, the directory.",
        grants: Grants::Only(MEMBER_CONTENT),
    },
    SystemRole {
        code: "guest",
        name: "Guest",
        description: "An applicant or former member: public events only.",
        grants: Grants::Only(&["events.view"]),
    },
];

/// The modules in display order.
pub fn modules() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for p in PERMISSIONS {
        if !out.contains(&p.module) {
            out.push(p.module);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fifty_nine_permissions_in_ten_modules() {
        assert_eq!(PERMISSIONS.len(), 59);
        assert_eq!(
            modules(),
            [
                "users",
                "events",
                "subscriptions",
                "donations",
                "financials",
                "newsletters",
                "bylaws",
                "gallery",
                "settings",
                "permissions"
            ]
        );
    }

    #[test]
    fn codes_are_unique_and_prefixed_by_their_module() {
        let mut seen = HashSet::new();
        for p in PERMISSIONS {
            assert!(seen.insert(p.code), "duplicate {}", p.code);
            assert_eq!(p.code.split_once('.').map(|(m, _)| m), Some(p.module));
        }
    }

    #[test]
    fn role_grants_name_real_permissions() {
        let all: HashSet<_> = PERMISSIONS.iter().map(|p| p.code).collect();
        for role in SYSTEM_ROLES {
            let list: &[&str] = match role.grants {
                Grants::All => &[],
                Grants::AllExcept(l) | Grants::Only(l) => l,
            };
            for code in list {
                assert!(all.contains(code), "{} names unknown {code}", role.code);
            }
        }
    }

    #[test]
    fn five_roles_from_superadmin_down() {
        let codes: Vec<_> = SYSTEM_ROLES.iter().map(|r| r.code).collect();
        assert_eq!(codes, ["superadmin", "admin", "finance", "member", "guest"]);
        let count = |code: &str| {
            SYSTEM_ROLES
                .iter()
                .find(|r| r.code == code)
                .unwrap()
                .codes()
                .count()
        };
        assert_eq!(count("superadmin"), 59);
        assert_eq!(count("admin"), 56);
        assert_eq!(count("member"), MEMBER_CONTENT.len());
        assert_eq!(count("guest"), 1);
    }

    #[test]
    fn marker_types_carry_their_code() {
        assert_eq!(<perm::UsersApprove as Permission>::CODE, "users.approve");
        assert_eq!(
            <perm::PermissionsAssign as Permission>::CODE,
            "permissions.assign"
        );
    }
}
