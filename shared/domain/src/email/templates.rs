//! The emails the platform sends, each written once as blocks and rendered
//! to both plain text and HTML, so the two never disagree.

use crate::domain::money;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use loaf_core::config::EmailConfig;

/// One email, with what it needs to say. Links are built from
/// `FRONTEND_URL`, so they open the frontend's page for the action.
#[derive(Debug, Clone)]
pub enum Mail {
    /// After registration: confirm the address.
    VerifyEmail { first_name: String, token: String },
    /// Someone registered with an address that already has an account: the
    /// owner is told instead of the stranger.
    AlreadyRegistered { first_name: String },
    /// Sent to the new address a member asked for: confirm it.
    ConfirmEmailChange {
        first_name: String,
        token: String,
        new_email: String,
    },
    /// A donor's statement of a year: every gift with its receipt number,
    /// and the total; a member can download it as PDF from their gifts.
    DonationStatement {
        name: String,
        year: i32,
        number: String,
        gifts: Vec<(String, String)>,
        total: String,
        member: bool,
    },
    /// The data export someone asked for is ready; `about` names the member
    /// when an admin asked for someone else's, and `path` is the page that
    /// hands out the download link.
    DataExportReady {
        first_name: String,
        about: Option<String>,
        path: String,
    },
    /// The member asked for their account to be erased: the link confirms.
    ConfirmErasure { first_name: String, token: String },
    /// Sent to a member's old address once the new one is confirmed.
    EmailChanged {
        first_name: String,
        new_email: String,
    },
    /// Someone asked to move their account to this address, which has an
    /// account already: its owner is told, the asker learns nothing.
    EmailInUse { first_name: String },
    /// Forgot password: a one-hour reset link.
    PasswordReset { first_name: String, token: String },
    /// The password was changed or reset.
    PasswordChanged { first_name: String },
    /// An admin invited this address.
    Invitation {
        inviter: String,
        role: String,
        token: String,
        expires_at: DateTime<Utc>,
    },
    /// An admin imported this member: choose a password to sign in.
    AccountReady {
        first_name: String,
        token: String,
        expires_at: DateTime<Utc>,
    },
    /// An admin validated the application: next step is paying.
    Validated { first_name: String },
    /// An admin rejected the application, with their reason.
    Rejected { first_name: String, reason: String },
    /// Validated but not yet paid.
    PaymentReminder { first_name: String },
    /// A membership is about to end.
    RenewalReminder {
        first_name: String,
        plan: String,
        ends_on: NaiveDate,
    },
    /// An admin granted a period without payment.
    MembershipGranted {
        first_name: String,
        plan: String,
        /// The last day covered; `None` for lifetime.
        last_day: Option<NaiveDate>,
    },
    /// The member cancelled their membership: it runs to its last day.
    MembershipCancelled {
        first_name: String,
        plan: String,
        last_day: NaiveDate,
    },
    /// A membership ran out (sent on the day and after, on the renewal
    /// schedule, until the member renews).
    MembershipEnded {
        first_name: String,
        plan: String,
        ended_on: NaiveDate,
        /// The last day of the grace period, while it runs.
        open_until: Option<NaiveDate>,
    },
    /// A seat freed up (or the event grew) and this member's waiting "yes"
    /// now holds one.
    SeatConfirmed {
        first_name: String,
        event_id: uuid::Uuid,
        title: String,
        /// The start on the event's own clock, and that clock's zone.
        starts_local: NaiveDateTime,
        time_zone: String,
    },
    /// An event this member said "yes" to starts soon.
    EventReminder {
        first_name: String,
        event_id: uuid::Uuid,
        title: String,
        /// The start on the event's own clock, and that clock's zone.
        starts_local: NaiveDateTime,
        time_zone: String,
        location: Option<String>,
    },
    /// A member promised to pay offline: how, and the reference to give
    /// (again, as a `reminder`, while the money has not arrived).
    OfflinePayment {
        first_name: String,
        plan: String,
        amount: String,
        reference: String,
        instructions: String,
        reminder: bool,
    },
    /// An admin cancelled a promised offline payment.
    OfflinePaymentCancelled {
        first_name: String,
        reference: String,
        reason: Option<String>,
    },
    /// A membership payment came in (online or recorded by an admin).
    MembershipPaid {
        first_name: String,
        plan: String,
        amount_cents: i64,
        currency: String,
        /// The last day covered; `None` for lifetime.
        last_day: Option<NaiveDate>,
    },
    /// A donation came in: its numbered receipt.
    DonationReceipt {
        donor_name: String,
        number: String,
        amount_cents: i64,
        currency: String,
        given_on: NaiveDate,
        /// What an in-kind gift was (its value is the amount).
        in_kind: Option<String>,
        dedication: Option<String>,
        /// The receipt this one replaces, voided by a partial refund.
        replaces: Option<String>,
    },
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// A stable name of the template (`verify_email`, ...), kept in the outbox.
    pub kind: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

enum Block {
    Para(String),
    /// A call to action: its label and URL.
    Button(&'static str, String),
    /// Someone else's words, shown set apart.
    Quote(String),
}

use Block::{Button, Para, Quote};

impl Mail {
    /// Renders the email for the organisation and frontend in `cfg`.
    pub fn render(&self, cfg: &EmailConfig) -> Rendered {
        let org = &cfg.org_name;
        let url = |path: &str| format!("{}{path}", cfg.frontend_url);
        let hello = |name: &str| Para(format!("Hello {name},"));
        let (kind, subject, blocks) = match self {
            Mail::VerifyEmail { first_name, token } => (
                "verify_email",
                format!("Confirm your email address for {org}"),
                vec![
                    hello(first_name),
                    Para(format!("Thank you for applying to join {org}. Confirm that this address is yours to continue:")),
                    Button("Confirm my email", url(&format!("/verify-email?token={token}"))),
                    Para("The link works once and expires in 48 hours. If you did not register, ignore this email.".into()),
                ],
            ),
            Mail::AlreadyRegistered { first_name } => (
                "already_registered",
                format!("Someone tried to register with your address at {org}"),
                vec![
                    hello(first_name),
                    Para(format!("Someone (perhaps you) tried to register a new {org} account with this email address, which already has one. No new account was made.")),
                    Button("Sign in", url("/login")),
                    Para("If you forgot your password, reset it:".into()),
                    Button("Reset my password", url("/forgot-password")),
                ],
            ),
            Mail::ConfirmEmailChange { first_name, token, new_email } => (
                "confirm_email_change",
                format!("Confirm your new {org} address"),
                vec![
                    hello(first_name),
                    Para(format!("You asked to sign in to {org} as {new_email} from now on. Confirm it is yours (the link works for 24 hours):")),
                    Button("Confirm my new address", url(&format!("/confirm-email-change?token={token}"))),
                    Para("If you did not ask for this, ignore this email: nothing changes.".into()),
                ],
            ),
            Mail::DonationStatement { name, year, number, gifts, total, member } => (
                "donation_statement",
                format!("Your {year} donation statement from {org}"),
                {
                    let mut parts = vec![
                        hello(name),
                        Para(format!("Here is your statement {number} of the gifts you made to {org} in {year}, net of any refund:")),
                    ];
                    parts.extend(gifts.iter().map(|(when, amount)| Para(format!("{when}: {amount}"))));
                    parts.push(Para(format!("Total given in {year}: {total}.")));
                    if *member {
                        parts.push(Button("Download it as PDF", url("/donations")));
                    }
                    parts.push(Para(format!("Thank you for supporting {org}.")));
                    parts
                },
            ),
            Mail::DataExportReady { first_name, about, path } => (
                "data_export_ready",
                match about {
                    Some(name) => format!("The data export of {name} is ready"),
                    None => format!("Your {org} data export is ready"),
                },
                vec![
                    hello(first_name),
                    Para(match about {
                        Some(name) => format!("The archive of everything {org} holds about {name} is ready. It is personal data: keep it safe, and delete it when you are done."),
                        None => format!("The archive of everything {org} holds about you is ready: your account, profile, consents, memberships, gifts, events, sessions, the emails we sent you and the record of changes to your account, as JSON, with the photos you uploaded."),
                    }),
                    Button("Download the archive", url(path)),
                    Para("The download link works for an hour each time you ask for it; the archive itself is deleted after a week.".into()),
                ],
            ),
            Mail::ConfirmErasure { first_name, token } => (
                "confirm_erasure",
                format!("Confirm that {org} should erase your account"),
                vec![
                    hello(first_name),
                    Para(format!("You asked {org} to erase your account. Following the link below erases your name, address, contact details, profile, photos and the emails about you, and ends every session; it cannot be undone (the link works for 24 hours).")),
                    Para(format!("Your payments and gifts stay in {org}'s accounts, with their amounts and dates only, for as long as the law asks it to keep them.")),
                    Button("Erase my account", url(&format!("/confirm-erasure?token={token}"))),
                    Para("If you did not ask for this, ignore this email: nothing changes.".into()),
                ],
            ),
            Mail::EmailChanged { first_name, new_email } => (
                "email_changed",
                format!("Your {org} sign-in address changed"),
                vec![
                    hello(first_name),
                    Para(format!("Your {org} account now signs in as {new_email}, and its emails go there. Your password and sessions are unchanged.")),
                    Para(format!("If you did not do this, reset your password and contact {org} at once:")),
                    Button("Reset my password", url("/forgot-password")),
                ],
            ),
            Mail::EmailInUse { first_name } => (
                "email_in_use",
                format!("Your {org} address"),
                vec![
                    hello(first_name),
                    Para(format!("Someone (perhaps you, from another {org} account) asked to move their account to this email address, which already has one. Nothing changed.")),
                    Para("If you meant to merge two accounts, ask the organisation.".into()),
                ],
            ),
            Mail::PasswordReset { first_name, token } => (
                "password_reset",
                format!("Reset your {org} password"),
                vec![
                    hello(first_name),
                    Para("We received a request to reset your password. Choose a new one here:".into()),
                    Button("Choose a new password", url(&format!("/reset-password?token={token}"))),
                    Para("The link works once and expires in one hour. If you did not ask for it, ignore this email: your password stays as it is.".into()),
                ],
            ),
            Mail::PasswordChanged { first_name } => (
                "password_changed",
                format!("Your {org} password was changed"),
                vec![
                    hello(first_name),
                    Para("Your password was just changed, and every other session was signed out.".into()),
                    Para("If this was not you, reset your password now and tell us:".into()),
                    Button("Reset my password", url("/forgot-password")),
                ],
            ),
            Mail::Invitation { inviter, role, token, expires_at } => (
                "invitation",
                format!("You are invited to join {org}"),
                vec![
                    Para("Hello,".into()),
                    Para(format!("{inviter} invited you to join {org} as {role}. Create your account here:")),
                    Button("Accept the invitation", url(&format!("/invitations/{token}"))),
                    Para(format!("The invitation expires on {}.", expires_at.format("%Y-%m-%d %H:%M UTC"))),
                ],
            ),
            Mail::AccountReady { first_name, token, expires_at } => (
                "account_ready",
                format!("Your {org} membership is now online"),
                vec![
                    hello(first_name),
                    Para(format!("{org} now keeps its membership online, and your account is ready. Choose a password to sign in:")),
                    Button("Choose my password", url(&format!("/reset-password?token={token}"))),
                    Para(format!("The link works once and expires on {}.", expires_at.format("%Y-%m-%d %H:%M UTC"))),
                ],
            ),
            Mail::Validated { first_name } => (
                "validated",
                format!("Welcome to {org}: your application is accepted"),
                vec![
                    hello(first_name),
                    Para(format!("Good news: your application to {org} has been validated. The last step is your membership payment:")),
                    Button("Choose my membership", url("/membership")),
                ],
            ),
            Mail::Rejected { first_name, reason } => (
                "rejected",
                format!("Your application to {org}"),
                vec![
                    hello(first_name),
                    Para(format!("Thank you for your interest in {org}. We are sorry to tell you that your application was not accepted, for this reason:")),
                    Quote(reason.clone()),
                    Para("If you have questions, reply to this email.".into()),
                ],
            ),
            Mail::PaymentReminder { first_name } => (
                "payment_reminder",
                format!("Complete your {org} membership"),
                vec![
                    hello(first_name),
                    Para("Your application was validated, but your membership is not paid yet. Complete it here:".into()),
                    Button("Pay my membership", url("/membership")),
                ],
            ),
            Mail::RenewalReminder { first_name, plan, ends_on } => (
                "renewal_reminder",
                format!("Your {org} membership ends on {ends_on}"),
                vec![
                    hello(first_name),
                    Para(format!("Your {plan} membership ends on {ends_on}. Renew it to stay a member:")),
                    Button("Renew my membership", url("/membership")),
                ],
            ),
            Mail::MembershipGranted { first_name, plan, last_day } => (
                "membership_granted",
                format!("Your {org} membership"),
                vec![
                    hello(first_name),
                    Para(match last_day {
                        Some(day) => format!("{org} has granted you a {plan} membership, with nothing to pay, up to and including {day}."),
                        None => format!("{org} has granted you a {plan} membership for life, with nothing to pay."),
                    }),
                    Button("See my membership", url("/membership")),
                ],
            ),
            Mail::MembershipCancelled { first_name, plan, last_day } => (
                "membership_cancelled",
                format!("Your {org} membership is cancelled"),
                vec![
                    hello(first_name),
                    Para(format!("As you asked, your {plan} membership will not be renewed: it runs up to and including {last_day}, then ends. No reminders will follow.")),
                    Para("Changed your mind? Keep it from your membership page before then:".into()),
                    Button("My membership", url("/membership")),
                ],
            ),
            Mail::MembershipEnded { first_name, plan, ended_on, open_until } => (
                "membership_ended",
                format!("Your {org} membership has ended"),
                vec![
                    hello(first_name),
                    Para(format!("Your {plan} membership ended on {ended_on}.")),
                    Para(match open_until {
                        Some(day) => format!("The members' documents, galleries, events and directory stay open to you until {day}. Renew to keep them:"),
                        None => "Renew it to open the members' documents, galleries, events and directory again:".into(),
                    }),
                    Button("Renew my membership", url("/membership")),
                ],
            ),
            Mail::SeatConfirmed { first_name, event_id, title, starts_local, time_zone } => (
                "seat_confirmed",
                format!("A seat is yours: {title}"),
                vec![
                    hello(first_name),
                    Para(format!(
                        "A seat freed up at {title} ({} {time_zone}), and you were next on the waiting list: you are now attending.",
                        starts_local.format("%Y-%m-%d %H:%M")
                    )),
                    Para("If you can no longer come, change your answer so the next person gets the seat:".into()),
                    Button("See the event", url(&format!("/events/{event_id}"))),
                ],
            ),
            Mail::EventReminder { first_name, event_id, title, starts_local, time_zone, location } => (
                "event_reminder",
                format!("Reminder: {title}, {}", starts_local.format("%Y-%m-%d %H:%M")),
                vec![
                    hello(first_name),
                    Para(format!(
                        "You said you are coming to {title}: it starts on {} at {} ({time_zone}){}.",
                        starts_local.format("%Y-%m-%d"),
                        starts_local.format("%H:%M"),
                        location.as_deref().map(|l| format!(", at {l}")).unwrap_or_default()
                    )),
                    Para("If you can no longer come, change your answer so someone else can have your seat:".into()),
                    Button("See the event", url(&format!("/events/{event_id}"))),
                ],
            ),
            Mail::OfflinePayment { first_name, plan, amount, reference, instructions, reminder } => (
                if *reminder { "offline_payment_reminder" } else { "offline_payment" },
                if *reminder {
                    format!("Your {org} membership payment has not arrived yet")
                } else {
                    format!("How to pay your {org} membership")
                },
                vec![
                    hello(first_name),
                    Para(if *reminder {
                        format!("We have not received your payment of {amount} for your {plan} membership yet. If you sent it, thank you: it may be on its way. Otherwise, here is how to pay:")
                    } else {
                        format!("Thank you for choosing the {plan} membership. Please pay {amount} as follows:")
                    }),
                    Quote(instructions.clone()),
                    Para(format!("Give this reference with your payment (on the transfer, or on the back of the cheque): {reference}")),
                    Para("Your membership starts when the payment arrives; you will get a confirmation.".into()),
                    Button("My membership", url("/membership")),
                ],
            ),
            Mail::OfflinePaymentCancelled { first_name, reference, reason } => (
                "offline_payment_cancelled",
                format!("Your {org} payment {reference} is cancelled"),
                {
                    let mut blocks = vec![
                        hello(first_name),
                        Para(format!("{org} cancelled the payment you promised (reference {reference}): nothing is owed for it any more.")),
                    ];
                    if let Some(why) = reason {
                        blocks.push(Para("Their reason:".into()));
                        blocks.push(Quote(why.clone()));
                    }
                    blocks.push(Para("To become or stay a member, choose how to pay again:".into()));
                    blocks.push(Button("My membership", url("/membership")));
                    blocks
                },
            ),
            Mail::MembershipPaid { first_name, plan, amount_cents, currency, last_day } => (
                "membership_paid",
                format!("Your {org} membership is active"),
                vec![
                    hello(first_name),
                    Para(format!(
                        "Thank you: we received {currency} {} for your {plan} membership.",
                        money(*amount_cents)
                    )),
                    Para(match last_day {
                        Some(day) => format!("Your membership runs until {day} inclusive."),
                        None => "Your membership is for life.".to_string(),
                    }),
                    Button("My membership", url("/membership")),
                ],
            ),
            Mail::DonationReceipt { donor_name, number, amount_cents, currency, given_on, in_kind, dedication, replaces } => {
                let amount = format!("{currency} {}", money(*amount_cents));
                let mut blocks = vec![
                    hello(donor_name),
                    Para(format!("Thank you for your gift to {org}. This is your receipt.")),
                    Para(format!("Receipt number: {number}")),
                    Para(format!("Date: {given_on}")),
                    Para(format!("Amount: {amount}")),
                ];
                if let Some(voided) = replaces {
                    blocks.push(Para(format!("After a partial refund, this receipt replaces receipt {voided}, which is void.")));
                }
                if let Some(what) = in_kind {
                    blocks.push(Para(format!("Given in kind: {what} (valued at {amount}).")));
                }
                if let Some(d) = dedication {
                    blocks.push(Para("Given with this dedication:".into()));
                    blocks.push(Quote(d.clone()));
                }
                blocks.push(Para("Keep this email for your records.".into()));
                ("donation_receipt", format!("Your receipt {number} from {org}"), blocks)
            }
        };
        Rendered {
            kind,
            text: text(&blocks, org),
            html: html(&subject, &blocks, org),
            subject,
        }
    }
}

fn text(blocks: &[Block], org: &str) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Para(p) => out.push_str(p),
            Button(label, url) => out.push_str(&format!("{label}: {url}")),
            Quote(q) => {
                let quoted: Vec<String> = q.lines().map(|l| format!("> {l}")).collect();
                out.push_str(&quoted.join("\n"));
            }
        }
        out.push_str("\n\n");
    }
    out.push_str(&format!("— {org}\n"));
    out
}

