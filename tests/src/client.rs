//! Requests as one caller, one helper per route family, so a story test
//! reads like the routes it drives:
//! `app.with_token(&admin).members().validate(id).await`. Each helper is one
//! route (its method and path) and answers the [`Reply`] as it came, for
//! the test to check.

use crate::{call, post_webhook, Reply, TestApp, TestUser};
use http::Method;
use loaf::local_payments::Delivery;
use serde_json::{json, Value};
use std::fmt::Display;
use uuid::Uuid;

/// Who the requests are from: a bearer token, or nobody.
pub struct Caller<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl TestApp {
    /// Requests carrying `token`.
    pub fn with_token(&self, token: &str) -> Caller<'_> {
        Caller {
            app: self,
            token: Some(token.to_string()),
        }
    }

    /// Requests as `user`, with a fresh access token.
    pub async fn as_user(&self, user: &TestUser) -> Caller<'_> {
        let token = self.token_for(user).await;
        self.with_token(&token)
    }

    /// Requests without a token.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            app: self,
            token: None,
        }
    }

    /// Posts a payment-provider webhook delivery, as the provider would.
    pub async fn deliver(&self, delivery: &Delivery) -> Reply {
        post_webhook(&self.api(), &delivery.signature, &delivery.body).await
    }
}

impl Caller<'_> {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        call(&self.app.api(), method, path, self.token.as_deref(), body).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `/api/auth/…`
    pub fn auth(&self) -> Auth<'_> {
        Auth(self)
    }

    /// `/api/invitations/…` (an admin's invitations)
    pub fn invitations(&self) -> Invitations<'_> {
        Invitations(self)
    }

    /// `/api/members/…`
    pub fn members(&self) -> Members<'_> {
        Members(self)
    }

    /// `/api/plans/…`
    pub fn roles(&self) -> Roles<'_> {
        Roles(self)
    }

    pub fn imports(&self) -> Imports<'_> {
        Imports(self)
    }

    pub fn plans(&self) -> Plans<'_> {
        Plans(self)
    }

    /// `/api/subscriptions/…`
    pub fn subscriptions(&self) -> Subscriptions<'_> {
        Subscriptions(self)
    }

    /// `/api/events/…` and `/api/calendar/…`
    pub fn events(&self) -> Events<'_> {
        Events(self)
    }

    /// `/api/documents/{library}/…`: `newsletters`, `financial-reports`,
    /// `bylaws`, `minutes`.
    pub fn documents<'b>(&'b self, library: &'b str) -> Library<'b> {
        Library(self, library)
    }

    /// `/api/donations/…`
    pub fn donations(&self) -> Donations<'_> {
        Donations(self)
    }

    /// `/api/settings/…`
    pub fn settings(&self) -> Settings<'_> {
        Settings(self)
    }

    /// `GET /api/dashboard/stats`
    pub async fn dashboard_stats(&self) -> Reply {
        self.get("/api/dashboard/stats").await
    }

    /// `GET /api/storage/usage`
    pub async fn storage_usage(&self) -> Reply {
        self.get("/api/storage/usage").await
    }

    /// `GET /api/audit?{query}`
    pub async fn audit_trail(&self, query: &str) -> Reply {
        self.get(&format!("/api/audit?{query}")).await
    }
}

pub struct Auth<'a>(&'a Caller<'a>);

/// One `POST /api/auth/{path}` helper per route, each taking the JSON body.
macro_rules! auth_posts {
    ($($name:ident => $path:literal,)+) => {
        impl Auth<'_> {
            $(
                #[doc = concat!("`POST ", $path, "`")]
                pub async fn $name(&self, body: Value) -> Reply {
                    self.0.post($path, body).await
                }
            )+
        }
    };
}

auth_posts! {
    register => "/api/auth/register",
    login => "/api/auth/login",
    logout => "/api/auth/logout",
    refresh => "/api/auth/refresh",
    verify_email => "/api/auth/verify-email",
    resend_verification => "/api/auth/resend-verification",
    accept_tos => "/api/auth/accept-tos",
    change_password => "/api/auth/change-password",
    change_email => "/api/auth/change-email",
    confirm_email_change => "/api/auth/confirm-email-change",
    request_erasure => "/api/auth/erasure",
    confirm_erasure => "/api/auth/confirm-erasure",
    forgot_password => "/api/auth/forgot-password",
    reset_password => "/api/auth/reset-password",
}

