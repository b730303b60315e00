//! `libbangtin_video.so` (crate `player/video`), where FFmpeg is: opened
//! the first time a video is probed or played, never before, and kept for
//! the life of the program.
//!
//! Why: Debian's FFmpeg links ≈ 120 other libraries, all mapped and
//! relocated when a program linked with it starts — ≈ 20 MiB of a picture
//! board's memory for codecs it never uses (issue #14). A board whose show
//! has no video never opens it.
//!
//! Where it is looked for, first found wins:
//! 1. `$BANGTIN_VIDEO_LIB` (a path to the file);
//! 2. beside the program (`target/release/`, a build tree);
//! 3. one folder up (`target/debug/` for test programs in `deps/`);
//! 4. `../lib/bangtin/` from the program (the package: `/usr/bin` →
//!    `/usr/lib/bangtin/`).
//!
//! A board where it is missing or of another build plays everything else:
//! each video is skipped with the reason, as a broken file is.

#[path = "../../video/src/abi.rs"]
#[allow(dead_code)]
pub(crate) mod abi;

use std::path::PathBuf;
use std::sync::OnceLock;

/// The library's functions, once opened.
#[derive(Debug)]
pub(crate) struct Lib {
    pub api: &'static abi::Api,
    pub path: PathBuf,
    // Never unloaded: pictures and threads of it may outlive any owner.
    _lib: libloading::Library,
}

/// Where the library may be, in order.
fn candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("BANGTIN_VIDEO_LIB").filter(|p| !p.is_empty()) {
        v.push(PathBuf::from(p));
        return v;
    }
    if let Some(dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(PathBuf::from)) {
        v.push(dir.join(abi::LIB_FILE));
        if let Some(up) = dir.parent() {
            v.push(up.join(abi::LIB_FILE));
            v.push(up.join("lib/bangtin").join(abi::LIB_FILE));
        }
    }
    v
}

fn open() -> Result<Lib, String> {
    let places = candidates();
    let Some(path) = places.iter().find(|p| p.is_file()).cloned() else {
        let tried: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "không tìm thấy thư viện video {} (đã tìm: {}) — bảng tin không phát được video \
             (video library not found; build it with `cargo build -p bangtin-video`, or set BANGTIN_VIDEO_LIB)",
            abi::LIB_FILE,
            tried.join(", ")
        ));
    };
    // SAFETY: loading runs the library's initialisers: ours (none) and
    // FFmpeg's dependencies', which are ordinary C libraries. The symbol's
    // type is the one `player/video/src/lib.rs` exports, from the same
    // `abi.rs`; the version check below refuses a library of another build.
    #[allow(unsafe_code)]
    let (lib, api) = unsafe {
        let lib = libloading::Library::new(&path)
            .map_err(|e| format!("không nạp được thư viện video {}: {e} (cannot load)", path.display()))?;
        let entry = lib.get::<extern "C" fn() -> *const abi::Api>(abi::ENTRY).map_err(|e| {
            format!(
                "{} không phải thư viện video của Bangtin: {e} (not Bangtin's video library)",
                path.display()
            )
        })?;
        let api = entry();
        // The table is a `static` in the library, which stays loaded.
        let api: &'static abi::Api = &*api;
        (lib, api)
    };
    if api.abi != abi::ABI_VERSION {
        return Err(format!(
            "thư viện video {} thuộc bản dựng khác (giao diện {}, cần {}) (video library of another build)",
            path.display(),
            api.abi,
            abi::ABI_VERSION
        ));
    }
    (api.set_log)(log);
    tracing::info!("đã nạp thư viện video {} (video library loaded)", path.display());
    Ok(Lib { api, path, _lib: lib })
}

static LIB: OnceLock<Result<Lib, String>> = OnceLock::new();

/// The library's functions; it is opened at the first call.
pub(crate) fn api() -> Result<&'static abi::Api, String> {
    match LIB.get_or_init(|| {
        let r = open();
        if let Err(e) = &r {
            tracing::error!("{e}");
        }
        r
    }) {
        Ok(l) => Ok(l.api),
        Err(e) => Err(e.clone()),
    }
}

/// Where the library was opened from, if it was: a board that has shown
/// no video has not opened it (the memory tests check this).
pub fn loaded_from() -> Option<&'static std::path::Path> {
    LIB.get().and_then(|r| r.as_ref().ok()).map(|l| l.path.as_path())
}

extern "C" fn log(level: u32, msg: *const u8, len: usize) {
    // SAFETY: the library passes a UTF-8 string's bytes and length.
    #[allow(unsafe_code)]
    let bytes = unsafe { std::slice::from_raw_parts(msg, len) };
    let msg = String::from_utf8_lossy(bytes);
    match level {
        abi::LOG_ERROR => tracing::error!("{msg}"),
        abi::LOG_WARN => tracing::warn!("{msg}"),
        _ => tracing::debug!("{msg}"),
    }
}
