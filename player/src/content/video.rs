//! Video items: decoded by [`crate::video`] on their own threads, drawn
//! as YUV planes converted on the GPU, paced by the playlist's clock.
//!
//! Gapless by construction: the scene asks the next item of a zone to
//! [`VideoContent::warm`] up a few seconds before its turn, so its first
//! pictures are decoded and waiting when the current item ends; a looping
//! clip's decoder runs into the next pass ahead of time. A file that
//! cannot be played is left out of the playlist when the layout is
//! prepared; one that fails mid-play holds its last picture until the end
//! of its slot.

use super::{CachedText, Moment, Motion, paint_unavailable};
use crate::audio::AudioOut;
use crate::render::{Painter, RectF, YuvTex};
use crate::video::{Info, Session, SessionPlan, ToDisplay};
use bangtin_layouts::{Fit, ItemKind};
use std::sync::Arc;
use std::time::Duration;

/// How long a live board waits for the first picture of a run it did not
/// see coming (it normally was warmed up before).
const FIRST_PICTURE_WAIT: Duration = Duration::from_millis(150);

#[derive(Debug)]
struct Run {
    id: u64,
    session: Session,
}

#[derive(Debug)]
pub struct VideoContent {
    info: Result<Arc<Info>, String>,
    fit: Fit,
    looping: bool,
    mute: bool,
    volume: f32,
    start: f64,
    run: Option<Run>,
    next: Option<Run>,
    tex: Option<YuvTex>,
    /// (generation, time) of the picture in `tex`.
    shown: Option<(u64, u64)>,
    /// A failure while playing.
    failed: Option<String>,
    /// `failed` was handed to the board's reports.
    reported: bool,
    /// CPU conversion for boards without a GPU (see [`ToDisplay`]).
    to_display: ToDisplay,
    label: CachedText,
}

impl VideoContent {
    pub fn new(kind: &ItemKind) -> Self {
        let (info, fit, looping, mute, volume, start) = match kind {
            ItemKind::Video {
                src,
                fit,
                looping,
                mute,
                volume,
                start,
            } => (
                crate::video::probe(&src.path).map(Arc::new),
                *fit,
                *looping,
                *mute,
                *volume,
                *start,
            ),
            _ => (
                Err("không phải video (not a video)".into()),
                Fit::Fit,
                false,
                true,
                0.0,
                0.0,
            ),
        };
        let info = info.and_then(|i| {
            if start >= i.duration {
                Err(format!(
                    "điểm bắt đầu {start} s nằm sau cuối video {} ({:.2} s) (start beyond the end)",
                    i.path.display(),
                    i.duration
                ))
            } else {
                Ok(i)
            }
        });
        VideoContent {
            info,
            fit,
            looping,
            mute,
            volume,
            start,
            run: None,
            next: None,
            tex: None,
            shown: None,
            failed: None,
            reported: false,
            to_display: ToDisplay::default(),
            label: CachedText::default(),
        }
    }

    /// Why this item cannot be played at all (it is left out of the playlist).
    pub fn unplayable(&self) -> Option<&str> {
        self.info.as_ref().err().map(String::as_str)
    }

    /// A failure met while playing.
    pub fn error(&self) -> Option<&str> {
        self.unplayable().or(self.failed.as_deref())
    }

    /// A failure met while playing, once (for the board's heartbeat).
    pub fn take_failure(&mut self) -> Option<String> {
        if self.reported {
            return None;
        }
        let f = self.failed.clone()?;
        self.reported = true;
        Some(f)
    }

    /// The clip's length from the start offset.
    pub fn natural_seconds(&self) -> Option<f64> {
        self.info.as_ref().ok().map(|i| i.duration - self.start)
    }

    fn plan(&self, info: &Arc<Info>, slot: f64, from: f64, live: bool) -> SessionPlan {
        let audio = (live && !self.mute && self.volume > 0.0 && info.has_audio)
            .then(AudioOut::open)
            .flatten()
            .map(|out| {
                let s = out.source();
                s.set_volume(self.volume);
                Arc::new(s)
            });
        SessionPlan {
            info: info.clone(),
            start: self.start,
            slot,
            looping: self.looping,
            from,
            audio,
        }
    }

    /// Start decoding the run `run` (of `slot` seconds per cycle) so that
    /// its first picture is ready when it begins.
    pub fn warm(&mut self, run: u64, slot: f64, live: bool) {
        let Ok(info) = &self.info else { return };
        if self.run.as_ref().is_some_and(|r| r.id == run) || self.next.as_ref().is_some_and(|r| r.id == run) {
            return;
        }
        let plan = self.plan(info, slot, 0.0, live);
        self.next = Some(Run {
            id: run,
            session: Session::start(plan),
        });
    }

    /// Not on screen and not next: stop decoding, free the pictures.
    pub fn idle(&mut self) {
        self.run = None;
        self.next = None;
        self.tex = None;
        self.shown = None;
    }