impl Auth<'_> {
    /// `GET /api/auth/export`: the caller's latest data export.
    pub async fn export(&self) -> Reply {
        self.0.get("/api/auth/export").await
    }

    /// `POST /api/auth/export`: asks for an export of the caller's data.
    pub async fn ask_export(&self) -> Reply {
        self.0.send(Method::POST, "/api/auth/export", None).await
    }

    /// `GET /api/auth/me`
    pub async fn me(&self) -> Reply {
        self.0.get("/api/auth/me").await
    }

    /// `PATCH /api/auth/me`
    pub async fn update_me(&self, body: Value) -> Reply {
        self.0.send(Method::PATCH, "/api/auth/me", Some(body)).await
    }

    /// `GET /api/auth/invitations/{token}`: what an invitation link offers.
    pub async fn invitation(&self, token: impl Display) -> Reply {
        self.0.get(&format!("/api/auth/invitations/{token}")).await
    }

    /// `POST /api/auth/invitations/{token}/accept`
    pub async fn accept_invitation(&self, token: impl Display, body: Value) -> Reply {
        let path = format!("/api/auth/invitations/{token}/accept");
        self.0.post(&path, body).await
    }
}

pub struct Invitations<'a>(&'a Caller<'a>);

impl Invitations<'_> {
    /// `POST /api/invitations`
    pub async fn create(&self, body: Value) -> Reply {
        self.0.post("/api/invitations", body).await
    }

    /// `GET /api/invitations?{query}`
    pub async fn list(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/invitations?{query}")).await
    }

    /// `DELETE /api/invitations/{id}`
    pub async fn revoke(&self, id: impl Display) -> Reply {
        let path = format!("/api/invitations/{id}");
        self.0.send(Method::DELETE, &path, None).await
    }

    /// `POST /api/invitations/{id}/resend`
    pub async fn resend(&self, id: impl Display) -> Reply {
        let path = format!("/api/invitations/{id}/resend");
        self.0.send(Method::POST, &path, None).await
    }
}

pub struct Members<'a>(&'a Caller<'a>);

impl Members<'_> {
    /// `GET /api/members/{id}/data-export`: the member's latest data export.
    pub async fn data_export(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/members/{id}/data-export")).await
    }

    /// `POST /api/members/{id}/data-export`
    pub async fn ask_data_export(&self, id: impl Display) -> Reply {
        let path = format!("/api/members/{id}/data-export");
        self.0.send(Method::POST, &path, None).await
    }

    /// `GET /api/members?{query}` (`query` without the `?`, may be empty)
    pub async fn list(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/members?{query}")).await
    }

    /// `POST /api/members/{id}/validate`
    pub async fn validate(&self, id: impl Display) -> Reply {
        let path = format!("/api/members/{id}/validate");
        self.0.send(Method::POST, &path, None).await
    }

    /// `POST /api/members/{id}/reject {reason}`
    pub async fn reject(&self, id: impl Display, body: Value) -> Reply {
        self.0
            .post(&format!("/api/members/{id}/reject"), body)
            .await
    }

    /// `POST /api/members/validate {ids}`
    pub async fn validate_many(&self, body: Value) -> Reply {
        self.0.post("/api/members/validate", body).await
    }

    /// `POST /api/members/reject {ids, reason}`
    pub async fn reject_many(&self, body: Value) -> Reply {
        self.0.post("/api/members/reject", body).await
    }

    /// `POST /api/members/{id}/status {status, reason?}`
    pub async fn set_status(&self, id: impl Display, body: Value) -> Reply {
        self.0
            .post(&format!("/api/members/{id}/status"), body)
            .await
    }

    /// `PUT /api/members/{id}/role {role_id}`
    pub async fn set_role(&self, id: impl Display, role_id: Uuid) -> Reply {
        let body = serde_json::json!({ "role_id": role_id });
        let path = format!("/api/members/{id}/role");
        self.0.send(Method::PUT, &path, Some(body)).await
    }

    /// `GET /api/members/{id}`
    pub async fn show(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/members/{id}")).await
    }

    /// `PATCH /api/members/{id}`
    pub async fn update(&self, id: impl Display, body: Value) -> Reply {
        self.0
            .send(Method::PATCH, &format!("/api/members/{id}"), Some(body))
            .await
    }

    /// `POST /api/members/{id}/erase`
    pub async fn erase(&self, id: impl Display) -> Reply {
        self.0
            .post(&format!("/api/members/{id}/erase"), json!({}))
            .await
    }

    /// `GET /api/members/{id}/audit`
    pub async fn audit(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/members/{id}/audit")).await
    }

    /// `GET /api/members/export?{query}` (`query` without the `?`, may be
    /// empty)
    pub async fn export(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/members/export?{query}")).await
    }

    /// `GET /api/members/{id}/similar`
    pub async fn similar(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/members/{id}/similar")).await
    }

    /// `GET /api/members/directory?{query}` (`query` without the `?`, may be
    /// empty)
    pub async fn directory(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/members/directory?{query}")).await
    }
}

