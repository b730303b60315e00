//! The render thread's side of a managed board: which screen to show now
//! (pairing code, an emergency alert, the scheduled layout, standby, display
//! off), at which brightness, and what actually played (proof of play,
//! status, pictures for the manager). It never waits for the network: the
//! agent ([`super::agent`]) hands it verified, complete shows and verified
//! alert sets through a channel.
//!
//! Emergencies come first, over everything the schedule says; several take
//! turns ([`super::turns`]). Priority and normal bulletins are shown in
//! rounds between the programme ([`super::rounds`]). What played is
//! recorded by [`super::proof`].

use super::playlog::PlayLog;
use super::proof::Plays;
use super::rounds::{Rounds, fingerprint};
use super::turns::Turns;
use super::{FromScreen, ShotKind, ShotRequest, ToScreen};
use super::{alert_screen, screens};
use crate::scene::Scene;
use bangtin_layouts::Layout;
use bangtin_layouts::alerts::{AlertLevel, AlertSet};
use bangtin_layouts::show::Show;
use bangtin_layouts::wire::{PlayEvent, ZoneNow};
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
    /// Pairing refused: the manager's key is not the pinned one.
    Refused,
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
    /// An emergency alert or a bulletin of a round, full-screen.
    /// `fingerprint` changes when the alert's content does (an update);
    /// `turn` is (index from 0, count) of the emergencies taking turns or
    /// of the bulletins of the round.
    /// `media`: its pictures and videos already on disk (a file arriving
    /// rebuilds the screen with it).
    Alert {
        id: String,
        level: AlertLevel,
        fingerprint: u64,
        turn: (usize, usize),
        media: Vec<String>,
    },
}

impl ScreenKey {
    /// What heartbeats report as the layout on screen: the show's layout
    /// key, or `alert:<id>` for an alert.
    pub fn layout_label(&self) -> Option<String> {
        match self {
            ScreenKey::Show { layout, .. } => Some(layout.clone()),
            ScreenKey::Alert { id, .. } => Some(format!("alert:{id}")),
            _ => None,
        }
    }
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

/// The screen as the render thread reports it, shared with the agent:
/// the render thread writes, the agent reads it for each heartbeat.
#[derive(Debug, Default)]
pub struct ScreenReport {
    pub status: Mutex<ScreenStatus>,
}

impl std::fmt::Debug for Director {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Director").finish_non_exhaustive()
    }
}

