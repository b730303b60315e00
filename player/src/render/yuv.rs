//! Video pictures on the GPU: three R8 planes uploaded as decoded, turned
//! into RGB by `yuv.wgsl` while drawing (no CPU colour conversion).

use super::quad::QuadPipeline;
use crate::gpu::Gpu;
use crate::video::{Frame, Matrix};

/// The planes of one playing video and the uniform describing them.
#[derive(Debug)]
pub struct YuvTex {
    planes: [wgpu::Texture; 3],
    uniform: wgpu::Buffer,
    pub bind: wgpu::BindGroup,
    pub width: u32,
    pub height: u32,
    rotation: u16,
    colour: Option<(Matrix, bool)>,
}

/// The uniform block of `yuv.wgsl`.
fn uniform(rotation: u16, matrix: Matrix, full: bool) -> [f32; 16] {
    // Display uv -> stored uv, for a picture shown turned clockwise.
    let (m, o) = match rotation {
        90 => ([0.0, 1.0, -1.0, 0.0], [0.0, 1.0]),
        180 => ([-1.0, 0.0, 0.0, -1.0], [1.0, 1.0]),
        270 => ([0.0, -1.0, 1.0, 0.0], [1.0, 0.0]),
        _ => ([1.0, 0.0, 0.0, 1.0], [0.0, 0.0]),
    };
    let (y0, ys, cs) = if full {
        (0.0, 1.0, 1.0)
    } else {
        (16.0 / 255.0, 255.0 / 219.0, 255.0 / 224.0)
    };
    // ITU-R BT.601 and BT.709 (Kr, Kb) = (0.299, 0.114), (0.2126, 0.0722).
    let (kr, kb): (f32, f32) = match matrix {
        Matrix::Bt601 => (0.299, 0.114),
        Matrix::Bt709 => (0.2126, 0.0722),
    };
    let kg = 1.0 - kr - kb;
    let c = [
        2.0 * (1.0 - kr),
        2.0 * (1.0 - kb) * kb / kg,
        2.0 * (1.0 - kr) * kr / kg,
        2.0 * (1.0 - kb),
    ];
    [
        m[0],
        m[1],
        m[2],
        m[3],
        o[0],
        o[1],
        y0,
        ys,
        c[0],
        c[1],
        c[2],
        c[3],
        128.0 / 255.0,
        cs,
        0.0,
        0.0,
    ]
}

impl YuvTex {
    pub(crate) fn new(gpu: &Gpu, quads: &QuadPipeline, w: u32, h: u32, rotation: u16) -> YuvTex {
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let plane = |w: u32, h: u32, label: &str| {
            gpu.device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width: w.max(1),
                    height: h.max(1),
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::R8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        };
        let planes = [
            plane(w, h, "video Y'"),
            plane(cw, ch, "video Cb"),
            plane(cw, ch, "video Cr"),
        ];
        let uniform = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("video colour"),
            size: 64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let views: Vec<wgpu::TextureView> = planes
            .iter()
            .map(|t| t.create_view(&wgpu::TextureViewDescriptor::default()))
            .collect();
        let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("video planes"),
            layout: &quads.yuv_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&views[0]),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&views[1]),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&views[2]),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::Sampler(&quads.linear),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: uniform.as_entire_binding(),
                },
            ],
        });
        YuvTex {
            planes,
            uniform,
            bind,
            width: w,
            height: h,
            rotation,
            colour: None,
        }
    }

    /// Whether a picture of this size fits these textures.
    pub fn fits(&self, f: &Frame) -> bool {
        f.width() == self.width && f.height() == self.height
    }

    /// Copy a decoded picture's planes into the textures.
    pub fn upload(&mut self, gpu: &Gpu, f: &Frame) {
        let (cw, ch) = (self.width.div_ceil(2), self.height.div_ceil(2));
        let sizes = [(self.width, self.height), (cw, ch), (cw, ch)];
        for (i, (tex, (w, h))) in self.planes.iter().zip(sizes).enumerate() {
            let (data, stride) = f.plane(i);
            let need = stride * (h as usize - 1) + w as usize;
            if data.len() < need || stride < w as usize {
                tracing::warn!("khung hình video thiếu dữ liệu (short video plane {i})");
                return;
            }
            gpu.queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: tex,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                &data[..need],
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(stride as u32),
                    rows_per_image: Some(h),
                },
                wgpu::Extent3d {
                    width: w,
                    height: h,
                    depth_or_array_layers: 1,
                },
            );
        }
        let colour = (f.matrix, f.full_range);
        if self.colour != Some(colour) {
            let u = uniform(self.rotation, colour.0, colour.1);
            gpu.queue.write_buffer(&self.uniform, 0, bytemuck::cast_slice(&u));
            self.colour = Some(colour);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shader's arithmetic on the CPU: known colours come out right.
    fn to_rgb(u: &[f32; 16], y: f32, cb: f32, cr: f32) -> [f32; 3] {
        let yy = (y - u[6]) * u[7];
        let b = (cb - u[12]) * u[13];
        let r = (cr - u[12]) * u[13];
        [yy + u[8] * r, yy - u[9] * b - u[10] * r, yy + u[11] * b].map(|v| v.clamp(0.0, 1.0))
    }

    #[test]
    fn limited_and_full_range_bt601_and_bt709() {
        let n = |v: f32| v / 255.0;
        // Limited-range white and black.
        let u = uniform(0, Matrix::Bt709, false);
        let w = to_rgb(&u, n(235.0), n(128.0), n(128.0));
        assert!(w.iter().all(|c| (c - 1.0).abs() < 1e-3), "{w:?}");
        let k = to_rgb(&u, n(16.0), n(128.0), n(128.0));
        assert!(k.iter().all(|c| c.abs() < 1e-3), "{k:?}");
        // BT.709 limited red (Y'=63, Cb=102, Cr=240).
        let r = to_rgb(&u, n(63.0), n(102.0), n(240.0));
        assert!(r[0] > 0.98 && r[1] < 0.03 && r[2] < 0.03, "{r:?}");
        // The same code values mean another colour under BT.601.
        let r601 = to_rgb(&uniform(0, Matrix::Bt601, false), n(63.0), n(102.0), n(240.0));
        let apart = (0..3).map(|i| (r601[i] - r[i]).abs()).fold(0.0f32, f32::max);
        assert!(apart > 0.03, "{r601:?} vs {r:?}");
        // BT.601 full range (JPEG) red: Y'=76, Cb=85, Cr=255.
        let f = to_rgb(&uniform(0, Matrix::Bt601, true), n(76.0), n(85.0), n(255.0));
        assert!(f[0] > 0.98 && f[1] < 0.02 && f[2] < 0.02, "{f:?}");
    }

    #[test]
    fn rotation_maps_display_corners_to_stored_corners() {
        let map = |rot: u16, p: [f32; 2]| {
            let u = uniform(rot, Matrix::Bt709, false);
            [u[0] * p[0] + u[1] * p[1] + u[4], u[2] * p[0] + u[3] * p[1] + u[5]]
        };
        // Shown turned 90° clockwise: the displayed top-left is the stored bottom-left.
        assert_eq!(map(90, [0.0, 0.0]), [0.0, 1.0]);
        assert_eq!(map(90, [1.0, 0.0]), [0.0, 0.0]);
        assert_eq!(map(180, [0.0, 0.0]), [1.0, 1.0]);
        assert_eq!(map(270, [0.0, 0.0]), [1.0, 0.0]);
        assert_eq!(map(0, [0.3, 0.7]), [0.3, 0.7]);
    }
}