pub struct Roles<'a>(&'a Caller<'a>);

impl Roles<'_> {
    /// `GET /api/permissions`: the catalogue, by module.
    pub async fn catalogue(&self) -> Reply {
        self.0.get("/api/permissions").await
    }

    /// `GET /api/roles`
    pub async fn list(&self) -> Reply {
        self.0.get("/api/roles").await
    }

    /// `POST /api/roles {code, name, permissions?}`
    pub async fn create(&self, body: Value) -> Reply {
        self.0.post("/api/roles", body).await
    }

    /// `GET /api/roles/{id}`
    pub async fn show(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/roles/{id}")).await
    }

    /// `PATCH /api/roles/{id}`
    pub async fn update(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/roles/{id}");
        self.0.send(Method::PATCH, &path, Some(body)).await
    }

    /// `PUT /api/roles/{id}/permissions {codes}`
    pub async fn set_permissions(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/roles/{id}/permissions");
        self.0.send(Method::PUT, &path, Some(body)).await
    }

    /// `DELETE /api/roles/{id}`
    pub async fn delete(&self, id: impl Display) -> Reply {
        let path = format!("/api/roles/{id}");
        self.0.send(Method::DELETE, &path, None).await
    }
}

pub struct Imports<'a>(&'a Caller<'a>);

impl Imports<'_> {
    /// `POST /api/imports {filename, size_bytes}`: reserves an upload.
    pub async fn create(&self, body: Value) -> Reply {
        self.0.post("/api/imports", body).await
    }

    /// `POST /api/imports/{id}/start`
    pub async fn start(&self, id: impl Display, body: Option<Value>) -> Reply {
        let path = format!("/api/imports/{id}/start");
        self.0.send(Method::POST, &path, body).await
    }

    /// `GET /api/imports`
    pub async fn list(&self) -> Reply {
        self.0.get("/api/imports").await
    }

    /// `GET /api/imports/{id}`
    pub async fn show(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/imports/{id}")).await
    }

    /// `GET /api/imports/{id}/rejected`: the refused lines' download link.
    pub async fn rejected(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/imports/{id}/rejected")).await
    }
}

pub struct Plans<'a>(&'a Caller<'a>);

impl Plans<'_> {
    /// `POST /api/plans`
    pub async fn create(&self, body: Value) -> Reply {
        self.0.post("/api/plans", body).await
    }

    /// `GET /api/plans?{query}`
    pub async fn list(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/plans?{query}")).await
    }

    /// `GET /api/plans/{id}`
    pub async fn show(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/plans/{id}")).await
    }

    /// `PATCH /api/plans/{id}`
    pub async fn update(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/plans/{id}");
        self.0.send(Method::PATCH, &path, Some(body)).await
    }

    /// `DELETE /api/plans/{id}`
    pub async fn delete(&self, id: impl Display) -> Reply {
        let path = format!("/api/plans/{id}");
        self.0.send(Method::DELETE, &path, None).await
    }
}

pub struct Subscriptions<'a>(&'a Caller<'a>);

