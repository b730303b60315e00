//! Vietnamese must render perfectly: every vowel with every tone mark has a
//! real glyph in the bundled fonts (no tofu, no fallback to another face),
//! typed precomposed or with combining marks; Tai Viet falls back to its own
//! bundled font (shaping only, no GPU).
//!
//! And text never leaves its box (issue #14): rendered on the GPU (lavapipe
//! here), no pixel of any text — text items, tickers, clocks, QR captions,
//! the alert and bulletin screens, the pairing and standby screens — lies
//! outside the zone less its padding; checked with the renderer's text clip
//! on, and off, which shows that the layout alone keeps every glyph whole
//! inside (the clip only makes sure of it). A property test does so over
//! generated texts (Vietnamese with every tone, long words, Tai Viet,
//! mixed), sizes from 6 px, paddings, zone widths from 64 px, alignments
//! and wrap modes.

use bangtin_layouts::alerts::{AlertLevel, BoardAlert};
use bangtin_layouts::raw::{Padding, RawBoard, RawItem, RawLayout, RawZone};
use bangtin_layouts::time::DEFAULT_TZ;
use bangtin_layouts::{Align, Layout};
use bangtin_player::board::{alert_screen, screens};
use bangtin_player::content::text_box;
use bangtin_player::render::text::TextSpec;
use bangtin_player::render::{RectF, TextSystem};
use bangtin_player::{At, FrameRequest};
use bangtin_tests::headless;
use chrono::{DateTime, TimeDelta, Utc};
use image::RgbaImage;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn spec(bold: bool) -> TextSpec {
    TextSpec {
        size: 32.0,
        line_height: 1.2,
        bold,
        align: Align::Left,
        width: None,
        wrap: false,
    }
}

/// Every Vietnamese letter: 12 vowels × 6 tones, both cases, and đ/Đ.
fn vietnamese_letters() -> Vec<String> {
    let tones = ["", "\u{301}", "\u{300}", "\u{309}", "\u{303}", "\u{323}"];
    let mut out = vec!["đ".to_string(), "Đ".to_string()];
    for base in ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"] {
        for up in [false, true] {
            let b = if up { base.to_uppercase() } else { base.to_string() };
            for t in tones {
                out.push(format!("{b}{t}"));
            }
        }
    }
    out
}

/// (family, glyph id) of each glyph in `text`.
fn shaped(ts: &mut TextSystem, text: &str, bold: bool) -> Vec<(String, u16)> {
    let block = ts.layout(text, spec(bold));
    let mut out = Vec::new();
    for g in block.glyphs() {
        let family = ts
            .fonts
            .db()
            .face(g.key.font_id)
            .map(|f| f.families[0].0.clone())
            .unwrap_or_default();
        out.push((family, g.key.glyph_id));
    }
    out
}

#[test]
fn every_vietnamese_letter_has_a_real_noto_sans_glyph() {
    let mut ts = TextSystem::new();
    let letters = vietnamese_letters();
    assert_eq!(letters.len(), 12 * 6 * 2 + 2);
    for bold in [false, true] {
        for decomposed in letters.iter() {
            // As typed with combining marks; layouts normalise to NFC, but
            // the font must cope either way.
            for text in [decomposed.clone(), nfc(decomposed)] {
                let glyphs = shaped(&mut ts, &text, bold);
                assert!(!glyphs.is_empty(), "{text:?}: nothing shaped");
                for (family, id) in &glyphs {
                    assert_eq!(family, "Noto Sans", "{text:?} (bold {bold}) fell back to {family}");
                    assert_ne!(*id, 0, "{text:?} (bold {bold}) shaped to .notdef (tofu)");
                }
            }
            // Precomposed letters are one glyph each, not a base with a
            // mark hanging off it.
            let one = shaped(&mut ts, &nfc(decomposed), bold);
            assert_eq!(
                one.len(),
                1,
                "{:?} should be a single glyph, got {one:?}",
                nfc(decomposed)
            );
        }
    }
}

