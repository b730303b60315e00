//! What boards and the manager say to each other besides the show itself:
//! heartbeats, pushed events, commands, proof-of-play and the display plan.
//!
//! Routes (all board routes take `Authorization: Bearer bb_…`):
//!
//! | board → manager | body | answer |
//! |---|---|---|
//! | `POST /api/v1/board/heartbeat` | [`BoardStatus`] | [`HeartbeatReply`] |
//! | `GET /api/v1/board/events` | — | `text/event-stream`, each `data:` a [`Push`] |
//! | `GET /api/v1/board/show` | `If-None-Match: "<version>"` | signed show or 304 |
//! | `GET /api/v1/board/media/{sha256}` | `Range: bytes=N-` | the file (206 from N) |
//! | `POST /api/v1/board/playlog` | [`PlaylogBatch`] | [`PlaylogAck`] |
//! | `PUT /api/v1/board/screenshot?kind=thumb\|full[&command=ID]` | PNG | 204 |

use crate::schedule::Window;
use chrono::{DateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// Heartbeat period unless the board is configured otherwise.
pub const DEFAULT_HEARTBEAT_SECONDS: u32 = 30;
/// A board is offline after this many missed beats.
pub const MISSED_BEATS_OFFLINE: u32 = 3;
/// Largest thumbnail a board sends with its heartbeat (bytes).
pub const MAX_THUMBNAIL_BYTES: usize = 512 * 1024;
/// Largest full-resolution screenshot (bytes; a 3840×2160 PNG fits).
pub const MAX_SCREENSHOT_BYTES: usize = 24 * 1024 * 1024;
/// Width of the heartbeat thumbnail (height follows the board's shape).
pub const THUMBNAIL_WIDTH: u32 = 320;
/// Most events in one proof-of-play upload.
pub const MAX_PLAYLOG_BATCH: usize = 1000;

/// A board's state, sent every heartbeat period and at once on a change
/// (new show on screen, display switched, an error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardStatus {
    /// The player's version, e.g. "0.1.0".
    pub player_version: String,
    /// Seconds since the player process started.
    pub uptime_s: u64,
    /// This board's heartbeat period: the manager marks it offline after
    /// [`MISSED_BEATS_OFFLINE`] periods without a beat.
    pub interval_s: u32,
    /// Version of the show on screen; 0 = none yet (pairing or standby).
    pub show_version: u64,
    /// When that show went on screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_since: Option<DateTime<Utc>>,
    /// Newest show the board knows of but is still downloading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_version: Option<u64>,
    /// Key of the layout on screen; None on the standby screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// What each zone plays now.
    #[serde(default)]
    pub zones: Vec<ZoneNow>,
    /// Frames drawn per second over the last period, and frames that came
    /// later than their deadline.
    pub fps: f64,
    pub dropped_frames: u64,
    /// Free bytes on the disk holding the media cache.
    pub disk_free_bytes: u64,
    pub display_on: bool,
    /// Output brightness now, percent.
    pub brightness: u8,
    /// Problems since the last beat (each once), in Vietnamese.
    #[serde(default)]
    pub errors: Vec<String>,
    /// SHA-256 of the alert set's pictures and videos complete in the
    /// board's cache (the manager reports bulletins' `media_ready` from it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alert_media: Vec<String>,
    /// Ids of the manager's commands received since the last beat that went
    /// through (pushed or in a reply; run, or skipped as already run). The
    /// manager keeps a command until the board names it here, and hands it
    /// over with every reply until then. None: a board from before
    /// acknowledgements (a command handed over in a reply is then done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands_done: Option<Vec<String>>,
    /// Version of the alert set installed (None: none yet). With
    /// `show_version`, it tells a manager whose store went back in time (a
    /// restored backup) how far its boards already are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts_version: Option<u64>,
    /// The board's clock when it sent this beat: the manager compares it
    /// with its own ([`clock_skew_s`]). None: a board from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<DateTime<Utc>>,
}

/// A board's clock further than this from the manager's (seconds) is
/// reported: it shows the wrong time and starts scheduled content and
/// display hours at the wrong moment. Far above network delays (a beat's
/// stamp travels with it) and above what an NTP-synced board ever drifts;
/// an unsynced real-time clock reaches it in a week or two.
pub const CLOCK_SKEW_WARN_S: f64 = 30.0;

/// How far a clock reading `theirs` is ahead of `ours` (negative: behind),
/// in seconds, to a tenth.
pub fn clock_skew_s(theirs: DateTime<Utc>, ours: DateTime<Utc>) -> f64 {
    ((theirs - ours).num_milliseconds() as f64 / 100.0).round() / 10.0
}