impl Subscriptions<'_> {
    /// `POST /api/subscriptions/checkout {plan_id, amount_cents?, donation_cents?}`
    pub async fn checkout(&self, body: Value) -> Reply {
        self.0.post("/api/subscriptions/checkout", body).await
    }

    /// `GET /api/subscriptions/checkout/{session_id}`
    pub async fn checkout_status(&self, session_id: &str) -> Reply {
        let path = format!("/api/subscriptions/checkout/{session_id}");
        self.0.get(&path).await
    }

    /// `GET /api/subscriptions/me`
    pub async fn mine(&self) -> Reply {
        self.0.get("/api/subscriptions/me").await
    }

    /// `POST /api/subscriptions/me/cancel {reason?}`
    pub async fn cancel_mine(&self, body: Value) -> Reply {
        self.0.post("/api/subscriptions/me/cancel", body).await
    }

    /// `POST /api/subscriptions/me/resume`
    pub async fn resume_mine(&self) -> Reply {
        self.0
            .send(Method::POST, "/api/subscriptions/me/resume", None)
            .await
    }

    /// `POST /api/subscriptions/offline {plan_id, method, amount_cents?, donation_cents?}`
    pub async fn promise(&self, body: Value) -> Reply {
        self.0.post("/api/subscriptions/offline", body).await
    }

    /// `GET /api/subscriptions/offline/me`
    pub async fn my_promise(&self) -> Reply {
        self.0.get("/api/subscriptions/offline/me").await
    }

    /// `DELETE /api/subscriptions/offline/me`
    pub async fn withdraw_promise(&self) -> Reply {
        self.0
            .send(Method::DELETE, "/api/subscriptions/offline/me", None)
            .await
    }

    /// `GET /api/subscriptions/offline?{query}`
    pub async fn promised(&self, query: &str) -> Reply {
        self.0
            .get(&format!("/api/subscriptions/offline?{query}"))
            .await
    }

    /// `POST /api/subscriptions/offline/{id}/confirm {paid_on?}`
    pub async fn confirm_promise(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/subscriptions/offline/{id}/confirm");
        self.0.post(&path, body).await
    }

    /// `POST /api/subscriptions/offline/{id}/cancel {reason?}`
    pub async fn cancel_promise(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/subscriptions/offline/{id}/cancel");
        self.0.post(&path, body).await
    }

    /// `POST /api/subscriptions/manual`: a payment recorded by hand.
    pub async fn record_payment(&self, body: Value) -> Reply {
        self.0.post("/api/subscriptions/manual", body).await
    }

    /// `POST /api/subscriptions/complimentary {user_id, plan_id?, until, reason}`
    pub async fn grant(&self, body: Value) -> Reply {
        self.0.post("/api/subscriptions/complimentary", body).await
    }

    /// `GET /api/subscriptions?{query}`
    pub async fn list(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/subscriptions?{query}")).await
    }

    /// `GET /api/subscriptions/export?{query}`
    pub async fn export(&self, query: &str) -> Reply {
        self.0
            .get(&format!("/api/subscriptions/export?{query}"))
            .await
    }

    /// `GET /api/subscriptions/{id}/confirmation/pdf`
    pub async fn confirmation_pdf(&self, id: impl Display) -> Reply {
        let path = format!("/api/subscriptions/{id}/confirmation/pdf");
        self.0.get(&path).await
    }

    /// `POST /api/subscriptions/{id}/refund {amount_cents?, reason}`
    pub async fn refund(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/subscriptions/{id}/refund");
        self.0.post(&path, body).await
    }

    /// `POST /api/subscriptions/{id}/cancel {when?, reason?}`
    pub async fn cancel(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/subscriptions/{id}/cancel");
        self.0.post(&path, body).await
    }
}

pub struct Events<'a>(&'a Caller<'a>);

