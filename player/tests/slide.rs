//! The damage path slides a ticker's strip instead of redrawing it. This
//! protects the promise that it shows exactly what the renderer would have
//! drawn, at any instant.

use bangtin_layouts::{load_layout, templates};
use bangtin_player::headless::Target;
use bangtin_player::render::{Clip, RectF, Renderer, View};
use bangtin_player::{Gpu, Scene, slide};
use std::sync::Arc;

fn band_view(view: &View, c: Clip) -> View {
    View {
        offset: [view.offset[0] - c.x as f32, view.offset[1] - c.y as f32],
        size: [c.w, c.h],
        ..*view
    }
}

#[test]
fn sliding_strip_equals_rendered_band() {
    let gpu = Arc::new(Gpu::new(None).expect("GPU (lavapipe) available"));
    for name in ["chromium-peer-1920x1080", "led-384x192"] {
        let layout = load_layout(&templates::path(name)).unwrap();
        let zi = layout
            .zones
            .iter()
            .position(|z| z.id.contains("ticker") || z.id == "chu-chay")
            .unwrap();
        let rect = layout.zones[zi].rect;
        let mut r = Renderer::new(gpu.clone(), wgpu::TextureFormat::Bgra8Unorm);
        let anchor = chrono::Utc::now();
        let mut scene = Scene::new(layout, anchor, &mut r, 1.0);
        let view = View::identity(scene.size()[0], scene.size()[1]);
        let clip = view.clip_of(RectF::from(rect)).unwrap();
        let band = band_view(&view, clip);
        let target = Target::new(&gpu, clip.w, clip.h, wgpu::TextureFormat::Bgra8Unorm);
        let mut render = |scene: &mut Scene, t: f64| {
            let mut p = r.painter(band);
            scene.paint(&mut p, t);
            r.render(&target.view, &band);
            target.read_raw(&gpu).unwrap()
        };
        // Well after the text has entered: steady state.
        let t0 = 600.0;
        let plan = slide::plan(&scene, zi, t0, &band);
        assert!(!plan.is_empty(), "{name}: ticker should be sliding at t = {t0}");
        let strip = slide::build(&plan, band, |t, _| Ok(render(&mut scene, t)))
            .unwrap()
            .expect("strip");
        for dt in [0.0, 0.016, 0.5, 1.0, 7.25, 33.3, 1234.567] {
            let t = t0 + dt;
            let s = scene.sliding(zi, t).unwrap();
            let mut composed = vec![0u8; (clip.w * clip.h * 4) as usize];
            strip.compose(clip.w, slide::band_x0(&band, &s), &mut composed);
            let rendered = render(&mut scene, t);
            let differing = composed
                .chunks(4)
                .zip(rendered.chunks(4))
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(
                differing, 0,
                "{name}: at t = {t} the slid strip differs from the rendered band"
            );
        }
    }
}