fn nfc(s: &str) -> String {
    // Tiny NFC for the cases above, through the layout crate's own path.
    let toml = format!(
        "[board]\nwidth=16\nheight=16\n[[zone]]\nid=\"z\"\nx=0\ny=0\nwidth=16\nheight=16\n[[zone.item]]\ntype=\"ticker\"\ntext=\"{s}\"\n"
    );
    let l = bangtin_layouts::parse_layout(&toml, std::path::Path::new("t.toml"), std::path::Path::new(".")).unwrap();
    match &l.zones[0].items[0].kind {
        bangtin_layouts::ItemKind::Ticker { text, .. } => text.clone(),
        _ => unreachable!(),
    }
}

#[test]
fn tai_viet_uses_the_bundled_tai_viet_font() {
    let mut ts = TextSystem::new();
    let glyphs = shaped(&mut ts, "ꪀꪁꪂꪃ", false);
    assert_eq!(glyphs.len(), 4);
    for (family, id) in glyphs {
        assert_eq!(family, "Noto Sans Tai Viet");
        assert_ne!(id, 0);
    }
}

#[test]
fn only_bundled_fonts_are_loaded() {
    let ts = TextSystem::new();
    let families: std::collections::BTreeSet<String> = ts.fonts.db().faces().map(|f| f.families[0].0.clone()).collect();
    assert_eq!(
        families.into_iter().collect::<Vec<_>>(),
        ["Noto Sans", "Noto Sans Tai Viet"],
        "the player must never pick up system fonts"
    );
}

// ---------------------------------------------------------------------------
// Text stays inside its box.

/// A fixed Monday afternoon in Vietnam.
const WHEN: &str = "2026-11-23T14:05:09+07:00";
const BG: &str = "#203040";
const BG_RGB: [u8; 3] = [0x20, 0x30, 0x40];

fn when() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(WHEN).unwrap().with_timezone(&Utc)
}

/// The frame of `layout` at [`WHEN`], with the renderer's text clip on or off.
fn render(layout: &Layout, clip: bool) -> RgbaImage {
    render_counting(layout, clip).0
}

/// The frame, and how many letters were left out because they did not fit
/// their box whole: in lines below the box (text too long even at its
/// smallest size), and past the end of lines wider than the box.
fn render_counting(layout: &Layout, clip: bool) -> (RgbaImage, [u64; 2]) {
    let mut h = headless();
    let before = h.renderer.text.left_out();
    h.renderer.clip_text = clip;
    let img = bangtin_player::render_frame_with(
        &mut h,
        FrameRequest {
            layout: layout.clone(),
            at: At::Instant(when()),
            start: None,
            size: None,
        },
    );
    h.renderer.clip_text = true;
    let after = h.renderer.text.left_out();
    let left_out = [after[0] - before[0], after[1] - before[1]];
    drop(h);
    let img = img.expect("frame renders");
    if let Some(dir) = std::env::var_os("BANGTIN_TEXT_PNG") {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::fs::create_dir_all(&dir).unwrap();
        img.save(std::path::Path::new(&dir).join(format!("{n:03}-clip-{clip}.png")))
            .unwrap();
    }
    (img, left_out)
}

/// Whole pixels `[x0, y0, x1, y1)` whose centres lie in `r`.
fn pixels(r: RectF) -> [i64; 4] {
    [
        r.x.round() as i64,
        r.y.round() as i64,
        (r.x + r.w).round() as i64,
        (r.y + r.h).round() as i64,
    ]
}

/// Pixels inside `within` but outside `inside` that are not `bg`: text
/// where it must not be.
fn strays(img: &RgbaImage, within: [i64; 4], inside: [i64; 4], bg: [u8; 3]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let clamp = |v: i64, max: u32| v.clamp(0, i64::from(max)) as u32;
    for y in clamp(within[1], img.height())..clamp(within[3], img.height()) {
        for x in clamp(within[0], img.width())..clamp(within[2], img.width()) {
            let (xi, yi) = (i64::from(x), i64::from(y));
            if xi >= inside[0] && xi < inside[2] && yi >= inside[1] && yi < inside[3] {
                continue;
            }
            let p = img.get_pixel(x, y);
            if p[0] != bg[0] || p[1] != bg[1] || p[2] != bg[2] {
                out.push((x, y));
            }
        }
    }
    out
}

/// Pixels of `r` that are not `bg`.
fn inked(img: &RgbaImage, r: [i64; 4], bg: [u8; 3]) -> usize {
    strays(img, r, [0, 0, 0, 0], bg).len()
}

