//! The emergency alert screen as boards draw it (headless, on the GPU the
//! machine has — lavapipe in CI): at a wall screen's, an LED board's and a
//! portrait screen's size, for every risk level, the band is the level's
//! official colour, the headline is there, long Vietnamese paragraphs
//! shrink inside their zones, and proof of play records the alert.
//!
//! `BANGTIN_ALERT_PNG=DIR` writes the frames there for a look.

use bangtin_layouts::alerts::{ALERTS_SCHEMA, AlertLevel, AlertSet, BoardAlert, risk_colour};
use bangtin_layouts::time::DEFAULT_TZ;
use bangtin_layouts::wire::PlayKind;
use bangtin_layouts::{Color, Layout, Rect};
use bangtin_player::board::alert_screen::{
    self, DEFAULT_COLOURS, DESCRIPTION_ZONE, FOOTER_ZONE, HEADER_ZONE, HEADLINE_ZONE, INSTRUCTION_ZONE, TICKER_ZONE,
};
use bangtin_player::board::director::{Director, ScreenKey, ScreenReport};
use bangtin_player::board::playlog::PlayLog;
use bangtin_player::{At, FrameRequest, Scene};
use bangtin_tests::headless;
use chrono::{DateTime, TimeDelta, Utc};
use image::RgbaImage;
use std::sync::{Arc, Mutex};

/// A fixed Monday afternoon in Vietnam.
const WHEN: &str = "2026-11-23T14:05:09+07:00";
const SIZES: [[u32; 2]; 3] = [[1920, 1080], [384, 192], [1080, 1920]];

fn when() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(WHEN).unwrap().with_timezone(&Utc)
}

fn render(layout: Layout, name: &str) -> RgbaImage {
    let mut h = headless();
    let img = bangtin_player::render_frame_with(
        &mut h,
        FrameRequest {
            layout,
            at: At::Instant(when()),
            start: None,
            size: None,
        },
    )
    .expect("frame renders");
    if let Some(dir) = std::env::var_os("BANGTIN_ALERT_PNG") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        img.save(dir.join(format!("{name}.png"))).unwrap();
    }
    img
}

fn alert(risk: Option<u8>) -> BoardAlert {
    let now = when();
    BoardAlert {
        id: "cap:pctt-2026-003".into(),
        level: AlertLevel::Emergency,
        severity: 4,
        risk_level: risk,
        event: "Bão số 3".into(),
        headline: "Bão số 3 đổ bộ vào đất liền trong chiều nay".into(),
        description: "Gió mạnh cấp 12, giật cấp 15; mưa rất to từ 200 đến 300 mm.".into(),
        instruction: "Người dân ở trong nhà, tránh xa cửa kính, không ra biển.".into(),
        ticker: "Khẩn cấp: bão số 3 đổ bộ chiều nay — ở trong nhà, theo dõi loa truyền thanh.".into(),
        sender: "Ban Chỉ huy PCTT và TKCN tỉnh".into(),
        starts: now - TimeDelta::minutes(30),
        expires: Some(now + TimeDelta::hours(6)),
        slots: Vec::new(),
        weekdays: Vec::new(),
        seconds: None,
        media: Vec::new(),
        repeats: None,
    }
}

fn rect(l: &Layout, zone: &str) -> Rect {
    l.zone(zone).unwrap_or_else(|| panic!("zone {zone}")).rect
}

fn colour(hex: &str) -> [u8; 3] {
    let c: Color = hex.parse().expect("colour");
    [c.r, c.g, c.b]
}

fn near(p: &image::Rgba<u8>, c: [u8; 3], tol: i16) -> bool {
    (0..3).all(|i| (i16::from(p[i]) - i16::from(c[i])).abs() <= tol)
}

/// Pixels of `r` (clamped to the image) for which `f` holds, and how many there are.
fn count(img: &RgbaImage, r: Rect, f: impl Fn(&image::Rgba<u8>) -> bool) -> (usize, usize) {
    let mut n = 0;
    let mut all = 0;
    for y in r.y.max(0) as u32..(r.bottom() as u32).min(img.height()) {
        for x in r.x.max(0) as u32..(r.right() as u32).min(img.width()) {
            all += 1;
            if f(img.get_pixel(x, y)) {
                n += 1;
            }
        }
    }
    (n, all)
}

fn light(p: &image::Rgba<u8>) -> bool {
    u16::from(p[0]) + u16::from(p[1]) + u16::from(p[2]) > 3 * 140
}

