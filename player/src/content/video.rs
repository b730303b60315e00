//! Video items. Decoding arrives with the video capability (issue #5);
//! until then a video slot keeps its place in the playlist and shows a
//! calm, labelled panel instead of a black hole.

use super::CachedText;
use crate::render::text::TextSpec;
use crate::render::{Painter, RectF, TextSystem};
use bangtin_layouts::{Align, Color, ItemKind};

#[derive(Debug)]
pub struct VideoContent {
    name: String,
    label: CachedText,
}

impl VideoContent {
    pub fn new(kind: &ItemKind) -> Self {
        let name = match kind {
            ItemKind::Video { src, .. } => src.written.clone(),
            _ => String::new(),
        };
        VideoContent {
            name,
            label: CachedText::default(),
        }
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF) {
        p.fill(area, Color::rgb(0x1f, 0x23, 0x2b));
        let s = p.view.scale;
        let spec = TextSpec {
            size: (area.h * 0.07).clamp(8.0, 32.0) * s,
            line_height: 1.3,
            bold: false,
            align: Align::Center,
            width: Some(area.w * s),
            wrap: true,
        };
        let text = format!("Video: {}", self.name);
        let buf = self.label.get(p.text_system(), &text, spec);
        let (_, h) = TextSystem::measure(buf);
        p.text(&[(
            buf,
            area.x,
            area.y + (area.h - h / s) / 2.0,
            Color::rgb(0xb0, 0xb6, 0xc2),
        )]);
    }
}
