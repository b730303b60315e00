//! The full-screen emergency alert a board shows on its own, at any size
//! from a 192×96 LED cabinet to 4K, landscape or portrait.
//!
//! The same screen, with a calmer band, shows the bulletins of a bulletin
//! round (priority: "THÔNG BÁO QUAN TRỌNG" on amber; normal: "BẢN TIN" on
//! blue — a risk level, when given, still sets the band's colour).
//!
//! Built like the other built-in screens (see [`super::screens`]):
//! a layout document is assembled and run through the same validation as
//! officers' layouts, so it renders with the same text, ticker and
//! shrink-to-fit code and the bundled fonts. The document is built as
//! [`RawLayout`] values rather than TOML text, so nothing an alert says
//! (quotes, backslashes, line breaks from a CAP message) needs escaping.
//!
//! From top to bottom (zone ids in brackets, for tests and proof of play):
//!
//! - [`HEADER_ZONE`]: a band in the risk level's official colour
//!   ([`risk_colour`]; red `#c62828` with white text when no level is
//!   known): "CẢNH BÁO KHẨN CẤP — <event>", then "Cấp độ rủi ro: N" and,
//!   when several alerts take turns, "Cảnh báo i/n";
//! - [`HEADLINE_ZONE`]: the headline, large and bold;
//! - [`DESCRIPTION_ZONE`]: the description (left out when empty);
//! - [`INSTRUCTION_ZONE`]: "Hướng dẫn: …" in yellow (left out when empty);
//! - [`FOOTER_ZONE`]: the sender and "Hiệu lực đến HH:MM dd/mm/yyyy" in the
//!   board's time zone;
//! - [`TICKER_ZONE`]: the alert's ticker (or headline and instruction) on a
//!   band of the risk colour.
//!
//! A bulletin's pictures and videos, once the board has their files, take
//! the right 44 % of the middle rows ([`MEDIA_ZONE`], pictures fitted on
//! black, one after the other, videos muted — the loudspeakers speak); the
//! headline and paragraphs keep the left part.
//!
//! Every text shrinks to fit its zone. Boards under 480×360 (LED) have no
//! room for paragraphs or pictures: they show the band, the headline and
//! the ticker, which then also carries the validity.

use bangtin_layouts::alerts::{ALERT_PICTURE_SECONDS, AlertLevel, AlertMediaKind, BoardAlert, risk_colour};
use bangtin_layouts::raw::{Padding, RawBoard, RawItem, RawLayout, RawZone};
use bangtin_layouts::time::{date_vi, time_vi};
use bangtin_layouts::validate::MAX_TEXT_CHARS;
use bangtin_layouts::{Layout, MAX_BOARD_SIDE, MIN_BOARD_SIDE};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::Path;

pub const HEADER_ZONE: &str = "canh_bao";
pub const HEADLINE_ZONE: &str = "tieu_de";
pub const DESCRIPTION_ZONE: &str = "noi_dung";
pub const INSTRUCTION_ZONE: &str = "huong_dan";
pub const FOOTER_ZONE: &str = "nguon";
pub const TICKER_ZONE: &str = "chu_chay";
pub const MEDIA_ZONE: &str = "hinh_anh";

/// Where the board's media files are, and which of the alert's are there.
#[derive(Debug, Clone, Copy)]
pub struct Media<'a> {
    pub dir: &'a Path,
    /// SHA-256 of the alert's files that are complete on disk.
    pub ready: &'a [String],
}

impl Media<'_> {
    /// No pictures (files not there yet, or none).
    pub fn none() -> Media<'static> {
        Media {
            dir: Path::new("."),
            ready: &[],
        }
    }
}

/// Band and text colour of an alert whose risk level is not known.
pub const DEFAULT_COLOURS: (&str, &str) = ("#c62828", "#ffffff");
/// Band and text colour of a priority bulletin (no risk level).
pub const PRIORITY_COLOURS: (&str, &str) = ("#f9a825", "#000000");
/// Band and text colour of a normal bulletin (no risk level).
pub const NORMAL_COLOURS: (&str, &str) = ("#1565c0", "#ffffff");
/// Behind the headline and paragraphs: dark, so every band colour stands
/// out and an LED board is readable at full brightness.
pub const BACKGROUND: &str = "#121212";
const HEADLINE_COLOUR: &str = "#ffffff";
const DESCRIPTION_COLOUR: &str = "#eceff1";
const INSTRUCTION_COLOUR: &str = "#ffd54f";
const FOOTER_COLOUR: &str = "#b0bec5";
/// Smallest text, board pixels (LED boards are read from afar).
const MIN_TEXT: f64 = 8.0;