/// A board `margin` pixels larger than its one zone on every side, all in
/// [`BG`], holding `item`.
fn one_zone(zone: [u32; 2], margin: u32, item: RawItem) -> Layout {
    let raw = RawLayout {
        board: Some(RawBoard {
            name: Some("hộp chữ".into()),
            width: Some(i64::from(zone[0] + 2 * margin)),
            height: Some(i64::from(zone[1] + 2 * margin)),
            background: Some(BG.into()),
            ..RawBoard::default()
        }),
        zones: vec![RawZone {
            id: Some("z".into()),
            x: Some(i64::from(margin)),
            y: Some(i64::from(margin)),
            width: Some(i64::from(zone[0])),
            height: Some(i64::from(zone[1])),
            background: Some(BG.into()),
            items: vec![item],
            ..RawZone::default()
        }],
    };
    bangtin_layouts::validate(&raw, std::path::Path::new(".")).unwrap_or_else(|e| panic!("{e:?}"))
}

fn text_item(body: &str, size: f64, padding: [f64; 2]) -> RawItem {
    RawItem {
        kind: Some("text".into()),
        body: Some(body.into()),
        size: Some(size),
        color: Some("#ffffff".into()),
        padding: Some(Padding::Pair(padding)),
        ..RawItem::default()
    }
}

/// Every zone of `layout`: no pixel of text outside its text box, where
/// the zone's own background shows, with the text clip on and off.
#[track_caller]
fn assert_inside(layout: &Layout, what: &str) {
    for clip in [true, false] {
        let img = render(layout, clip);
        let board_bg = layout.board.background;
        for z in &layout.zones {
            let area = RectF::from(z.rect);
            let inside = pixels(text_box(&z.items[0].kind, area));
            let bg = z.background.unwrap_or(board_bg);
            let bad = strays(&img, pixels(area), inside, [bg.r, bg.g, bg.b]);
            assert!(
                bad.is_empty(),
                "{what}, zone {:?} (clip {clip}): {} text pixels outside its box {inside:?}, first at {:?}",
                z.id,
                bad.len(),
                &bad[..bad.len().min(5)]
            );
        }
    }
}

/// The Vietnamese alphabet, capitals then small letters, a line each.
const ALPHABET: &str = "A Ă Â B C D Đ E Ê G H I K L M N O Ô Ơ P Q R S T U Ư V X Y\n\
                        a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y";

#[test]
fn issue_14_alphabet_on_a_384x192_board_stays_inside_its_padding() {
    // The report: 384×192 board, body 14 px, padding [2, 4]; the last
    // letter of a wrapped line was drawn into the right padding and cut at
    // x = 383.
    let l = one_zone([384, 192], 0, text_item(ALPHABET, 14.0, [2.0, 4.0]));
    for clip in [true, false] {
        let (img, left_out) = render_counting(&l, clip);
        assert_eq!(left_out, [0, 0], "every letter fits, none is left out");
        let bad = strays(&img, [0, 0, 384, 192], [4, 2, 380, 190], BG_RGB);
        assert!(
            bad.is_empty(),
            "clip {clip}: {} pixels of text outside x 4..380, y 2..190, first at {:?}",
            bad.len(),
            &bad[..bad.len().min(5)]
        );
        assert!(inked(&img, [4, 2, 380, 190], BG_RGB) > 500, "the text is drawn");
    }
    // And with every alignment, justify included.
    for align in ["left", "center", "right", "justify"] {
        let mut item = text_item(ALPHABET, 14.0, [2.0, 4.0]);
        item.align = Some(align.into());
        assert_inside(&one_zone([384, 192], 8, item), align);
    }
}

