//! Renewal reminders on the schedule `RENEWAL_REMINDER_SCHEDULE`: days
//! around the end of a member's last period. Before it: "your membership
//! ends on …"; on the day and after: "your membership has ended", with the
//! grace period's last day while it runs. Each goes once per period end: the
//! statement that picks a member claims a row in `membership_reminders`
//! (migrations/0019_membership_reminders.sql), so a second run at once
//! claims nothing and sends nothing. A later period (a renewal) moves the
//! end, which starts the schedule again; a cancellation or refund stops it.
//! When runs were missed, only the latest reminder due goes, and only until
//! the next one is due (the last one, for a week): an end long past is
//! history, not news.

use chrono::{DateTime, Utc};
use loaf_core::config::EmailConfig;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::reminders;
use sqlx::PgPool;

/// Members per transaction.
const BATCH: i64 = 500;

/// Queues every renewal reminder due at `at` on `schedule`; answers how many.
pub async fn send(
    db: &PgPool,
    email: &EmailConfig,
    schedule: &[i32],
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if schedule.is_empty() {
        return Ok(0);
    }
    let mut sent = 0;
    loop {
        let mut tx = loaf_domain::audit::begin_as(db, loaf_domain::audit::Actor::Scheduler).await?;
        let due = reminders::claim_renewals(&mut tx, at, schedule, BATCH).await?;
        let mails: Vec<(String, Mail)> = due
            .iter()
            .map(|d| {
                let mail = if d.offset_days < 0 {
                    Mail::RenewalReminder {
                        first_name: d.first_name.clone(),
                        plan: d.plan.clone(),
                        ends_on: d.last_day,
                    }
                } else {
                    Mail::MembershipEnded {
                        first_name: d.first_name.clone(),
                        plan: d.plan.clone(),
                        ended_on: d.last_day,
                        open_until: d.open_until,
                    }
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
