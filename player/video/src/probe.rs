//! What a video file is, and whether the board can play it: checked once
//! when a layout is prepared, so a bad file is skipped before its turn.

use crate::{MAX_PIXELS, MAX_SIDE, abi, fail, init, path_of, read_packet, rotation_of};
use ffmpeg_next as ff;
use std::path::Path;

/// [`abi::Api::probe`].
///
/// # Safety
/// `path` points to `len` bytes; `info` and `err` to writable values.
pub unsafe extern "C" fn probe(path: *const u8, len: usize, info: *mut abi::Info, err: *mut abi::Error) -> bool {
    // SAFETY: as the caller promises.
    let path = unsafe { path_of(path, len) };
    match probe_path(path) {
        Ok(i) => {
            // SAFETY: as the caller promises.
            if let Some(out) = unsafe { info.as_mut() } {
                *out = i;
            }
            true
        }
        Err(e) => {
            // SAFETY: as the caller promises.
            unsafe { fail(err, &e) };
            false
        }
    }
}

/// Open `path`, check that its video decodes, and measure it. Reads the
/// whole file once (without decoding): a cut-off file is refused here
/// rather than freezing halfway through its slot.
fn probe_path(path: &Path) -> Result<abi::Info, String> {
    init();
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("không mở được video {name}: {e} (cannot open video)"))?;
    if meta.len() == 0 {
        return Err(format!("video {name} rỗng, 0 byte (empty file)"));
    }
    let mut ictx = ff::format::input(path)
        .map_err(|e| format!("video {name} hỏng hoặc không phải tệp video: {e} (corrupt or not a video)"))?;
    let Some(stream) = ictx.streams().best(ff::media::Type::Video) else {
        let audio = ictx.streams().best(ff::media::Type::Audio).is_some();
        return Err(if audio {
            format!("tệp {name} chỉ có âm thanh, không có hình (audio only, no video stream)")
        } else {
            format!("tệp {name} không có luồng hình (no video stream)")
        });
    };
    let vi = stream.index();
    let tb = f64::from(stream.time_base());
    let start = stream.start_time();
    let start = if start == ff::ffi::AV_NOPTS_VALUE { 0 } else { start };
    let rotation = stream
        .side_data()
        .find(|sd| sd.kind() == ff::codec::packet::side_data::Type::DisplayMatrix)
        .map_or(0, |sd| rotation_of(sd.data()));
    let rate = stream.avg_frame_rate();
    let frame_rate = if rate.denominator() != 0 && rate.numerator() > 0 {
        f64::from(rate)
    } else {
        0.0
    };
    let has_audio = ictx.streams().best(ff::media::Type::Audio).is_some();
    let ctx = ff::codec::context::Context::from_parameters(stream.parameters())
        .map_err(|e| format!("video {name} hỏng: {e} (corrupt)"))?;
    let codec_id = ctx.id();
    let codec = match format!("{codec_id:?}").to_lowercase() {
        c if c == "none" => "không rõ (unknown)".to_string(),
        c => c,
    };
    let mut dec = ctx
        .decoder()
        .video()
        .map_err(|e| format!("bảng tin không có bộ giải mã {codec} cho video {name}: {e} (unsupported codec)"))?;
    let (w, h) = (dec.width(), dec.height());
    if w == 0 || h == 0 {
        return Err(format!("video {name} không có kích thước hình (no picture size)"));
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "video {name} {w}×{h} lớn hơn mức bảng tin phát được (tối đa {MAX_SIDE} mỗi cạnh, {} điểm ảnh) (too large)",
            MAX_PIXELS
        ));
    }
    // Walk every packet: the first picture must decode, and the pictures
    // must reach the length the file declares.
    let mut got = false;
    let mut first: Option<f64> = None;
    let mut last_end = 0.0f64;
    let mut frame = ff::frame::Video::empty();
    loop {
        let packet = match read_packet(&mut ictx) {
            Ok(p) => p,
            Err(ff::Error::Eof) => break,
            Err(e) => {
                if got {
                    return Err(format!(
                        "video {name} bị cắt hoặc hỏng sau {last_end:.1} s: {e} (truncated or corrupt)"
                    ));
                }
                break;
            }
        };
        if packet.stream() != vi {
            continue;
        }
        if let Some(pts) = packet.pts().or(packet.dts()) {
            let s = (pts - start) as f64 * tb;
            first = Some(first.map_or(s, |f| f.min(s)));
            last_end = last_end.max(s + packet.duration().max(0) as f64 * tb);
        }
        if !got && dec.send_packet(&packet).is_ok() && dec.receive_frame(&mut frame).is_ok() {
            got = true;
        }
    }
    if !got {
        let _ = dec.send_eof();
        got = dec.receive_frame(&mut frame).is_ok();
    }
    if !got {
        return Err(format!(
            "video {name} không giải mã được khung hình nào (no picture decodes: corrupt or truncated)"
        ));
    }
    let declared = (ictx.duration() > 0).then(|| ictx.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE));
    if let Some(d) = declared
        && last_end + 0.5 < d * 0.95
    {
        return Err(format!(
            "video {name} bị cắt: hình dừng ở {last_end:.1} s trong khi thời lượng khai báo là {d:.1} s (truncated)"
        ));
    }
    let duration = last_end - first.unwrap_or(0.0).min(0.0);
    if !(duration.is_finite() && duration > 0.0) {
        return Err(format!(
            "video {name}: không xác định được thời lượng (unknown duration)"
        ));
    }
    let mut info = abi::Info {
        width: w,
        height: h,
        rotation: u32::from(rotation),
        has_audio: u32::from(has_audio),
        duration,
        frame_rate,
        ..Default::default()
    };
    let mut n = codec.len().min(info.codec.len());
    while !codec.is_char_boundary(n) {
        n -= 1;
    }
    info.codec[..n].copy_from_slice(&codec.as_bytes()[..n]);
    info.codec_len = n as u32;
    Ok(info)
}