/// Band and text colours of `alert` (hex).
pub fn colours(alert: &BoardAlert) -> (&'static str, &'static str) {
    alert.risk_level.and_then(risk_colour).unwrap_or(match alert.level {
        AlertLevel::Emergency => DEFAULT_COLOURS,
        AlertLevel::Priority => PRIORITY_COLOURS,
        AlertLevel::Normal => NORMAL_COLOURS,
    })
}

/// "Hiệu lực đến 14:05 23/11/2026" in `tz`, or "until further notice".
pub fn valid_until_vi(expires: Option<DateTime<Utc>>, tz: Tz) -> String {
    match expires {
        Some(t) => {
            let l = t.with_timezone(&tz);
            format!("Hiệu lực đến {} {}", time_vi(l, false), date_vi(l))
        }
        None => "Hiệu lực đến khi có thông báo mới".to_string(),
    }
}

/// The header's first line.
pub fn header_title(alert: &BoardAlert) -> String {
    let kind = match alert.level {
        AlertLevel::Emergency => "CẢNH BÁO KHẨN CẤP",
        AlertLevel::Priority => "THÔNG BÁO QUAN TRỌNG",
        AlertLevel::Normal => "BẢN TIN",
    };
    let event = alert.event.trim();
    if event.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} — {event}")
    }
}

/// The header's second line: the risk level, and the alert's turn when
/// several take turns (`turn` = (index from 0, count)).
pub fn header_detail(alert: &BoardAlert, turn: (usize, usize)) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(l) = alert.risk_level.filter(|l| (1..=5).contains(l)) {
        parts.push(format!("Cấp độ rủi ro: {l}"));
    }
    if turn.1 > 1 {
        let what = if alert.level == AlertLevel::Emergency {
            "Cảnh báo"
        } else {
            "Tin"
        };
        parts.push(format!("{what} {}/{}", turn.0 + 1, turn.1));
    }
    (!parts.is_empty()).then(|| parts.join("   •   "))
}

