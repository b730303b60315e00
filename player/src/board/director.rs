//! The render thread's side of a managed board: which screen to show now
//! (pairing code, the scheduled layout, standby, display off), at which
//! brightness, and what actually played (proof of play, status, pictures
//! for the manager). It never waits for the network: the agent
//! ([`super::agent`]) hands it verified, complete shows through a channel.

use super::playlog::PlayLog;
use super::{FromScreen, ShotKind, ShotRequest, ToScreen};
use crate::scene::Scene;
use bangtin_layouts::show::Show;
use bangtin_layouts::wire::{PlayEvent, PlayKind, ZoneNow};
use bangtin_layouts::{ItemKind, Layout};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use image::RgbaImage;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A verified show whose media are all cached, with its layouts validated
/// against the media folder.
#[derive(Debug)]
pub struct Installed {
    pub show: Show,
    pub layouts: HashMap<String, Layout>,
    /// Layouts that did not validate (each names the field); their slots
    /// show the standby screen.
    pub problems: Vec<String>,
    pub tz: Tz,
}

impl Installed {
    pub fn new(show: Show, media_dir: &Path) -> Installed {
        let mut layouts = HashMap::new();
        let mut problems = Vec::new();
        for (k, raw) in &show.layouts {
            match bangtin_layouts::validate(raw, media_dir) {
                Ok(l) => {
                    layouts.insert(k.clone(), l);
                }
                Err(ps) => {
                    for p in ps {
                        problems.push(format!("bố cục {k}: {}: {}", p.path, p.message));
                    }
                }
            }
        }
        let tz = show.timezone.parse().unwrap_or(bangtin_layouts::time::DEFAULT_TZ);
        Installed {
            show,
            layouts,
            problems,
            tz,
        }
    }

    pub fn version(&self) -> u64 {
        self.show.version
    }

    /// The layout key scheduled at `now` (None: nothing scheduled, or
    /// outside the show's validity).
    pub fn layout_key_at(&self, now: DateTime<Utc>) -> Option<&str> {
        if now < self.show.valid_from || now >= self.show.valid_until {
            return None;
        }
        self.show
            .slots
            .iter()
            .find(|s| s.start <= now && now < s.end)
            .and_then(|s| s.layout.as_deref())
    }

    /// Display on, and brightness percent, at `now`.
    pub fn display_at(&self, now: DateTime<Utc>) -> (bool, u8) {
        let local = now.with_timezone(&self.tz).time();
        let d = &self.show.display;
        (d.is_on(local), d.brightness_at(local))
    }
}

/// What is on screen; a change means a new scene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenKey {
    /// The pairing code, until an officer claims the board.
    Pairing(String),
    /// Waiting for the first show (claimed, nothing cached yet).
    Waiting,
    /// Nothing scheduled now: the standby screen, never black.
    Standby,
    Show {
        version: u64,
        layout: String,
    },
    /// The display plan says off.
    Off,
}

/// The board's status as the render thread sees it, for heartbeats.
#[derive(Debug, Clone, Default)]
pub struct ScreenStatus {
    pub show_version: u64,
    pub show_since: Option<DateTime<Utc>>,
    pub layout: Option<String>,
    pub zones: Vec<ZoneNow>,
    pub fps: f64,
    pub frames: u64,
    pub dropped_frames: u64,
    pub display_on: bool,
    pub brightness: u8,
    pub errors: Vec<String>,
}

/// Shared between the render thread (writes) and the agent (reads).
#[derive(Debug, Default)]
pub struct Shared {
    pub status: Mutex<ScreenStatus>,
}

/// One zone's item on screen, for proof of play.
#[derive(Debug, Clone, PartialEq)]
struct Playing {
    index: usize,
    started: f64,
    /// When it ends as far as known at the last look (a lone looping
    /// item's run grows as time goes on).
    ends: f64,
}

impl Playing {
    /// A play is one item from one start.
    fn key(&self) -> (usize, u64) {
        (self.index, self.started.to_bits())
    }
}

impl From<bangtin_layouts::Showing> for Playing {
    fn from(s: bangtin_layouts::Showing) -> Playing {
        Playing {
            index: s.index,
            started: s.started,
            ends: s.ends,
        }
    }
}

impl std::fmt::Debug for Director {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Director").finish_non_exhaustive()
    }
}