    /// Session time for a moment: a run's own clock, held at its last
    /// instant while it fades out under the next item.
    fn session_time(m: &Moment) -> f64 {
        if m.run_len.is_finite() && m.local >= m.run_len {
            (m.run_len - 1e-3).max(0.0)
        } else {
            m.local
        }
    }

    fn session(&mut self, m: &Moment) -> Option<&mut Session> {
        let info = self.info.as_ref().ok()?.clone();
        if self.run.as_ref().is_none_or(|r| r.id != m.run) {
            self.run = match self.next.take() {
                Some(r) if r.id == m.run => Some(r),
                other => {
                    self.next = other;
                    let plan = self.plan(&info, m.slot, Self::session_time(m), m.live);
                    Some(Run {
                        id: m.run,
                        session: Session::start(plan),
                    })
                }
            };
        }
        self.run.as_mut().map(|r| &mut r.session)
    }

    /// Bring the run of `m` to its picture for that instant (and the
    /// sound's clock with it).
    fn step(&mut self, m: &Moment) -> bool {
        let w = Self::session_time(m);
        let Some(session) = self.session(m) else { return false };
        let first = session.current().is_none();
        let wait = match (m.live, first) {
            (false, _) => None,
            (true, true) => Some(FIRST_PICTURE_WAIT),
            (true, false) => Some(Duration::ZERO),
        };
        let result = session.advance(w, wait);
        if let Some(a) = &session.plan().audio {
            // `w` stands for the frame's own instant (taken when the frame
            // started, before any wait), not for whenever this line runs.
            a.set_clock(w, m.at.unwrap_or_else(std::time::Instant::now), true);
        }
        if let Err(e) = result
            && self.failed.is_none()
        {
            tracing::error!("{e}");
            self.failed = Some(e);
        }
        self.run.as_ref().is_some_and(|r| r.session.current().is_some())
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF, m: Moment) {
        if self.info.is_err() {
            paint_unavailable(p, area, &mut self.label);
            return;
        }
        let Some(frame) = self
            .step(&m)
            .then(|| self.run.as_ref().and_then(|r| r.session.current()))
            .flatten()
        else {
            // Nothing decoded yet (or ever): the zone's background shows.
            return;
        };
        let key = (frame.generation, frame.t.to_bits());
        let Some(info) = self.info.as_ref().ok() else { return };
        if self.tex.as_ref().is_none_or(|t| !t.fits(frame)) {
            self.tex = Some(p.renderer().video_texture(frame.width(), frame.height(), info.rotation));
            self.shown = None;
        }
        let Some(tex) = &mut self.tex else { return };
        if self.shown != Some(key) {
            tex.upload(&p.renderer().gpu, frame);
            self.shown = Some(key);
        }
        let (dw, dh) = if info.rotation % 180 == 90 {
            (frame.height(), frame.width())
        } else {
            (frame.width(), frame.height())
        };
        let (dst, uv) = super::image::place(self.fit, dw, dh, area);
        p.video(tex, dst, uv, 1.0);
    }

    /// Whether this video covers all of `area` without cropping or turning,
    /// so it can go straight to a display buffer (see [`Self::paint_direct`]).
    pub fn covers_exactly(&self, area: RectF) -> bool {
        let Ok(info) = &self.info else { return false };
        if info.rotation != 0 {
            return false;
        }
        let (a, b) = (area.w / area.h, info.width as f32 / info.height as f32);
        self.fit == Fit::Stretch || (a - b).abs() / a < 0.005
    }

    /// Bring the picture for `m` up for [`Self::write_direct`]; false if
    /// there is none yet (the caller draws the zone on the GPU).
    pub fn ready_direct(&mut self, m: Moment) -> bool {
        self.step(&m)
    }

    /// Write the current picture as `w`×`h` BGRX rows into `buf`.
    pub fn write_direct(&mut self, w: u32, h: u32, buf: &mut [u8]) -> Result<(), String> {
        let frame = self
            .run
            .as_ref()
            .and_then(|r| r.session.current())
            .ok_or("chưa có hình (no picture)")?;
        // The GPU's copy of the planes (from a full redraw: the first
        // frame, a crossfade) is not drawn while pictures go straight to
        // the display; it comes back at the next GPU draw.
        self.tex = None;
        self.shown = None;
        self.to_display.convert(frame, w, h, buf)
    }

    /// When the picture changes next: the next decoded picture's instant,
    /// or every frame while the decoder has not said.
    pub fn motion(&self, m: Moment) -> Motion {
        let Some(run) = self.run.as_ref().filter(|r| r.id == m.run) else {
            return Motion::Continuous;
        };
        if m.run_len.is_finite() && m.local >= m.run_len {
            return Motion::Still;
        }
        match run.session.next_due() {
            Some(t) if t.is_finite() => Motion::At(m.wall + crate::secs((t - m.local).max(0.0))),
            Some(_) => Motion::Still,
            None if self.failed.is_some() => Motion::Still,
            None => Motion::Continuous,
        }
    }
}