fn html(subject: &str, blocks: &[Block], org: &str) -> String {
    let mut body = String::new();
    for block in blocks {
        match block {
            Para(p) => body.push_str(&format!("<p>{}</p>\n", escape(p))),
            Button(label, url) => body.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 18px;background:#2f5d50;color:#ffffff;text-decoration:none;border-radius:4px\">{}</a></p>\n",
                escape(url),
                escape(label)
            )),
            Quote(q) => body.push_str(&format!(
                "<blockquote style=\"margin:0 0 1em;padding-left:12px;border-left:3px solid #cccccc\">{}</blockquote>\n",
                escape(q).replace('\n', "<br>")
            )),
        }
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:sans-serif;line-height:1.5;color:#222222;max-width:560px\">\n{body}<p>— {}</p>\n</body></html>\n",
        escape(subject),
        escape(org)
    )
}

/// Escapes text for HTML content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> EmailConfig {
        EmailConfig {
            from: "LOAF <no-reply@example.org>".into(),
            mail_dir: None,
            frontend_url: "https://members.example.org".into(),
            org_name: "Friends of the Park".into(),
            configuration_set: None,
        }
    }

    #[test]
    fn text_and_html_carry_the_same_link() {
        let r = Mail::VerifyEmail {
            first_name: "Ada".into(),
            token: "abc_DEF-123".into(),
        }
        .render(&cfg());
        let link = "https://members.example.org/verify-email?token=abc_DEF-123";
        assert_eq!(r.kind, "verify_email");
        assert!(r.subject.contains("Friends of the Park"));
        assert!(r.text.contains(link), "{}", r.text);
        assert!(r.html.contains(&format!("href=\"{link}\"")), "{}", r.html);
    }

    #[test]
    fn user_text_is_escaped_in_html() {
        let r = Mail::Rejected {
            first_name: "<b>Eve</b>".into(),
            reason: "Incomplete \"profile\" & <script>alert(1)</script>".into(),
        }
        .render(&cfg());
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(r.text.contains("> Incomplete \"profile\""), "{}", r.text);
    }

    #[test]
    fn every_template_renders() {
        let when = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let name = || "Ada".to_string();
        let all = [
            Mail::VerifyEmail {
                first_name: name(),
                token: "t".into(),
            },
            Mail::AlreadyRegistered { first_name: name() },
            Mail::ConfirmEmailChange {
                first_name: name(),
                token: "t".into(),
                new_email: "new@example.org".into(),
            },
            Mail::EmailChanged {
                first_name: name(),
                new_email: "new@example.org".into(),
            },
            Mail::DonationStatement {
                name: name(),
                year: 2026,
                number: "S2026-000001".into(),
                gifts: vec![(
                    "2026-03-01, receipt R2026-000004".into(),
                    "EUR 25.00".into(),
                )],
                total: "EUR 25.00".into(),
                member: true,
            },
            Mail::DataExportReady {
                first_name: name(),
                about: Some("Ada Lovelace".into()),
                path: "/admin/members/x".into(),
            },
            Mail::ConfirmErasure {
                first_name: name(),
                token: "t".into(),
            },
            Mail::EmailInUse { first_name: name() },
            Mail::PasswordReset {
                first_name: name(),
                token: "t".into(),
            },
            Mail::PasswordChanged { first_name: name() },
            Mail::Invitation {
                inviter: "Grace".into(),
                role: "member".into(),
                token: "t".into(),
                expires_at: when,
            },
            Mail::AccountReady {
                first_name: name(),
                token: "t".into(),
                expires_at: when,
            },
            Mail::Validated { first_name: name() },
            Mail::Rejected {
                first_name: name(),
                reason: "r".into(),
            },
            Mail::PaymentReminder { first_name: name() },
            Mail::MembershipGranted {
                first_name: name(),
                plan: "Honorary".into(),
                last_day: Some(when.date_naive()),
            },
            Mail::OfflinePayment {
                first_name: name(),
                plan: "Yearly".into(),
                amount: "EUR 30.00".into(),
                reference: "M-ABCD1234".into(),
                instructions: "IBAN FR76 ...".into(),
                reminder: false,
            },
            Mail::OfflinePayment {
                first_name: name(),
                plan: "Yearly".into(),
                amount: "EUR 30.00".into(),
                reference: "M-ABCD1234".into(),
                instructions: "IBAN FR76 ...".into(),
                reminder: true,
            },
            Mail::OfflinePaymentCancelled {
                first_name: name(),
                reference: "M-ABCD1234".into(),
                reason: Some("never came".into()),
            },
            Mail::MembershipCancelled {
                first_name: name(),
                plan: "Yearly".into(),
                last_day: when.date_naive(),
            },
            Mail::MembershipEnded {
                first_name: name(),
                plan: "Yearly".into(),
                ended_on: when.date_naive(),
                open_until: Some(when.date_naive()),
            },
            Mail::SeatConfirmed {
                first_name: name(),
                event_id: uuid::Uuid::nil(),
                title: "Spring picnic".into(),
                starts_local: when.naive_utc(),
                time_zone: "Europe/Paris".into(),
            },
            Mail::RenewalReminder {
                first_name: name(),
                plan: "Yearly".into(),
                ends_on: when.date_naive(),
            },
            Mail::EventReminder {
                first_name: name(),
                event_id: uuid::Uuid::nil(),
                title: "Spring picnic".into(),
                starts_local: when.naive_utc(),
                time_zone: "Europe/Paris".into(),
                location: Some("The bandstand".into()),
            },
        ];
        let mut kinds: Vec<&str> = all.iter().map(|m| m.render(&cfg()).kind).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), all.len());
        for m in &all {
            let r = m.render(&cfg());
            assert!(r.text.ends_with("— Friends of the Park\n"), "{}", r.kind);
            assert!(r.html.starts_with("<!DOCTYPE html>"), "{}", r.kind);
        }
    }
}