pub struct Director {
    inbox: std::sync::mpsc::Receiver<ToScreen>,
    outbox: tokio::sync::mpsc::UnboundedSender<FromScreen>,
    pub shared: Arc<Shared>,
    playlog: Arc<Mutex<PlayLog>>,
    installed: Option<Arc<Installed>>,
    pairing: Option<String>,
    claimed: bool,
    size: [u32; 2],
    name: String,
    on_screen: Option<ScreenKey>,
    force_rebuild: bool,
    playing: Vec<Option<Playing>>,
    shots: Vec<ShotRequest>,
    restart: bool,
    fps_window: (Instant, u64),
    announce: bool,
    staged: Option<Staged>,
}

/// Status fields of a new screen, applied with its first frame.
#[derive(Debug)]
struct Staged {
    layout: Option<String>,
    version: Option<u64>,
    since: Option<DateTime<Utc>>,
    display_on: bool,
}

impl Director {
    pub fn new(
        inbox: std::sync::mpsc::Receiver<ToScreen>,
        outbox: tokio::sync::mpsc::UnboundedSender<FromScreen>,
        shared: Arc<Shared>,
        playlog: Arc<Mutex<PlayLog>>,
        size: [u32; 2],
    ) -> Director {
        Director {
            inbox,
            outbox,
            shared,
            playlog,
            installed: None,
            pairing: None,
            claimed: false,
            size,
            name: "Bảng tin điện tử".into(),
            on_screen: None,
            force_rebuild: false,
            playing: Vec::new(),
            shots: Vec::new(),
            restart: false,
            fps_window: (Instant::now(), 0),
            announce: false,
            staged: None,
        }
    }

    /// Start from a show found in the local cache (offline start).
    pub fn with_show(mut self, show: Arc<Installed>) -> Director {
        self.claimed = true;
        self.installed = Some(show);
        self
    }

    pub fn restart_requested(&self) -> bool {
        self.restart
    }

    /// Handle what the agent sent; decide the screen for `now`. Returns the
    /// layout to show when the scene must change.
    pub fn tick(&mut self, now: DateTime<Utc>, scene: Option<(&Scene, f64)>) -> Option<(Layout, ScreenKey)> {
        while let Ok(m) = self.inbox.try_recv() {
            match m {
                ToScreen::Pairing(code) => self.pairing = Some(code),
                ToScreen::Claimed => {
                    self.pairing = None;
                    self.claimed = true;
                }
                ToScreen::Show(s) => {
                    self.claimed = true;
                    self.pairing = None;
                    self.installed = Some(s);
                }
                ToScreen::Shot(r) => self.shots.push(r),
                ToScreen::Reload => self.force_rebuild = true,
                ToScreen::Restart => self.restart = true,
            }
        }
        let key = self.wanted(now);
        if self.on_screen.as_ref() == Some(&key) && !self.force_rebuild {
            return None;
        }
        self.force_rebuild = false;
        // Whatever played until now was cut short.
        if let Some((scene, t)) = scene {
            self.interrupt(scene, t);
        }
        let layout = self.layout_for(&key);
        let show_changed = match (&self.on_screen, &key) {
            (Some(ScreenKey::Show { version: a, .. }), ScreenKey::Show { version: b, .. }) => a != b,
            (_, ScreenKey::Show { .. }) => true,
            _ => false,
        };
        // Applied with the first frame's zones, so a heartbeat never
        // pairs the new show with the old zones.
        self.staged = Some(Staged {
            layout: match &key {
                ScreenKey::Show { layout, .. } => Some(layout.clone()),
                _ => None,
            },
            version: match &key {
                ScreenKey::Show { version, .. } => Some(*version),
                _ => None,
            },
            since: show_changed.then_some(now),
            display_on: key != ScreenKey::Off,
        });
        tracing::info!("màn hình: {key:?} (screen)");
        self.on_screen = Some(key.clone());
        self.playing.clear();
        // Told to the manager once the first frame shows what plays.
        self.announce = true;
        Some((layout, key))
    }

    fn status(&self) -> std::sync::MutexGuard<'_, ScreenStatus> {
        self.shared.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wanted(&self, now: DateTime<Utc>) -> ScreenKey {
        if let Some(code) = &self.pairing {
            return ScreenKey::Pairing(code.clone());
        }
        let Some(inst) = &self.installed else {
            return if self.claimed {
                ScreenKey::Waiting
            } else {
                ScreenKey::Pairing(String::new())
            };
        };
        if !inst.display_at(now).0 {
            return ScreenKey::Off;
        }
        match inst.layout_key_at(now) {
            Some(k) if inst.layouts.contains_key(k) => ScreenKey::Show {
                version: inst.version(),
                layout: k.to_string(),
            },
            _ => ScreenKey::Standby,
        }
    }