#[test]
fn lines_are_broken_where_their_pixels_would_leave_the_box() {
    // The same text at many widths, laid out only (no GPU): every line's
    // pixels lie in [0, width), and shrink-to-fit reads these same
    // figures ([`TextBlock::width`]).
    let mut ts = TextSystem::new();
    for bold in [false, true] {
        for align in [Align::Left, Align::Center, Align::Right, Align::Justify] {
            for width in (40..=400).step_by(7) {
                let spec = TextSpec {
                    size: 14.0,
                    line_height: 1.3,
                    bold,
                    align,
                    width: Some(width as f32 + 0.6),
                    wrap: true,
                };
                let block = ts.layout(ALPHABET, spec);
                for (i, line) in block.lines().iter().enumerate() {
                    let ink = line.ink.expect("every line has letters");
                    assert!(
                        ink[0] >= 0 && ink[2] <= width,
                        "{align:?} bold {bold}, width {width}: line {i} covers columns {}..{}",
                        ink[0],
                        ink[2]
                    );
                }
                assert!(block.width() <= width as f32);
                if align == Align::Justify && width >= 100 {
                    // Justified lines (all but each paragraph's last) end
                    // exactly at the right edge.
                    let n = block.lines().len();
                    let full = block.lines()[..n - 1]
                        .iter()
                        .filter(|l| l.ink.is_some_and(|i| i[2] == width))
                        .count();
                    assert!(
                        full >= n.saturating_sub(2),
                        "width {width}: {full} of {n} lines justified"
                    );
                }
            }
        }
    }
}

#[test]
fn a_word_longer_than_the_line_breaks_between_letters_and_stays_inside() {
    let word = "Nghiêng".repeat(12);
    let mut ts = TextSystem::new();
    let spec = TextSpec {
        size: 20.0,
        line_height: 1.2,
        bold: true,
        align: Align::Center,
        width: Some(100.0),
        wrap: true,
    };
    let block = ts.layout(&word, spec);
    assert!(block.lines().len() > 5, "{} lines", block.lines().len());
    for l in block.lines() {
        let ink = l.ink.unwrap();
        assert!(ink[0] >= 0 && ink[2] <= 100, "{ink:?}");
    }
    let glyphs: usize = block.lines().iter().map(|l| l.glyphs.len()).sum();
    assert_eq!(glyphs, word.chars().count(), "every letter once");
    let l = one_zone([112, 256], 6, text_item(&word, 20.0, [0.0, 6.0]));
    assert_inside(&l, "long word");
    assert_eq!(render_counting(&l, false).1, [0, 0], "the long word fits, broken");
}

#[test]
fn shrink_to_fit_takes_the_measure_drawing_uses() {
    // A zone just too small for the text at its size: shrunk, it must fit
    // to the pixel — the measure is the drawn lines' own — and use the box:
    // not shrunk further than needed.
    let body = "Thông báo: ngày 23/11/2026, UBND xã tổ chức tiêm chủng mở rộng cho trẻ em dưới 5 tuổi tại trạm y tế xã. Đề nghị các gia đình đưa con em đến đúng giờ.";
    for (w, h) in [(384u32, 96u32), (200, 160), (120, 120), (640, 60)] {
        let mut item = text_item(body, 40.0, [3.0, 5.0]);
        item.min_size = Some(6.0);
        item.valign = Some("bottom".into());
        let l = one_zone([w, h], 4, item);
        assert_inside(&l, &format!("{w}×{h}"));
        let (img, left_out) = render_counting(&l, false);
        assert_eq!(left_out, [0, 0], "{w}×{h}: shrunk to fit, no letter is left out");
        let rows: Vec<i64> = (4 + 3..4 + i64::from(h) - 3)
            .filter(|y| inked(&img, [4, *y, 4 + i64::from(w), y + 1], BG_RGB) > 0)
            .collect();
        let (top, bottom) = (rows[0], *rows.last().unwrap());
        let box_h = i64::from(h) - 6;
        assert!(
            bottom >= 4 + 3 + box_h - 4 && (bottom - top + 1) * 10 >= box_h * 6,
            "{w}×{h}: text rows {top}..={bottom} leave much of the box ({}..{}) empty: shrunk too far",
            4 + 3,
            4 + 3 + box_h
        );
    }
}

