//! `bangtin-floor`: what any wgpu program holds on this machine's driver —
//! the floor under the player's memory. It opens the Vulkan drivers the
//! player would (`bangtin_player::gpu::drivers`), clears a 1920×1080
//! target, draws one quad, reads the frame back, frees the frame's
//! buffers, then prints its PSS (`/proc/self/smaps`) and the largest
//! mappings.
//!
//!   cargo build --release -p bangtin-player -p bangtin-manager -p bangtin-floor
//!   ./target/release/bangtin-floor [--hold]
//!
//! (the quick start's build plus this crate, so nothing is rebuilt).
//! `--hold` keeps it alive afterwards, so `xtask/bench-peer.sh` measures it
//! the way it measures the player: under the same Xvfb, whose own GL
//! driver maps the same LLVM (PSS shares those pages between the two).

use std::collections::HashMap;

const W: u32 = 1920;
const H: u32 = 1080;

const SHADER: &str = r"
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let p = array(vec2(-0.5, -0.5), vec2(0.5, -0.5), vec2(-0.5, 0.5), vec2(0.5, 0.5));
    return vec4(p[i], 0.0, 1.0);
}
@fragment fn fs() -> @location(0) vec4<f32> { return vec4(0.8, 0.1, 0.1, 1.0); }
";

fn main() {
    let drivers = bangtin_player::gpu::drivers::limit();
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle().with_env();
    if wgpu::Backends::from_env().is_none() {
        desc.backends = wgpu::Backends::VULKAN;
    }
    let instance = wgpu::Instance::new(desc);
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .expect("a GPU adapter (lavapipe: apt install mesa-vulkan-drivers)");
    // The player's block size for device memory (4 MiB, see its gpu.rs):
    // with wgpu's default (large blocks) the freed frame would stay
    // resident and be counted as the floor.
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        memory_hints: wgpu::MemoryHints::Manual {
            suballocated_device_memory_block_size: (4 << 20)..(4 << 20),
        },
        ..Default::default()
    }))
    .expect("a device");
    let format = wgpu::TextureFormat::Bgra8Unorm;
    let target = device.create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: W,
            height: H,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(SHADER.into()),
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: None,
        layout: None,
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState {
            topology: wgpu::PrimitiveTopology::TriangleStrip,
            ..Default::default()
        },
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
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: u64::from(W * H * 4),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let view = target.create_view(&Default::default());
    let mut enc = device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: None,
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
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
        pass.draw(0..4, 0..1);
    }
    enc.copy_texture_to_buffer(
        target.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &readback,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(W * 4),
                rows_per_image: None,
            },
        },
        target.size(),
    );
    queue.submit([enc.finish()]);
    readback.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("map"));
    device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    let centre = {
        let px = readback.slice(..).get_mapped_range().expect("mapped");
        let i = ((H / 2 * W + W / 2) * 4) as usize;
        [px[i], px[i + 1], px[i + 2]]
    };
    readback.unmap();
    // The frame's buffers (16 MiB at 1080p) are the program's, not the
    // driver's: gone before measuring, like the player's bands.
    drop((view, target, readback));
    device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    assert_eq!(centre, [26, 26, 204], "the quad is drawn (BGR at the centre)");
    let info = adapter.get_info();
    println!("adapter: {} ({:?}, {:?})", info.name, info.device_type, info.backend);
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
    v.sort_by(|a, b| b.1.cmp(&a.1));
    for (name, kib) in v.iter().take(8) {
        println!("  {:6.1} MiB  {name}", *kib as f64 / 1024.0);
    }
}
