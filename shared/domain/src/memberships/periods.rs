//! How long a payment covers a member: pure date arithmetic on the
//! organisation's local calendar. A period starting on local day `D` ends
//! at the local midnight that begins its last day's successor, so "one
//! year from 15 March" covers 15 March to 14 March inclusive, and a fixed
//! "1 January to 31 December" period ends as 1 January begins.

use chrono::{Datelike, Months, NaiveDate};

/// A plan's billing cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycle {
    Monthly,
    Quarterly,
    Yearly,
    Lifetime,
    /// The same calendar period every year.
    Fixed(FixedPeriod),
}

/// A fixed calendar period, inclusive at both ends: "1 January to 31
/// December", "1 September to 31 August".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPeriod {
    pub start: MonthDay,
    pub end: MonthDay,
    /// Someone joining mid-period pays the share of the period left.
    pub prorate: bool,
}

/// A day of the year without a year. February 29 is not one: it does not
/// exist every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    /// `None` unless `day` exists in `month` every year.
    pub fn new(month: u32, day: u32) -> Option<Self> {
        let last = match month {
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return None,
        };
        (1..=last).contains(&day).then_some(MonthDay { month, day })
    }

    fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day).expect("checked by MonthDay::new")
    }
}

/// What one payment starting on a local day covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// The first local day covered.
    pub starts_on: NaiveDate,
    /// The local day after the last one covered; `None` for lifetime.
    pub ends_before: Option<NaiveDate>,
    /// The share of a full period's price due: `(days covered, days in the
    /// period)`, `(1, 1)` unless a fixed period is prorated.
    pub share: (i64, i64),
}

impl Coverage {
    /// `price` scaled by the share, rounded up to the cent.
    pub fn price(&self, price_cents: i64) -> i64 {
        let (part, whole) = self.share;
        (price_cents * part + whole - 1) / whole
    }
}

/// The coverage of a payment whose period starts on local day `start`.
pub fn coverage(cycle: Cycle, start: NaiveDate) -> Coverage {
    let months = |n: u32| start.checked_add_months(Months::new(n));
    let full = |ends_before| Coverage {
        starts_on: start,
        ends_before,
        share: (1, 1),
    };
    match cycle {
        Cycle::Monthly => full(months(1)),
        Cycle::Quarterly => full(months(3)),
        Cycle::Yearly => full(months(12)),
        Cycle::Lifetime => full(None),
        Cycle::Fixed(fixed) => fixed_coverage(fixed, start),
    }
}

fn fixed_coverage(fixed: FixedPeriod, day: NaiveDate) -> Coverage {
    // The period that began most recently on or before `day`...
    let mut begins = fixed.start.in_year(day.year());
    if begins > day {
        begins = fixed.start.in_year(day.year() - 1);
    }
    let ends_before = |begins: NaiveDate| {
        let mut last = fixed.end.in_year(begins.year());
        if last < begins {
            last = fixed.end.in_year(begins.year() + 1);
        }
        last.succ_opt().expect("far from the end of time")
    };
    let mut end = ends_before(begins);
    // ...unless it ended already (a period with a gap, such as "1
    // September to 30 June", joined in July): then the next one, paid in
    // full from today.
    if end <= day {
        begins = fixed.start.in_year(begins.year() + 1);
        end = ends_before(begins);
    }
    let whole = (end - begins).num_days();
    let left = (end - day).num_days().min(whole);
    Coverage {
        starts_on: day,
        ends_before: Some(end),
        share: if fixed.prorate { (left, whole) } else { (1, 1) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn fixed(start: (u32, u32), end: (u32, u32), prorate: bool) -> Cycle {
        Cycle::Fixed(FixedPeriod {
            start: MonthDay::new(start.0, start.1).unwrap(),
            end: MonthDay::new(end.0, end.1).unwrap(),
            prorate,
        })
    }

    #[test]
    fn rolling_cycles_end_the_day_after_the_same_date() {
        let c = coverage(Cycle::Yearly, d(2026, 3, 15));
        assert_eq!(c.ends_before, Some(d(2027, 3, 15)));
        assert_eq!(
            coverage(Cycle::Monthly, d(2026, 1, 31)).ends_before,
            Some(d(2026, 2, 28)),
            "a month from 31 January ends with February"
        );
        assert_eq!(
            coverage(Cycle::Quarterly, d(2026, 11, 30)).ends_before,
            Some(d(2027, 2, 28))
        );
        assert_eq!(coverage(Cycle::Lifetime, d(2026, 1, 1)).ends_before, None);
        assert_eq!(c.price(3000), 3000);
    }

    #[test]
    fn a_calendar_year_ends_as_the_next_begins() {
        let c = coverage(fixed((1, 1), (12, 31), false), d(2026, 5, 10));
        assert_eq!(c.ends_before, Some(d(2027, 1, 1)));
        assert_eq!(c.price(3650), 3650, "not prorated: the full price");
    }

    #[test]
    fn prorating_charges_the_days_left_rounded_up() {
        let cycle = fixed((1, 1), (12, 31), true);
        let c = coverage(cycle, d(2026, 7, 2));
        assert_eq!(c.share, (183, 365));
        assert_eq!(c.price(3650), 1830);
        assert_eq!(coverage(cycle, d(2026, 1, 1)).price(3650), 3650);
        assert_eq!(coverage(cycle, d(2026, 12, 31)).price(3650), 10);
        assert_eq!(coverage(cycle, d(2026, 12, 31)).price(1), 1);
    }

    #[test]
    fn a_period_across_new_year_belongs_to_the_year_it_began() {
        let cycle = fixed((9, 1), (8, 31), true);
        let spring = coverage(cycle, d(2027, 3, 1));
        assert_eq!(spring.ends_before, Some(d(2027, 9, 1)));
        assert_eq!(spring.share, (184, 365));
        let autumn = coverage(cycle, d(2026, 9, 1));
        assert_eq!(autumn.ends_before, Some(d(2027, 9, 1)));
        assert_eq!(autumn.share, (365, 365));
    }

    #[test]
    fn joining_in_a_gap_buys_the_next_period_in_full() {
        let c = coverage(fixed((9, 1), (6, 30), true), d(2026, 7, 15));
        assert_eq!(c.ends_before, Some(d(2027, 7, 1)));
        assert_eq!(c.price(1000), 1000);
    }

    #[test]
    fn only_days_every_year_has_are_allowed() {
        assert!(MonthDay::new(2, 29).is_none());
        assert!(MonthDay::new(4, 31).is_none());
        assert!(MonthDay::new(13, 1).is_none());
        assert!(MonthDay::new(0, 1).is_none());
        assert!(MonthDay::new(12, 31).is_some());
    }
}