#[test]
fn ticker_captions_stay_in_their_band() {
    // Taller than its band: the ticker is made smaller so its capitals'
    // marks stay inside; along the band, text enters and leaves at the
    // zone's edges (the clip), and nothing is drawn above or below.
    for (h, size) in [(24u32, 40.0), (40, 22.0), (64, 35.2)] {
        let item = RawItem {
            kind: Some("ticker".into()),
            text: Some("ẮẰẲẴẶ ỆỀỂỄ ƯỨỪỬỮỰ — Ẫ Ỗ Ỡ Ỹ — ꪀꪁꪂꪃ".into()),
            size: Some(size),
            color: Some("#ffff00".into()),
            ..RawItem::default()
        };
        let l = one_zone([320, h], 10, item);
        let zone = [10, 10, 330, 10 + i64::from(h)];
        let img = render(&l, true);
        let bad = strays(&img, [0, 0, 340, 20 + i64::from(h)], zone, BG_RGB);
        assert!(
            bad.is_empty(),
            "band {h} px: {} pixels outside, first {:?}",
            bad.len(),
            bad.first()
        );
        assert!(inked(&img, zone, BG_RGB) > 100, "the ticker is drawn");
        // Without the clip, still nothing above or below the band.
        let img = render(&l, false);
        let bad = strays(&img, [0, 0, 340, 20 + i64::from(h)], [0, 10, 340, zone[3]], BG_RGB);
        assert!(
            bad.is_empty(),
            "band {h} px unclipped: {} pixels above or below, first {:?}",
            bad.len(),
            bad.first()
        );
    }
}

#[test]
fn clocks_stay_inside_their_margin() {
    for (w, h, format, size) in [
        (64u32, 24u32, "datetime", 30.0),
        (96, 64, "long", 40.0),
        (384, 40, "datetime", 40.0),
        (120, 120, "time", 300.0),
        (200, 30, "date", 8.0),
    ] {
        let item = RawItem {
            kind: Some("clock".into()),
            format: Some(format.into()),
            seconds: Some(true),
            size: Some(size),
            color: Some("#ffd54f".into()),
            ..RawItem::default()
        };
        let l = one_zone([w, h], 6, item);
        assert_inside(&l, &format!("clock {format} {w}×{h}"));
        let img = render(&l, true);
        assert!(
            inked(&img, [6, 6, 6 + i64::from(w), 6 + i64::from(h)], BG_RGB) > 20,
            "the clock is drawn"
        );
    }
}

#[test]
fn qr_captions_stay_inside_their_zone() {
    for (w, h) in [(64u32, 96u32), (200, 240), (96, 64)] {
        let item = RawItem {
            kind: Some("qr".into()),
            data: Some("https://dinhhoa.example.gov.vn/thu-tuc".into()),
            caption: Some("Quét mã để xem thủ tục hành chính của xã — Ẵ Ỹ".into()),
            size: Some(18.0),
            ..RawItem::default()
        };
        let l = one_zone([w, h], 8, item);
        for clip in [true, false] {
            let img = render(&l, clip);
            let zone = [8, 8, 8 + i64::from(w), 8 + i64::from(h)];
            let bad = strays(&img, [0, 0, i64::from(w) + 16, i64::from(h) + 16], zone, BG_RGB);
            assert!(
                bad.is_empty(),
                "QR {w}×{h} clip {clip}: {} pixels outside, first {:?}",
                bad.len(),
                bad.first()
            );
        }
    }
}

fn board_alert(level: AlertLevel, long: bool) -> BoardAlert {
    let now = when();
    let more = if long {
        " Các hộ dân vùng trũng, ven sông Cầu, ven suối chủ động di dời người và tài sản đến nơi an toàn; \
         tuyệt đối không qua ngầm tràn, không vớt củi trên sông. ẮẰẲẴẶ ỆỀỂỄ ƯỨỪỬỮỰ."
            .repeat(3)
    } else {
        String::new()
    };
    BoardAlert {
        id: "cap:pctt-2026-014".into(),
        level,
        severity: 4,
        risk_level: Some(3),
        event: "Lũ quét, sạt lở đất".into(),
        headline: "Cảnh báo lũ quét và sạt lở đất trên địa bàn các xã vùng cao trong đêm nay".into(),
        description: format!("Mưa lớn 150–250 mm, có nơi trên 300 mm.{more}"),
        instruction: "Không đi qua ngầm, tràn; di dời khỏi khu vực nguy hiểm ngay.".into(),
        ticker: String::new(),
        sender: "Ban Chỉ huy PCTT và TKCN tỉnh Thái Nguyên".into(),
        starts: now - TimeDelta::minutes(30),
        expires: Some(now + TimeDelta::hours(6)),
        slots: Vec::new(),
        weekdays: Vec::new(),
        seconds: None,
        media: Vec::new(),
        repeats: None,
    }
}