    /// Brightness now, as the fraction of black laid over the picture.
    pub fn dim(&mut self, now: DateTime<Utc>) -> f32 {
        let pct = self.installed.as_ref().map_or(100, |i| i.display_at(now).1);
        self.status().brightness = pct;
        1.0 - f32::from(pct) / 100.0
    }

    /// Wall-clock instant at which the screen may next change by schedule.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let inst = self.installed.as_ref()?;
        let slot_end = inst
            .show
            .slots
            .iter()
            .find(|s| s.start <= now && now < s.end)
            .map(|s| s.end);
        let local = now.with_timezone(&inst.tz).time();
        let display = now + chrono::TimeDelta::seconds(i64::from(inst.show.display.seconds_to_next_change(local)));
        Some(slot_end.map_or(display, |e| e.min(display)))
    }

    fn layout_for(&self, key: &ScreenKey) -> Layout {
        match key {
            ScreenKey::Show { layout, .. } => self
                .installed
                .as_ref()
                .and_then(|i| i.layouts.get(layout))
                .cloned()
                .unwrap_or_else(|| screens::standby(self.size, &self.name)),
            ScreenKey::Pairing(code) => screens::pairing(self.size, code),
            ScreenKey::Waiting => screens::waiting(self.size),
            ScreenKey::Standby => screens::standby(self.size, &self.name),
            ScreenKey::Off => screens::off(self.size),
        }
    }

    /// After a frame of `scene` at scene time `t`: proof of play, status.
    pub fn observe(&mut self, scene: &Scene, t: f64, drawn: bool, late: bool) {
        if drawn {
            self.fps_window.1 += 1;
            let mut st = self.status();
            st.frames += 1;
            if late {
                st.dropped_frames += 1;
            }
        }
        let el = self.fps_window.0.elapsed().as_secs_f64();
        if el >= 5.0 {
            let fps = self.fps_window.1 as f64 / el;
            self.status().fps = (fps * 10.0).round() / 10.0;
            self.fps_window = (Instant::now(), 0);
        }
        let Some(ScreenKey::Show { version, layout }) = self.on_screen.clone() else {
            self.apply_staged(Some(Vec::new()));
            self.announce_change();
            return;
        };
        let n = scene.layout.zones.len();
        if self.playing.len() != n {
            self.playing = vec![None; n];
        }
        let mut events = Vec::new();
        let mut changed = false;
        for zi in 0..n {
            let at_t = scene.zone_state(zi, t).current.map(Playing::from);
            if at_t.as_ref().map(Playing::key) == self.playing[zi].as_ref().map(Playing::key) {
                continue;
            }
            changed = true;
            // Walk the plays between the last look and now, so a short
            // item between two looks is still recorded.
            let mut cursor = self.playing[zi].as_ref().map_or(t, |p| p.started.clamp(0.0, t));
            for _ in 0..10_000 {
                let cur = scene.zone_state(zi, cursor).current.map(Playing::from);
                if cur.as_ref().map(Playing::key) != self.playing[zi].as_ref().map(Playing::key) {
                    if let Some(prev) = self.playing[zi].take() {
                        // A play ends where the next begins.
                        let end_t = cur.as_ref().map_or(cursor, |c| c.started.max(prev.started)).min(t);
                        events.push(self.event(scene, zi, &prev, PlayKind::End, end_t, version, &layout));
                    }
                    if let Some(c) = &cur {
                        events.push(self.event(scene, zi, c, PlayKind::Start, c.started, version, &layout));
                    }
                    self.playing[zi] = cur.clone();
                }
                if cur.as_ref().map(Playing::key) == at_t.as_ref().map(Playing::key) {
                    break;
                }
                cursor = match cur {
                    Some(c) if c.ends.is_finite() && c.ends > cursor && c.ends <= t => c.ends,
                    _ => t,
                };
            }
        }
        if !events.is_empty() {
            self.record(events);
        }
        let zones = changed.then(|| self.zones_now(scene));
        self.apply_staged(zones);
        self.announce_change();
    }

    fn apply_staged(&mut self, zones: Option<Vec<ZoneNow>>) {
        let staged = self.staged.take();
        let mut st = self.status();
        if let Some(z) = zones {
            st.zones = z;
        }
        if let Some(s) = staged {
            st.layout = s.layout;
            if let Some(v) = s.version {
                st.show_version = v;
            }
            if let Some(t) = s.since {
                st.show_since = Some(t);
            }
            st.display_on = s.display_on;
        }
    }

    fn announce_change(&mut self) {
        if std::mem::take(&mut self.announce) {
            let _ = self.outbox.send(FromScreen::Changed);
        }
    }

    fn zones_now(&self, scene: &Scene) -> Vec<ZoneNow> {
        scene
            .layout
            .zones
            .iter()
            .zip(&self.playing)
            .map(|(z, p)| match p {
                Some(p) => {
                    let (kind, label) = describe(&z.items[p.index].kind);
                    ZoneNow {
                        zone: z.id.clone(),
                        item: Some(p.index),
                        kind,
                        label,
                    }
                }
                None => ZoneNow {
                    zone: z.id.clone(),
                    item: None,
                    kind: "none".into(),
                    label: String::new(),
                },
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        scene: &Scene,
        zi: usize,
        p: &Playing,
        kind: PlayKind,
        at_t: f64,
        version: u64,
        layout: &str,
    ) -> PlayEvent {
        let z = &scene.layout.zones[zi];
        let (item_kind, label) = describe(&z.items[p.index].kind);
        PlayEvent {
            seq: 0,
            kind,
            at: scene.wall(at_t),
            started: scene.wall(p.started),
            show_version: version,
            layout: layout.to_string(),
            zone: z.id.clone(),
            item: p.index,
            item_kind,
            label,
        }
    }

    /// Everything on screen stops now (another screen, or the player stops).
    pub fn interrupt(&mut self, scene: &Scene, t: f64) {
        let Some(ScreenKey::Show { version, layout }) = self.on_screen.clone() else {
            self.playing.clear();
            return;
        };
        // First record what ended normally before `t`.
        self.observe(scene, t, false, false);
        let mut events = Vec::new();
        for zi in 0..self.playing.len().min(scene.layout.zones.len()) {
            if let Some(p) = self.playing[zi].take() {
                events.push(self.event(scene, zi, &p, PlayKind::Interrupted, t, version, &layout));
            }
        }
        self.playing.clear();
        self.record(events);
    }

    fn record(&mut self, events: Vec<PlayEvent>) {
        if events.is_empty() {
            return;
        }
        let r = self.playlog.lock().unwrap_or_else(|e| e.into_inner()).append(events);
        if let Err(e) = r {
            self.error(format!("{e:#}"));
        }
    }

    /// Note a problem for the next heartbeat (each message once per beat).
    pub fn error(&self, msg: String) {
        tracing::error!("{msg}");
        let mut st = self.status();
        if !st.errors.contains(&msg) && st.errors.len() < 50 {
            st.errors.push(msg);
        }
    }

    /// Pictures the agent asked for since the last frame.
    pub fn take_shots(&mut self) -> Vec<ShotRequest> {
        std::mem::take(&mut self.shots)
    }

    /// Encode and send a picture of the frame on screen.
    pub fn deliver(&self, req: ShotRequest, img: &RgbaImage) {
        let img = match req.kind {
            ShotKind::Full => img.clone(),
            ShotKind::Thumb => {
                let w = bangtin_layouts::wire::THUMBNAIL_WIDTH.min(img.width());
                let h = (u64::from(img.height()) * u64::from(w) / u64::from(img.width().max(1))).max(1) as u32;
                image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle)
            }
        };
        let mut png = Vec::new();
        match img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png) {
            Ok(()) => {
                tracing::debug!("ảnh chụp {:?}: {} byte (screenshot taken)", req.kind, png.len());
                let _ = self.outbox.send(FromScreen::Shot { req, png });
            }
            Err(e) => self.error(format!("không mã hóa được ảnh chụp màn hình: {e} (screenshot)")),
        }
    }
}

