//! The wgpu device, chosen once per process.

use anyhow::{Context, Result, anyhow};

pub mod drivers;

/// Device, queue and what we learned about the adapter.
#[derive(Debug)]
pub struct Gpu {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
}

impl Gpu {
    /// True for software rasterisers (lavapipe/llvmpipe): presenting full
    /// frames then costs real CPU, so the window path presents damage only.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {:?}, driver {} {})",
            self.info.name, self.info.device_type, self.info.backend, self.info.driver, self.info.driver_info
        )
    }

    /// Open a device. Vulkan first: the GL backend costs ~9 MiB and five
    /// threads and is only worth it where no Vulkan driver exists.
    /// `WGPU_BACKEND` overrides the choice.
    pub fn new(display: Option<Box<dyn wgpu::wgt::WgpuHasDisplayHandle>>) -> Result<Gpu> {
        pollster::block_on(Self::new_async(display))
    }

    async fn new_async(display: Option<Box<dyn wgpu::wgt::WgpuHasDisplayHandle>>) -> Result<Gpu> {
        let from_env = wgpu::Backends::from_env();
        let tries: Vec<wgpu::Backends> = match from_env {
            Some(b) => vec![b],
            None => vec![wgpu::Backends::VULKAN, wgpu::Backends::GL],
        };
        let mut display = display;
        let mut last_err = None;
        for backends in tries {
            let mut desc = wgpu::InstanceDescriptor::new_without_display_handle().with_env();
            desc.backends = backends;
            // Validation layers are for development, not for boards.
            desc.flags = wgpu::InstanceFlags::from_env_or_default() & !wgpu::InstanceFlags::VALIDATION;
            if backends.contains(wgpu::Backends::GL)
                && let Some(d) = display.take()
            {
                desc = desc.with_display_handle(d);
            }
            let instance = wgpu::Instance::new(desc);
            let adapter = match instance
                .request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::HighPerformance,
                    force_fallback_adapter: false,
                    compatible_surface: None,
                    apply_limit_buckets: false,
                })
                .await
            {
                Ok(a) => a,
                Err(e) => {
                    last_err = Some(anyhow!("{backends:?}: {e}"));
                    continue;
                }
            };
            let info = adapter.get_info();
            let limits = wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits());
            // A software GPU's memory is the board's RAM: allocate in small
            // blocks so memory of freed textures (a full redraw's bands)
            // goes back instead of pinning a 16–64 MB block.
            let memory_hints = if info.device_type == wgpu::DeviceType::Cpu {
                wgpu::MemoryHints::Manual {
                    suballocated_device_memory_block_size: (4 << 20)..(4 << 20),
                }
            } else {
                wgpu::MemoryHints::MemoryUsage
            };
            let (device, queue) = adapter
                .request_device(&wgpu::DeviceDescriptor {
                    label: Some("bangtin"),
                    required_features: wgpu::Features::empty(),
                    required_limits: limits,
                    experimental_features: wgpu::ExperimentalFeatures::disabled(),
                    memory_hints,
                    trace: wgpu::Trace::Off,
                })
                .await
                .with_context(|| format!("không mở được thiết bị đồ họa {} (cannot open GPU device)", info.name))?;
            device.on_uncaptured_error(std::sync::Arc::new(|e| {
                tracing::error!("lỗi đồ họa (wgpu error): {e}");
            }));
            return Ok(Gpu {
                instance,
                adapter,
                device,
                queue,
                info,
            });
        }
        Err(last_err.unwrap_or_else(|| anyhow!("no backend")))
            .context("không tìm thấy bộ xử lý đồ họa nào (Vulkan hoặc OpenGL); trên máy không có GPU hãy cài mesa-vulkan-drivers (no GPU adapter)")
    }

    /// The largest texture side this device accepts.
    pub fn max_texture_side(&self) -> u32 {
        self.device.limits().max_texture_dimension_2d
    }
}
