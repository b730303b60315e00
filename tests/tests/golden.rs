//! Golden images: every template and focused scenes, rendered on the GPU
//! the machine has (lavapipe in CI) and compared with `tests/golden/`.

use bangtin_layouts::{load_layout, templates};
use bangtin_player::{At, FrameRequest};
use bangtin_tests::*;

/// A fixed Monday afternoon, so clocks and validity windows are stable.
const WHEN: &str = "2026-11-23T14:05:09+07:00";

#[test]
fn every_template_renders_as_its_golden_image() {
    for (name, _) in templates::ALL {
        let layout = load_layout(&templates::path(name)).expect("template parses");
        let img = render(layout, instant(WHEN));
        assert_golden(&format!("template-{name}"), &img);
    }
}

#[test]
fn vietnamese_text_every_vowel_and_tone() {
    assert_golden("scene-vietnamese", &render(scene("vietnamese"), instant(WHEN)));
}

#[test]
fn ticker_at_two_instants() {
    // Midnight anchor: +30 s and +31 s into the day.
    let a = render(scene("ticker"), instant("2026-11-23T00:00:30+07:00"));
    let b = render(scene("ticker"), instant("2026-11-23T00:00:31+07:00"));
    assert_golden("scene-ticker-t30", &a);
    assert_golden("scene-ticker-t31", &b);
}

#[test]
fn ticker_moves_exactly_its_speed_in_one_second() {
    // 120 px/s: one second later the text is 120 px further left (±1 px),
    // also far into the day, where float error would show.
    for t in ["2026-11-23T00:00:30+07:00", "2026-11-23T21:17:43.250+07:00"] {
        let at: At = instant(t);
        let At::Instant(t0) = at else { unreachable!() };
        let a = render(scene("ticker"), at);
        let b = render(scene("ticker"), At::Instant(t0 + chrono::TimeDelta::seconds(1)));
        let shift = best_shift(&a, &b, 100..=140);
        assert!(
            (shift - 120).abs() <= 1,
            "at {t}: moved {shift} px in 1 s, expected 120 ± 1"
        );
    }
}

#[test]
fn same_instant_same_frame() {
    let a = render(scene("ticker"), instant("2026-11-23T10:00:00.5+07:00"));
    let b = render(scene("ticker"), instant("2026-11-23T10:00:00.5+07:00"));
    assert!(a == b, "rendering the same instant twice must give the same pixels");
}

#[test]
fn clock_in_vietnamese_form() {
    assert_golden("scene-clock", &render(scene("clock"), instant(WHEN)));
}

#[test]
fn qr_code_with_caption() {
    assert_golden("scene-qr", &render(scene("qr"), instant(WHEN)));
}

#[test]
fn crossfade_midpoint_is_half_of_each() {
    // Items of 5 s from midnight: the fade from red to blue runs 5.0–6.0 s.
    let mid = render(scene("crossfade"), instant("2026-11-23T00:00:05.5+07:00"));
    assert_golden("scene-crossfade-mid", &mid);
    // A text-free corner is the plain blend of the two backgrounds.
    let m = mean(&mid, 150, 0, 20, 10);
    assert!(
        (m[0] - 127.5).abs() < 3.0 && m[1] < 3.0 && (m[2] - 127.5).abs() < 3.0,
        "midpoint colour {m:?}"
    );
    let before = mean(
        &render(scene("crossfade"), instant("2026-11-23T00:00:04.9+07:00")),
        150,
        0,
        20,
        10,
    );
    let after = mean(
        &render(scene("crossfade"), instant("2026-11-23T00:00:06.1+07:00")),
        150,
        0,
        20,
        10,
    );
    assert!(before[0] > 250.0 && before[2] < 5.0, "before the fade: {before:?}");
    assert!(after[2] > 250.0 && after[0] < 5.0, "after the fade: {after:?}");
}

#[test]
fn missing_and_corrupt_pictures_show_a_neutral_panel_and_the_rest_plays() {
    let layout = scene("placeholder");
    let img = render(layout, instant(WHEN));
    assert_golden("scene-placeholder", &img);
    // Neither zone is black; both show the neutral panel's light grey.
    for x in [40, 360] {
        let m = mean(&img, x, 40, 40, 20);
        assert!(
            m.iter().all(|c| (200.0..245.0).contains(c)),
            "zone at x={x} shows {m:?}"
        );
    }
    // The ticker zone still shows its red background and text.
    let t = mean(&img, 0, 240, 640, 120);
    assert!(t[0] > 150.0, "ticker zone {t:?}");
}

#[test]
fn led_preview_of_a_picture_is_fitted() {
    let pic = templates::dir().join("media/ruong-bac-thang.jpg");
    let layout = bangtin_player::media_preview_layout(&pic, [384, 192]).expect("picture previews");
    let img = render(layout, instant(WHEN));
    assert_golden("media-preview-384x192", &img);
    // 16:9 picture on a 2:1 board: black bars left and right.
    assert_eq!(mean(&img, 0, 0, 10, 192), [0.0, 0.0, 0.0]);
    assert!(mean(&img, 150, 10, 80, 40)[2] > 150.0, "sky should be blue");
}

#[test]
fn layouts_scale_to_another_output_size() {
    let layout = load_layout(&templates::path("commune-office-1920x1080")).unwrap();
    let mut h = headless();
    let img = bangtin_player::render_frame_with(
        &mut h,
        FrameRequest {
            layout,
            at: instant(WHEN),
            start: None,
            size: Some([960, 600]),
        },
    )
    .unwrap();
    drop(h);
    assert_eq!(img.dimensions(), (960, 600));
    // 16:9 into 16:10: letterbox bars above and below.
    assert_eq!(mean(&img, 0, 0, 960, 25), [0.0, 0.0, 0.0]);
    assert_golden("template-commune-office-960x600", &img);
}

#[test]
fn rendered_qr_code_reads_back() {
    // What a citizen's phone does: find and decode the code in the frame.
    let img = render(scene("qr"), instant(WHEN));
    let gray = image::DynamicImage::ImageRgba8(img).into_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the board");
    let (_, content) = grids[0].decode().expect("QR decodes");
    assert_eq!(content, "https://dinhhoa.example.gov.vn/thu-tuc-hanh-chinh");
}
