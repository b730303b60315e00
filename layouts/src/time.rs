//! Instants as officers write them, and times shown the Vietnamese way.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The board's default time zone (Vietnam has no DST, but the tz database
/// keeps us honest for boards configured elsewhere).
pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Ho_Chi_Minh;

const WEEKDAYS: [&str; 7] = [
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ Nhật",
];

/// "Thứ Hai", "Chủ Nhật", … for a date.
pub fn weekday_vi(d: impl Datelike) -> &'static str {
    WEEKDAYS[d.weekday().num_days_from_monday() as usize]
}

/// "23/11/2026"
pub fn date_vi(d: impl Datelike) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// "14:05" or "14:05:09"
pub fn time_vi(t: impl Timelike, seconds: bool) -> String {
    if seconds {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    } else {
        format!("{:02}:{:02}", t.hour(), t.minute())
    }
}

/// "Thứ Hai, 23/11/2026 — 14:05" in the given zone.
pub fn datetime_vi(t: DateTime<Utc>, tz: Tz, seconds: bool) -> String {
    let l = t.with_timezone(&tz);
    format!("{}, {} — {}", weekday_vi(l), date_vi(l), time_vi(l, seconds))
}

/// "Thứ Hai, ngày 23 tháng 11 năm 2026"
pub fn long_date_vi(t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!(
        "{}, ngày {} tháng {} năm {}",
        weekday_vi(l),
        l.day(),
        l.month(),
        l.year()
    )
}

/// Parse an instant: RFC 3339 with an offset ("2026-11-23T07:00:00+07:00"),
/// or a local date-time / date in `tz` ("2026-11-23 07:00", "2026-11-23").
pub fn parse_instant(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| {
        format!(
            "thời điểm không hợp lệ {s:?}: cần dạng \"2026-11-23T07:00:00+07:00\", \
                 \"2026-11-23 07:00\" hoặc \"2026-11-23\" (invalid instant)"
        )
    })?;
    local_to_utc(naive, tz).ok_or_else(|| format!("{s:?} không tồn tại ở múi giờ {tz} (no such local time)"))
}

/// Local wall time to UTC. In a DST gap there is no such instant (None); in
/// an overlap the earlier one is taken, as cron-like schedulers do.
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// Start of the local day (in `tz`) that contains `t`.
pub fn local_midnight(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let day = t.with_timezone(&tz).date_naive();
    let mut naive = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    // A zone may skip midnight for DST; the day then starts at the first
    // existing minute.
    for _ in 0..180 {
        if let Some(u) = local_to_utc(naive, tz) {
            return u;
        }
        naive += chrono::Duration::minutes(1);
    }
    t
}

/// Midnight starting local `date` in `tz` (the first existing minute of it
/// where a DST change skips midnight).
pub fn day_start(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let noon = date.and_hms_opt(12, 0, 0).expect("noon exists");
    let t = local_to_utc(noon, tz).unwrap_or_else(|| noon.and_utc());
    local_midnight(t, tz)
}

pub fn parse_tz(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>().map_err(|_| {
        format!("múi giờ không có trong cơ sở dữ liệu tz {s:?}, ví dụ \"Asia/Ho_Chi_Minh\" (unknown time zone)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn vietnamese_date_time() {
        let t = at("2026-11-23T07:05:09Z");
        assert_eq!(datetime_vi(t, DEFAULT_TZ, false), "Thứ Hai, 23/11/2026 — 14:05");
        assert_eq!(datetime_vi(t, DEFAULT_TZ, true), "Thứ Hai, 23/11/2026 — 14:05:09");
        assert_eq!(long_date_vi(t, DEFAULT_TZ), "Thứ Hai, ngày 23 tháng 11 năm 2026");
        // Sunday, across midnight local time.
        let t = at("2026-11-28T17:30:00Z");
        assert_eq!(datetime_vi(t, DEFAULT_TZ, false), "Chủ Nhật, 29/11/2026 — 00:30");
    }

    #[test]
    fn instants_with_and_without_offsets() {
        let tz = DEFAULT_TZ;
        assert_eq!(
            parse_instant("2026-11-23T07:00:00+07:00", tz).unwrap(),
            at("2026-11-23T00:00:00Z")
        );
        assert_eq!(
            parse_instant("2026-11-23 07:00", tz).unwrap(),
            at("2026-11-23T00:00:00Z")
        );
        assert_eq!(parse_instant("2026-11-23", tz).unwrap(), at("2026-11-22T17:00:00Z"));
        assert!(parse_instant("23/11/2026", tz).is_err());
    }

    #[test]
    fn dst_gaps_and_overlaps_are_handled_by_the_tz_database() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29 02:30 does not exist in Berlin.
        assert!(parse_instant("2026-03-29 02:30", berlin).is_err());
        // 2026-10-25 02:30 happens twice; the first (CEST, +02:00) is taken.
        assert_eq!(
            parse_instant("2026-10-25 02:30", berlin).unwrap(),
            at("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            local_midnight(at("2026-11-23T10:00:00Z"), DEFAULT_TZ),
            at("2026-11-22T17:00:00Z")
        );
    }
}
