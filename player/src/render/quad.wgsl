// Rectangles: solid (1x1 white texture) or textured, tinted by `color`.
// Appended to vertex.wgsl.

@group(1) @binding(0) var tex: texture_2d<f32>;
@group(1) @binding(1) var samp: sampler;

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    // Solid fills carry uv = -1: skipping the filtered sample makes them
    // several times cheaper on a software rasteriser.
    if (in.uv.x < -0.5) {
        return in.color;
    }
    // No mipmaps anywhere: an explicit level spares the rasteriser the
    // derivatives an implicit one needs (10× faster fills on lavapipe).
    return textureSampleLevel(tex, samp, in.uv, 0.0) * in.color;
}
