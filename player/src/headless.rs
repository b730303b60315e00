//! Offscreen rendering: the very same frames as the kiosk window, read back
//! into memory for PNG files, tests, previews and remote screenshots.

use crate::gpu::Gpu;
use crate::render::{Renderer, View};
use crate::scene::Scene;
use anyhow::{Context, Result};
use image::RgbaImage;
use std::sync::Arc;

/// An offscreen target and its readback buffer, reused while the size stays.
#[derive(Debug)]
pub struct Target {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    readback: wgpu::Buffer,
    pub width: u32,
    pub height: u32,
    padded_row: u32,
    format: wgpu::TextureFormat,
}

impl Target {
    pub fn new(gpu: &Gpu, width: u32, height: u32, format: wgpu::TextureFormat) -> Target {
        let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let padded_row = (width * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let readback = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: u64::from(padded_row) * u64::from(height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Target {
            texture,
            view,
            readback,
            width,
            height,
            padded_row,
            format,
        }
    }

    /// Copy the target's pixels into memory, tightly packed, 4 bytes each
    /// in the target's own channel order; `f` receives each row.
    pub fn read_rows(&self, gpu: &Gpu, mut f: impl FnMut(usize, &[u8])) -> Result<()> {
        let mut enc = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("readback"),
        });
        enc.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &self.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &self.readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.padded_row),
                    rows_per_image: Some(self.height),
                },
            },
            wgpu::Extent3d {
                width: self.width,
                height: self.height,
                depth_or_array_layers: 1,
            },
        );
        gpu.queue.submit([enc.finish()]);
        let slice = self.readback.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .context("GPU không phản hồi khi đọc lại khung hình (GPU poll failed)")?;
        rx.recv()
            .context("readback callback dropped")?
            .context("không ánh xạ được bộ đệm đọc lại (map failed)")?;
        {
            let data = slice
                .get_mapped_range()
                .map_err(|e| anyhow::anyhow!("không đọc được bộ đệm (mapped range): {e:?}"))?;
            let row = self.width as usize * 4;
            for y in 0..self.height as usize {
                let start = y * self.padded_row as usize;
                f(y, &data[start..start + row]);
            }
        }
        self.readback.unmap();
        Ok(())
    }

    /// Read the target back, tightly packed, in the target's channel order.
    pub fn read_raw(&self, gpu: &Gpu) -> Result<Vec<u8>> {
        let row = self.width as usize * 4;
        let mut out = vec![0u8; row * self.height as usize];
        self.read_rows(gpu, |y, src| out[y * row..(y + 1) * row].copy_from_slice(src))?;
        Ok(out)
    }

    /// Read the target back as RGBA (swizzling BGRA targets).
    pub fn read_rgba(&self, gpu: &Gpu) -> Result<RgbaImage> {
        let mut img = RgbaImage::new(self.width, self.height);
        let row = self.width as usize * 4;
        let bgra = matches!(
            self.format,
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        );
        let out: &mut [u8] = &mut img;
        self.read_rows(gpu, |y, src| {
            let dst = &mut out[y * row..(y + 1) * row];
            dst.copy_from_slice(src);
            for px in dst.chunks_exact_mut(4) {
                if bgra {
                    px.swap(0, 2);
                }
                // The board is opaque; alpha in the target is bookkeeping.
                px[3] = 255;
            }
        })?;
        Ok(img)
    }
}

/// A renderer with an offscreen target.
#[derive(Debug)]
pub struct Headless {
    pub renderer: Renderer,
    target: Option<Target>,
    /// Whose frame the target holds: scene identity, view and instant.
    holds: Option<((u64, i64), View, f64)>,
}

pub const HEADLESS_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

impl Headless {
    pub fn new(gpu: Arc<Gpu>) -> Headless {
        Headless {
            renderer: Renderer::new(gpu, HEADLESS_FORMAT),
            target: None,
            holds: None,
        }
    }

    fn target(&mut self, size: [u32; 2]) -> &Target {
        let gpu = self.renderer.gpu.clone();
        let fits = self.target.as_ref().is_some_and(|t| [t.width, t.height] == size);
        if !fits {
            self.target = Some(Target::new(&gpu, size[0], size[1], HEADLESS_FORMAT));
        }
        self.target.as_ref().expect("set above")
    }

    /// Render the whole scene at `t` into the offscreen target (no readback).
    pub fn draw(&mut self, scene: &mut Scene, t: f64, view: View) {
        self.target(view.size);
        let mut p = self.renderer.painter(view);
        scene.paint(&mut p, t);
        let target = self.target.as_ref().expect("allocated above");
        self.renderer.render(&target.view, &view);
        self.holds = Some((scene.id(), view, t));
    }

    /// Bring the target to the scene at `t` by redrawing only the zones
    /// that changed since the frame it holds (a full draw otherwise). The
    /// result is the same frame [`Headless::draw`] renders, for a fraction
    /// of the work when only a ticker or a clock moves.
    pub fn update(&mut self, scene: &mut Scene, t: f64, view: View) {
        let Some((id, v, t_prev)) = self.holds else {
            return self.draw(scene, t, view);
        };
        if id != scene.id() || v != view || self.target.as_ref().is_none_or(|tg| [tg.width, tg.height] != view.size) {
            return self.draw(scene, t, view);
        }
        for r in scene.changed_between(t_prev, t) {
            let Some(damage) = view.clip_of(r.into()) else { continue };
            let mut p = self.renderer.painter_in(view, Some(damage));
            scene.paint(&mut p, t);
            let target = self.target.as_ref().expect("checked above");
            self.renderer.render(&target.view, &view);
        }
        self.holds = Some((scene.id(), view, t));
    }

    /// Wait until the GPU has finished everything submitted.
    pub fn finish(&self) -> Result<()> {
        self.renderer
            .gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .context("GPU poll failed")?;
        Ok(())
    }

    /// Render the scene at `t` and read the frame back.
    pub fn frame(&mut self, scene: &mut Scene, t: f64, view: View) -> Result<RgbaImage> {
        self.draw(scene, t, view);
        self.read()
    }

    /// Update the frame to `t` (see [`Headless::update`]) and read it back.
    pub fn next_frame(&mut self, scene: &mut Scene, t: f64, view: View) -> Result<RgbaImage> {
        self.update(scene, t, view);
        self.read()
    }

    /// Read back the frame the target holds.
    pub fn read(&self) -> Result<RgbaImage> {
        let gpu = self.renderer.gpu.clone();
        self.target.as_ref().expect("drawn above").read_rgba(&gpu)
    }
}