pub struct Director {
    inbox: std::sync::mpsc::Receiver<ToScreen>,
    outbox: tokio::sync::mpsc::UnboundedSender<FromScreen>,
    pub report: Arc<ScreenReport>,
    playlog: Arc<Mutex<PlayLog>>,
    installed: Option<Arc<Installed>>,
    pairing: Option<String>,
    /// Pairing was refused (wrong manager key) and not tried again yet.
    refused: bool,
    claimed: bool,
    size: [u32; 2],
    name: String,
    on_screen: Option<ScreenKey>,
    force_rebuild: bool,
    plays: Plays,
    shots: Vec<ShotRequest>,
    restart: bool,
    fps_window: (Instant, u64),
    announce: bool,
    staged: Option<Staged>,
    /// The newest verified alert set.
    alerts: Option<Arc<AlertSet>>,
    /// The emergencies in force taking turns.
    turns: Turns,
    /// Bulletin rounds.
    rounds: Rounds,
    /// Where the board keeps media files (alert pictures and videos are
    /// looked for there).
    media_dir: Option<std::path::PathBuf>,
    /// Alert media files on disk, complete.
    ready: std::collections::HashSet<String>,
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
        report: Arc<ScreenReport>,
        playlog: Arc<Mutex<PlayLog>>,
        size: [u32; 2],
    ) -> Director {
        Director {
            inbox,
            outbox,
            report,
            playlog,
            installed: None,
            pairing: None,
            refused: false,
            claimed: false,
            size,
            name: "Bảng tin điện tử".into(),
            on_screen: None,
            force_rebuild: false,
            plays: Plays::default(),
            shots: Vec::new(),
            restart: false,
            fps_window: (Instant::now(), 0),
            announce: false,
            staged: None,
            alerts: None,
            turns: Turns::default(),
            rounds: Rounds::default(),
            media_dir: None,
            ready: Default::default(),
        }
    }

    /// Where cached media files are: alert pictures and videos are shown
    /// once their file is there.
    pub fn with_media_dir(mut self, dir: std::path::PathBuf) -> Director {
        self.media_dir = Some(dir);
        self.refresh_ready();
        self
    }

    /// Look again which alert media files are complete on disk.
    fn refresh_ready(&mut self) {
        self.ready.clear();
        let (Some(dir), Some(set)) = (&self.media_dir, &self.alerts) else {
            return;
        };
        for m in set.alerts.iter().flat_map(|a| a.media.iter()) {
            if std::fs::metadata(dir.join(&m.sha256)).is_ok_and(|md| md.len() == m.size) {
                self.ready.insert(m.sha256.clone());
            }
        }
    }

    /// Start with an alert set found in the local cache (offline start: an
    /// emergency still in force shows at once).
    pub fn with_alerts(mut self, set: Arc<AlertSet>) -> Director {
        self.alerts = Some(set);
        self.refresh_ready();
        self
    }

    /// The alert set the director holds (the newest it was given).
    pub fn alerts(&self) -> Option<&Arc<AlertSet>> {
        self.alerts.as_ref()
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
                ToScreen::Pairing(code) => {
                    self.pairing = Some(code);
                    self.refused = false;
                }
                ToScreen::Refused => self.refused = true,
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
                ToScreen::Alerts(s) => {
                    // The agent only sends newer sets; a cached one given at
                    // start must not replace a newer one either.
                    if self.alerts.as_ref().is_none_or(|a| s.version >= a.version) {
                        tracing::info!(
                            "bộ cảnh báo v{}: {} khẩn cấp đang hiệu lực (alert set on screen side)",
                            s.version,
                            s.emergencies(now).len()
                        );
                        self.alerts = Some(s);
                        self.refresh_ready();
                    }
                }
                ToScreen::AlertMedia => self.refresh_ready(),
                ToScreen::Reload => self.force_rebuild = true,
                ToScreen::Restart => self.restart = true,
            }
        }
        self.turns.update_turns(self.alerts.as_deref(), now);
        let open = self.pairing.is_none() && self.installed.is_some() && self.scheduled(now) != ScreenKey::Off;
        self.rounds.update_round(self.alerts.as_deref(), open, now, self.tz());
        let key = self.wanted(now);
        if self.on_screen.as_ref() == Some(&key) && !self.force_rebuild {
            return None;
        }
        self.force_rebuild = false;
        // Whatever played until now was cut short.
        if let Some((scene, t)) = scene {
            self.interrupt(scene, t);
        }
        let layout = self.layout_for(&key, now);
        let show_changed = match (&self.on_screen, &key) {
            (Some(ScreenKey::Show { version: a, .. }), ScreenKey::Show { version: b, .. }) => a != b,
            (_, ScreenKey::Show { .. }) => true,
            _ => false,
        };
        // Applied with the first frame's zones, so a heartbeat never
        // pairs the new show with the old zones.
        self.staged = Some(Staged {
            layout: key.layout_label(),
            version: match &key {
                ScreenKey::Show { version, .. } => Some(*version),
                _ => None,
            },
            since: show_changed.then_some(now),
            display_on: key != ScreenKey::Off,
        });
        tracing::info!("màn hình: {key:?} (screen)");
        self.on_screen = Some(key.clone());
        self.plays.clear();
        // Told to the manager once the first frame shows what plays.
        self.announce = true;
        Some((layout, key))
    }

    fn status(&self) -> std::sync::MutexGuard<'_, ScreenStatus> {
        self.report.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The screen for `now`: pairing, then an emergency, then what the
    /// show says (display off, the scheduled layout, standby).
    fn wanted(&self, now: DateTime<Utc>) -> ScreenKey {
        if self.refused {
            return ScreenKey::Refused;
        }
        if let Some(code) = &self.pairing {
            return ScreenKey::Pairing(code.clone());
        }
        if let Some((alert, turn)) = self
            .turns
            .alert_at(self.alerts.as_deref(), now)
            .or_else(|| self.rounds.bulletin_at(self.alerts.as_deref()))
        {
            return ScreenKey::Alert {
                id: alert.id.clone(),
                level: alert.level,
                fingerprint: fingerprint(alert),
                turn,
                media: alert
                    .media
                    .iter()
                    .filter(|m| self.ready.contains(&m.sha256))
                    .map(|m| m.sha256.clone())
                    .collect(),
            };
        }
        self.scheduled(now)
    }

    /// The board's time zone (its show's, else Vietnam's).
    fn tz(&self) -> Tz {
        self.installed
            .as_ref()
            .map_or(bangtin_layouts::time::DEFAULT_TZ, |i| i.tz)
    }

    /// What the schedule alone says for `now`.
    fn scheduled(&self, now: DateTime<Utc>) -> ScreenKey {
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

    /// Brightness now, as the fraction of black laid over the picture. An
    /// alert on screen is always at full brightness.
    pub fn dim(&mut self, now: DateTime<Utc>) -> f32 {
        let pct = if matches!(
            self.on_screen,
            Some(ScreenKey::Alert {
                level: AlertLevel::Emergency,
                ..
            })
        ) {
            100
        } else {
            self.installed.as_ref().map_or(100, |i| i.display_at(now).1)
        };
        self.status().brightness = pct;
        1.0 - f32::from(pct) / 100.0
    }

    /// Wall-clock instant at which the screen may next change by schedule,
    /// by an alert starting or expiring, or by the next alert's turn.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let show = self.installed.as_ref().map(|inst| {
            let slot_end = inst
                .show
                .slots
                .iter()
                .find(|s| s.start <= now && now < s.end)
                .map(|s| s.end);
            let local = now.with_timezone(&inst.tz).time();
            let display = now + chrono::TimeDelta::seconds(i64::from(inst.show.display.seconds_to_next_change(local)));
            slot_end.map_or(display, |e| e.min(display))
        });
        let alerts = self.alerts.as_ref().and_then(|a| a.next_change(now));
        let turn = self.turns.next_turn(now);
        // The round's next turn, or when the next round is due.
        let round = self.rounds.next_change(self.alerts.as_deref(), now, self.tz());
        [show, alerts, turn, round].into_iter().flatten().min()
    }

    /// The board's size: that of the show's layouts (the one scheduled now
    /// first), else the size the player was started with.
    fn board_size(&self, now: DateTime<Utc>) -> [u32; 2] {
        let Some(i) = &self.installed else {
            return self.size;
        };
        i.layout_key_at(now)
            .into_iter()
            .chain(i.show.layouts.keys().map(String::as_str))
            .find_map(|k| i.layouts.get(k))
            .map_or(self.size, |l| [l.board.width, l.board.height])
    }

    fn layout_for(&self, key: &ScreenKey, now: DateTime<Utc>) -> Layout {
        match key {
            ScreenKey::Alert { id, turn, media, .. } => {
                let tz = self.tz();
                match self.alerts.as_ref().and_then(|s| s.alerts.iter().find(|a| &a.id == id)) {
                    // Margin: the render loop's scene clock may read a
                    // hair earlier than `now`; the first frame must show it.
                    Some(a) => alert_screen::layout(
                        self.board_size(now),
                        a,
                        tz,
                        *turn,
                        Some(now - chrono::TimeDelta::milliseconds(250)),
                        alert_screen::Media {
                            dir: self.media_dir.as_deref().unwrap_or(Path::new(".")),
                            ready: media,
                        },
                    ),
                    None => screens::standby(self.size, &self.name),
                }
            }
            ScreenKey::Show { layout, .. } => self
                .installed
                .as_ref()
                .and_then(|i| i.layouts.get(layout))
                .cloned()
                .unwrap_or_else(|| screens::standby(self.size, &self.name)),
            ScreenKey::Pairing(code) => screens::pairing(self.size, code),
            ScreenKey::Refused => screens::refused(self.size),
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
        let Some((version, layout, only)) = self.proof(scene) else {
            self.apply_staged(Some(Vec::new()));
            self.announce_change();
            return;
        };
        let (events, changed) = self.plays.look(scene, t, version, &layout, only);
        if !events.is_empty() {
            self.record(events);
        }
        let zones = changed.then(|| self.plays.zones_now(scene));
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

    /// How the screen on view is recorded in proof of play: the version
    /// and layout label of its events, and the one zone that counts (None:
    /// every zone). An alert is one play per showing: its headline zone,
    /// under the layout label `alert:<id>` and the alert set's version.
    fn proof(&self, scene: &Scene) -> Option<(u64, String, Option<usize>)> {
        match self.on_screen.as_ref()? {
            ScreenKey::Show { version, layout } => Some((*version, layout.clone(), None)),
            ScreenKey::Alert { id, .. } => Some((
                self.alerts.as_ref().map_or(0, |a| a.version),
                format!("alert:{id}"),
                scene
                    .layout
                    .zones
                    .iter()
                    .position(|z| z.id == alert_screen::HEADLINE_ZONE),
            )),
            _ => None,
        }
    }

    /// Everything on screen stops now (another screen, or the player stops).
    pub fn interrupt(&mut self, scene: &Scene, t: f64) {
        let Some((version, layout, only)) = self.proof(scene) else {
            self.plays.clear();
            return;
        };
        // First record what ended normally before `t`.
        self.observe(scene, t, false, false);
        let events = self.plays.interrupt(scene, t, version, &layout, only);
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

/// The managed board as the kiosk's program: the director picks the
/// screen (show, alerts, bulletin rounds, built-in screens), dims it by
/// the display plan and answers the manager's screenshot requests.
impl crate::program::Program for Director {
    fn tick(&mut self, now: DateTime<Utc>, shown: Option<(&Scene, f64)>) -> Option<Layout> {
        Director::tick(self, now, shown).map(|(layout, _)| layout)
    }

    fn dim(&mut self, now: DateTime<Utc>) -> f32 {
        Director::dim(self, now)
    }

    fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Director::next_change(self, now)
    }

    fn wake_every(&self) -> std::time::Duration {
        std::time::Duration::from_millis(200)
    }

    fn observe(&mut self, scene: &Scene, t: f64, drawn: bool, late: bool) {
        Director::observe(self, scene, t, drawn, late);
    }

    fn error(&self, msg: String) {
        Director::error(self, msg);
    }

    fn screenshots(&mut self, take: &mut dyn FnMut() -> anyhow::Result<RgbaImage>) {
        for shot in self.take_shots() {
            match take() {
                Ok(img) => self.deliver(shot, &img),
                Err(e) => Director::error(self, format!("không chụp được màn hình: {e:#} (screenshot)")),
            }
        }
    }

    fn restart_requested(&self) -> bool {
        Director::restart_requested(self)
    }

    fn interrupt(&mut self, scene: &Scene, t: f64) {
        Director::interrupt(self, scene, t);
    }
}

#[cfg(test)]
/// A board with a show, and alerts, for the tests of the director and of
/// its turns and rounds.
pub(crate) mod fixture {
    use super::*;
    use bangtin_layouts::alerts::{ALERTS_SCHEMA, AlertLevel, BoardAlert};
    use bangtin_layouts::raw::RawLayout;
    use bangtin_layouts::schedule::{Slot, Window};
    use bangtin_layouts::show::SHOW_SCHEMA;
    use bangtin_layouts::wire::DisplayPlan;
    use chrono::NaiveTime;

    pub(crate) fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A show with layout "chinh" all day, the display off 22:00–05:00
    /// local time and dimmed to 40 % from 18:00 to 06:00.
    pub(crate) fn installed() -> Installed {
        let raw: RawLayout = bangtin_layouts::parse_raw(
            "[board]\nwidth = 640\nheight = 360\n\n[[zone]]\nid = \"z\"\nx = 0\ny = 0\nwidth = 640\nheight = 360\n\n\
             [[zone.item]]\ntype = \"text\"\nbody = \"Thông báo của xã\"\n",
            Path::new("chinh.toml"),
        )
        .unwrap();
        let show = Show {
            schema: SHOW_SCHEMA.into(),
            board: "brd_1".into(),
            version: 5,
            issued_at: at("2026-11-01T00:00:00Z"),
            valid_from: at("2026-11-01T00:00:00Z"),
            valid_until: at("2026-12-01T00:00:00Z"),
            timezone: "Asia/Ho_Chi_Minh".into(),
            slots: vec![Slot {
                start: at("2026-11-01T00:00:00Z"),
                end: at("2026-12-01T00:00:00Z"),
                layout: Some("chinh".into()),
            }],
            layouts: [("chinh".to_string(), raw)].into_iter().collect(),
            media: vec![],
            display: DisplayPlan {
                off: vec![Window {
                    start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                    end: NaiveTime::from_hms_opt(5, 0, 0).unwrap(),
                }],
                brightness: vec![
                    bangtin_layouts::wire::BrightnessStep {
                        from: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
                        percent: 100,
                    },
                    bangtin_layouts::wire::BrightnessStep {
                        from: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                        percent: 40,
                    },
                ],
            },
        };
        let i = Installed::new(show, Path::new("."));
        assert!(i.problems.is_empty(), "{:?}", i.problems);
        i
    }

    pub(crate) fn alert(id: &str, level: AlertLevel, severity: u8, starts: &str, expires: Option<&str>) -> BoardAlert {
        BoardAlert {
            id: id.into(),
            level,
            severity,
            risk_level: Some(severity.clamp(1, 5)),
            event: "Bão số 3".into(),
            headline: format!("Cảnh báo {id}"),
            description: "Gió mạnh cấp 12, giật cấp 15.".into(),
            instruction: "Ở trong nhà.".into(),
            ticker: String::new(),
            sender: "Ban Chỉ huy PCTT tỉnh".into(),
            starts: at(starts),
            expires: expires.map(at),
            slots: Vec::new(),
            weekdays: Vec::new(),
            seconds: None,
            media: Vec::new(),
            repeats: None,
        }
    }

    pub(crate) fn set(version: u64, alerts: Vec<BoardAlert>) -> Arc<AlertSet> {
        Arc::new(AlertSet {
            schema: ALERTS_SCHEMA.into(),
            round_seconds: None,
            board: "brd_1".into(),
            version,
            issued_at: at("2026-11-23T00:00:00Z"),
            alerts,
        })
    }

    pub(crate) struct Board {
        pub(crate) d: Director,
        tx: std::sync::mpsc::Sender<ToScreen>,
        _dir: tempfile::TempDir,
    }

    pub(crate) fn board() -> Board {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (otx, _orx) = tokio::sync::mpsc::unbounded_channel();
        let playlog = Arc::new(Mutex::new(PlayLog::open(dir.path()).unwrap()));
        let d = Director::new(rx, otx, Arc::new(ScreenReport::default()), playlog, [384, 192])
            .with_show(Arc::new(installed()));
        Board { d, tx, _dir: dir }
    }

    impl Board {
        /// The screen at `now` (the one on screen when it did not change).
        pub(crate) fn screen(&mut self, now: DateTime<Utc>) -> ScreenKey {
            if let Some((layout, key)) = self.d.tick(now, None) {
                if let ScreenKey::Alert { .. } = key {
                    // Built at the show's size, not the start-up size.
                    assert_eq!([layout.board.width, layout.board.height], [640, 360]);
                    assert!(layout.zone(alert_screen::HEADER_ZONE).is_some());
                }
                key
            } else {
                self.d.on_screen.clone().unwrap()
            }
        }

        pub(crate) fn alerts(&self, s: Arc<AlertSet>) {
            self.tx.send(ToScreen::Alerts(s)).unwrap();
        }
    }

    pub(crate) fn alert_id(k: &ScreenKey) -> Option<(&str, (usize, usize))> {
        match k {
            ScreenKey::Alert { id, turn, .. } => Some((id, *turn)),
            _ => None,
        }
    }

    pub(crate) fn scheduled() -> ScreenKey {
        ScreenKey::Show {
            version: 5,
            layout: "chinh".into(),
        }
    }

    pub(crate) fn bulletin(id: &str, level: AlertLevel, starts: &str) -> BoardAlert {
        BoardAlert {
            risk_level: None,
            event: "Thông báo".into(),
            ..alert(id, level, u8::from(level == AlertLevel::Priority), starts, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;
    use bangtin_layouts::alerts::AlertLevel;
    use chrono::TimeDelta;

    #[test]
    fn an_emergency_preempts_the_show_and_it_comes_back_on_expiry() {
        let mut b = board();
        // 10:00 local.
        let t0 = at("2026-11-23T03:00:00Z");
        assert_eq!(b.screen(t0), scheduled());
        b.alerts(set(
            1,
            vec![alert(
                "lu",
                AlertLevel::Emergency,
                4,
                "2026-11-23T02:59:00Z",
                Some("2026-11-23T03:30:00Z"),
            )],
        ));
        let k = b.screen(t0 + TimeDelta::milliseconds(200));
        assert_eq!(alert_id(&k), Some(("lu", (0, 1))));
        assert_eq!(k.layout_label().as_deref(), Some("alert:lu"));
        assert_eq!(b.d.staged.as_ref().unwrap().layout.as_deref(), Some("alert:lu"));
        // The director wakes when it expires.
        assert_eq!(b.d.next_change(t0), Some(at("2026-11-23T03:30:00Z")));
        assert_eq!(alert_id(&b.screen(at("2026-11-23T03:29:59Z"))).unwrap().0, "lu");
        // Expired: exactly the scheduled layout again.
        assert_eq!(b.screen(at("2026-11-23T03:30:00Z")), scheduled());
        assert_eq!(b.d.staged.as_ref().unwrap().layout.as_deref(), Some("chinh"));
    }

    #[test]
    fn an_emergency_shows_at_full_brightness_inside_a_display_off_window() {
        let mut b = board();
        // 23:00 local: display off.
        let night = at("2026-11-23T16:00:00Z");
        assert_eq!(b.screen(night), ScreenKey::Off);
        b.alerts(set(
            2,
            vec![alert(
                "chay-rung",
                AlertLevel::Emergency,
                3,
                "2026-11-23T11:00:00Z",
                None,
            )],
        ));
        let k = b.screen(night);
        assert_eq!(alert_id(&k).unwrap().0, "chay-rung");
        assert_eq!(b.d.dim(night), 0.0, "no night dimming for an emergency");
        assert!(b.d.staged.as_ref().unwrap().display_on);
        // 19:00 local, dimmed to 40 % normally: still full brightness.
        let evening = at("2026-11-23T12:00:00Z");
        assert_eq!(alert_id(&b.screen(evening)).unwrap().0, "chay-rung");
        assert_eq!(b.d.dim(evening), 0.0);
        // Cancelled (a newer set without it): back to the schedule — dimmed.
        b.alerts(set(3, vec![]));
        assert_eq!(b.screen(evening), scheduled());
        assert!((b.d.dim(evening) - 0.6).abs() < 1e-6);
        // And at night, back to black.
        assert_eq!(b.screen(night), ScreenKey::Off);
        // An older set arriving late changes nothing.
        b.alerts(set(
            2,
            vec![alert(
                "chay-rung",
                AlertLevel::Emergency,
                3,
                "2026-11-23T11:00:00Z",
                None,
            )],
        ));
        assert_eq!(b.screen(night), ScreenKey::Off);
    }

    #[test]
    fn an_updated_alert_rebuilds_the_screen_and_a_cached_set_shows_offline() {
        let mut b = board();
        let t0 = at("2026-11-23T03:00:00Z");
        let mut a = alert("lu", AlertLevel::Emergency, 4, "2026-11-23T02:00:00Z", None);
        b.alerts(set(1, vec![a.clone()]));
        assert!(b.d.tick(t0, None).is_some());
        // The same content in a newer set: nothing to redraw.
        b.alerts(set(2, vec![a.clone()]));
        assert!(b.d.tick(t0, None).is_none());
        // An update (new instruction): a new screen.
        a.instruction = "Sơ tán ngay khỏi vùng trũng.".into();
        b.alerts(set(3, vec![a.clone()]));
        assert!(b.d.tick(t0, None).is_some());
        // A board started from its cache with the set shows it at once,
        // even before any show.
        let (_tx, rx) = std::sync::mpsc::channel();
        let (otx, _orx) = tokio::sync::mpsc::unbounded_channel();
        let dir = tempfile::tempdir().unwrap();
        let playlog = Arc::new(Mutex::new(PlayLog::open(dir.path()).unwrap()));
        let mut d =
            Director::new(rx, otx, Arc::new(ScreenReport::default()), playlog, [384, 192]).with_alerts(set(3, vec![a]));
        d.claimed = true;
        let (layout, key) = d.tick(t0, None).unwrap();
        assert_eq!(alert_id(&key).unwrap().0, "lu");
        assert_eq!([layout.board.width, layout.board.height], [384, 192]);
    }
}