#[test]
fn alert_and_bulletin_screens_keep_their_text_inside() {
    for size in [[64, 48], [192, 96], [384, 192], [640, 360], [1920, 1080], [1080, 1920]] {
        for (level, long) in [(AlertLevel::Emergency, true), (AlertLevel::Normal, false)] {
            let a = board_alert(level, long);
            let l = alert_screen::layout(
                size,
                &a,
                DEFAULT_TZ,
                (1, 3),
                Some(when() - TimeDelta::seconds(3)),
                alert_screen::Media::none(),
            );
            assert_inside(&l, &format!("{level:?} screen {size:?}"));
        }
    }
}

#[test]
fn pairing_and_standby_screens_keep_their_text_inside() {
    for size in [[64, 32], [192, 96], [384, 192], [1920, 1080], [1080, 1920]] {
        assert_inside(&screens::pairing(size, "K7QX-4MRT"), &format!("pairing {size:?}"));
        assert_inside(&screens::pairing(size, ""), &format!("connecting {size:?}"));
        assert_inside(
            &screens::standby(size, "Bảng tin UBND xã Định Hóa — trước trụ sở, cạnh chợ Chợ Chu"),
            &format!("standby {size:?}"),
        );
        assert_inside(&screens::waiting(size), &format!("waiting {size:?}"));
    }
}

// ---------------------------------------------------------------------------
// The property: any text, size, padding, width, alignment and wrap mode.

/// A Vietnamese syllable-ish word: consonants and vowels, each vowel with
/// any of the five tone marks (combining: the layout composes them, NFC).
fn viet_word() -> impl Strategy<Value = String> {
    const VOWELS: [&str; 12] = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"];
    const CONSONANTS: [&str; 25] = [
        "b", "c", "ch", "d", "đ", "g", "gh", "h", "k", "kh", "l", "m", "n", "ng", "nh", "p", "ph", "q", "r", "s", "t",
        "th", "tr", "v", "x",
    ];
    const TONES: [&str; 6] = ["", "\u{301}", "\u{300}", "\u{309}", "\u{303}", "\u{323}"];
    let letter = prop_oneof![
        (prop::sample::select(&VOWELS[..]), prop::sample::select(&TONES[..])).prop_map(|(v, t)| format!("{v}{t}")),
        prop::sample::select(&CONSONANTS[..]).prop_map(str::to_string),
    ];
    (prop::collection::vec(letter, 1..8), any::<u8>()).prop_map(|(ls, caps)| {
        let w: String = ls.concat();
        match caps % 4 {
            0 => w.to_uppercase(),
            1 => {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
            _ => w,
        }
    })
}

/// Tai Viet letters, vowel signs and tone marks (U+AA80–U+AADF).
fn tai_viet_word() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![0xAA80u32..=0xAAC2, 0xAADBu32..=0xAADF].prop_map(|c| char::from_u32(c).unwrap()),
        1..8,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        6 => viet_word(),
        // No spaces for a long while: breaks between letters.
        1 => prop::collection::vec(viet_word(), 4..12).prop_map(|ws| ws.concat()),
        2 => tai_viet_word(),
        1 => prop::sample::select(&["ẮẰẲẴẶ", "ỆỀỂỄ", "ƯỨỪỬỮỰ", "—", "•", "12:05", "(UBND)", "WWW", "ffi", "j"][..]).prop_map(str::to_string),
    ];
    let sep = prop::sample::select(&[" ", " ", " ", " ", "  ", "\n", " — "][..]);
    prop::collection::vec((word, sep), 1..24).prop_map(|v| {
        let s: String = v.into_iter().flat_map(|(w, s)| [w, s.to_string()]).collect();
        s.trim().to_string()
    })
}

