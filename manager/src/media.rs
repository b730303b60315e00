//! The media library: streaming uploads stored once by SHA-256, the type
//! told by content (never the file name), probed and thumbnailed. A file a
//! board could not decode is refused at upload, with the reason.

use crate::model::MediaKind;
use image::imageops::FilterType;
use image::{DynamicImage, ImageReader, RgbImage};
use std::path::Path;

/// Largest picture side accepted (boards refuse bigger ones too).
pub const MAX_PICTURE_SIDE: u32 = 16_384;
/// Largest video accepted: what a board's decoder can be expected to play.
pub const MAX_VIDEO: (u32, u32) = (3840, 2160);
/// Thumbnails fit in this box.
pub const THUMB: (u32, u32) = (320, 180);

/// What probing found.
#[derive(Debug)]
pub struct Probe {
    pub kind: MediaKind,
    pub mime: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration: Option<f64>,
    pub codec: Option<String>,
    pub thumbnail: Option<RgbImage>,
}

/// Why a file was not taken as media: not something a board can show or
/// play (HTTP 415, naming what was found), or the manager's own failure.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Internal(String),
}

impl MediaError {
    fn internal(e: impl std::fmt::Display) -> Self {
        MediaError::Internal(e.to_string())
    }
}

fn refuse(msg: impl Into<String>) -> MediaError {
    MediaError::Refused(msg.into())
}

/// Tell the type from the first bytes of the file.
pub fn sniff(head: &[u8]) -> Option<(&'static str, MediaKind)> {
    let t = infer::get(head)?;
    let kind = match t.matcher_type() {
        infer::MatcherType::Image => MediaKind::Image,
        infer::MatcherType::Video => MediaKind::Video,
        infer::MatcherType::Audio => MediaKind::Audio,
        _ => return None,
    };
    Some((t.mime_type(), kind))
}

/// Probe a stored upload. Blocking (decodes): call from a blocking task.
pub fn probe(path: &Path) -> Result<Probe, MediaError> {
    let mut head = vec![0u8; 8192];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(MediaError::internal)?;
        f.read(&mut head).map_err(MediaError::internal)?
    };
    if n == 0 {
        return Err(refuse("tệp rỗng (empty file)"));
    }
    let (mime, kind) = sniff(&head[..n]).ok_or_else(|| {
        refuse("không nhận ra loại tệp: chỉ nhận ảnh PNG/JPEG/WebP, video và âm thanh (unsupported file type)")
    })?;
    match kind {
        MediaKind::Image => probe_picture(path, mime),
        MediaKind::Video | MediaKind::Audio => probe_av(path, mime, kind),
    }
}

fn thumb(img: &DynamicImage) -> RgbImage {
    img.resize(THUMB.0, THUMB.1, FilterType::Triangle).into_rgb8()
}

fn probe_picture(path: &Path, mime: &str) -> Result<Probe, MediaError> {
    if !matches!(mime, "image/png" | "image/jpeg" | "image/webp") {
        return Err(refuse(format!(
            "ảnh {mime} không được bảng tin hỗ trợ: chỉ PNG, JPEG, WebP (unsupported picture format)"
        )));
    }
    let mut reader = ImageReader::open(path)
        .map_err(MediaError::internal)?
        .with_guessed_format()
        .map_err(MediaError::internal)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PICTURE_SIDE);
    limits.max_image_height = Some(MAX_PICTURE_SIDE);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| {
        refuse(format!(
            "ảnh hỏng hoặc quá lớn, bảng tin không giải mã được: {e} (cannot decode picture)"
        ))
    })?;
    Ok(Probe {
        kind: MediaKind::Image,
        mime: mime.to_string(),
        width: Some(img.width()),
        height: Some(img.height()),
        duration: None,
        codec: None,
        thumbnail: Some(thumb(&img)),
    })
}

