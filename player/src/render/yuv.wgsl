// Video pictures: three 8-bit planes (Y', Cb, Cr; chroma at half size)
// turned into R'G'B' here, on the GPU. Appended to vertex.wgsl.
//
// The result stays gamma-encoded, like every other colour we draw (see
// vertex.wgsl), which is what the BT.601/BT.709 matrices produce.

struct Yuv {
    // Display uv -> stored uv (rotation): s = mat2(m.xy, m.zw) rows, + o.xy.
    m: vec4<f32>,
    // o.xy: uv offset; o.z: black level of Y'; o.w: Y' scale to full range.
    o: vec4<f32>,
    // Matrix: R = Y' + c.x Cr; G = Y' - c.y Cb - c.z Cr; B = Y' + c.w Cb.
    c: vec4<f32>,
    // k.x: chroma zero level; k.y: chroma scale to full range.
    k: vec4<f32>,
};

@group(1) @binding(0) var plane_y: texture_2d<f32>;
@group(1) @binding(1) var plane_u: texture_2d<f32>;
@group(1) @binding(2) var plane_v: texture_2d<f32>;
@group(1) @binding(3) var samp: sampler;
@group(1) @binding(4) var<uniform> yuv: Yuv;

@fragment
fn fs_yuv(in: VsOut) -> @location(0) vec4<f32> {
    let uv = vec2<f32>(
        yuv.m.x * in.uv.x + yuv.m.y * in.uv.y,
        yuv.m.z * in.uv.x + yuv.m.w * in.uv.y,
    ) + yuv.o.xy;
    let y = (textureSampleLevel(plane_y, samp, uv, 0.0).r - yuv.o.z) * yuv.o.w;
    let cb = (textureSampleLevel(plane_u, samp, uv, 0.0).r - yuv.k.x) * yuv.k.y;
    let cr = (textureSampleLevel(plane_v, samp, uv, 0.0).r - yuv.k.x) * yuv.k.y;
    let rgb = vec3<f32>(y + yuv.c.x * cr, y - yuv.c.y * cb - yuv.c.z * cr, y + yuv.c.w * cb);
    return vec4<f32>(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0) * in.color;
}