#[test]
fn band_in_the_risk_colour_and_a_headline_at_every_size_and_level() {
    let bg = colour(alert_screen::BACKGROUND);
    for size in SIZES {
        for risk in [None, Some(1), Some(2), Some(3), Some(4), Some(5)] {
            let a = alert(risk);
            let (band_hex, _) = risk.and_then(risk_colour).unwrap_or(DEFAULT_COLOURS);
            let band = colour(band_hex);
            let layout = alert_screen::layout(size, &a, DEFAULT_TZ, (0, 1), None, alert_screen::Media::none());
            let l = layout.clone();
            let img = render(
                layout,
                &format!(
                    "alert-{}x{}-{}",
                    size[0],
                    size[1],
                    risk.map_or("none".into(), |r| r.to_string())
                ),
            );
            assert_eq!([img.width(), img.height()], size);
            let what = format!("{size:?}, level {risk:?}");

            // The band's padding at its left is the plain colour, and most
            // of the band is (text takes the rest).
            let head = rect(&l, HEADER_ZONE);
            let pad = (size[0] / 50).max(2) - 1;
            let edge = Rect::new(0, head.y, pad, head.h);
            let (n, all) = count(&img, edge, |p| near(p, band, 3));
            assert_eq!(n, all, "{what}: band edge is not {band_hex}");
            let (n, all) = count(&img, head, |p| near(p, band, 3));
            assert!(n * 10 > all * 6, "{what}: only {n}/{all} band pixels are {band_hex}");
            // …and it carries text (in its text colour, not the band's).
            assert!(all - n > all / 100, "{what}: the band has no text");

            // The headline zone: dark background with light letters.
            let hl = rect(&l, HEADLINE_ZONE);
            let (lit, all) = count(&img, hl, light);
            assert!(
                lit > all / 200,
                "{what}: headline zone looks empty ({lit}/{all} light pixels)"
            );
            let (dark, _) = count(&img, hl, |p| near(p, bg, 3));
            assert!(
                dark > all / 2,
                "{what}: headline background is not {}",
                alert_screen::BACKGROUND
            );

            // The ticker band is there, in the same colour.
            let (n, all) = count(&img, rect(&l, TICKER_ZONE), |p| near(p, band, 3));
            assert!(n * 10 > all * 4, "{what}: ticker band is not {band_hex}");

            // Wall screens show every part.
            if size[1] >= 360 {
                for z in [DESCRIPTION_ZONE, INSTRUCTION_ZONE, FOOTER_ZONE] {
                    let (lit, all) = count(&img, rect(&l, z), |p| !near(p, bg, 12));
                    assert!(lit > all / 500, "{what}: zone {z} looks empty");
                }
            }
        }
    }
}

#[test]
fn a_long_vietnamese_description_shrinks_and_stays_inside_its_zone() {
    let sentence = "Theo Trung tâm Dự báo khí tượng thủy văn quốc gia, hồi 13 giờ tâm bão ở vào khoảng \
                    19,8 độ Vĩ Bắc; 107,5 độ Kinh Đông, sức gió mạnh nhất vùng gần tâm bão mạnh cấp 12 \
                    (118–133 km/giờ), giật cấp 15; các xã ven biển cần khẩn trương sơ tán người dân khỏi \
                    nhà tạm, nhà yếu và vùng trũng thấp. ";
    let bg = colour(alert_screen::BACKGROUND);
    for size in [[1920, 1080], [1080, 1920]] {
        let mut a = alert(Some(4));
        a.description = sentence.repeat(4);
        assert!(a.description.chars().count() > 1000);
        let layout = alert_screen::layout(size, &a, DEFAULT_TZ, (0, 1), None, alert_screen::Media::none());
        let l = layout.clone();
        let img = render(layout, &format!("alert-long-{}x{}", size[0], size[1]));
        let d = rect(&l, DESCRIPTION_ZONE);
        // The text is there, filling the zone's upper part…
        let (lit, all) = count(&img, d, light);
        assert!(lit > all / 50, "{size:?}: description zone looks empty");
        let top_half = Rect::new(d.x, d.y, d.w, d.h / 2);
        let (lit_top, _) = count(&img, top_half, light);
        assert!(lit_top > 0, "{size:?}: no text at the top of the description");
        // …but not in its bottom padding: at full size it would run past
        // the zone and be cut off at its edge. The band of padding along the
        // bottom is background only, so the paragraph was shrunk to fit.
        let pad_v = (f64::from(d.h) * 0.06).round() as u32;
        assert!(pad_v >= 4);
        let bottom = Rect::new(d.x, d.y + (d.h - pad_v + 1) as i32, d.w, pad_v - 1);
        let (clean, all) = count(&img, bottom, |p| near(p, bg, 3));
        assert_eq!(clean, all, "{size:?}: the description runs into its bottom edge");
        // The instruction below starts with its own background too.
        let i = rect(&l, INSTRUCTION_ZONE);
        let (clean, all) = count(&img, Rect::new(i.x, i.y, i.w, 2), |p| near(p, bg, 3));
        assert_eq!(clean, all, "{size:?}: something spills into the instruction zone");
    }
}

