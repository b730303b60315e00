//! Textures the painter can draw.

use super::quad::QuadPipeline;
use crate::gpu::Gpu;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Photos and pictures.
    Linear,
    /// QR modules and 1:1 layers: no blur.
    Nearest,
}

/// A GPU texture with its bind group for the quad pipeline.
#[derive(Debug)]
pub struct Tex {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    pub bind: wgpu::BindGroup,
    pub width: u32,
    pub height: u32,
}

impl Tex {
    pub(crate) fn from_rgba(
        gpu: &Gpu,
        quads: &QuadPipeline,
        w: u32,
        h: u32,
        rgba: &[u8],
        filter: Filter,
        label: &str,
    ) -> Tex {
        let tex = Self::empty(gpu, quads, w, h, filter, label);
        gpu.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &tex.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            rgba,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(4 * w),
                rows_per_image: Some(h),
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
        tex
    }

    /// A texture to be filled later with `write_texture` (wgpu zeroes it).
    /// Pictures hold sRGB values and are blended as such, like the text and
    /// fills around them (browser-style colour handling), hence no *Srgb format.
    pub(crate) fn empty(gpu: &Gpu, quads: &QuadPipeline, w: u32, h: u32, filter: Filter, label: &str) -> Tex {
        let usage = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST;
        let texture = create(gpu, w, h, wgpu::TextureFormat::Rgba8Unorm, usage, label);
        Self::wrap(gpu, quads, texture, w, h, filter, label)
    }

    pub(crate) fn render_target(
        gpu: &Gpu,
        quads: &QuadPipeline,
        w: u32,
        h: u32,
        format: wgpu::TextureFormat,
        label: &str,
    ) -> Tex {
        let usage = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::RENDER_ATTACHMENT;
        let texture = create(gpu, w, h, format, usage, label);
        Self::wrap(gpu, quads, texture, w, h, Filter::Nearest, label)
    }

    fn wrap(
        gpu: &Gpu,
        quads: &QuadPipeline,
        texture: wgpu::Texture,
        w: u32,
        h: u32,
        filter: Filter,
        label: &str,
    ) -> Tex {
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &quads.tex_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(match filter {
                        Filter::Linear => &quads.linear,
                        Filter::Nearest => &quads.nearest,
                    }),
                },
            ],
        });
        Tex {
            texture,
            view,
            bind,
            width: w,
            height: h,
        }
    }
}

fn create(
    gpu: &Gpu,
    w: u32,
    h: u32,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
    label: &str,
) -> wgpu::Texture {
    gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}