fn probe_av(path: &Path, mime: &str, kind: MediaKind) -> Result<Probe, MediaError> {
    use ffmpeg_next as ff;
    ff::init().map_err(MediaError::internal)?;
    ff::util::log::set_level(ff::util::log::Level::Fatal);
    let bad = |e: &dyn std::fmt::Display| {
        refuse(format!(
            "tệp {mime} hỏng hoặc bị cắt, bảng tin không phát được: {e} (cannot decode)"
        ))
    };
    let mut ictx = ff::format::input(path).map_err(|e| bad(&e))?;
    let duration = (ictx.duration() > 0).then(|| ictx.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE));
    let video = ictx
        .streams()
        .best(ff::media::Type::Video)
        .map(|s| (s.index(), s.parameters()));
    let audio = ictx
        .streams()
        .best(ff::media::Type::Audio)
        .map(|s| (s.index(), s.parameters()));
    if let Some((vi, params)) = video {
        let ctx = ff::codec::context::Context::from_parameters(params).map_err(|e| bad(&e))?;
        let codec = ctx.id();
        let mut dec = ctx.decoder().video().map_err(|e| {
            refuse(format!(
                "bảng tin không có bộ giải mã {codec:?}: {e} (unsupported codec)"
            ))
        })?;
        let (w, h) = (dec.width(), dec.height());
        if w == 0 || h == 0 {
            return Err(bad(&"kích thước 0"));
        }
        if w.max(h) > MAX_VIDEO.0 || w.min(h) > MAX_VIDEO.1 {
            return Err(refuse(format!(
                "video {w}×{h} lớn hơn mức bảng tin phát được {}×{} (video too large)",
                MAX_VIDEO.0, MAX_VIDEO.1
            )));
        }
        // Prove the board can decode it: the first picture must come out.
        // Then read every packet to the end: a cut-off file stops short of
        // its declared length, or errors out.
        let tb = ictx.stream(vi).map(|st| f64::from(st.time_base())).unwrap_or(0.0);
        let mut frame = ff::frame::Video::empty();
        let mut got = false;
        let mut last_end = 0.0f64;
        for (stream, packet) in ictx.packets() {
            if stream.index() != vi {
                continue;
            }
            if let Some(pts) = packet.pts().or(packet.dts()) {
                last_end = last_end.max((pts + packet.duration().max(0)) as f64 * tb);
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
            return Err(bad(&"không giải mã được khung hình nào (no frame decodes)"));
        }
        if let Some(d) = duration
            && last_end + 0.5 < d * 0.95
        {
            return Err(bad(&format!(
                "tệp bị cắt: dữ liệu hình dừng ở {last_end:.1} s trong khi thời lượng là {d:.1} s (truncated)"
            )));
        }
        let thumbnail = to_rgb(&frame).map(|img| thumb(&DynamicImage::ImageRgb8(img)));
        if duration.is_none_or(|d| d <= 0.0) {
            return Err(bad(&"không xác định được thời lượng (unknown duration)"));
        }
        return Ok(Probe {
            kind: MediaKind::Video,
            mime: mime.to_string(),
            width: Some(w),
            height: Some(h),
            duration,
            codec: Some(format!("{codec:?}").to_lowercase()),
            thumbnail,
        });
    }
    let Some((ai, params)) = audio else {
        return Err(bad(&"không có luồng hình hay tiếng (no video or audio stream)"));
    };
    let ctx = ff::codec::context::Context::from_parameters(params).map_err(|e| bad(&e))?;
    let codec = ctx.id();
    let mut dec = ctx
        .decoder()
        .audio()
        .map_err(|e| refuse(format!("không có bộ giải mã {codec:?}: {e} (unsupported codec)")))?;
    let mut frame = ff::frame::Audio::empty();
    let mut got = false;
    for (stream, packet) in ictx.packets() {
        if stream.index() == ai && dec.send_packet(&packet).is_ok() && dec.receive_frame(&mut frame).is_ok() {
            got = true;
            break;
        }
    }
    if !got {
        return Err(bad(&"không giải mã được âm thanh (no audio decodes)"));
    }
    let _ = kind;
    Ok(Probe {
        kind: MediaKind::Audio,
        mime: mime.to_string(),
        width: None,
        height: None,
        duration,
        codec: Some(format!("{codec:?}").to_lowercase()),
        thumbnail: None,
    })
}

/// A decoded frame as RGB, through swscale.
fn to_rgb(frame: &ffmpeg_next::frame::Video) -> Option<RgbImage> {
    use ffmpeg_next as ff;
    let (w, h) = (frame.width(), frame.height());
    let mut sc = ff::software::scaling::Context::get(
        frame.format(),
        w,
        h,
        ff::format::Pixel::RGB24,
        w,
        h,
        ff::software::scaling::Flags::BILINEAR,
    )
    .ok()?;
    let mut rgb = ff::frame::Video::empty();
    sc.run(frame, &mut rgb).ok()?;
    let stride = rgb.stride(0);
    let data = rgb.data(0);
    let mut out = RgbImage::new(w, h);
    for y in 0..h as usize {
        let row = &data[y * stride..y * stride + w as usize * 3];
        out.as_mut()[y * w as usize * 3..(y + 1) * w as usize * 3].copy_from_slice(row);
    }
    Some(out)
}

/// Save a thumbnail as JPEG.
pub fn save_thumbnail(img: &RgbImage, path: &Path) -> Result<(), MediaError> {
    let tmp = path.with_extension("jpg.tmp");
    img.save_with_format(&tmp, image::ImageFormat::Jpeg)
        .map_err(MediaError::internal)?;
    std::fs::rename(&tmp, path).map_err(MediaError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_ignores_names_and_refuses_other_files() {
        let png = {
            let mut b = Vec::new();
            image::RgbImage::new(4, 4)
                .write_to(&mut std::io::Cursor::new(&mut b), image::ImageFormat::Png)
                .unwrap();
            b
        };
        assert_eq!(sniff(&png).map(|s| s.0), Some("image/png"));
        assert_eq!(sniff(b"<html><body>hi</body></html>"), None);
        assert_eq!(sniff(b"%PDF-1.7 ..."), None);
    }

    #[test]
    fn truncated_picture_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Vec::new();
        image::RgbImage::from_pixel(64, 64, image::Rgb([200, 10, 10]))
            .write_to(&mut std::io::Cursor::new(&mut b), image::ImageFormat::Png)
            .unwrap();
        let whole = dir.path().join("a");
        std::fs::write(&whole, &b).unwrap();
        let p = probe(&whole).unwrap();
        assert_eq!((p.width, p.height, p.kind), (Some(64), Some(64), MediaKind::Image));
        let cut = dir.path().join("b");
        std::fs::write(&cut, &b[..b.len() / 2]).unwrap();
        let e = probe(&cut).unwrap_err();
        assert!(matches!(e, MediaError::Refused(_)), "{e:?}");
    }
}
