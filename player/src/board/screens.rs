//! The screens a board shows on its own — the pairing code, waiting for
//! its first show, standby (nothing scheduled) and display off — built as
//! typed [`RawLayout`] values and validated like any layout, so no text
//! (a board's name, a code) is ever written into TOML by hand.

use bangtin_layouts::Layout;
use bangtin_layouts::raw::{RawBoard, RawItem, RawLayout, RawZone};
use std::path::Path;

/// A size given for a 1920×1080 board, scaled to `size` (at least 8 px).
fn scaled(size: [u32; 2], px: f64) -> f64 {
    let s = (f64::from(size[0]) / 1920.0).min(f64::from(size[1]) / 1080.0);
    (px * s).max(8.0).round()
}

fn board(size: [u32; 2], background: &str, zones: Vec<RawZone>) -> Layout {
    let raw = RawLayout {
        board: Some(RawBoard {
            name: Some("Bangtin".into()),
            width: Some(i64::from(size[0])),
            height: Some(i64::from(size[1])),
            background: Some(background.into()),
            ..RawBoard::default()
        }),
        zones,
    };
    bangtin_layouts::validate(&raw, Path::new("."))
        .unwrap_or_else(|e| panic!("built-in screen does not validate at {size:?}: {e:?}"))
}

fn zone(id: &str, [x, y, w, h]: [u32; 4], item: RawItem) -> RawZone {
    RawZone {
        id: Some(id.into()),
        x: Some(i64::from(x)),
        y: Some(i64::from(y)),
        width: Some(i64::from(w)),
        height: Some(i64::from(h)),
        items: vec![item],
        ..RawZone::default()
    }
}

/// The pairing code, large, with what to do with it.
pub fn pairing(size: [u32; 2], code: &str) -> Layout {
    let [w, h] = size;
    let (title, body) = if code.is_empty() {
        (
            "Đang kết nối máy chủ quản lý…".to_string(),
            "Bảng tin đang xin mã ghép nối.\nConnecting to the manager.".to_string(),
        )
    } else {
        (
            code.to_string(),
            "Mã ghép nối bảng tin — cán bộ xã nhập mã này trong trang quản lý để nhận bảng.\n\
             Pairing code: enter it in the manager to claim this board."
                .to_string(),
        )
    };
    let text = RawItem {
        kind: Some("text".into()),
        title: Some(title),
        title_size: Some(scaled(size, 160.0)),
        title_color: Some("#ffd54f".into()),
        body: Some(body),
        size: Some(scaled(size, 40.0)),
        color: Some("#ffffff".into()),
        align: Some("center".into()),
        valign: Some("middle".into()),
        ..RawItem::default()
    };
    board(size, "#0b3d91", vec![zone("ma", [0, 0, w, h], text)])
}

/// Pairing refused by the board: the manager that claimed it signs with
/// another key than the one pinned on the board (a wrong address, a
/// replaced manager, or someone else's). Says what the technician checks.
pub fn refused(size: [u32; 2]) -> Layout {
    let [w, h] = size;
    let text = RawItem {
        kind: Some("text".into()),
        title: Some("Không ghép nối được".into()),
        title_size: Some(scaled(size, 96.0)),
        title_color: Some("#ffffff".into()),
        body: Some(
            "Khóa của máy chủ quản lý không khớp khóa đã cài trên bảng tin. \
             Kỹ thuật viên: kiểm tra địa chỉ máy chủ và manager_key trong /etc/bangtin/player.toml.\n\
             The manager's key does not match the key pinned on this board."
                .into(),
        ),
        size: Some(scaled(size, 36.0)),
        color: Some("#ffffff".into()),
        align: Some("center".into()),
        valign: Some("middle".into()),
        ..RawItem::default()
    };
    board(size, "#8e1b1b", vec![zone("tu-choi", [0, 0, w, h], text)])
}

/// Waiting for the first show from the manager.
pub fn waiting(size: [u32; 2]) -> Layout {
    standby_with(size, "Đang tải chương trình từ máy chủ quản lý…")
}

/// Nothing scheduled: the name of the board and the time.
pub fn standby(size: [u32; 2], name: &str) -> Layout {
    standby_with(size, name)
}

fn standby_with(size: [u32; 2], title: &str) -> Layout {
    let [w, h] = size;
    let top = h * 3 / 5;
    let name = RawItem {
        kind: Some("text".into()),
        title: Some(title.into()),
        title_size: Some(scaled(size, 72.0)),
        title_color: Some("#ffffff".into()),
        align: Some("center".into()),
        valign: Some("bottom".into()),
        ..RawItem::default()
    };
    let clock = RawItem {
        kind: Some("clock".into()),
        format: Some("datetime".into()),
        size: Some(scaled(size, 56.0)),
        color: Some("#ffd54f".into()),
        ..RawItem::default()
    };
    board(
        size,
        "#102a43",
        vec![
            zone("ten", [0, 0, w, top], name),
            zone("gio", [0, top, w, h - top], clock),
        ],
    )
}

/// Display off: black.
pub fn off(size: [u32; 2]) -> Layout {
    board(size, "#000000", Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_validates_at_every_board_size_and_names_are_text_not_toml() {
        for size in [[64, 32], [384, 192], [1080, 1920], [1920, 1080], [3840, 2160]] {
            pairing(size, "K7QX-4MRT");
            pairing(size, "");
            refused(size);
            waiting(size);
            off(size);
            let s = standby(size, "Bảng tin \"xã\" \\ [[zone]]\nid = \"x\"");
            // The name is one title, whatever it holds.
            assert_eq!(s.zones.len(), 2, "{size:?}");
        }
    }

    #[test]
    fn built_in_screens_validate_at_every_board_size() {
        for size in [[192, 96], [384, 192], [1920, 1080], [1080, 1920], [3840, 2160]] {
            pairing(size, "K7QX-4MRT");
            pairing(size, "");
            standby(size, "Bảng tin \"xã\"");
            refused(size);
            waiting(size);
            off(size);
        }
    }
}
