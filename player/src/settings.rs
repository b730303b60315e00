//! `/etc/bangtin/player.toml`: how this board's screen, sound and manager
//! are set up by its technician (`bangtin-player run --config FILE`).
//!
//! Typed and checked: an unknown key, a wrong type or a value out of range
//! is named with the file, line and key. Command-line flags win over the
//! file, the file over the built-in defaults. The pairing state the player
//! writes itself (board id, credential, pinned key) stays in `board.toml`
//! in the board's own state directory ([`crate::board::config`]).

use crate::kiosk::PresentMode;
use crate::render::Rotation;
use crate::{parse_geometry, parse_size};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file as written: every key optional and of any type, so that one
/// wrong value is named and left out without losing the others.
#[derive(Debug, Default, Deserialize)]
struct Raw {
    manager: Option<Spanned<toml::Value>>,
    manager_key: Option<Spanned<toml::Value>>,
    heartbeat: Option<Spanned<toml::Value>>,
    size: Option<Spanned<toml::Value>>,
    #[serde(default)]
    screen: RawScreen,
    #[serde(default)]
    sound: RawSound,
}

#[derive(Debug, Default, Deserialize)]
struct RawScreen {
    window: Option<Spanned<toml::Value>>,
    rotation: Option<Spanned<toml::Value>>,
    present: Option<Spanned<toml::Value>>,
    fps: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
struct RawSound {
    volume: Option<Spanned<toml::Value>>,
}

/// The keys the file may hold, by table ("" is the top level).
const KEYS: [(&str, &[&str]); 3] = [
    ("", &["manager", "manager_key", "heartbeat", "size", "screen", "sound"]),
    ("screen", &["window", "rotation", "present", "fps"]),
    ("sound", &["volume"]),
];

/// The board's settings from `player.toml`; `None`: not set there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub manager: Option<String>,
    pub manager_key: Option<String>,
    pub heartbeat: Option<u32>,
    pub size: Option<[u32; 2]>,
    pub window: Option<([u32; 2], [i32; 2])>,
    pub rotation: Option<Rotation>,
    pub present: Option<PresentMode>,
    pub fps: Option<f64>,
    /// Percent, 0–100.
    pub volume: Option<f32>,
}

/// The file could not be read as TOML at all: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// A file read: the settings that are right, and a line for each key that
/// is not (unknown, wrong type, out of range), which is left unset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub settings: Settings,
    pub problems: Vec<String>,
}

