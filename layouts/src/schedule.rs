//! Schedules: which layout a board shows when, compiled to UTC instants.
//!
//! Officers think in local dates, weekdays and times of day; boards play by
//! UTC instants. Compilation goes day by day through the tz database, so a
//! DST change (not in Vietnam, but boards may be configured elsewhere) can
//! never shift a slot: a local time that does not exist starts at the first
//! one that does, a local time that happens twice is taken the first time.

use crate::time::local_to_utc;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A schedule as officers write it (JSON over the API).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Shown whenever no entry applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_layout: Option<String>,
    #[serde(default)]
    pub entries: Vec<Entry>,
}

/// One rule: `layout` on these dates, weekdays and times, at this priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub layout: String,
    /// First and last local date (inclusive); open when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// 1 = Monday … 7 = Sunday; empty = every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekdays: Vec<u8>,
    /// Local times of day, "HH:MM"–"HH:MM"; empty = all day. A window
    /// whose end is not after its start runs past midnight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
    /// Higher wins where entries overlap.
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
}

pub(crate) mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format("%H:%M"))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        if s == "24:00" {
            return Ok(NaiveTime::MIN);
        }
        NaiveTime::parse_from_str(&s, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("giờ {s:?} không hợp lệ, cần \"HH:MM\" (expected HH:MM)")))
    }
}

/// A stretch of time with one layout (`None`: nothing scheduled — the
/// board shows its standby screen, never black).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
}

/// A schedule and how specific its target is; where priorities tie, the
/// more specific wins (a board's own over its group's over its commune's).
#[derive(Debug, Clone, Copy)]
pub struct Layer<'a> {
    pub schedule: &'a Schedule,
    pub specificity: u8,
}

/// Problems in a schedule, as (field path, message).
pub fn check(s: &Schedule, layout_exists: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(d) = &s.default_layout
        && !layout_exists(d)
    {
        out.push((
            "default_layout".into(),
            format!("không có bố cục {d:?} (no such layout)"),
        ));
    }
    for (i, e) in s.entries.iter().enumerate() {
        let p = |f: &str| format!("entries[{i}].{f}");
        if !layout_exists(&e.layout) {
            out.push((p("layout"), format!("không có bố cục {:?} (no such layout)", e.layout)));
        }
        if let (Some(a), Some(b)) = (e.from, e.to)
            && a > b
        {
            out.push((p("to"), "ngày kết thúc trước ngày bắt đầu (to is before from)".into()));
        }
        if let Some(w) = e.weekdays.iter().find(|w| !(1..=7).contains(*w)) {
            out.push((
                p("weekdays"),
                format!("thứ {w} không hợp lệ: 1 = Thứ Hai … 7 = Chủ Nhật (1–7)"),
            ));
        }
        if e.windows.iter().any(|w| w.start == w.end) {
            out.push((
                p("windows"),
                "khung giờ rỗng: giờ bắt đầu bằng giờ kết thúc (empty window)".into(),
            ));
        }
        if !(-1000..=1000).contains(&e.priority) {
            out.push((
                p("priority"),
                "độ ưu tiên trong khoảng -1000…1000 (out of range)".into(),
            ));
        }
    }
    out
}

fn weekday_no(w: Weekday) -> u8 {
    w.number_from_monday() as u8
}

/// Local wall time to UTC, moving forward out of a DST gap.
fn local(day: NaiveDate, t: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut n = day.and_time(t);
    for _ in 0..(4 * 60) {
        if let Some(u) = local_to_utc(n, tz) {
            return u;
        }
        n += Duration::minutes(1);
    }
    local_to_utc(day.and_time(NaiveTime::MIN), tz).unwrap_or_else(|| day.and_time(t).and_utc())
}

/// An entry's interval: start, end, rank (priority, specificity, order) and layout.
type Candidate<'a> = (DateTime<Utc>, DateTime<Utc>, (i32, u8, usize), &'a str);