#[derive(Debug, Clone)]
struct Case {
    text: String,
    size: f64,
    padding: [u32; 2],
    zone: [u32; 2],
    align: &'static str,
    valign: &'static str,
    wrap: bool,
    bold: bool,
    line_height: f64,
    title: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        text(),
        6u32..=72,
        (0u32..=10, 0u32..=16),
        [64u32..=480, 24u32..=240],
        prop::sample::select(&["left", "center", "right", "justify"][..]),
        prop::sample::select(&["top", "middle", "bottom"][..]),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(&[0.8, 1.0, 1.3, 1.6][..]),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(text, size, (pv, ph), zone, align, valign, wrap, bold, line_height, title)| Case {
                text,
                size: f64::from(size),
                padding: [pv.min(zone[1] / 2 - 1), ph.min(zone[0] / 2 - 1)],
                zone,
                align,
                valign,
                wrap,
                bold,
                line_height,
                title,
            },
        )
}

/// Fixed seed, so CI runs the same cases each time; a failure prints its
/// case (text, size, box and the offending pixels) and is minimised.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x1414_b0c5),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn no_pixel_of_text_outside_its_box(c in case()) {
        let item = RawItem {
            kind: Some("text".into()),
            title: c.title.then(|| "Thông báo khẩn".to_string()),
            body: Some(c.text.clone()),
            size: Some(c.size),
            min_size: Some(6.0_f64.min(c.size)),
            color: Some("#ffffff".into()),
            bold: Some(c.bold),
            align: Some(c.align.into()),
            valign: Some(c.valign.into()),
            wrap: Some(c.wrap),
            line_height: Some(c.line_height),
            padding: Some(Padding::Pair(c.padding.map(f64::from))),
            ..RawItem::default()
        };
        let m = 8;
        let l = one_zone(c.zone, m, item);
        // Without the clip: the layout alone keeps every glyph whole inside.
        let (img, left_out) = render_counting(&l, false);
        let [pv, ph] = c.padding.map(i64::from);
        let (m, w, h) = (i64::from(m), i64::from(c.zone[0]), i64::from(c.zone[1]));
        let inside = [m + ph, m + pv, m + w - ph, m + h - pv];
        let bad = strays(&img, [0, 0, w + 2 * m, h + 2 * m], inside, BG_RGB);
        prop_assert!(
            bad.is_empty(),
            "{} px text, zone {}×{}, padding {:?}, {} {} wrap {} bold {} line height {}: {} pixels outside {:?}, first at (x, y) {:?}\ntext: {:?}",
            c.size, c.zone[0], c.zone[1], c.padding, c.align, c.valign, c.wrap, c.bold, c.line_height,
            bad.len(), inside, &bad[..bad.len().min(5)], c.text
        );
        // Wrapped, in a box wider than any letter, no line is too wide: none
        // loses letters at its end (only lines below a box too small for the
        // text even at 6 px may be left out).
        let widest_letter = 2.0 * 1.35 * c.size;
        if c.wrap && (c.zone[0] - 2 * c.padding[1]) as f64 >= widest_letter {
            prop_assert_eq!(
                left_out[1], 0,
                "{} px text, zone {}×{}, padding {:?}, {}: letters left out at the end of lines\ntext: {:?}",
                c.size, c.zone[0], c.zone[1], c.padding, c.align, c.text
            );
        }
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn wrapped_lines_lie_inside_their_width(c in case()) {
        // Layout only (no GPU), so many more cases: with wrapping, every
        // line's pixels lie in [0, width) unless one letter alone is wider.
        let mut ts = TextSystem::new();
        let width = f64::from(c.zone[0] - 2 * c.padding[1]) as f32;
        let align = match c.align { "left" => Align::Left, "center" => Align::Center, "right" => Align::Right, _ => Align::Justify };
        let spec = TextSpec { size: c.size as f32, line_height: c.line_height as f32, bold: c.bold, align, width: Some(width), wrap: true };
        let block = ts.layout(&c.text, spec);
        for (i, l) in block.lines().iter().enumerate() {
            let Some(ink) = l.ink else { continue };
            // A letter wider than the box alone on its line is the one
            // exception (then the text shrinks, or the clip cuts it).
            let wider = l.glyphs.iter().any(|g| g.ink.is_some_and(|i| (i[2] - i[0]) as f32 > width));
            prop_assert!(
                (ink[0] >= 0 && ink[2] as f32 <= width) || wider,
                "{} px, width {width}, {align:?}: line {i} covers columns {}..{}\ntext: {:?}",
                c.size, ink[0], ink[2], c.text
            );
        }
    }
}