/// For officers: how far a board's clock is off, in Vietnamese then
/// English, or None within [`CLOCK_SKEW_WARN_S`].
pub fn clock_skew_warning(skew_s: f64) -> Option<String> {
    if skew_s.is_nan() || skew_s.abs() <= CLOCK_SKEW_WARN_S {
        return None;
    }
    let total = skew_s.abs().round() as u64;
    let (h, m, sec) = (total / 3600, total / 60 % 60, total % 60);
    let amount = match (h, m) {
        (0, 0) => format!("{sec} giây"),
        (0, _) => format!("{m} phút {sec} giây"),
        _ => format!("{h} giờ {m} phút"),
    };
    let way = if skew_s > 0.0 {
        ("nhanh", "ahead")
    } else {
        ("chậm", "behind")
    };
    Some(format!(
        "Đồng hồ bảng tin {} {amount} so với máy chủ quản lý: kiểm tra đồng bộ giờ (NTP) \
         (board clock {} by {total} s)",
        way.0, way.1
    ))
}

/// A board reporting a show or alert set version above this is not caught
/// up with (see the manager's heartbeat); far beyond any real count.
pub const MAX_CATCH_UP_VERSION: u64 = 1 << 40;

/// Most command ids one heartbeat acknowledges (the rest wait a beat).
pub const MAX_COMMANDS_DONE: usize = 32;

/// One zone's current item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneNow {
    pub zone: String,
    /// Index in the zone's playlist; None when the zone shows nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    /// "image", "text", "ticker", "clock", "qr", "video".
    pub kind: String,
    /// What it is, for people: a title, a file's sha256, "clock".
    pub label: String,
}

/// The manager's answer to a heartbeat: the periodic fallback for pushes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatReply {
    /// The newest show published for the board (0 = none).
    pub show_version: u64,
    /// Commands not yet delivered by push.
    #[serde(default)]
    pub commands: Vec<Command>,
    /// The manager's clock when it answered, for the board to check its
    /// own (None: a manager from before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_time: Option<DateTime<Utc>>,
}

/// Something the manager tells a board at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Push {
    /// A new show is published: fetch it.
    Show {
        version: u64,
    },
    Command(Command),
    /// The alerts in force for the board changed: fetch the signed set.
    Alerts {
        version: u64,
    },
}

/// A command for one board, with an id the board echoes (e.g. in the
/// screenshot it uploads in answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: String,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Fetch the show again and rebuild the screen from it.
    Reload,
    /// Upload a full-resolution screenshot now.
    Screenshot,
    /// Restart the player process.
    Restart,
}

/// Proof of play: one item starting or ending on screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayEvent {
    /// Per board, strictly increasing, never reused: uploads are
    /// idempotent (the manager keeps one event per seq).
    pub seq: u64,
    pub kind: PlayKind,
    /// When it happened (for `start`, equals `started`).
    pub at: DateTime<Utc>,
    /// When this play of the item began.
    pub started: DateTime<Utc>,
    pub show_version: u64,
    pub layout: String,
    pub zone: String,
    pub item: usize,
    /// Item kind and label as in [`ZoneNow`].
    pub item_kind: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlayKind {
    Start,
    /// Ran to its scheduled end.
    End,
    /// Cut short: another layout took over (schedule, new show, alert),
    /// the display was switched off, or the player stopped.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylogBatch {
    pub events: Vec<PlayEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylogAck {
    /// Events newly stored (re-sent ones are not counted twice).
    pub stored: usize,
    /// Highest seq the manager holds for this board.
    pub last_seq: u64,
}

/// When the screen is off and how bright it is, by local time of day. Part
/// of the signed show, so a board keeps its night schedule offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayPlan {
    /// Local windows with the display off (e.g. 22:00–05:00).
    #[serde(default)]
    pub off: Vec<Window>,
    /// Brightness steps: from each local time on, this percent, until the
    /// next step (wrapping past midnight). Empty = 100 %.
    #[serde(default)]
    pub brightness: Vec<BrightnessStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrightnessStep {
    #[serde(with = "crate::schedule::hhmm")]
    pub from: NaiveTime,
    /// 1–100.
    pub percent: u8,
}

impl DisplayPlan {
    /// Is the display on at local time `t`?
    pub fn is_on(&self, t: NaiveTime) -> bool {
        !self.off.iter().any(|w| in_window(w, t))
    }

    /// Brightness percent at local time `t`.
    pub fn brightness_at(&self, t: NaiveTime) -> u8 {
        if self.brightness.is_empty() {
            return 100;
        }
        let mut steps = self.brightness.clone();
        steps.sort_by_key(|s| s.from);
        // The last step at or before t; before the first step of the day,
        // the last step of the day before still holds.
        let cur = steps.iter().rev().find(|s| s.from <= t).or(steps.last());
        cur.map_or(100, |s| s.percent.clamp(1, 100))
    }

    /// Problems, as (field path, message).
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, w) in self.off.iter().enumerate() {
            if w.start == w.end {
                out.push((
                    format!("off[{i}]"),
                    "khung giờ rỗng: giờ bắt đầu bằng giờ kết thúc (empty window)".into(),
                ));
            }
        }
        for (i, s) in self.brightness.iter().enumerate() {
            if !(1..=100).contains(&s.percent) {
                out.push((
                    format!("brightness[{i}].percent"),
                    "độ sáng từ 1 đến 100 phần trăm (percent must be 1–100)".into(),
                ));
            }
        }
        let mut froms: Vec<NaiveTime> = self.brightness.iter().map(|s| s.from).collect();
        froms.sort();
        if froms.windows(2).any(|w| w[0] == w[1]) {
            out.push((
                "brightness".into(),
                "hai mốc độ sáng cùng một giờ (two steps at the same time)".into(),
            ));
        }
        out
    }

    /// Seconds after local time `t` until the plan next changes (on/off or
    /// brightness), at most a day.
    pub fn seconds_to_next_change(&self, t: NaiveTime) -> u32 {
        let mut marks: Vec<NaiveTime> = self.brightness.iter().map(|s| s.from).collect();
        for w in &self.off {
            marks.push(w.start);
            marks.push(w.end);
        }
        let now = t.num_seconds_from_midnight();
        marks
            .iter()
            .map(|m| {
                let m = m.num_seconds_from_midnight();
                if m > now { m - now } else { m + 86_400 - now }
            })
            .min()
            .unwrap_or(86_400)
    }
}

