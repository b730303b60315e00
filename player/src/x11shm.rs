//! Damage-only presentation to an X11 window.
//!
//! On a board without a GPU, wgpu renders with lavapipe and Mesa's software
//! swapchain sends every full frame through the X socket (8 MB at 1080p).
//! Like Chromium's software compositor, we send only the rectangles that
//! changed — the ticker band 60 times a second, the clock once a second —
//! through MIT-SHM shared memory, so neither we nor the X server copy a
//! full frame after the first. Falls back to plain PutImage where shared
//! memory is unavailable (a remote display).

use anyhow::{Context, Result, anyhow};
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{self, ConnectionExt as _, ImageFormat};
use x11rb::rust_connection::RustConnection;

struct Segment {
    seg: shm::Seg,
    map: memmap2::MmapMut,
}

/// Puts BGRX pixels into one X11 window.
pub struct X11Present {
    conn: RustConnection,
    window: xproto::Window,
    gc: xproto::Gcontext,
    depth: u8,
    shm: Option<Segment>,
    shm_ok: bool,
    max_request_bytes: usize,
}

impl std::fmt::Debug for X11Present {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Present")
            .field("window", &self.window)
            .field("shm", &self.shm_ok)
            .finish_non_exhaustive()
    }
}

impl X11Present {
    /// Open our own connection to the display and draw into `window`
    /// (created by winit on the same display).
    pub fn new(window: u32) -> Result<Self> {
        let (conn, _) = x11rb::connect(None).context("không kết nối được máy chủ X (cannot connect to X)")?;
        let geom = conn
            .get_geometry(window)?
            .reply()
            .context("cửa sổ X không tồn tại (no such X window)")?;
        if geom.depth != 24 && geom.depth != 32 {
            return Err(anyhow!(
                "cửa sổ X có độ sâu màu {} (need 24 or 32-bit visual)",
                geom.depth
            ));
        }
        let gc = conn.generate_id()?;
        conn.create_gc(gc, window, &xproto::CreateGCAux::new().graphics_exposures(0))?;
        let shm_ok = match conn.shm_query_version() {
            Ok(c) => c.reply().is_ok_and(|v| (v.major_version, v.minor_version) >= (1, 2)),
            Err(_) => false,
        };
        let max_request_bytes = conn.maximum_request_bytes();
        tracing::debug!("X11 present: depth {}, MIT-SHM 1.2: {shm_ok}", geom.depth);
        Ok(X11Present {
            conn,
            window,
            gc,
            depth: geom.depth,
            shm: None,
            shm_ok,
            max_request_bytes,
        })
    }

    pub fn uses_shm(&self) -> bool {
        self.shm_ok
    }

    fn segment(&mut self, bytes: usize) -> Result<&mut Segment> {
        let big_enough = self.shm.as_ref().is_some_and(|s| s.map.len() >= bytes);
        if !big_enough {
            if let Some(old) = self.shm.take() {
                self.conn.shm_detach(old.seg)?;
            }
            // Round up to 64 KiB so slightly larger rectangles fit too.
            let size = bytes.next_multiple_of(1 << 16);
            let seg = self.conn.generate_id()?;
            let reply = self
                .conn
                .shm_create_segment(seg, u32::try_from(size)?, false)?
                .reply()
                .context("MIT-SHM CreateSegment failed")?;
            let file = std::fs::File::from(reply.shm_fd);
            // SAFETY: the segment is private to us and the X server; the
            // server only reads it between our PutImage and the round trip
            // that follows it in `put`, and we write only outside that.
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::MmapMut::map_mut(&file) }.context("mmap of MIT-SHM segment failed")?;
            self.shm = Some(Segment { seg, map });
        }
        Ok(self.shm.as_mut().expect("created above"))
    }

    /// Put a `w`×`h` rectangle at (x, y). `fill` writes its rows, tightly
    /// packed BGRX, into the buffer it is given.
    pub fn put(&mut self, x: i16, y: i16, w: u16, h: u16, fill: impl FnOnce(&mut [u8]) -> Result<()>) -> Result<()> {
        let bytes = usize::from(w) * usize::from(h) * 4;
        if bytes == 0 {
            return Ok(());
        }
        if self.shm_ok {
            let (window, gc, depth) = (self.window, self.gc, self.depth);
            let seg = self.segment(bytes)?;
            fill(&mut seg.map[..bytes])?;
            let id = seg.seg;
            self.conn.shm_put_image(
                window,
                gc,
                w,
                h,
                0,
                0,
                w,
                h,
                x,
                y,
                depth,
                ImageFormat::Z_PIXMAP.into(),
                false,
                id,
                0,
            )?;
        } else {
            let mut buf = vec![0u8; bytes];
            fill(&mut buf)?;
            // Split into requests the server accepts.
            let row = usize::from(w) * 4;
            let rows_per = ((self.max_request_bytes - 64) / row).max(1);
            for (i, chunk) in buf.chunks(rows_per * row).enumerate() {
                let ch = (chunk.len() / row) as u16;
                self.conn.put_image(
                    ImageFormat::Z_PIXMAP,
                    self.window,
                    self.gc,
                    w,
                    ch,
                    x,
                    y + (i * rows_per) as i16,
                    0,
                    self.depth,
                    chunk,
                )?;
            }
        }
        // A round trip: once answered, the server has consumed the image,
        // so the segment may be written again.
        self.conn
            .get_input_focus()?
            .reply()
            .context("máy chủ X không phản hồi (X server gone)")?;
        Ok(())
    }
}

impl Drop for X11Present {
    fn drop(&mut self) {
        if let Some(s) = self.shm.take() {
            let _ = self.conn.shm_detach(s.seg);
        }
        let _ = self.conn.free_gc(self.gc);
        let _ = self.conn.flush();
    }
}

/// Keep an X11 display awake: no screen saver, no DPMS power-down. A board
/// must never go dark by itself (scheduled display-off comes from the
/// manager, not from an idle timer). Best effort: logs and carries on.
pub fn keep_awake() {
    use x11rb::protocol::dpms::ConnectionExt as _;
    let result = (|| -> Result<()> {
        let (conn, _) = x11rb::connect(None)?;
        conn.set_screen_saver(0, 0, xproto::Blanking::NOT_PREFERRED, xproto::Exposures::DEFAULT)?;
        if conn
            .extension_information(x11rb::protocol::dpms::X11_EXTENSION_NAME)?
            .is_some()
            && conn.dpms_capable()?.reply()?.capable
        {
            conn.dpms_disable()?;
        }
        conn.get_input_focus()?.reply()?;
        Ok(())
    })();
    match result {
        Ok(()) => tracing::debug!("đã tắt bảo vệ màn hình và DPMS (screen saver and DPMS off)"),
        Err(e) => tracing::warn!("không tắt được bảo vệ màn hình (could not disable screen saver): {e:#}"),
    }
}
