//! Vietnamese must render perfectly: every vowel with every tone mark has a
//! real glyph in the bundled fonts (no tofu, no fallback to another face),
//! typed precomposed or with combining marks; Tai Viet falls back to its own
//! bundled font. No GPU needed: this is shaping only.

use bangtin_layouts::Align;
use bangtin_player::render::TextSystem;
use bangtin_player::render::text::TextSpec;

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
    let buf = ts.layout(text, spec(bold));
    let mut out = Vec::new();
    for run in buf.layout_runs() {
        for g in run.glyphs {
            let family = ts
                .fonts
                .db()
                .face(g.font_id)
                .map(|f| f.families[0].0.clone())
                .unwrap_or_default();
            out.push((family, g.glyph_id));
        }
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
