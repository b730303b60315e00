//! `bangtin-floor`: what any wgpu program holds on this machine's driver —
//! the floor under the player's memory. It opens the Vulkan drivers and the
//! device the way the player does (`bangtin_player::gpu`: the same driver
//! choice, backends and device-memory blocks), clears a 1920×1080 target,
//! draws one quad, reads the frame back, frees the frame's buffers, then
//! prints its PSS (`/proc/self/smaps`) and the largest mappings. No
//! renderer, text, pictures, video or windows of the player.
//!
//!   cargo build --release -p bangtin-player -p bangtin-manager -p bangtin-floor
//!   ./target/release/bangtin-floor [--hold]
//!
//! (the quick start's build plus this crate, so nothing is rebuilt).
//! `--hold` keeps it alive afterwards, so `xtask/bench-peer.sh` measures it
//! the way it measures the player: under the same Xvfb, whose own GL
//! driver maps the same LLVM (PSS shares those pages between the two).

use bangtin_player::Gpu;
use bangtin_player::headless::Target;
use std::collections::HashMap;

const W: u32 = 1920;
const H: u32 = 1080;

/// One quad as two triangles (six vertices), filled with one colour.
const SHADER: &str = r"
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let p = array(vec2(-0.5, -0.5), vec2(0.5, -0.5), vec2(-0.5, 0.5),
                  vec2(-0.5, 0.5), vec2(0.5, -0.5), vec2(0.5, 0.5));
    return vec4(p[i], 0.0, 1.0);
}
@fragment fn fs() -> @location(0) vec4<f32> { return vec4(0.8, 0.1, 0.1, 1.0); }
";

fn main() {
    let drivers = bangtin_player::gpu::drivers::limit();
    let gpu = Gpu::new(None).expect("a GPU adapter (lavapipe: apt install mesa-vulkan-drivers)");
    let format = wgpu::TextureFormat::Bgra8Unorm;
    let target = Target::new(&gpu, W, H, format);
    let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(SHADER.into()),
    });
    let entry = |name| wgpu::VertexState {
        module: &module,
        entry_point: Some(name),
        compilation_options: Default::default(),
        buffers: &[],
    };
    let pipeline = gpu.device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: None,
        layout: None,
        vertex: entry("vs"),
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs"),
            compilation_options: Default::default(),
            targets: &[Some(format.into())],
        }),
        multiview_mask: None,
        cache: None,
    });
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: None,
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &target.view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        pass.set_pipeline(&pipeline);
        pass.draw(0..6, 0..1);
    }
    gpu.queue.submit([enc.finish()]);
    let mut centre = [0u8; 3];
    target
        .read_rows(&gpu, |y, row| {
            if y == (H / 2) as usize {
                let i = (W / 2 * 4) as usize;
                centre = [row[i], row[i + 1], row[i + 2]];
            }
        })
        .expect("readback");
    assert_eq!(centre, [26, 26, 204], "the quad is drawn (BGR at the centre)");
    // The frame's buffers (16 MiB at 1080p) are the program's, not the
    // driver's: gone before measuring, like the player's bands.
    drop((pipeline, target));
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    println!("adapter: {}", gpu.describe());
    println!("vulkan drivers: {drivers:?}");
    report();
    if std::env::args().any(|a| a == "--hold") {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// Total PSS and the largest mappings by file (anonymous memory together).
fn report() {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    let mut by: HashMap<String, u64> = HashMap::new();
    let mut cur = String::new();
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let first = f.next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            let path = f.nth(4).unwrap_or("[anon]");
            cur = path.rsplit('/').next().unwrap_or(path).to_string();
        } else if first == "Pss:" {
            *by.entry(cur.clone()).or_default() += f.next().and_then(|k| k.parse().ok()).unwrap_or(0);
        }
    }
    let total: u64 = by.values().sum();
    println!("PSS {:.1} MiB", total as f64 / 1024.0);
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    for (name, kib) in v.iter().take(8) {
        println!("  {:6.1} MiB  {name}", *kib as f64 / 1024.0);
    }
}
