//! Reminders before events: `EVENT_REMINDER_HOURS` before a published
//! event starts, everyone holding a seat ("yes", not waiting) is emailed
//! once, if they may still see the event (a members-only one needs what
//! the access rule gives: `events.view` with a membership in force, or a
//! staff role the organisation exempts) and their answer is older than the
//! reminder's hour (who answers later just decided). The statement that
//! picks an answer records the start it announces (`reminded_for`,
//! migrations/0021_event_reminders.sql), so a second run at once skips it
//! (it re-checks the row it waited for), and an event moved to another
//! time is announced again.

use chrono::{DateTime, Utc};
use loaf_core::config::EmailConfig;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::events;
use loaf_domain::permissions::MEMBER_CONTENT;
use sqlx::PgPool;

/// Answers per transaction.
const BATCH: i64 = 500;

/// Queues every event reminder due at `at`, `hours` before the start;
/// answers how many. `hours` 0 sends none.
pub async fn send(
    db: &PgPool,
    email: &EmailConfig,
    hours: i32,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if hours == 0 {
        return Ok(0);
    }
    let member_content: Vec<String> = MEMBER_CONTENT.iter().map(|c| c.to_string()).collect();
    let mut sent = 0;
    loop {
        let mut tx = loaf_domain::audit::begin_as(db, loaf_domain::audit::Actor::Scheduler).await?;
        let due = events::reminders::claim_due(&mut tx, at, hours, &member_content, BATCH).await?;
        let mails: Vec<(String, Mail)> = due
            .iter()
            .map(|d| {
                let mail = Mail::EventReminder {
                    first_name: d.first_name.clone(),
                    event_id: d.event_id,
                    title: d.title.clone(),
                    starts_local: d.starts_local,
                    time_zone: d.time_zone.clone(),
                    location: d.location.clone(),
                };
                (d.email.clone(), mail)
            })
            .collect();
        outbox::enqueue_many(&mut tx, email, &mails).await?;
        tx.commit().await?;
        sent += due.len() as u64;
        if (due.len() as i64) < BATCH {
            return Ok(sent);
        }
    }
}