/// Item kind and a label for people.
pub fn describe(k: &ItemKind) -> (String, String) {
    let label = match k {
        ItemKind::Image { src, .. } | ItemKind::Video { src, .. } => src.written.clone(),
        ItemKind::Text { title, body, .. } => title.clone().or_else(|| body.clone()).unwrap_or_default(),
        ItemKind::Ticker { text, .. } => text.clone(),
        ItemKind::Clock { .. } => "đồng hồ".into(),
        ItemKind::Qr { data, .. } => data.clone(),
    };
    let label: String = label.chars().take(120).collect();
    (k.type_name().to_string(), label)
}

/// The screens a board shows on its own.
pub mod screens {
    use bangtin_layouts::Layout;
    use std::path::Path;

    fn esc(s: &str) -> String {
        s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
    }

    fn build(toml: String) -> Layout {
        bangtin_layouts::parse_layout(&toml, Path::new("(bảng tin)"), Path::new("."))
            .unwrap_or_else(|e| panic!("built-in screen does not validate: {e}\n{toml}"))
    }

    fn scaled(size: [u32; 2], px: f32) -> f32 {
        // Sizes below are for a 1920×1080 board.
        let s = (size[0] as f32 / 1920.0).min(size[1] as f32 / 1080.0);
        (px * s).max(8.0).round()
    }