impl Events<'_> {
    /// `POST /api/events`
    pub async fn create(&self, body: Value) -> Reply {
        self.0.post("/api/events", body).await
    }

    /// `GET /api/events?{query}`
    pub async fn list(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/events?{query}")).await
    }

    /// `GET /api/events/{id}`
    pub async fn show(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/events/{id}")).await
    }

    /// `PATCH /api/events/{id}`
    pub async fn update(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/events/{id}");
        self.0.send(Method::PATCH, &path, Some(body)).await
    }

    /// `DELETE /api/events/{id}`
    pub async fn delete(&self, id: impl Display) -> Reply {
        let path = format!("/api/events/{id}");
        self.0.send(Method::DELETE, &path, None).await
    }

    /// `POST /api/events/{id}/publish`
    pub async fn publish(&self, id: impl Display) -> Reply {
        let path = format!("/api/events/{id}/publish");
        self.0.send(Method::POST, &path, None).await
    }

    /// `PUT /api/events/{id}/rsvp {status}`
    pub async fn rsvp(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/events/{id}/rsvp");
        self.0.send(Method::PUT, &path, Some(body)).await
    }

    /// `GET /api/events/{id}/rsvp`: the caller's own answer.
    pub async fn my_rsvp(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/events/{id}/rsvp")).await
    }

    /// `GET /api/events/{id}/rsvps?{query}`
    pub async fn rsvps(&self, id: impl Display, query: &str) -> Reply {
        self.0.get(&format!("/api/events/{id}/rsvps?{query}")).await
    }

    /// `POST /api/events/{id}/attendance {user_ids, attended}`
    pub async fn attendance(&self, id: impl Display, body: Value) -> Reply {
        self.0
            .post(&format!("/api/events/{id}/attendance"), body)
            .await
    }

    /// `POST /api/events/{id}/gallery {upload_id, caption?}`
    pub async fn add_photo(&self, id: impl Display, body: Value) -> Reply {
        self.0
            .post(&format!("/api/events/{id}/gallery"), body)
            .await
    }

    /// `GET /api/events/{id}/gallery`
    pub async fn photos(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/events/{id}/gallery")).await
    }

    /// `PATCH /api/events/{id}/gallery/{photo}`
    pub async fn update_photo(&self, id: impl Display, photo: impl Display, body: Value) -> Reply {
        let path = format!("/api/events/{id}/gallery/{photo}");
        self.0.send(Method::PATCH, &path, Some(body)).await
    }

    /// `DELETE /api/events/{id}/gallery/{photo}`
    pub async fn delete_photo(&self, id: impl Display, photo: impl Display) -> Reply {
        let path = format!("/api/events/{id}/gallery/{photo}");
        self.0.send(Method::DELETE, &path, None).await
    }

    /// `POST /api/calendar/token`: the caller's calendar feed.
    pub async fn calendar_token(&self) -> Reply {
        self.0.send(Method::POST, "/api/calendar/token", None).await
    }

    /// `DELETE /api/calendar/token`
    pub async fn revoke_calendar_token(&self) -> Reply {
        self.0
            .send(Method::DELETE, "/api/calendar/token", None)
            .await
    }
}

pub struct Library<'a>(&'a Caller<'a>, &'a str);

impl Library<'_> {
    /// `POST /api/documents/{library}/uploads {file_name, content_type, size_bytes}`
    pub async fn reserve(&self, body: Value) -> Reply {
        let path = format!("/api/documents/{}/uploads", self.1);
        self.0.post(&path, body).await
    }

    /// `POST /api/documents/{library}`
    pub async fn add(&self, body: Value) -> Reply {
        self.0
            .post(&format!("/api/documents/{}", self.1), body)
            .await
    }

    /// `GET /api/documents/{library}?{query}`
    pub async fn list(&self, query: &str) -> Reply {
        self.0
            .get(&format!("/api/documents/{}?{query}", self.1))
            .await
    }

    /// `PATCH /api/documents/{library}/{id}`
    pub async fn update(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/documents/{}/{id}", self.1);
        self.0.send(Method::PATCH, &path, Some(body)).await
    }

    /// `DELETE /api/documents/{library}/{id}`
    pub async fn delete(&self, id: impl Display) -> Reply {
        let path = format!("/api/documents/{}/{id}", self.1);
        self.0.send(Method::DELETE, &path, None).await
    }

    /// `GET /api/documents/{library}/{id}/download`
    pub async fn download(&self, id: impl Display) -> Reply {
        let path = format!("/api/documents/{}/{id}/download", self.1);
        self.0.get(&path).await
    }
}

