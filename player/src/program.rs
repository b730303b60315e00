//! What the kiosk shows, decided outside it: a [`Program`] picks the
//! screen and hears what was drawn. The kiosk (window or headless) only
//! draws; a fixed layout ([`Fixed`], `bangtin-player run --layout`) and a
//! board run by its manager (`board::director::Director`) are the two
//! programs.

use crate::scene::Scene;
use anyhow::Result;
use bangtin_layouts::Layout;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The screen to show, over time.
pub trait Program {
    /// The layout to show from `now` when it changes — on the first call
    /// (`shown` is `None`), the first screen; afterwards `None` while the
    /// screen stays. `shown` is the scene on screen and its time.
    fn tick(&mut self, now: DateTime<Utc>, shown: Option<(&Scene, f64)>) -> Option<Layout>;

    /// How far the picture is dimmed at `now` (0 = full brightness).
    fn dim(&mut self, _now: DateTime<Utc>) -> f32 {
        0.0
    }

    /// The next instant the program may change the screen by itself.
    fn next_change(&self, _now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        None
    }

    /// Longest the kiosk may sleep without asking [`Program::tick`] again
    /// (a managed board looks at its mailbox often).
    fn wake_every(&self) -> Duration {
        Duration::from_secs(5)
    }

    /// What happened on screen at `t`: whether anything was drawn, and
    /// whether motion fell behind.
    fn observe(&mut self, _scene: &Scene, _t: f64, _drawn: bool, _late: bool) {}

    /// Something on screen failed (a picture, a video).
    fn error(&self, msg: String) {
        tracing::warn!("{msg}");
    }

    /// Screenshots the program wants: `take` reads the board's picture as
    /// it is on screen now.
    fn screenshots(&mut self, _take: &mut dyn FnMut() -> Result<image::RgbaImage>) {}

    /// The program wants the player restarted (the kiosk ends its run).
    fn restart_requested(&self) -> bool {
        false
    }

    /// The run ends with `scene` on screen at `t` (stop or restart).
    fn interrupt(&mut self, _scene: &Scene, _t: f64) {}
}

/// One layout, shown for as long as the player runs.
#[derive(Debug)]
pub struct Fixed {
    layout: Option<Layout>,
}

impl Fixed {
    pub fn new(layout: Layout) -> Fixed {
        Fixed { layout: Some(layout) }
    }
}

impl Program for Fixed {
    fn tick(&mut self, _now: DateTime<Utc>, _shown: Option<(&Scene, f64)>) -> Option<Layout> {
        self.layout.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_layout_is_the_first_screen_and_then_stays() {
        let layout = bangtin_layouts::parse_layout(
            "[board]\nname = \"x\"\nwidth = 64\nheight = 32\n",
            std::path::Path::new("x.toml"),
            std::path::Path::new("."),
        )
        .unwrap();
        let mut p = Fixed::new(layout.clone());
        let now = Utc::now();
        assert_eq!(p.tick(now, None).map(|l| l.board.name), Some("x".to_string()));
        assert!(p.tick(now, None).is_none());
        assert_eq!(p.dim(now), 0.0);
        assert!(!p.restart_requested());
    }
}