impl Settings {
    /// Read and check `path`.
    pub fn load(path: &Path) -> Result<Loaded, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SettingsError(format!(
                "{}: không đọc được tệp cấu hình: {e} (cannot read the settings file)",
                path.display()
            ))
        })?;
        Settings::parse(&text, path)
    }

    /// Check `text`, the content of `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Loaded, SettingsError> {
        let whole = |e: toml::de::Error| {
            let at = e
                .span()
                .map(|s| format!(":{}", line_of(text, s.start)))
                .unwrap_or_default();
            SettingsError(format!(
                "{}{at}: {} (tệp cấu hình không đọc được, bỏ qua cả tệp; the file is not valid TOML)",
                path.display(),
                e.message().trim_end()
            ))
        };
        let doc = toml::de::DeTable::parse(text).map_err(whole)?;
        let raw: Raw = toml::from_str(text).map_err(whole)?;
        let mut problems = Vec::new();
        let mut wrong = |key: &str, span: std::ops::Range<usize>, why: String| {
            problems.push(format!(
                "{}:{}: {key}: {why}",
                path.display(),
                line_of(text, span.start)
            ));
        };
        // Unknown keys: named (a misspelt key would otherwise do nothing).
        for (table, known) in KEYS {
            let entries = if table.is_empty() {
                Some(doc.get_ref())
            } else {
                doc.get_ref()
                    .iter()
                    .find(|(k, _)| k.get_ref() == table)
                    .and_then(|(_, v)| match v.get_ref() {
                        toml::de::DeValue::Table(t) => Some(t),
                        _ => None,
                    })
            };
            for (k, _) in entries.into_iter().flatten() {
                if !known.contains(&k.get_ref().as_ref()) {
                    let name = if table.is_empty() {
                        k.get_ref().to_string()
                    } else {
                        format!("{table}.{}", k.get_ref())
                    };
                    wrong(
                        &name,
                        k.span(),
                        format!(
                            "khóa không biết, bỏ qua (unknown key, ignored); biết (known): {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        let mut s = Settings::default();
        let text_of = |v: &Spanned<toml::Value>| v.get_ref().as_str().map(|t| t.trim().to_string());
        let number = |v: &Spanned<toml::Value>| match v.get_ref() {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            _ => None,
        };
        if let Some(m) = &raw.manager {
            match text_of(m) {
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                    s.manager = Some(url.trim_end_matches('/').to_string());
                }
                _ => wrong(
                    "manager",
                    m.span(),
                    format!("{}: cần địa chỉ https:// hoặc http:// (expected a URL)", m.get_ref()),
                ),
            }
        }
        if let Some(k) = &raw.manager_key {
            match text_of(k) {
                Some(key) if bangtin_layouts::show::key_from_b64(&key).is_some() => s.manager_key = Some(key),
                _ => wrong(
                    "manager_key",
                    k.span(),
                    "không phải khóa ed25519 base64 (not an ed25519 public key in base64)".into(),
                ),
            }
        }
        if let Some(h) = &raw.heartbeat {
            match h.get_ref().as_integer().and_then(|i| u32::try_from(i).ok()) {
                Some(v @ 1..=3600) => s.heartbeat = Some(v),
                _ => wrong(
                    "heartbeat",
                    h.span(),
                    format!("{}: cần số giây 1…3600 (seconds, 1…3600)", h.get_ref()),
                ),
            }
        }
        if let Some(z) = &raw.size {
            match text_of(z)
                .ok_or_else(|| format!("{}: cần chuỗi \"RỘNGxCAO\" (expected \"WxH\")", z.get_ref()))
                .and_then(|t| parse_size(&t))
            {
                Ok(v) => s.size = Some(v),
                Err(e) => wrong("size", z.span(), e),
            }
        }
        if let Some(w) = &raw.screen.window {
            match text_of(w)
                .ok_or_else(|| format!("{}: cần chuỗi \"RỘNGxCAO+X+Y\" (expected \"WxH+X+Y\")", w.get_ref()))
                .and_then(|t| parse_geometry(&t))
            {
                Ok(v) => s.window = Some(v),
                Err(e) => wrong("screen.window", w.span(), e),
            }
        }
        if let Some(r) = &raw.screen.rotation {
            match r
                .get_ref()
                .as_integer()
                .and_then(|d| u32::try_from(d).ok())
                .and_then(Rotation::from_degrees)
            {
                Some(v) => s.rotation = Some(v),
                None => wrong(
                    "screen.rotation",
                    r.span(),
                    format!(
                        "{}: chỉ nhận 0, 90, 180 hoặc 270 độ theo chiều kim đồng hồ (degrees clockwise: 0, 90, 180 or 270)",
                        r.get_ref()
                    ),
                ),
            }
        }
        if let Some(p) = &raw.screen.present {
            use clap::ValueEnum;
            match text_of(p).and_then(|t| PresentMode::from_str(&t, true).ok()) {
                Some(v) => s.present = Some(v),
                None => wrong(
                    "screen.present",
                    p.span(),
                    format!(
                        "{}: chỉ nhận \"auto\", \"surface\" hoặc \"shm\" (auto, surface or shm)",
                        p.get_ref()
                    ),
                ),
            }
        }
        if let Some(f) = &raw.screen.fps {
            match number(f) {
                Some(v) if v.is_finite() && (1.0..=240.0).contains(&v) => s.fps = Some(v),
                _ => wrong(
                    "screen.fps",
                    f.span(),
                    format!(
                        "{}: cần 1…240 khung hình mỗi giây (frames a second, 1…240)",
                        f.get_ref()
                    ),
                ),
            }
        }
        if let Some(v) = &raw.sound.volume {
            match number(v) {
                Some(x) if (0.0..=100.0).contains(&x) => s.volume = Some(x as f32),
                _ => wrong(
                    "sound.volume",
                    v.span(),
                    format!("{}: cần phần trăm 0…100 (percent, 0…100)", v.get_ref()),
                ),
            }
        }
        Ok(Loaded { settings: s, problems })
    }
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

/// The packaged file's place.
pub fn system_path() -> PathBuf {
    PathBuf::from("/etc/bangtin/player.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings, or every problem (one a line).
    fn parse(t: &str) -> Result<Settings, String> {
        let l = Settings::parse(t, Path::new("/etc/bangtin/player.toml")).map_err(|e| e.0)?;
        if l.problems.is_empty() {
            Ok(l.settings)
        } else {
            Err(l.problems.join("\n"))
        }
    }

    #[test]
    fn every_key_is_read_and_typed() {
        let s = parse(
            "manager = \"https://bangtin.tinh.gov.vn/\"\nheartbeat = 20\nsize = \"1080x1920\"\n\
             [screen]\nwindow = \"192x384+10+20\"\nrotation = 270\npresent = \"surface\"\nfps = 30\n\
             [sound]\nvolume = 80\n",
        )
        .unwrap();
        assert_eq!(s.manager.as_deref(), Some("https://bangtin.tinh.gov.vn"));
        assert_eq!(s.heartbeat, Some(20));
        assert_eq!(s.size, Some([1080, 1920]));
        assert_eq!(s.window, Some(([192, 384], [10, 20])));
        assert_eq!(s.rotation, Some(Rotation::Cw270));
        assert_eq!(s.present, Some(PresentMode::Surface));
        assert_eq!(s.fps, Some(30.0));
        assert_eq!(s.volume, Some(80.0));
        assert_eq!(parse("").unwrap(), Settings::default());
    }

    #[test]
    fn the_packaged_file_is_valid_and_sets_nothing() {
        let text = include_str!("../debian/player.toml");
        assert_eq!(parse(text).unwrap(), Settings::default(), "defaults are commented out");
        // Each commented example, uncommented, is valid too.
        let examples: String = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| r.contains(" = ") && !r.starts_with("manager_key"))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let s = parse(&examples).unwrap_or_else(|e| panic!("uncommented examples: {e}"));
        assert_eq!(s.rotation, Some(Rotation::None));
        assert!(s.window.is_some() && s.manager.is_some() && s.volume.is_some());
    }

    #[test]
    fn a_wrong_value_is_named_with_its_line_and_key() {
        let e = parse("[screen]\nfps = 60\nrotation = 45\n").unwrap_err();
        assert!(e.contains("player.toml:3: screen.rotation: 45"), "{e}");
        let e = parse("[screen]\nwindow = \"big\"\n[sound]\nvolume = 150\n").unwrap_err();
        assert!(e.contains(":2: screen.window"), "{e}");
        assert!(e.contains(":4: sound.volume: 150"), "{e}");
        let e = parse("manager = \"bangtin.tinh.gov.vn\"\n").unwrap_err();
        assert!(e.contains(":1: manager:") && e.contains("https://"), "{e}");
        let e = parse("manager_key = \"abc\"\n").unwrap_err();
        assert!(e.contains(":1: manager_key:"), "{e}");
        let e = parse("[screen]\nrotation = \"90\"\n").unwrap_err();
        assert!(e.contains("player.toml:2: screen.rotation"), "{e}");
    }

    #[test]
    fn one_wrong_key_is_left_out_and_the_others_still_apply() {
        // A typo in the screen settings must not lose the manager's address
        // (a board being set up could not pair).
        let l = Settings::parse(
            "manager = \"https://bangtin.tinh.gov.vn\"\n\n[screen]\nrotaton = 90\nfps = 500\nwindow = \"384x192+0+0\"\n",
            Path::new("player.toml"),
        )
        .unwrap();
        assert_eq!(l.settings.manager.as_deref(), Some("https://bangtin.tinh.gov.vn"));
        assert_eq!(l.settings.window, Some(([384, 192], [0, 0])));
        assert_eq!(l.settings.fps, None);
        assert_eq!(l.problems.len(), 2, "{:?}", l.problems);
        assert!(
            l.problems[0].starts_with("player.toml:4: screen.rotaton: khóa không biết"),
            "{:?}",
            l.problems
        );
        assert!(
            l.problems[1].starts_with("player.toml:5: screen.fps: 500"),
            "{:?}",
            l.problems
        );
        let l = Settings::parse("colour = 1\n", Path::new("p.toml")).unwrap();
        assert!(
            l.problems[0].starts_with("p.toml:1: colour: khóa không biết"),
            "{:?}",
            l.problems
        );
    }

    #[test]
    fn a_file_that_is_not_toml_is_named_with_its_line() {
        let e = Settings::parse("[screen]\nrotation = 90\nwindow = \n", Path::new("player.toml"))
            .unwrap_err()
            .0;
        assert!(e.starts_with("player.toml:3:"), "{e}");
        let e = Settings::parse("screen = 5\n", Path::new("player.toml")).unwrap_err().0;
        assert!(e.starts_with("player.toml:1:"), "{e}");
    }

    #[test]
    fn rotation_turns_sizes_and_rectangles_onto_the_output() {
        let r = Rotation::Cw90;
        assert_eq!(r.turn_size([1920, 1080]), [1080, 1920]);
        // An upright 1080×1920 frame; its top-left 100×50 corner lands at
        // the output's top-right, turned.
        let c = crate::render::Clip {
            x: 0,
            y: 0,
            w: 100,
            h: 50,
        };
        let size = [1080, 1920];
        assert_eq!(
            r.clip_on_output(c, size),
            crate::render::Clip {
                x: 1920 - 50,
                y: 0,
                w: 50,
                h: 100
            }
        );
        assert_eq!(
            Rotation::Cw270.clip_on_output(c, size),
            crate::render::Clip {
                x: 0,
                y: 1080 - 100,
                w: 50,
                h: 100
            }
        );
        assert_eq!(
            Rotation::Half.clip_on_output(c, size),
            crate::render::Clip {
                x: 1080 - 100,
                y: 1920 - 50,
                w: 100,
                h: 50
            }
        );
        for d in [0, 90, 180, 270] {
            assert_eq!(Rotation::from_degrees(d).unwrap().degrees(), d);
        }
        assert_eq!(Rotation::from_degrees(45), None);
    }
}