/// The intervals an entry covers, for the local days around `[from, to)`
/// (they may reach a little outside it; callers clip).
pub fn entry_intervals(
    e: &Entry,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let first_day = from.with_timezone(&tz).date_naive() - Duration::days(1);
    let last_day = to.with_timezone(&tz).date_naive();
    let mut day = first_day;
    while day <= last_day {
        let in_dates = e.from.is_none_or(|f| day >= f) && e.to.is_none_or(|t| day <= t);
        let in_week = e.weekdays.is_empty() || e.weekdays.contains(&weekday_no(day.weekday()));
        if in_dates && in_week {
            let next = day.succ_opt().unwrap_or(day);
            if e.windows.is_empty() {
                out.push((local(day, NaiveTime::MIN, tz), local(next, NaiveTime::MIN, tz)));
            }
            for w in &e.windows {
                let start = local(day, w.start, tz);
                let end = if w.end > w.start {
                    local(day, w.end, tz)
                } else {
                    local(next, w.end, tz)
                };
                out.push((start, end));
            }
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    out
}

/// Two entries of one schedule that ask for different layouts at the same
/// time with the same priority: the later entry wins, which the officer
/// may not have meant. (entry index, entry index, start, end), first
/// overlap of each pair within `[from, to)`.
pub fn conflicts(
    s: &Schedule,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(usize, usize, DateTime<Utc>, DateTime<Utc>)> {
    let spans: Vec<Vec<(DateTime<Utc>, DateTime<Utc>)>> =
        s.entries.iter().map(|e| entry_intervals(e, tz, from, to)).collect();
    let mut out = Vec::new();
    for i in 0..s.entries.len() {
        for j in i + 1..s.entries.len() {
            let (a, b) = (&s.entries[i], &s.entries[j]);
            if a.priority != b.priority || a.layout == b.layout {
                continue;
            }
            let first = spans[i]
                .iter()
                .flat_map(|x| {
                    spans[j]
                        .iter()
                        .map(move |y| (x.0.max(y.0).max(from), x.1.min(y.1).min(to)))
                })
                .filter(|(s, e)| s < e)
                .min_by_key(|(s, _)| *s);
            if let Some((s0, e0)) = first {
                out.push((i, j, s0, e0));
            }
        }
    }
    out
}

/// Compile schedules into contiguous slots covering `[from, to)`.
pub fn compile(layers: &[Layer], tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Slot> {
    if to <= from {
        return Vec::new();
    }
    // Candidate intervals: (start, end, rank, layout). Rank orders overlap
    // resolution: priority, then specificity, then later entries first.
    let mut cand: Vec<Candidate> = Vec::new();
    for layer in layers {
        for (ei, e) in layer.schedule.entries.iter().enumerate() {
            let rank = (e.priority, layer.specificity, ei);
            for (start, end) in entry_intervals(e, tz, from, to) {
                cand.push((start, end, rank, &e.layout));
            }
        }
    }
    let default = layers
        .iter()
        .filter(|l| l.schedule.default_layout.is_some())
        .max_by_key(|l| l.specificity)
        .and_then(|l| l.schedule.default_layout.as_deref());
    let mut cuts: Vec<DateTime<Utc>> = vec![from, to];
    for (s, e, _, _) in &cand {
        for t in [*s, *e] {
            if t > from && t < to {
                cuts.push(t);
            }
        }
    }
    cuts.sort();
    cuts.dedup();
    let mut slots: Vec<Slot> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let best = cand
            .iter()
            .filter(|(s, e, _, _)| *s <= a && *e >= b)
            .max_by_key(|(_, _, rank, _)| *rank)
            .map(|(_, _, _, l)| *l)
            .or(default);
        let layout = best.map(str::to_string);
        match slots.last_mut() {
            Some(last) if last.layout == layout && last.end == a => last.end = b,
            _ => slots.push(Slot {
                start: a,
                end: b,
                layout,
            }),
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DEFAULT_TZ;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn w(a: &str, b: &str) -> Window {
        Window {
            start: NaiveTime::parse_from_str(a, "%H:%M").unwrap(),
            end: NaiveTime::parse_from_str(b, "%H:%M").unwrap(),
        }
    }

    /// Same priority, different layouts, overlapping times: a conflict
    /// the week view shows; a higher priority or the same layout is none.
    #[test]
    fn overlapping_entries_of_equal_priority_conflict() {
        let e = |layout: &str, win: Window, priority: i32, weekdays: Vec<u8>| Entry {
            layout: layout.into(),
            from: None,
            to: None,
            weekdays,
            windows: vec![win],
            priority,
        };
        let mut s = Schedule {
            default_layout: None,
            entries: vec![
                e("a", w("08:00", "11:00"), 0, vec![1, 2, 3, 4, 5]),
                e("b", w("10:00", "12:00"), 0, vec![1]),
                e("c", w("10:00", "12:00"), 5, vec![]),
                e("a", w("09:00", "10:30"), 0, vec![]),
            ],
        };
        // Monday 2026-11-23, local; the week after it.
        let from = t("2026-11-22T17:00:00Z");
        let to = from + Duration::days(7);
        let c = conflicts(&s, DEFAULT_TZ, from, to);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!((c[0].0, c[0].1), (0, 1));
        // Monday 10:00–11:00 local = 03:00–04:00 UTC.
        assert_eq!((c[0].2, c[0].3), (t("2026-11-23T03:00:00Z"), t("2026-11-23T04:00:00Z")));
        // b and the second a overlap 10:00–10:30 on Monday; the two a's
        // are the same layout, and c outranks everyone.
        assert_eq!((c[1].0, c[1].1, c[1].3), (1, 3, t("2026-11-23T03:30:00Z")));
        s.entries[1].priority = 1;
        assert!(conflicts(&s, DEFAULT_TZ, from, to).is_empty());
    }

    #[test]
    fn default_fills_and_windows_win_in_local_time() {
        let s = Schedule {
            default_layout: Some("ngay".into()),
            entries: vec![Entry {
                layout: "toi".into(),
                from: None,
                to: None,
                weekdays: vec![],
                windows: vec![w("18:00", "22:00")],
                priority: 0,
            }],
        };
        let slots = compile(
            &[Layer {
                schedule: &s,
                specificity: 0,
            }],
            DEFAULT_TZ,
            t("2026-11-23T00:00:00+07:00"),
            t("2026-11-24T00:00:00+07:00"),
        );
        assert_eq!(slots.len(), 3);
        assert_eq!(slots[1].layout.as_deref(), Some("toi"));
        // 18:00 in Hà Nội is 11:00 UTC.
        assert_eq!(slots[1].start, t("2026-11-23T11:00:00Z"));
        assert_eq!(slots[1].end, t("2026-11-23T15:00:00Z"));
        assert_eq!(slots[2].layout.as_deref(), Some("ngay"));
    }

    #[test]
    fn priority_then_specificity_decide_overlaps() {
        let commune = Schedule {
            default_layout: Some("xa".into()),
            entries: vec![Entry {
                layout: "khan".into(),
                from: Some(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
                to: Some(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
                weekdays: vec![],
                windows: vec![],
                priority: 10,
            }],
        };
        let board = Schedule {
            default_layout: Some("bang".into()),
            entries: vec![Entry {
                layout: "rieng".into(),
                from: None,
                to: None,
                weekdays: vec![1],
                windows: vec![w("08:00", "09:00")],
                priority: 0,
            }],
        };
        let layers = [
            Layer {
                schedule: &commune,
                specificity: 0,
            },
            Layer {
                schedule: &board,
                specificity: 2,
            },
        ];
        let at = |s: &str, slots: &[Slot]| {
            let i = t(s);
            slots
                .iter()
                .find(|x| x.start <= i && i < x.end)
                .and_then(|x| x.layout.clone())
        };
        let slots = compile(
            &layers,
            DEFAULT_TZ,
            t("2026-11-22T00:00:00+07:00"),
            t("2026-11-25T00:00:00+07:00"),
        );
        // Monday 23rd: the commune's priority 10 beats the board's Monday slot.
        assert_eq!(at("2026-11-23T08:30:00+07:00", &slots).as_deref(), Some("khan"));
        // Sunday: the board's own default beats the commune's.
        assert_eq!(at("2026-11-22T08:30:00+07:00", &slots).as_deref(), Some("bang"));
        // Contiguous and covering.
        assert!(slots.windows(2).all(|p| p[0].end == p[1].start));
        assert_eq!(slots.first().unwrap().start, t("2026-11-22T00:00:00+07:00"));
        assert_eq!(slots.last().unwrap().end, t("2026-11-25T00:00:00+07:00"));
    }

    #[test]
    fn windows_across_midnight_and_weekdays() {
        let s = Schedule {
            default_layout: None,
            entries: vec![Entry {
                layout: "dem".into(),
                from: None,
                to: None,
                weekdays: vec![6],
                windows: vec![w("22:00", "05:00")],
                priority: 0,
            }],
        };
        let slots = compile(
            &[Layer {
                schedule: &s,
                specificity: 0,
            }],
            DEFAULT_TZ,
            t("2026-11-27T00:00:00+07:00"),
            t("2026-11-30T00:00:00+07:00"),
        );
        let night: Vec<_> = slots.iter().filter(|s| s.layout.is_some()).collect();
        assert_eq!(night.len(), 1);
        assert_eq!(night[0].start, t("2026-11-28T22:00:00+07:00"));
        assert_eq!(night[0].end, t("2026-11-29T05:00:00+07:00"));
    }

    #[test]
    fn dst_changes_never_shift_local_times() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let s = Schedule {
            default_layout: None,
            entries: vec![Entry {
                layout: "sang".into(),
                from: None,
                to: None,
                weekdays: vec![],
                windows: vec![w("08:00", "09:00")],
                priority: 0,
            }],
        };
        let slots = compile(
            &[Layer {
                schedule: &s,
                specificity: 0,
            }],
            berlin,
            t("2026-03-28T00:00:00Z"),
            t("2026-03-31T00:00:00Z"),
        );
        let starts: Vec<_> = slots.iter().filter(|s| s.layout.is_some()).map(|s| s.start).collect();
        // 08:00 local is 07:00 UTC before the change (CET) and 06:00 after (CEST).
        assert_eq!(
            starts,
            vec![
                t("2026-03-28T07:00:00Z"),
                t("2026-03-29T06:00:00Z"),
                t("2026-03-30T06:00:00Z")
            ]
        );
    }

    #[test]
    fn check_names_fields() {
        let s = Schedule {
            default_layout: Some("x".into()),
            entries: vec![Entry {
                layout: "y".into(),
                from: NaiveDate::from_ymd_opt(2026, 12, 1),
                to: NaiveDate::from_ymd_opt(2026, 11, 1),
                weekdays: vec![8],
                windows: vec![w("10:00", "10:00")],
                priority: 0,
            }],
        };
        let p: Vec<String> = check(&s, |l| l == "x").into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            p,
            [
                "entries[0].layout",
                "entries[0].to",
                "entries[0].weekdays",
                "entries[0].windows"
            ]
        );
    }
}
