//! Reporting periods. The half-yearly report closes on 30 May and the
//! yearly one on 15 December; a reporting year starts the day after the
//! last yearly close (16 December of the year before), so both of a year's
//! reports count from the same day.

use chrono::{Datelike, NaiveDate};

/// A named period, first and last local day inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// `half` (closes 30/5) or `year` (closes 15/12).
    pub kind: &'static str,
    /// The reporting year (the year of its close).
    pub year: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The half-year and year periods of reporting year `y`.
pub fn of_year(y: i32) -> [Period; 2] {
    let start = ymd(y - 1, 12, 16);
    [
        Period {
            kind: "half",
            year: y,
            from: start,
            to: ymd(y, 5, 30),
        },
        Period {
            kind: "year",
            year: y,
            from: start,
            to: ymd(y, 12, 15),
        },
    ]
}

/// The reporting year `day` falls in.
pub fn year_of(day: NaiveDate) -> i32 {
    if day > ymd(day.year(), 12, 15) {
        day.year() + 1
    } else {
        day.year()
    }
}

/// The period being reported on at `today`: the half year until 30/5,
/// then the year until 15/12.
pub fn current(today: NaiveDate) -> Period {
    let [half, year] = of_year(year_of(today));
    if today <= half.to { half } else { year }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_close_on_30_may_and_15_december() {
        let p = current(d("2026-03-01"));
        assert_eq!((p.kind, p.from, p.to), ("half", d("2025-12-16"), d("2026-05-30")));
        let p = current(d("2026-05-30"));
        assert_eq!(p.kind, "half");
        let p = current(d("2026-05-31"));
        assert_eq!((p.kind, p.from, p.to), ("year", d("2025-12-16"), d("2026-12-15")));
        let p = current(d("2026-12-15"));
        assert_eq!((p.kind, p.year), ("year", 2026));
        // The day after the yearly close starts the next reporting year.
        let p = current(d("2026-12-16"));
        assert_eq!(
            (p.kind, p.year, p.from, p.to),
            ("half", 2027, d("2026-12-16"), d("2027-05-30"))
        );
    }
}
