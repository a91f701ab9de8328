//! What the benchmarks share: a heap counter (live bytes and their peak,
//! to show that an export's memory does not grow with its rows) and the
//! arithmetic of the tables.

// Each bench uses a part of this module; the rest is unused there, not dead.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counts live heap bytes and their peak, to show that an export's memory
/// does not grow with its rows.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size > layout.size() {
                let grow = new_size - layout.size();
                let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap growth (MiB) above the level when `f` began, at its peak.
pub async fn peak_growth<F: std::future::Future<Output = T>, T>(f: F) -> (T, f64) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f.await;
    let peak = PEAK.load(Ordering::Relaxed);
    (out, (peak.saturating_sub(base)) as f64 / (1024.0 * 1024.0))
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn percentile(samples: &[f64], p: f64) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[((s.len() - 1) as f64 * p).round() as usize]
}

/// The runs per measurement: the first number among the arguments, else 50.
pub fn runs() -> usize {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50)
}

/// Prints one table line: p50 and p99 in ms, and p50 against the floor's.
pub fn row(name: &str, samples: &[f64], floor: f64) {
    let p50 = percentile(samples, 0.5);
    println!(
        "{name:<34} {p50:>9.2} {:>9.2} {:>9.1}x",
        percentile(samples, 0.99),
        p50 / floor
    );
}

/// What autovacuum does after a bulk load: statistics and the visibility
/// map (index-only counts), so the plans measured are the ones in use.
pub async fn vacuum(db: &sqlx::PgPool, tables: &[&str]) {
    for table in tables {
        sqlx::query(&format!("VACUUM ANALYZE {table}"))
            .execute(db)
            .await
            .expect("vacuum");
    }
}

/// 100,000 members with varied, partly accented names, pairs of them
/// sharing a phone and a street (`seed_members.sql`).
pub async fn seed_members(db: &sqlx::PgPool) {
    sqlx::query(include_str!("seed_members.sql"))
        .execute(db)
        .await
        .unwrap();
    vacuum(db, &["users"]).await;
}

/// 1,000 events a day apart around today (every third with 50 seats, half
/// public), 200 members answering the first 100, 1,000 newsletters.
pub async fn seed_events(db: &sqlx::PgPool) {
    for sql in [
        "INSERT INTO events (title, description, start_at, end_at, location, capacity, published, \
             visibility, calendar_uid, published_at) \
         SELECT 'Event ' || i, 'About event ' || i, now() + (i - 300) * interval '1 day', \
                now() + (i - 300) * interval '1 day' + interval '2 hours', 'Hall ' || i % 7, \
                CASE WHEN i % 3 = 0 THEN 50 END, true, \
                CASE WHEN i % 2 = 0 THEN 'public' ELSE 'members' END, 'ev' || i || '@loaf', now() \
         FROM generate_series(1, 1000) AS i",
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role) \
         SELECT 'rsvp' || i || '@example.org', '!', 'R', 'Svp' || i, 'active', 'member' \
         FROM generate_series(1, 200) AS i",
        "INSERT INTO event_rsvps (event_id, user_id, rsvp_status) \
         SELECT e.id, u.id, (ARRAY['yes','no','maybe'])[1 + abs(hashtext(e.id::text || u.id::text)) % 3]::rsvpstatus \
         FROM (SELECT id FROM events ORDER BY start_at LIMIT 100) e, \
              (SELECT id FROM users WHERE email LIKE 'rsvp%') u",
        "INSERT INTO newsletter_archives (title, published_date, document_url, document_type) \
         SELECT 'Letter ' || i, now() - i * interval '1 week', 'https://example.org/' || i || '.pdf', 'link' \
         FROM generate_series(1, 1000) AS i",
    ] {
        sqlx::query(sql).execute(db).await.unwrap();
    }
    vacuum(
        db,
        &["events", "event_rsvps", "users", "newsletter_archives"],
    )
    .await;
}
