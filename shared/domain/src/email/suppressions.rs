//! Addresses not to mail again: the email provider's hard bounces and
//! complaints. SES publishes them through a configuration set to an SNS
//! topic, which invokes the jobs function with an SNS event; [`of_sns`]
//! reads the events out of it and [`record`] marks each address. The
//! outbox then never sends to a marked address again, and the routes that
//! email a link on request refuse with `address_unreachable`
//! ([`reachable`]).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

/// Why an address is not mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The receiving server said the mailbox does not exist (a permanent,
    /// "hard" bounce). Temporary ("soft") bounces mark nothing.
    Bounce,
    /// The person reported our mail as spam.
    Complaint,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Bounce => "bounce",
            Reason::Complaint => "complaint",
        }
    }
}

/// One address the provider reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub address: String,
    pub reason: Reason,
    pub detail: String,
}

/// What the provider's SNS delivery held.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Events {
    pub events: Vec<Event>,
    /// Records that were not a hard bounce or a complaint (a soft bounce, a
    /// delivery), or not SES's at all.
    pub ignored: u32,
}

/// Whether `event` is a Lambda SNS event (`Records[].Sns`).
pub fn is_sns(event: &Value) -> bool {
    event["Records"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["EventSource"] == "aws:sns"))
}

/// The hard bounces and complaints of a Lambda SNS event whose messages
/// are SES event records (configuration-set publishing names the type
/// `eventType`, identity notifications `notificationType`).
pub fn of_sns(event: &Value) -> Events {
    let mut out = Events::default();
    for record in event["Records"].as_array().into_iter().flatten() {
        let message: Value = record["Sns"]["Message"]
            .as_str()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or(Value::Null);
        let kind = message["eventType"]
            .as_str()
            .or(message["notificationType"].as_str());
        let found = match kind {
            Some("Bounce") if message["bounce"]["bounceType"] == "Permanent" => {
                let b = &message["bounce"];
                recipients(&b["bouncedRecipients"], Reason::Bounce, |r| {
                    format!(
                        "{} bounce {}: {}",
                        b["bounceSubType"].as_str().unwrap_or("permanent"),
                        r["status"].as_str().unwrap_or_default(),
                        r["diagnosticCode"].as_str().unwrap_or_default()
                    )
                })
            }
            Some("Complaint") => {
                let c = &message["complaint"];
                recipients(&c["complainedRecipients"], Reason::Complaint, |_| {
                    format!(
                        "complaint: {}",
                        c["complaintFeedbackType"].as_str().unwrap_or("not given")
                    )
                })
            }
            _ => Vec::new(),
        };
        if found.is_empty() {
            out.ignored += 1;
        }
        out.events.extend(found);
    }
    out
}

fn recipients(list: &Value, reason: Reason, detail: impl Fn(&Value) -> String) -> Vec<Event> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Event {
                address: r["emailAddress"].as_str()?.trim().to_lowercase(),
                reason,
                detail: detail(r).chars().take(500).collect(),
            })
        })
        .collect()
}

/// Marks `event`'s address (again: the count and time move, a complaint
/// outranks a bounce), inside the caller's transaction.
pub async fn record(conn: &mut PgConnection, event: &Event) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO email_suppressions (address, reason, detail) VALUES ($1, $2, $3) \
         ON CONFLICT (address) DO UPDATE SET events = email_suppressions.events + 1, \
             last_event_at = now(), detail = EXCLUDED.detail, \
             reason = CASE WHEN EXCLUDED.reason = 'complaint' THEN 'complaint' \
                           ELSE email_suppressions.reason END",
        event.address,
        event.reason.as_str(),
        event.detail,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An address's mark, as admins see it on the member's page.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Suppression {
    pub reason: String,
    pub detail: Option<String>,
    pub since: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub events: i32,
}

/// `address`'s mark, if any.
pub async fn of(
    conn: &mut PgConnection,
    address: &str,
) -> Result<Option<Suppression>, sqlx::Error> {
    sqlx::query_as!(
        Suppression,
        "SELECT reason, detail, created_at AS since, last_event_at, events \
         FROM email_suppressions WHERE address = lower($1)",
        address,
    )
    .fetch_optional(conn)
    .await
}

/// `Err(reason)` when mail to `address` would not be sent.
pub async fn reachable(
    conn: &mut PgConnection,
    address: &str,
) -> Result<Result<(), Reason>, sqlx::Error> {
    Ok(match of(conn, address).await? {
        Some(s) if s.reason == "complaint" => Err(Reason::Complaint),
        Some(_) => Err(Reason::Bounce),
        None => Ok(()),
    })
}

/// Lets `address` be mailed again (the member fixed their mailbox). Answers
/// whether it was marked.
pub async fn clear(conn: &mut PgConnection, address: &str) -> Result<bool, sqlx::Error> {
    let gone = sqlx::query!(
        "DELETE FROM email_suppressions WHERE address = lower($1)",
        address
    )
    .execute(conn)
    .await?;
    Ok(gone.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sns(message: Value) -> Value {
        json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
            "Sns": {"Type": "Notification", "Message": message.to_string()}}]})
    }

    #[test]
    fn a_hard_bounce_and_a_complaint_mark_their_addresses_and_a_soft_bounce_does_not() {
        let hard = sns(
            json!({"eventType": "Bounce", "bounce": {"bounceType": "Permanent",
            "bounceSubType": "General", "bouncedRecipients": [{"emailAddress": "Gone@Example.org",
            "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
            "mail": {}}),
        );
        assert!(is_sns(&hard));
        let found = of_sns(&hard);
        assert_eq!(found.ignored, 0);
        assert_eq!(found.events[0].address, "gone@example.org");
        assert_eq!(found.events[0].reason, Reason::Bounce);
        assert!(
            found.events[0].detail.contains("5.1.1"),
            "{:?}",
            found.events
        );

        let complaint = sns(json!({"notificationType": "Complaint", "complaint": {
            "complainedRecipients": [{"emailAddress": "angry@example.org"}],
            "complaintFeedbackType": "abuse"}, "mail": {}}));
        assert_eq!(of_sns(&complaint).events[0].reason, Reason::Complaint);

        let soft = sns(
            json!({"eventType": "Bounce", "bounce": {"bounceType": "Transient",
            "bouncedRecipients": [{"emailAddress": "full@example.org"}]}}),
        );
        assert_eq!(
            of_sns(&soft),
            Events {
                events: vec![],
                ignored: 1
            }
        );
        assert!(!is_sns(&json!({"job": "daily"})));
    }
}
