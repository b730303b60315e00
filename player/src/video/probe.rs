//! What a video file is, and whether the board can play it: checked once
//! when a layout is prepared, so a bad file is skipped before its turn.

use super::lib::abi;
use std::path::{Path, PathBuf};

/// A playable video file.
#[derive(Debug, Clone)]
pub struct Info {
    pub path: PathBuf,
    /// Stored picture size.
    pub width: u32,
    pub height: u32,
    /// Clockwise rotation to apply for display (0, 90, 180, 270).
    pub rotation: u16,
    /// Seconds of picture from the first frame to the end of the last.
    pub duration: f64,
    /// Nominal frames per second (variable-rate files play by timestamps).
    pub frame_rate: f64,
    pub has_audio: bool,
    pub codec: String,
}

impl Info {
    /// Size as displayed (after rotation).
    pub fn display_size(&self) -> (u32, u32) {
        if self.rotation % 180 == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Open `path`, check that its video decodes, and measure it. Reads the
/// whole file once (without decoding): a cut-off file is refused here
/// rather than freezing halfway through its slot.
pub fn probe(path: &Path) -> Result<Info, String> {
    use std::os::unix::ffi::OsStrExt;
    let api = super::lib::api()?;
    let bytes = path.as_os_str().as_bytes();
    let (mut info, mut err) = (abi::Info::default(), abi::Error::default());
    // SAFETY: the path's bytes, and values of ours to write into.
    #[allow(unsafe_code)]
    let ok = unsafe { (api.probe)(bytes.as_ptr(), bytes.len(), &mut info, &mut err) };
    if !ok {
        return Err(err.text());
    }
    let codec = String::from_utf8_lossy(&info.codec[..(info.codec_len as usize).min(info.codec.len())]).into_owned();
    Ok(Info {
        path: path.to_path_buf(),
        width: info.width,
        height: info.height,
        rotation: info.rotation as u16,
        duration: info.duration,
        frame_rate: info.frame_rate,
        has_audio: info.has_audio != 0,
        codec,
    })
}