fn in_window(w: &Window, t: NaiveTime) -> bool {
    if w.start < w.end {
        w.start <= t && t < w.end
    } else {
        // Runs past midnight.
        t >= w.start || t < w.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn display_off_at_night_past_midnight() {
        let p = DisplayPlan {
            off: vec![Window {
                start: hm("22:00"),
                end: hm("05:00"),
            }],
            brightness: vec![],
        };
        assert!(p.is_on(hm("21:59")));
        assert!(!p.is_on(hm("22:00")));
        assert!(!p.is_on(hm("02:30")));
        assert!(p.is_on(hm("05:00")));
        assert_eq!(p.brightness_at(hm("12:00")), 100);
        assert_eq!(p.seconds_to_next_change(hm("21:00")), 3600);
        assert_eq!(p.seconds_to_next_change(hm("23:00")), 6 * 3600);
    }

    #[test]
    fn brightness_steps_wrap_past_midnight() {
        let p: DisplayPlan = serde_json::from_str(
            r#"{"brightness":[{"from":"18:00","percent":40},{"from":"06:00","percent":100},{"from":"22:00","percent":15}]}"#,
        )
        .unwrap();
        assert_eq!(p.brightness_at(hm("07:00")), 100);
        assert_eq!(p.brightness_at(hm("18:30")), 40);
        assert_eq!(p.brightness_at(hm("23:00")), 15);
        assert_eq!(p.brightness_at(hm("03:00")), 15, "the night step holds after midnight");
        assert!(p.check().is_empty());
        let bad: DisplayPlan = serde_json::from_str(r#"{"brightness":[{"from":"18:00","percent":0}]}"#).unwrap();
        assert_eq!(bad.check()[0].0, "brightness[0].percent");
    }

    #[test]
    fn pushes_and_commands_have_a_stable_shape() {
        let p = Push::Command(Command {
            id: "cmd-1".into(),
            action: Action::Screenshot,
        });
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(j, r#"{"type":"command","id":"cmd-1","action":"screenshot"}"#);
        assert_eq!(serde_json::from_str::<Push>(&j).unwrap(), p);
        let s = serde_json::to_string(&Push::Show { version: 7 }).unwrap();
        assert_eq!(s, r#"{"type":"show","version":7}"#);
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn clock_skew_is_measured_and_named_past_the_threshold() {
        let ours: DateTime<Utc> = "2026-12-07T10:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(clock_skew_s(at("2026-12-07T10:00:01.260Z"), ours), 1.3);
        assert_eq!(clock_skew_s(at("2026-12-07T09:57:55Z"), ours), -125.0);
        assert_eq!(clock_skew_warning(29.9), None);
        assert_eq!(clock_skew_warning(-30.0), None);
        let w = clock_skew_warning(-125.0).unwrap();
        assert!(w.starts_with("Đồng hồ bảng tin chậm 2 phút 5 giây"), "{w}");
        assert!(w.ends_with("(board clock behind by 125 s)"), "{w}");
        let w = clock_skew_warning(7200.0 + 600.0).unwrap();
        assert!(w.starts_with("Đồng hồ bảng tin nhanh 2 giờ 10 phút"), "{w}");
        assert_eq!(clock_skew_warning(f64::NAN), None);
    }
}