    fn head(size: [u32; 2], bg: &str) -> String {
        format!(
            "[board]\nname = \"Bangtin\"\nwidth = {}\nheight = {}\nbackground = \"{bg}\"\n\n",
            size[0], size[1]
        )
    }

    /// The pairing code, large, with what to do with it.
    pub fn pairing(size: [u32; 2], code: &str) -> Layout {
        let [w, h] = size;
        let (title, body) = if code.is_empty() {
            (
                "Đang kết nối máy chủ quản lý…".to_string(),
                "Bảng tin đang xin mã ghép nối.\nConnecting to the manager.".to_string(),
            )
        } else {
            (
                code.to_string(),
                "Mã ghép nối bảng tin — cán bộ xã nhập mã này trong trang quản lý để nhận bảng.\n\
                 Pairing code: enter it in the manager to claim this board."
                    .to_string(),
            )
        };
        build(format!(
            "{}[[zone]]\nid = \"ma\"\nx = 0\ny = 0\nwidth = {w}\nheight = {h}\n\n\
             [[zone.item]]\ntype = \"text\"\ntitle = \"{}\"\ntitle_size = {}\ntitle_color = \"#ffd54f\"\n\
             body = \"{}\"\nsize = {}\ncolor = \"#ffffff\"\nalign = \"center\"\nvalign = \"middle\"\n",
            head(size, "#0b3d91"),
            esc(&title),
            scaled(size, 160.0),
            esc(&body),
            scaled(size, 40.0),
        ))
    }

    pub fn waiting(size: [u32; 2]) -> Layout {
        standby_with(size, "Đang tải chương trình từ máy chủ quản lý…")
    }

    /// Nothing scheduled: the name of the system and the time.
    pub fn standby(size: [u32; 2], name: &str) -> Layout {
        standby_with(size, name)
    }

    fn standby_with(size: [u32; 2], title: &str) -> Layout {
        let [w, h] = size;
        let top = h * 3 / 5;
        build(format!(
            "{}[[zone]]\nid = \"ten\"\nx = 0\ny = 0\nwidth = {w}\nheight = {top}\n\n\
             [[zone.item]]\ntype = \"text\"\ntitle = \"{}\"\ntitle_size = {}\ntitle_color = \"#ffffff\"\n\
             align = \"center\"\nvalign = \"bottom\"\n\n\
             [[zone]]\nid = \"gio\"\nx = 0\ny = {top}\nwidth = {w}\nheight = {}\n\n\
             [[zone.item]]\ntype = \"clock\"\nformat = \"datetime\"\nsize = {}\ncolor = \"#ffd54f\"\n",
            head(size, "#102a43"),
            esc(title),
            scaled(size, 72.0),
            h - top,
            scaled(size, 56.0),
        ))
    }

    /// Display off: black.
    pub fn off(size: [u32; 2]) -> Layout {
        build(head(size, "#000000"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_screens_validate_at_every_board_size() {
        for size in [[192, 96], [384, 192], [1920, 1080], [1080, 1920], [3840, 2160]] {
            screens::pairing(size, "K7QX-4MRT");
            screens::pairing(size, "");
            screens::standby(size, "Bảng tin \"xã\"");
            screens::waiting(size);
            screens::off(size);
        }
    }
}