#[test]
fn proof_of_play_and_status_name_the_alert() {
    let dir = tempfile::tempdir().unwrap();
    let playlog = Arc::new(Mutex::new(PlayLog::open(dir.path()).unwrap()));
    let report = Arc::new(ScreenReport::default());
    let (_tx, rx) = std::sync::mpsc::channel();
    let (otx, _orx) = tokio::sync::mpsc::unbounded_channel();
    let now = when();
    let set = AlertSet {
        schema: ALERTS_SCHEMA.into(),
        round_seconds: None,
        board: "brd_1".into(),
        version: 9,
        issued_at: now,
        alerts: vec![alert(Some(5))],
    };
    let mut d = Director::new(rx, otx, report.clone(), playlog.clone(), [384, 192]).with_alerts(Arc::new(set));
    let (layout, key) = d.tick(now, None).expect("the alert goes on screen");
    assert!(matches!(&key, ScreenKey::Alert { id, .. } if id == "cap:pctt-2026-003"));
    let mut h = headless();
    let anchor = bangtin_layouts::time::local_midnight(now, DEFAULT_TZ);
    let mut scene = Scene::new(layout, anchor, &mut h.renderer, 1.0);
    let t = scene.t_of(now);
    let view = bangtin_player::View::identity(384, 192);
    h.frame(&mut scene, t, view).expect("frame renders");
    assert_eq!(d.dim(now), 0.0);
    d.observe(&scene, t, true, false);
    {
        let st = report.status.lock().unwrap();
        assert_eq!(st.layout.as_deref(), Some("alert:cap:pctt-2026-003"));
        assert!(st.display_on);
        assert_eq!(st.brightness, 100);
        assert!(st.zones.iter().any(|z| z.zone == HEADLINE_ZONE && z.kind == "text"));
    }
    d.interrupt(&scene, t + 42.0);
    let events = playlog.lock().unwrap().pending(100);
    let kinds: Vec<PlayKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [PlayKind::Start, PlayKind::Interrupted], "{events:?}");
    for e in &events {
        assert_eq!(e.layout, "alert:cap:pctt-2026-003");
        assert_eq!(e.zone, HEADLINE_ZONE);
        assert_eq!(e.show_version, 9);
        assert_eq!(e.label, "Bão số 3 đổ bộ vào đất liền trong chiều nay");
        // From when it went on screen, not from the board's midnight.
        assert!((e.started - now).num_milliseconds().abs() <= 300, "{e:?}");
    }
    assert!((events[1].at - now - TimeDelta::seconds(42)).num_milliseconds().abs() <= 1);
}

#[test]
fn a_bulletins_picture_shows_beside_its_text_once_the_file_is_there() {
    use bangtin_layouts::alerts::{AlertMedia, AlertMediaKind};
    use sha2::{Digest, Sha256};
    // A plain green picture, stored by hash as the board's cache keeps it.
    let dir = tempfile::tempdir().unwrap();
    let mut png = Vec::new();
    image::RgbImage::from_pixel(320, 240, image::Rgb([20, 200, 60]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let sha = hex::encode(Sha256::digest(&png));
    std::fs::write(dir.path().join(&sha), &png).unwrap();
    let mut a = alert(Some(2));
    a.level = AlertLevel::Normal;
    a.media = vec![AlertMedia {
        kind: AlertMediaKind::Image,
        sha256: sha.clone(),
        size: png.len() as u64,
        mime: "image/png".into(),
        seconds: None,
    }];
    let green = |p: &image::Rgba<u8>| p[1] > 150 && p[0] < 80 && p[2] < 110;
    for size in SIZES {
        let ready = [sha.clone()];
        let media = alert_screen::Media {
            dir: dir.path(),
            ready: &ready,
        };
        let l = alert_screen::layout(size, &a, DEFAULT_TZ, (0, 1), None, media);
        let img = render(l.clone(), &format!("alert-picture-{}x{}", size[0], size[1]));
        let whole = Rect::new(0, 0, size[0], size[1]);
        let (lit, all) = count(&img, whole, green);
        if size[1] < 360 {
            // LED boards: no room, no picture.
            assert!(l.zones.iter().all(|z| z.id != alert_screen::MEDIA_ZONE));
            assert_eq!(lit, 0, "{size:?}");
            continue;
        }
        // The picture zone is the right part of the middle rows (portrait:
        // their lower part); the headline and paragraphs keep clear of it.
        let m = rect(&l, alert_screen::MEDIA_ZONE);
        assert_eq!(m.right(), i64::from(size[0]), "{size:?}");
        for z in [HEADLINE_ZONE, DESCRIPTION_ZONE, INSTRUCTION_ZONE] {
            let t = rect(&l, z);
            let apart = t.right() <= i64::from(m.x) || t.bottom() <= i64::from(m.y);
            assert!(apart, "{size:?}: {z} {t:?} overlaps the picture {m:?}");
        }
        let (in_zone, zone_all) = count(&img, m, green);
        assert!(
            in_zone * 10 > zone_all * 3,
            "{size:?}: {in_zone}/{zone_all} green in the picture zone"
        );
        assert!(lit - in_zone < all / 1000, "{size:?}: green outside the picture zone");
        // Without the file (not downloaded yet): the same screen, no zone.
        let l = alert_screen::layout(size, &a, DEFAULT_TZ, (0, 1), None, alert_screen::Media::none());
        assert!(l.zones.iter().all(|z| z.id != alert_screen::MEDIA_ZONE));
        assert_eq!(
            rect(&l, HEADLINE_ZONE).w,
            size[0],
            "{size:?}: full width without a picture"
        );
    }
}
