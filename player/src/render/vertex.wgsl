// Instanced rectangles in target pixels, shared by every pipeline; each
// fragment shader (quad.wgsl, yuv.wgsl) is appended to this file.
// Colours are sRGB values written to a non-sRGB target, blended the way
// browsers do, so boards match what officers preview on the web.

struct Params {
    target_size: vec2<f32>,
    // Quarter turns clockwise of the finished frame on the target (0 for
    // offscreen layers); target_size is the upright size.
    turns: f32,
    _pad: f32,
};

@group(0) @binding(0) var<uniform> params: Params;

struct Instance {
    @location(0) rect: vec4<f32>,   // x, y, w, h in target pixels
    @location(1) uv: vec4<f32>,     // u0, v0, u1, v1
    @location(2) color: vec4<f32>,  // multiplier
};

struct VsOut {
    @builtin(position) pos: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) color: vec4<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, inst: Instance) -> VsOut {
    let corner = vec2<f32>(f32(vi & 1u), f32((vi >> 1u) & 1u));
    let px = inst.rect.xy + corner * inst.rect.zw;
    var ndc = vec2<f32>(px.x / params.target_size.x * 2.0 - 1.0, 1.0 - px.y / params.target_size.y * 2.0);
    let q = u32(params.turns + 0.5);
    if q == 1u {
        ndc = vec2<f32>(ndc.y, -ndc.x);
    } else if q == 2u {
        ndc = -ndc;
    } else if q == 3u {
        ndc = vec2<f32>(-ndc.y, ndc.x);
    }
    var out: VsOut;
    out.pos = vec4<f32>(ndc, 0.0, 1.0);
    out.uv = mix(inst.uv.xy, inst.uv.zw, corner);
    out.color = inst.color;
    return out;
}

