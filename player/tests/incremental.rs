//! Damage-only redraws: bringing a held frame forward by repainting just the
//! zones that changed gives exactly the frame a full redraw gives — across
//! ticker motion, clock ticks, item changes and crossfades.

use bangtin_layouts::{load_layout, templates};
use bangtin_player::{Gpu, Headless, Scene, View};
use std::sync::Arc;

#[test]
fn incremental_frames_equal_full_frames() {
    let gpu = Arc::new(Gpu::new(None).expect("GPU (lavapipe) available"));
    for name in ["commune-office-1920x1080", "led-384x192"] {
        let layout = load_layout(&templates::path(name)).unwrap();
        let anchor = chrono::DateTime::parse_from_rfc3339("2026-11-22T17:00:00Z")
            .unwrap()
            .to_utc();
        let mut inc = Headless::new(gpu.clone());
        let mut full = Headless::new(gpu.clone());
        let mut a = Scene::new(layout.clone(), anchor, &mut inc.renderer, 1.0);
        let mut b = Scene::new(layout, anchor, &mut full.renderer, 1.0);
        let view = View::identity(a.size()[0], a.size()[1]);
        // 14.2 s … 16.4 s crosses the picture→QR crossfade (15 s) and, in the
        // LED template, the text→picture one (12 s); 59.7 … 60.3 a minute tick.
        let mut times: Vec<f64> = (0..16).map(|i| 11.5 + f64::from(i) * 0.33).collect();
        times.extend([59.7, 59.95, 60.05, 60.3, 60.31]);
        for t in times {
            let x = inc.next_frame(&mut a, t, view).unwrap();
            let y = full.frame(&mut b, t, view).unwrap();
            let differing = x.pixels().zip(y.pixels()).filter(|(p, q)| p != q).count();
            assert_eq!(
                differing, 0,
                "{name} at t = {t}: damage-only frame differs from the full frame"
            );
        }
    }
}
