//! Bangtin's shared model: what a board shows and when.
//!
//! Both the player and the manager speak this crate. It knows nothing of
//! GPUs, windows or networks: it parses and validates layouts (TOML files,
//! JSON over the API), formats times the Vietnamese way, and answers which
//! item each zone shows at an instant.

pub mod alerts;
pub mod color;
pub mod model;
pub mod parse;
pub mod raw;
pub mod schedule;
pub mod show;
pub mod time;
pub mod timeline;
pub mod validate;
pub mod wire;

pub use color::Color;
pub use model::*;
pub use parse::{LayoutError, Located, load_layout, parse_layout, parse_raw};
pub use timeline::{Showing, ZoneState, ZoneTimeline, slot_seconds};
pub use validate::{FieldPath, Problem, validate};

/// Ready-made layouts shipped in `layouts/templates/`.
pub mod templates {
    use std::path::PathBuf;

    /// (file stem, what it is for)
    pub const ALL: &[(&str, &str)] = &[
        (
            "commune-office-1920x1080",
            "Bảng tin trước trụ sở UBND xã, màn hình LCD/LED 1920×1080 nằm ngang",
        ),
        ("led-384x192", "Bảng LED ngoài trời cỡ nhỏ 384×192 điểm ảnh"),
        (
            "portrait-1080x1920",
            "Màn hình đứng 1080×1920 ở nhà văn hóa, bộ phận một cửa",
        ),
        (
            "chromium-peer-1920x1080",
            "Bảng tham chiếu, giống hệt trang Chromium dùng để đo so sánh",
        ),
    ];

    /// Folder holding the templates in a source checkout.
    pub fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates")
    }

    pub fn path(stem: &str) -> PathBuf {
        dir().join(format!("{stem}.toml"))
    }
}