pub struct Settings<'a>(&'a Caller<'a>);

impl Settings<'_> {
    /// `GET /api/settings`
    pub async fn show(&self) -> Reply {
        self.0.get("/api/settings").await
    }

    /// `PATCH /api/settings`
    pub async fn update(&self, body: Value) -> Reply {
        self.0
            .send(Method::PATCH, "/api/settings", Some(body))
            .await
    }

    /// `POST /api/settings/logo/uploads {file_name, content_type, size_bytes}`
    pub async fn reserve_logo(&self, body: Value) -> Reply {
        self.0.post("/api/settings/logo/uploads", body).await
    }

    /// `PUT /api/settings/logo {upload_id}`
    pub async fn set_logo(&self, body: Value) -> Reply {
        self.0
            .send(Method::PUT, "/api/settings/logo", Some(body))
            .await
    }

    /// `DELETE /api/settings/logo`
    pub async fn remove_logo(&self) -> Reply {
        self.0
            .send(Method::DELETE, "/api/settings/logo", None)
            .await
    }
}

pub struct Donations<'a>(&'a Caller<'a>);

impl Donations<'_> {
    /// `POST /api/donations/checkout`: giving online.
    pub async fn checkout(&self, body: Value) -> Reply {
        self.0.post("/api/donations/checkout", body).await
    }

    /// `GET /api/donations/checkout/{session_id}`
    pub async fn gift_status(&self, session_id: impl Display) -> Reply {
        self.0
            .get(&format!("/api/donations/checkout/{session_id}"))
            .await
    }

    /// `POST /api/donations/manual`: a gift recorded by hand.
    pub async fn record(&self, body: Value) -> Reply {
        self.0.post("/api/donations/manual", body).await
    }

    /// `GET /api/donations?{query}`
    pub async fn list(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/donations?{query}")).await
    }

    /// `GET /api/donations/{id}/receipt/pdf`
    pub async fn receipt_pdf(&self, id: impl Display) -> Reply {
        self.0
            .get(&format!("/api/donations/{id}/receipt/pdf"))
            .await
    }

    /// `POST /api/donations/{id}/refund {amount_cents?, reason}`
    pub async fn refund(&self, id: impl Display, body: Value) -> Reply {
        let path = format!("/api/donations/{id}/refund");
        self.0.post(&path, body).await
    }

    /// `GET /api/donations/{id}`
    pub async fn show(&self, id: impl Display) -> Reply {
        self.0.get(&format!("/api/donations/{id}")).await
    }

    /// `POST /api/donations/{id}/receipt`
    pub async fn resend_receipt(&self, id: impl Display) -> Reply {
        let path = format!("/api/donations/{id}/receipt");
        self.0.send(Method::POST, &path, None).await
    }

    /// `GET /api/donations/export?{query}`
    pub async fn export(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/donations/export?{query}")).await
    }

    /// `GET /api/donations/stats?{query}`
    /// `GET /api/donations/statements/{year}`: the year's donors.
    pub async fn statements(&self, year: impl Display) -> Reply {
        self.0
            .get(&format!("/api/donations/statements/{year}"))
            .await
    }

    /// `GET /api/donations/statements/{year}/mine`
    pub async fn my_statement(&self, year: impl Display) -> Reply {
        self.0
            .get(&format!("/api/donations/statements/{year}/mine"))
            .await
    }

    /// `GET /api/donations/statements/{year}/pdf?{query}` (whose: `user_id=`
    /// or `email=`)
    pub async fn statement_pdf(&self, year: impl Display, query: &str) -> Reply {
        self.0
            .get(&format!("/api/donations/statements/{year}/pdf?{query}"))
            .await
    }

    /// `POST /api/donations/statements/{year}/send`
    pub async fn send_statements(&self, year: impl Display) -> Reply {
        self.0
            .post(&format!("/api/donations/statements/{year}/send"), json!({}))
            .await
    }

    pub async fn stats(&self, query: &str) -> Reply {
        self.0.get(&format!("/api/donations/stats?{query}")).await
    }
}
