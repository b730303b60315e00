//! One pipeline for every rectangle: solid fills, pictures, layers.

use super::Blend;
use std::ops::Range;

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct QuadInstance {
    /// x, y, w, h in target pixels.
    pub rect: [f32; 4],
    /// u0, v0, u1, v1.
    pub uv: [f32; 4],
    /// Multiplies the texture sample.
    pub color: [f32; 4],
}

const INSTANCE_ATTRS: [wgpu::VertexAttribute; 3] =
    wgpu::vertex_attr_array![0 => Float32x4, 1 => Float32x4, 2 => Float32x4];

#[derive(Debug)]
pub(crate) struct QuadPipeline {
    straight: wgpu::RenderPipeline,
    premultiplied: wgpu::RenderPipeline,
    yuv: wgpu::RenderPipeline,
    pub(crate) yuv_layout: wgpu::BindGroupLayout,
    /// Offscreen layers: upright.
    layer_params: Params,
    /// The frame's target: turned by the view's rotation.
    main_params: Params,
    pub(crate) tex_layout: wgpu::BindGroupLayout,
    pub(crate) linear: wgpu::Sampler,
    pub(crate) nearest: wgpu::Sampler,
}

/// The vertex shader's uniform (vertex.wgsl): target size and quarter turns.
#[derive(Debug)]
struct Params {
    buf: wgpu::Buffer,
    bind: wgpu::BindGroup,
    last: std::cell::Cell<Option<[f32; 4]>>,
}

impl Params {
    fn new(device: &wgpu::Device, layout: &wgpu::BindGroupLayout) -> Params {
        let buf = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("quad params"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("quad params"),
            layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: buf.as_entire_binding(),
            }],
        });
        Params {
            buf,
            bind,
            last: std::cell::Cell::new(None),
        }
    }

    fn set(&self, queue: &wgpu::Queue, data: [f32; 4]) {
        if self.last.get() != Some(data) {
            queue.write_buffer(&self.buf, 0, bytemuck::cast_slice(&data));
            self.last.set(Some(data));
        }
    }
}

pub(crate) fn instance_buffer(device: &wgpu::Device, count: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("quad instances"),
        size: (count.max(16) * size_of::<QuadInstance>()) as u64,
        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

impl QuadPipeline {
    pub(crate) fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let wgsl = |label: &str, src: &'static str| {
            device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(src.into()),
            })
        };
        let shader = wgsl("quad", concat!(include_str!("vertex.wgsl"), include_str!("quad.wgsl")));
        let yuv_shader = wgsl("yuv", concat!(include_str!("vertex.wgsl"), include_str!("yuv.wgsl")));
        let params_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("quad params"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let tex_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("quad texture"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let layer_params = Params::new(device, &params_layout);
        let main_params = Params::new(device, &params_layout);
        let plane = |binding: u32| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: true },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let yuv_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("yuv planes"),
            entries: &[
                plane(0),
                plane(1),
                plane(2),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 4,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("quad"),
            bind_group_layouts: &[Some(&params_layout), Some(&tex_layout)],
            immediate_size: 0,
        });
        let yuv_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("yuv"),
            bind_group_layouts: &[Some(&params_layout), Some(&yuv_layout)],
            immediate_size: 0,
        });
        let make_with = |layout: &wgpu::PipelineLayout,
                         shader: &wgpu::ShaderModule,
                         fs: &str,
                         blend: wgpu::BlendState,
                         label: &str| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(layout),
                vertex: wgpu::VertexState {
                    module: shader,
                    entry_point: Some("vs_main"),
                    compilation_options: Default::default(),
                    buffers: &[Some(wgpu::VertexBufferLayout {
                        array_stride: size_of::<QuadInstance>() as u64,
                        step_mode: wgpu::VertexStepMode::Instance,
                        attributes: &INSTANCE_ATTRS,
                    })],
                },
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::TriangleStrip,
                    ..Default::default()
                },
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: shader,
                    entry_point: Some(fs),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format,
                        blend: Some(blend),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let make = |blend: wgpu::BlendState, label: &str| make_with(&layout, &shader, "fs_main", blend, label);
        let sampler = |f: wgpu::FilterMode, label: &str| {
            device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some(label),
                address_mode_u: wgpu::AddressMode::ClampToEdge,
                address_mode_v: wgpu::AddressMode::ClampToEdge,
                mag_filter: f,
                min_filter: f,
                ..Default::default()
            })
        };
        QuadPipeline {
            straight: make(wgpu::BlendState::ALPHA_BLENDING, "quad straight"),
            premultiplied: make(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING, "quad premultiplied"),
            yuv: make_with(
                &yuv_pipeline_layout,
                &yuv_shader,
                "fs_yuv",
                wgpu::BlendState::ALPHA_BLENDING,
                "yuv",
            ),
            yuv_layout,
            layer_params,
            main_params,
            tex_layout,
            linear: sampler(wgpu::FilterMode::Linear, "linear"),
            nearest: sampler(wgpu::FilterMode::Nearest, "nearest"),
        }
    }

    /// The frame's upright size, and how the main pass turns it.
    pub(crate) fn set_params(&self, queue: &wgpu::Queue, size: [u32; 2], rotation: super::Rotation) {
        let [w, h] = [size[0] as f32, size[1] as f32];
        self.layer_params.set(queue, [w, h, 0.0, 0.0]);
        self.main_params
            .set(queue, [w, h, rotation.degrees() as f32 / 90.0, 0.0]);
    }

    pub(crate) fn draw(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        main: bool,
        blend: Blend,
        bind: &wgpu::BindGroup,
        instances: &wgpu::Buffer,
        range: Range<u32>,
    ) {
        pass.set_pipeline(match blend {
            Blend::Straight => &self.straight,
            Blend::Premultiplied => &self.premultiplied,
            Blend::Yuv => &self.yuv,
        });
        let params = if main { &self.main_params } else { &self.layer_params };
        pass.set_bind_group(0, &params.bind, &[]);
        pass.set_bind_group(1, bind, &[]);
        pass.set_vertex_buffer(0, instances.slice(..));
        pass.draw(0..4, range);
    }
}
