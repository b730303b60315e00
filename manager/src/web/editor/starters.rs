//! Where a new layout starts: the layouts crate's own templates where they
//! exist (compiled in, so a deployed manager has them without the source
//! tree), the other shapes generated here, or a blank board of any size.

use bangtin_layouts::raw::RawLayout;
use serde_json::{Value, json};

/// A starting layout: key (the picker's value), label key, board size.
#[derive(Debug, Clone, Copy)]
pub struct Starter {
    pub key: &'static str,
    pub label: &'static str,
    pub size: (u32, u32),
}

pub const STARTERS: &[Starter] = &[
    Starter {
        key: "full",
        label: "editor-tpl-full",
        size: (1920, 1080),
    },
    Starter {
        key: "main-ticker",
        label: "editor-tpl-main-ticker",
        size: (1920, 1080),
    },
    Starter {
        key: "main-side-ticker",
        label: "editor-tpl-main-side-ticker",
        size: (1920, 1080),
    },
    Starter {
        key: "grid-2x2",
        label: "editor-tpl-grid",
        size: (1920, 1080),
    },
    Starter {
        key: "led-384x192",
        label: "editor-tpl-led",
        size: (384, 192),
    },
    Starter {
        key: "portrait-1080x1920",
        label: "editor-tpl-portrait",
        size: (1080, 1920),
    },
    Starter {
        key: "commune-office-1920x1080",
        label: "editor-tpl-commune",
        size: (1920, 1080),
    },
];

/// The crate's templates, as shipped in `layouts/templates/`.
fn crate_template(key: &str) -> Option<&'static str> {
    Some(match key {
        "led-384x192" => include_str!("../../../../layouts/templates/led-384x192.toml"),
        "portrait-1080x1920" => include_str!("../../../../layouts/templates/portrait-1080x1920.toml"),
        "commune-office-1920x1080" => include_str!("../../../../layouts/templates/commune-office-1920x1080.toml"),
        _ => return None,
    })
}

fn text_item(title: &str, body: &str) -> Value {
    json!({"type": "text", "title": title, "body": body, "valign": "middle"})
}

fn ticker_item() -> Value {
    json!({"type": "ticker", "text": "Chào mừng bà con đến với bảng tin điện tử của xã.", "speed": 120})
}

fn zone(id: &str, x: u32, y: u32, w: u32, h: u32, bg: &str, item: Value) -> Value {
    json!({"id": id, "x": x, "y": y, "width": w, "height": h, "background": bg, "item": [item]})
}

/// The starting layout `key` (a blank board of `blank` size when the key
/// is not a template).
pub fn starter(key: &str, blank: (i64, i64)) -> RawLayout {
    if let Some(text) = crate_template(key)
        && let Ok(mut raw) = bangtin_layouts::parse_raw(text, std::path::Path::new("template.toml"))
    {
        // The templates' pictures are files beside them; on a manager media
        // come from the unit's library, so the officer picks their own.
        if let Some(b) = raw.board.as_mut() {
            b.background_image = None;
        }
        for z in &mut raw.zones {
            z.items.retain(|it| it.src.is_none());
        }
        return raw;
    }
    let (w, h) = (1920u32, 1080u32);
    let board = |name: &str| json!({"name": name, "width": w, "height": h, "background": "#ffffff"});
    let tick = 120;
    let doc = match key {
        "full" => json!({
            "board": board("Toàn màn hình"),
            "zone": [zone("chinh", 0, 0, w, h, "#ffffff", text_item("Thông báo", "Nội dung thông báo của xã."))],
        }),
        "main-ticker" => json!({
            "board": board("Nội dung chính và chữ chạy"),
            "zone": [
                zone("chinh", 0, 0, w, h - tick, "#ffffff", text_item("Thông báo", "Nội dung thông báo của xã.")),
                zone("chu-chay", 0, h - tick, w, tick, "#b71c1c", ticker_item()),
            ],
        }),
        "main-side-ticker" => json!({
            "board": board("Nội dung chính, cột bên và chữ chạy"),
            "zone": [
                zone("chinh", 0, 0, 1280, h - tick, "#ffffff", text_item("Thông báo", "Nội dung thông báo của xã.")),
                zone("ben", 1280, 0, w - 1280, h - tick, "#eef3fb", json!({"type": "clock", "format": "long"})),
                zone("chu-chay", 0, h - tick, w, tick, "#b71c1c", ticker_item()),
            ],
        }),
        "grid-2x2" => json!({
            "board": board("Bốn ô"),
            "zone": [
                zone("tren-trai", 0, 0, w / 2, h / 2, "#ffffff", text_item("Ô 1", "Nội dung.")),
                zone("tren-phai", w / 2, 0, w / 2, h / 2, "#eef3fb", json!({"type": "clock", "format": "datetime"})),
                zone("duoi-trai", 0, h / 2, w / 2, h / 2, "#eef3fb", text_item("Ô 3", "Nội dung.")),
                zone("duoi-phai", w / 2, h / 2, w / 2, h / 2, "#ffffff",
                    json!({"type": "qr", "data": "https://example.gov.vn", "caption": "Quét mã"})),
            ],
        }),
        _ => json!({
            "board": {"width": blank.0, "height": blank.1, "background": "#000000"},
        }),
    };
    serde_json::from_value(doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every starter is a valid layout of the size the picker says.
    #[test]
    fn starters_validate() {
        for s in STARTERS {
            let raw = starter(s.key, (640, 360));
            let l = bangtin_layouts::validate(&raw, std::path::Path::new("/"))
                .unwrap_or_else(|p| panic!("{}: {p:?}", s.key));
            assert_eq!((l.board.width, l.board.height), s.size, "{}", s.key);
            assert!(!l.zones.is_empty(), "{}", s.key);
        }
        let blank = bangtin_layouts::validate(&starter("blank", (640, 360)), std::path::Path::new("/")).unwrap();
        assert_eq!((blank.board.width, blank.board.height), (640, 360));
    }
}
