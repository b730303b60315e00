//! The layout document exactly as written (TOML on disk, JSON over the API).
//!
//! Every item kind shares one flat table with a `type` key instead of a
//! serde-tagged enum: a tagged enum buffers its content and loses the position
//! of a bad value, and officers need the exact line of their typo. The checks
//! that a field belongs to its `type` live in [`crate::validate`], which turns
//! this into the typed [`crate::model::Layout`].

use serde::{Deserialize, Serialize};

/// A whole layout file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayout {
    pub board: Option<RawBoard>,
    #[serde(default, rename = "zone", skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<RawZone>,
}

/// `[board]`: the physical screen this layout is made for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBoard {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// `[[zone]]`: a rectangle of the board with its own playlist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZone {
    pub id: Option<String>,
    pub x: Option<i64>,
    pub y: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    #[serde(rename = "loop", skip_serializing_if = "Option::is_none")]
    pub looping: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition_ms: Option<i64>,
    #[serde(default, rename = "item", skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<RawItem>,
}

/// `[[zone.item]]`: one entry of a zone's playlist. Which fields apply
/// depends on `type`; see docs/layouts.md.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItem {
    #[serde(rename = "type")]
    pub kind: Option<String>,

    // Shared by every kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,

    // image, video
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<String>,
    // video
    #[serde(rename = "loop", skip_serializing_if = "Option::is_none")]
    pub looping: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,

    // text
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_size: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_size: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_height: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub padding: Option<Padding>,

    // text, ticker, clock, qr caption
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bold: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub align: Option<String>,

    // ticker
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<i64>,

    // clock
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,

    // qr
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// `padding = 40` (all sides) or `padding = [40, 56]` (vertical, horizontal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "một số hoặc [dọc, ngang], ví dụ 40 hoặc [40, 56] (a number or [vertical, horizontal])"
)]
pub enum Padding {
    All(f64),
    Pair([f64; 2]),
}

impl RawItem {
    /// Names and presence of every field, for "this field does not apply to
    /// this type" checks. Kept next to the struct so a new field cannot be
    /// forgotten there without the compiler noticing the destructuring.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let RawItem {
            kind: _,
            duration,
            transition,
            transition_ms,
            valid_from,
            valid_to,
            background,
            src,
            fit,
            looping,
            mute,
            volume,
            start,
            title,
            body,
            title_size,
            title_color,
            min_size,
            line_height,
            wrap,
            valign,
            padding,
            size,
            color,
            bold,
            align,
            text,
            speed,
            direction,
            separator,
            repeat,
            format,
            seconds,
            timezone,
            data,
            caption,
        } = self;
        let mut out = Vec::new();
        let mut add = |name: &'static str, present: bool| {
            if present {
                out.push(name);
            }
        };
        add("duration", duration.is_some());
        add("transition", transition.is_some());
        add("transition_ms", transition_ms.is_some());
        add("valid_from", valid_from.is_some());
        add("valid_to", valid_to.is_some());
        add("background", background.is_some());
        add("src", src.is_some());
        add("fit", fit.is_some());
        add("loop", looping.is_some());
        add("mute", mute.is_some());
        add("volume", volume.is_some());
        add("start", start.is_some());
        add("title", title.is_some());
        add("body", body.is_some());
        add("title_size", title_size.is_some());
        add("title_color", title_color.is_some());
        add("min_size", min_size.is_some());
        add("line_height", line_height.is_some());
        add("wrap", wrap.is_some());
        add("valign", valign.is_some());
        add("padding", padding.is_some());
        add("size", size.is_some());
        add("color", color.is_some());
        add("bold", bold.is_some());
        add("align", align.is_some());
        add("text", text.is_some());
        add("speed", speed.is_some());
        add("direction", direction.is_some());
        add("separator", separator.is_some());
        add("repeat", repeat.is_some());
        add("format", format.is_some());
        add("seconds", seconds.is_some());
        add("timezone", timezone.is_some());
        add("data", data.is_some());
        add("caption", caption.is_some());
        out
    }
}
