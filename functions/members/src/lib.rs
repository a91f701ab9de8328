//! The members function: member administration, roles and permissions,
//! invitations, imports and exports, plans and subscriptions, dashboard.
//! Its routes are tabled in README.md ("Member administration",
//! "Memberships and payments"): the member list and details, the
//! lifecycle, roles, invitations, imports and exports, the directory,
//! plans, subscriptions, checkout and the dashboard.

mod audit;
mod checkout;
mod confirmations;
mod dashboard;
mod directory;
mod erasures;
mod exports;
mod imports;
mod invitations;
mod lifecycle;
mod members;
mod offline;
mod own_membership;
mod plans;
mod refunds;
mod roles;
mod similar;
mod subscriptions;

use axum::Router;
use loaf_http::openapi::{summary, summary_and_errors};
use loaf_http::routes::{Docs, Routes};
use loaf_http::AppState;

/// Every route of this function, described for the OpenAPI document when
/// `docs` asks.
pub fn api(docs: Docs) -> Routes {
    let api = Routes::new(docs)
        .api_route(
            "/api/members",
            docs.get_with(members::list, summary("List and search members")),
        )
        .api_route(
            "/api/members/directory",
            docs.get_with(directory::list, summary("The member directory")),
        )
        .api_route(
            "/api/members/export",
            docs.get_with(exports::members, summary("Export members as CSV")),
        )
        .api_route(
            "/api/members/validate",
            docs.post_with(
                lifecycle::validate_many,
                summary("Validate several applicants"),
            ),
        )
        .api_route(
            "/api/members/reject",
            docs.post_with(lifecycle::reject_many, summary("Reject several applicants")),
        )
        .api_route(
            "/api/members/{id}",
            docs.get_with(members::show, summary("One member"))
                .patch_with(members::update, summary("Change a member")),
        )
        .api_route(
            "/api/members/{id}/similar",
            docs.get_with(
                similar::similar,
                summary("Accounts that look like this one"),
            ),
        )
        .api_route(
            "/api/members/{id}/audit",
            docs.get_with(members::audit_trail, summary("A member's audit trail")),
        )
        .api_route(
            "/api/audit",
            docs.get_with(audit::search, summary("The audit trail, filtered")),
        )
        .api_route(
            "/api/members/{id}/email-suppression",
            docs.delete_with(
                members::clear_email_suppression,
                summary("Mail a member's address again after a bounce or complaint"),
            ),
        )
        .api_route(
            "/api/members/{id}/data-export",
            docs.get_with(erasures::export, summary("A member's data export"))
                .post_with(
                    erasures::request_export,
                    summary("Export everything held about a member"),
                ),
        )
        .api_route(
            "/api/members/{id}/erase",
            docs.post_with(erasures::erase, summary("Erase a member's personal data")),
        )
        .api_route(
            "/api/members/{id}/validate",
            docs.post_with(lifecycle::validate, summary("Validate an applicant")),
        )
        .api_route(
            "/api/members/{id}/reject",
            docs.post_with(lifecycle::reject, summary("Reject an applicant")),
        )
        .api_route(
            "/api/members/{id}/status",
            docs.post_with(
                lifecycle::change_status,
                summary("Change a member's status"),
            ),
        )
        .api_route(
            "/api/members/{id}/role",
            docs.put_with(roles::assign, summary("Give a member a role")),
        )
        .api_route(
            "/api/permissions",
            docs.get_with(roles::permissions, summary("The permission catalogue")),
        )
        .api_route(
            "/api/roles",
            docs.get_with(roles::list, summary("List roles"))
                .post_with(roles::create, summary("Create a role")),
        )
        .api_route(
            "/api/roles/{id}",
            docs.get_with(roles::show, summary("One role"))
                .patch_with(roles::update, summary("Rename or describe a role"))
                .delete_with(roles::delete, summary("Delete a role")),
        )
        .api_route(
            "/api/roles/{id}/permissions",
            docs.put_with(
                roles::replace_permissions,
                summary("Set a role's permissions"),
            ),
        )
        .api_route(
            "/api/invitations",
            docs.get_with(invitations::list, summary("List invitations"))
                .post_with(invitations::create, summary("Invite someone")),
        )
        .api_route(
            "/api/invitations/{id}/resend",
            docs.post_with(invitations::resend, summary("Send an invitation again")),
        )
        .api_route(
            "/api/invitations/{id}",
            docs.delete_with(invitations::revoke, summary("Revoke an invitation")),
        )
        .api_route(
            "/api/imports",
            docs.get_with(imports::list, summary("List imports"))
                .post_with(imports::create, summary("Start an import: upload link")),
        )
        .api_route(
            "/api/imports/{id}",
            docs.get_with(imports::show, summary("One import and its report")),
        )
        .api_route(
            "/api/imports/{id}/start",
            docs.post_with(imports::start, summary("Run an import (or a dry run)")),
        )
        .api_route(
            "/api/imports/{id}/rejected",
            docs.get_with(
                imports::rejected,
                summary("The refused lines as CSV, to fix and import again"),
            ),
        )
        .api_route(
            "/api/plans",
            docs.get_with(plans::list, summary("List membership plans"))
                .post_with(plans::create, summary("Create a plan")),
        )
        .api_route(
            "/api/plans/{id}",
            docs.get_with(plans::show, summary("One plan"))
                .patch_with(plans::update, summary("Change a plan"))
                .delete_with(plans::delete, summary("Delete an unused plan")),
        )
        .api_route(
            "/api/subscriptions",
            docs.get_with(subscriptions::list, summary("List subscriptions")),
        )
        .api_route(
            "/api/subscriptions/me",
            docs.get_with(subscriptions::mine, summary("Your subscriptions")),
        )
        .api_route(
            "/api/subscriptions/me/cancel",
            docs.post_with(
                own_membership::cancel,
                summary("Cancel your membership at the end of what you paid"),
            ),
        )
        .api_route(
            "/api/subscriptions/me/resume",
            docs.post_with(
                own_membership::resume,
                summary("Keep your membership after cancelling it"),
            ),
        )
        .api_route(
            "/api/subscriptions/export",
            docs.get_with(
                subscriptions::export,
                summary("Export subscriptions as CSV"),
            ),
        )
        .api_route(
            "/api/subscriptions/checkout/{session_id}",
            docs.get_with(checkout::status, summary("One of your online payments")),
        )
        .api_route(
            "/api/subscriptions/checkout",
            docs.post_with(
                checkout::create,
                summary_and_errors(
                    "Pay a membership online",
                    &[(
                        502,
                        "The payment provider refused or failed; nothing was charged.",
                    )],
                ),
            ),
        )
        .api_route(
            "/api/subscriptions/manual",
            docs.post_with(subscriptions::manual, summary("Record a payment by hand")),
        )
        .api_route(
            "/api/subscriptions/offline",
            docs.get_with(
                offline::list,
                summary("Payments promised by transfer or cheque"),
            )
            .post_with(
                offline::promise,
                summary("Promise to pay by bank transfer or cheque"),
            ),
        )
        .api_route(
            "/api/subscriptions/offline/me",
            docs.get_with(offline::mine, summary("Your payment on its way"))
                .delete_with(offline::withdraw, summary("Withdraw your promised payment")),
        )
        .api_route(
            "/api/subscriptions/offline/{id}/confirm",
            docs.post_with(offline::confirm, summary("A promised payment arrived")),
        )
        .api_route(
            "/api/subscriptions/offline/{id}/cancel",
            docs.post_with(offline::cancel, summary("Cancel a promised payment")),
        )
        .api_route(
            "/api/subscriptions/complimentary",
            docs.post_with(
                subscriptions::complimentary,
                summary("Grant or extend a membership without payment"),
            ),
        )
        .api_route(
            "/api/subscriptions/{id}/confirmation/pdf",
            docs.get_with(
                confirmations::pdf,
                summary("A membership payment's confirmation as PDF"),
            ),
        )
        .api_route(
            "/api/subscriptions/{id}/cancel",
            docs.post_with(subscriptions::cancel, summary("Cancel a subscription")),
        )
        .api_route(
            "/api/subscriptions/{id}/refund",
            docs.post_with(
                refunds::refund,
                summary_and_errors(
                    "Refund a membership payment",
                    &[(
                        502,
                        "The payment provider refused or failed the refund; nothing was refunded.",
                    )],
                ),
            ),
        )
        .api_route(
            "/api/dashboard/stats",
            docs.get_with(dashboard::stats, summary("Dashboard figures")),
        );
    api.tagged("members")
}

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_http::http::function_router(api(Docs::Skip), state)
}