/// The ticker's text: the alert's own, or its headline and instruction.
pub fn ticker_text(alert: &BoardAlert) -> String {
    let own = alert.ticker.trim();
    if !own.is_empty() {
        return own.to_string();
    }
    let parts: Vec<String> = [headline(alert), instruction(alert).unwrap_or_default()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    parts.join(" — ")
}

fn headline(alert: &BoardAlert) -> String {
    [alert.headline.trim(), alert.event.trim()]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or(match alert.level {
            AlertLevel::Emergency => "Cảnh báo khẩn cấp",
            _ => "Bản tin",
        })
        .to_string()
}

fn instruction(alert: &BoardAlert) -> Option<String> {
    let i = alert.instruction.trim();
    (!i.is_empty()).then(|| format!("Hướng dẫn: {i}"))
}

/// The alert screen for a board of `size` (clamped to the sizes layouts
/// accept), times shown in `tz`; `turn` = (index from 0, count) of the
/// alerts shown in turn.
///
/// `since`: when the screen goes on. Every item is valid from then, so the
/// playlists start there rather than at the board's midnight anchor: the
/// ticker enters from its beginning and proof of play records the alert
/// from the moment it was shown.
///
/// Never fails: should the document not validate (a bug), a plainer
/// screen with the same message is shown instead.
pub fn layout(
    size: [u32; 2],
    alert: &BoardAlert,
    tz: Tz,
    turn: (usize, usize),
    since: Option<DateTime<Utc>>,
    media: Media<'_>,
) -> Layout {
    let size = size.map(|s| s.clamp(MIN_BOARD_SIDE, MAX_BOARD_SIDE));
    let mut raw = if size[0] < 480 || size[1] < 360 {
        small(size, alert, tz, turn)
    } else {
        large(size, alert, tz, turn, media.ready)
    };
    if let Some(t) = since {
        let from = t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        for it in raw.zones.iter_mut().flat_map(|z| z.items.iter_mut()) {
            it.valid_from = Some(from.clone());
        }
    }
    match bangtin_layouts::validate(&raw, media.dir) {
        Ok(l) => l,
        Err(problems) => {
            tracing::error!(
                "màn hình cảnh báo không hợp lệ, dùng màn hình đơn giản: {problems:?} (alert screen does not validate)"
            );
            plain(size, alert, tz)
        }
    }
}

/// One zone with the band, the headline and the validity: the fallback.
fn plain(size: [u32; 2], alert: &BoardAlert, tz: Tz) -> Layout {
    let [w, h] = size;
    let (bg, fg) = colours(alert);
    let body: String = format!("{}\n{}", headline(alert), valid_until_vi(alert.expires, tz))
        .chars()
        .take(2000)
        .collect();
    let raw = RawLayout {
        board: Some(board(size, bg, tz)),
        zones: vec![zone(
            HEADER_ZONE,
            [0, 0, w, h],
            None,
            RawItem {
                title: Some("CẢNH BÁO KHẨN CẤP".into()),
                body: Some(body),
                title_size: Some(f64::from(h) * 0.2),
                size: Some(f64::from(h) * 0.1),
                min_size: Some(MIN_TEXT.min(f64::from(h) * 0.1)),
                color: Some(fg.into()),
                align: Some("center".into()),
                valign: Some("middle".into()),
                ..text()
            },
        )],
    };
    bangtin_layouts::validate(&raw, Path::new(".")).expect("the plain alert screen validates at every board size")
}

fn board(size: [u32; 2], background: &str, tz: Tz) -> RawBoard {
    RawBoard {
        name: Some("Cảnh báo khẩn cấp".into()),
        width: Some(i64::from(size[0])),
        height: Some(i64::from(size[1])),
        background: Some(background.into()),
        background_image: None,
        timezone: Some(tz.name().into()),
    }
}

fn zone(id: &str, [x, y, w, h]: [u32; 4], background: Option<&str>, item: RawItem) -> RawZone {
    RawZone {
        id: Some(id.into()),
        x: Some(i64::from(x)),
        y: Some(i64::from(y)),
        width: Some(i64::from(w)),
        height: Some(i64::from(h)),
        background: background.map(str::to_string),
        items: vec![item],
        ..RawZone::default()
    }
}

fn text() -> RawItem {
    RawItem {
        kind: Some("text".into()),
        ..RawItem::default()
    }
}

/// Text as the layout accepts it: no carriage returns, not over the limit.
fn clean(s: &str) -> String {
    s.trim()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .take(MAX_TEXT_CHARS)
        .collect()
}

fn px(v: f64) -> f64 {
    v.round().max(1.0)
}

/// Padding (vertical, horizontal) of a text zone `h` high on a board `w` wide.
fn pad(h: u32, w: u32, v: f64) -> Option<Padding> {
    Some(Padding::Pair([
        (f64::from(h) * v).round().min(f64::from(h / 2)),
        (f64::from(w) * 0.02).round().min(f64::from(w / 2)),
    ]))
}

/// The band: title, and the level and turn beneath it.
fn header(alert: &BoardAlert, turn: (usize, usize), rect: [u32; 4], w: u32) -> RawZone {
    let (bg, fg) = colours(alert);
    let hh = f64::from(rect[3]);
    // Not so large that the title breaks into a second line on a portrait
    // screen.
    let cap = f64::from(w) * 0.05;
    let detail = header_detail(alert, turn);
    let (title_size, size) = if detail.is_some() {
        (px((hh * 0.34).min(cap)), px((hh * 0.24).min(cap * 0.7)))
    } else {
        (px((hh * 0.46).min(cap)), px((hh * 0.46).min(cap)))
    };
    zone(
        HEADER_ZONE,
        rect,
        Some(bg),
        RawItem {
            title: Some(clean(&header_title(alert))),
            body: detail,
            title_size: Some(title_size),
            size: Some(size),
            min_size: Some(MIN_TEXT.min(size)),
            line_height: Some(1.1),
            color: Some(fg.into()),
            bold: Some(true),
            align: Some("center".into()),
            valign: Some("middle".into()),
            padding: pad(rect[3], w, 0.06),
            ..text()
        },
    )
}

fn headline_zone(alert: &BoardAlert, rect: [u32; 4], size: f64, w: u32) -> RawZone {
    zone(
        HEADLINE_ZONE,
        rect,
        None,
        RawItem {
            title: Some(clean(&headline(alert))),
            title_size: Some(size),
            size: Some(size),
            min_size: Some(MIN_TEXT.min(size)),
            title_color: Some(HEADLINE_COLOUR.into()),
            color: Some(HEADLINE_COLOUR.into()),
            align: Some("center".into()),
            valign: Some("middle".into()),
            padding: pad(rect[3], w, 0.06),
            ..text()
        },
    )
}

fn ticker(alert: &BoardAlert, text: String, rect: [u32; 4], w: u32) -> RawZone {
    let (bg, fg) = colours(alert);
    zone(
        TICKER_ZONE,
        rect,
        Some(bg),
        RawItem {
            kind: Some("ticker".into()),
            text: Some(clean(&text)),
            size: Some(px(f64::from(rect[3]) * 0.5)),
            color: Some(fg.into()),
            bold: Some(true),
            // Readable on a 384-pixel LED board and on a wall screen alike.
            speed: Some((120.0 * f64::from(w) / 1920.0).clamp(40.0, 160.0).round()),
            ..RawItem::default()
        },
    )
}

/// Heights that add up to `total`, in proportion to `weights`.
fn split(total: u32, weights: &[u32]) -> Vec<u32> {
    let sum: u32 = weights.iter().sum::<u32>().max(1);
    let mut out: Vec<u32> = weights.iter().map(|w| total * w / sum).collect();
    let used: u32 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += total - used;
    }
    out
}

