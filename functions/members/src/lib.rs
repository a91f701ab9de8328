//! The members function: member administration, roles and permissions,
//! invitations, imports and exports, plans and subscriptions, dashboard.
//! Its routes are tabled in README.md ("Member administration",
//! "Memberships and payments"): the member list and details, the
//! lifecycle, roles, invitations, imports and exports, the directory,
//! plans, subscriptions, checkout and the dashboard.

mod audit;
mod checkout;
mod dashboard;
mod directory;
mod exports;
mod imports;
mod invitations;
mod lifecycle;
mod members;
mod plans;
mod roles;
mod similar;
mod subscriptions;

use aide::axum::routing::{delete_with, get_with, post_with, put_with};
use aide::axum::ApiRouter;
use axum::Router;
use loaf_shared::openapi::{summary, summary_and_errors, tagged};
use loaf_shared::AppState;

/// Every route of this function with its documentation.
pub fn api() -> ApiRouter<AppState> {
    let api = ApiRouter::new()
        .api_route(
            "/api/members",
            get_with(members::list, summary("List and search members")),
        )
        .api_route(
            "/api/members/directory",
            get_with(directory::list, summary("The member directory")),
        )
        .api_route(
            "/api/members/export",
            get_with(exports::members, summary("Export members as CSV")),
        )
        .api_route(
            "/api/members/validate",
            post_with(
                lifecycle::validate_many,
                summary("Validate several applicants"),
            ),
        )
        .api_route(
            "/api/members/reject",
            post_with(lifecycle::reject_many, summary("Reject several applicants")),
        )
        .api_route(
            "/api/members/{id}",
            get_with(members::show, summary("One member"))
                .patch_with(members::update, summary("Change a member")),
        )
        .api_route(
            "/api/members/{id}/similar",
            get_with(
                similar::similar,
                summary("Accounts that look like this one"),
            ),
        )
        .api_route(
            "/api/members/{id}/audit",
            get_with(members::audit_trail, summary("A member's audit trail")),
        )
        .api_route(
            "/api/members/{id}/validate",
            post_with(lifecycle::validate, summary("Validate an applicant")),
        )
        .api_route(
            "/api/members/{id}/reject",
            post_with(lifecycle::reject, summary("Reject an applicant")),
        )
        .api_route(
            "/api/members/{id}/status",
            post_with(
                lifecycle::change_status,
                summary("Change a member's status"),
            ),
        )
        .api_route(
            "/api/members/{id}/role",
            put_with(roles::assign, summary("Give a member a role")),
        )
        .api_route(
            "/api/permissions",
            get_with(roles::permissions, summary("The permission catalogue")),
        )
        .api_route(
            "/api/roles",
            get_with(roles::list, summary("List roles"))
                .post_with(roles::create, summary("Create a role")),
        )
        .api_route(
            "/api/roles/{id}",
            get_with(roles::show, summary("One role"))
                .patch_with(roles::update, summary("Rename or describe a role"))
                .delete_with(roles::delete, summary("Delete a role")),
        )
        .api_route(
            "/api/roles/{id}/permissions",
            put_with(
                roles::replace_permissions,
                summary("Set a role's permissions"),
            ),
        )
        .api_route(
            "/api/invitations",
            get_with(invitations::list, summary("List invitations"))
                .post_with(invitations::create, summary("Invite someone")),
        )
        .api_route(
            "/api/invitations/{id}/resend",
            post_with(invitations::resend, summary("Send an invitation again")),
        )
        .api_route(
            "/api/invitations/{id}",
            delete_with(invitations::revoke, summary("Revoke an invitation")),
        )
        .api_route(
            "/api/imports",
            get_with(imports::list, summary("List imports"))
                .post_with(imports::create, summary("Start an import: upload link")),
        )
        .api_route(
            "/api/imports/{id}",
            get_with(imports::show, summary("One import and its report")),
        )
        .api_route(
            "/api/imports/{id}/start",
            post_with(imports::start, summary("Run an import (or a dry run)")),
        )
        .api_route(
            "/api/plans",
            get_with(plans::list, summary("List membership plans"))
                .post_with(plans::create, summary("Create a plan")),
        )
        .api_route(
            "/api/plans/{id}",
            get_with(plans::show, summary("One plan"))
                .patch_with(plans::update, summary("Change a plan"))
                .delete_with(plans::delete, summary("Delete an unused plan")),
        )
        .api_route(
            "/api/subscriptions",
            get_with(subscriptions::list, summary("List subscriptions")),
        )
        .api_route(
            "/api/subscriptions/me",
            get_with(subscriptions::mine, summary("Your subscriptions")),
        )
        .api_route(
            "/api/subscriptions/export",
            get_with(
                subscriptions::export,
                summary("Export subscriptions as CSV"),
            ),
        )
        .api_route(
            "/api/subscriptions/checkout/{session_id}",
            get_with(checkout::status, summary("One of your online payments")),
        )
        .api_route(
            "/api/subscriptions/checkout",
            post_with(
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
            post_with(subscriptions::manual, summary("Record a payment by hand")),
        )
        .api_route(
            "/api/subscriptions/{id}/cancel",
            post_with(subscriptions::cancel, summary("Cancel a subscription")),
        )
        .api_route(
            "/api/dashboard/stats",
            get_with(dashboard::stats, summary("Dashboard figures")),
        );
    tagged(api, "members")
}

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_shared::http::function_router(api(), state)
}