/// LED boards: band, headline, ticker.
fn small(size: [u32; 2], alert: &BoardAlert, tz: Tz, turn: (usize, usize)) -> RawLayout {
    let [w, h] = size;
    let hs = split(h, &[26, 46, 28]);
    let (hh, lh, th) = (hs[0].max(1), hs[1].max(1), hs[2].max(1));
    let ticker_text = format!("{}   •   {}", ticker_text(alert), valid_until_vi(alert.expires, tz));
    let headline_size = px((f64::from(lh) * 0.40).min(f64::from(w) * 0.09));
    RawLayout {
        board: Some(board(size, BACKGROUND, tz)),
        zones: vec![
            header(alert, turn, [0, 0, w, hh], w),
            headline_zone(alert, [0, hh, w, lh], headline_size, w),
            ticker(alert, ticker_text, [0, hh + lh, w, th], w),
        ],
    }
}

/// Wall screens, landscape or portrait: every part of the alert.
/// The picture zone: the alert's files that are on disk, in its order.
fn media_zone(alert: &BoardAlert, ready: &[String], rect: [u32; 4]) -> Option<RawZone> {
    let items: Vec<RawItem> = alert
        .media
        .iter()
        .filter(|m| ready.contains(&m.sha256))
        .map(|m| {
            let src = Some(format!("sha256:{}", m.sha256));
            match m.kind {
                AlertMediaKind::Image => RawItem {
                    kind: Some("image".into()),
                    src,
                    fit: Some("fit".into()),
                    duration: Some(m.seconds.unwrap_or(ALERT_PICTURE_SECONDS).clamp(1.0, 3600.0)),
                    ..RawItem::default()
                },
                AlertMediaKind::Video => RawItem {
                    kind: Some("video".into()),
                    src,
                    fit: Some("fit".into()),
                    mute: Some(true),
                    duration: m.seconds.map(|s| s.clamp(1.0, 3600.0)),
                    ..RawItem::default()
                },
            }
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    let mut z = zone(MEDIA_ZONE, rect, Some("#000000"), text());
    z.items = items;
    Some(z)
}

fn large(size: [u32; 2], alert: &BoardAlert, tz: Tz, turn: (usize, usize), ready: &[String]) -> RawLayout {
    let [full_w, h] = size;
    let (full_wf, hf) = (f64::from(full_w), f64::from(h));
    // Bands scale with the shorter side, so a portrait screen keeps them slim.
    let hh = (hf * 0.15).min(full_wf * 0.16).round() as u32;
    let th = (hf * 0.11).min(full_wf * 0.12).round() as u32;
    let fh = (hf * 0.07).min(full_wf * 0.075).round() as u32;
    let mid = h - hh - th - fh;
    // Pictures take the right part of the middle rows on a landscape
    // screen, their lower part on a portrait one; texts the rest.
    let portrait = h > full_w;
    let (text_w, text_h) = if portrait {
        (full_w, (f64::from(mid) * 0.55).round() as u32)
    } else {
        ((full_wf * 0.56).round() as u32, mid)
    };
    let media_rect = if portrait {
        [0, hh + text_h, full_w, mid - text_h]
    } else {
        [text_w, hh, full_w - text_w, mid]
    };
    let media = media_zone(alert, ready, media_rect);
    let (w, mid_text) = if media.is_some() {
        (text_w, text_h)
    } else {
        (full_w, mid)
    };
    let wf = f64::from(w);
    let description = clean(&alert.description);
    let instruction = instruction(alert).map(|s| clean(&s));
    let mut weights = vec![3];
    if !description.is_empty() {
        weights.push(4);
    }
    if instruction.is_some() {
        weights.push(3);
    }
    let heights = split(mid_text, &weights);
    let mut zones = vec![header(alert, turn, [0, 0, full_w, hh], full_w)];
    let mut y = hh;
    let mut heights = heights.into_iter();
    let lh = heights.next().unwrap_or(mid_text);
    zones.push(headline_zone(
        alert,
        [0, y, w, lh],
        px((f64::from(lh) * 0.34).min(wf * 0.07)),
        w,
    ));
    y += lh;
    // Description and instruction start at the same size.
    let para = px((f64::from(mid_text) * 0.065).min(wf * 0.045));
    let paragraph = |id: &str, body: String, colour: &str, bold: bool, zh: u32, y: u32| {
        zone(
            id,
            [0, y, w, zh],
            None,
            RawItem {
                body: Some(body),
                size: Some(para),
                min_size: Some(MIN_TEXT.min(para)),
                color: Some(colour.into()),
                bold: Some(bold),
                align: Some("left".into()),
                valign: Some("top".into()),
                padding: pad(zh, w, 0.06),
                ..text()
            },
        )
    };
    if !description.is_empty() {
        let zh = heights.next().unwrap_or(1);
        zones.push(paragraph(
            DESCRIPTION_ZONE,
            description,
            DESCRIPTION_COLOUR,
            false,
            zh,
            y,
        ));
        y += zh;
    }
    if let Some(i) = instruction {
        let zh = heights.next().unwrap_or(1);
        zones.push(paragraph(INSTRUCTION_ZONE, i, INSTRUCTION_COLOUR, true, zh, y));
        y += zh;
    }
    let sender = alert.sender.trim();
    let footer = if sender.is_empty() {
        valid_until_vi(alert.expires, tz)
    } else {
        format!("{sender}   •   {}", valid_until_vi(alert.expires, tz))
    };
    let footer_size = px((f64::from(fh) * 0.42).min(full_wf * 0.025));
    // Below the picture, when it takes the lower middle.
    let y = y.max(hh + mid);
    zones.push(zone(
        FOOTER_ZONE,
        [0, y, full_w, fh],
        None,
        RawItem {
            body: Some(clean(&footer)),
            size: Some(footer_size),
            min_size: Some(MIN_TEXT.min(footer_size)),
            color: Some(FOOTER_COLOUR.into()),
            wrap: Some(false),
            align: Some("center".into()),
            valign: Some("middle".into()),
            padding: pad(fh, full_w, 0.1),
            ..text()
        },
    ));
    let y = y + fh;
    zones.push(ticker(alert, ticker_text(alert), [0, y, full_w, h - y], full_w));
    zones.extend(media);
    RawLayout {
        board: Some(board(size, BACKGROUND, tz)),
        zones,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangtin_layouts::alerts::AlertLevel;
    use bangtin_layouts::time::DEFAULT_TZ;
    use bangtin_layouts::{ItemKind, Rect};

    fn alert(risk: Option<u8>) -> BoardAlert {
        BoardAlert {
            id: "cap:test-1".into(),
            level: AlertLevel::Emergency,
            severity: 4,
            risk_level: risk,
            event: "Bão số 3 \"Yagi\"".into(),
            headline: "Bão mạnh cấp 12 đổ bộ \\ chiều nay".into(),
            description: "Gió giật cấp 15.\r\nMưa rất to 200–300 mm.".into(),
            instruction: "Ở trong nhà, tránh xa cửa kính.".into(),
            ticker: String::new(),
            sender: "Ban Chỉ huy PCTT và TKCN tỉnh".into(),
            starts: "2026-11-23T00:00:00Z".parse().unwrap(),
            expires: Some("2026-11-23T07:05:00Z".parse().unwrap()),
            slots: Vec::new(),
            weekdays: Vec::new(),
            seconds: None,
            media: Vec::new(),
            repeats: None,
        }
    }

    fn tiles(l: &Layout) -> u64 {
        l.zones.iter().map(|z| z.rect.area()).sum()
    }

    #[test]
    fn validates_and_tiles_every_board_size() {
        for size in [
            [16, 16],
            [192, 96],
            [384, 192],
            [640, 360],
            [1920, 1080],
            [1080, 1920],
            [3840, 2160],
        ] {
            for risk in [None, Some(1), Some(5), Some(9)] {
                for turn in [(0, 1), (1, 3)] {
                    let l = layout(size, &alert(risk), DEFAULT_TZ, turn, None, Media::none());
                    assert_eq!([l.board.width, l.board.height], size);
                    let full = Rect::new(0, 0, size[0], size[1]);
                    assert_eq!(tiles(&l), full.area(), "{size:?}: zones cover the board once");
                    assert!(l.zone(HEADER_ZONE).is_some() && l.zone(HEADLINE_ZONE).is_some());
                    assert!(l.zone(TICKER_ZONE).is_some());
                }
            }
        }
        // Empty parts are left out, and a bare alert still has a headline.
        let mut bare = alert(None);
        bare.description.clear();
        bare.instruction.clear();
        bare.headline.clear();
        let l = layout([1920, 1080], &bare, DEFAULT_TZ, (0, 1), None, Media::none());
        assert!(l.zone(DESCRIPTION_ZONE).is_none() && l.zone(INSTRUCTION_ZONE).is_none());
        let ItemKind::Text { title, .. } = &l.zone(HEADLINE_ZONE).unwrap().items[0].kind else {
            panic!("headline is text")
        };
        assert_eq!(title.as_deref(), Some("Bão số 3 \"Yagi\""));
        assert!(plain([16, 16], &bare, DEFAULT_TZ).zone(HEADER_ZONE).is_some());
    }

    #[test]
    fn bulletins_have_their_own_band_and_title() {
        let mut a = alert(None);
        a.event = "Y tế".into();
        a.level = AlertLevel::Normal;
        assert_eq!(header_title(&a), "BẢN TIN — Y tế");
        assert_eq!(colours(&a), NORMAL_COLOURS);
        assert_eq!(header_detail(&a, (1, 3)).as_deref(), Some("Tin 2/3"));
        a.level = AlertLevel::Priority;
        assert_eq!(header_title(&a), "THÔNG BÁO QUAN TRỌNG — Y tế");
        assert_eq!(colours(&a), PRIORITY_COLOURS);
        // A risk level still sets the colour.
        a.risk_level = Some(4);
        assert_eq!(colours(&a).0, "#d7191c");
        a.level = AlertLevel::Emergency;
        assert_eq!(
            header_detail(&a, (0, 2)).as_deref(),
            Some("Cấp độ rủi ro: 4   •   Cảnh báo 1/2")
        );
        let l = layout([1920, 1080], &a, DEFAULT_TZ, (0, 1), None, Media::none());
        assert!(l.zone(HEADER_ZONE).is_some());
    }

    #[test]
    fn texts_in_vietnamese_local_time() {
        let a = alert(Some(4));
        // 07:05 UTC is 14:05 in Vietnam.
        assert_eq!(valid_until_vi(a.expires, DEFAULT_TZ), "Hiệu lực đến 14:05 23/11/2026");
        assert_eq!(valid_until_vi(None, DEFAULT_TZ), "Hiệu lực đến khi có thông báo mới");
        assert_eq!(header_title(&a), "CẢNH BÁO KHẨN CẤP — Bão số 3 \"Yagi\"");
        assert_eq!(header_detail(&a, (0, 1)).as_deref(), Some("Cấp độ rủi ro: 4"));
        assert_eq!(header_detail(&alert(None), (1, 2)).as_deref(), Some("Cảnh báo 2/2"));
        assert_eq!(header_detail(&alert(None), (0, 1)), None);
        assert_eq!(
            ticker_text(&a),
            "Bão mạnh cấp 12 đổ bộ \\ chiều nay — Hướng dẫn: Ở trong nhà, tránh xa cửa kính."
        );
        assert_eq!(Some(colours(&a)), risk_colour(4));
        assert_eq!(colours(&alert(None)), DEFAULT_COLOURS);
        let l = layout([1920, 1080], &a, DEFAULT_TZ, (0, 1), Some(Utc::now()), Media::none());
        let ItemKind::Text { body, .. } = &l.zone(FOOTER_ZONE).unwrap().items[0].kind else {
            panic!("footer is text")
        };
        assert_eq!(
            body.as_deref(),
            Some("Ban Chỉ huy PCTT và TKCN tỉnh   •   Hiệu lực đến 14:05 23/11/2026")
        );
        let ItemKind::Text { body, .. } = &l.zone(DESCRIPTION_ZONE).unwrap().items[0].kind else {
            panic!("description is text")
        };
        assert_eq!(body.as_deref(), Some("Gió giật cấp 15.\nMưa rất to 200–300 mm."));
    }
}
