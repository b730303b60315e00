//! Loudspeakers in the square: each commune's speaker zones are Snapcast
//! servers the manager drives. For every alert or bulletin that has
//! something to say — a CAP alert's text, a bulletin's `audio.tts` and/or
//! `audio.url` sound file — and that is in force for the zone's commune
//! (normal bulletins once its editor approved them), the manager reads the
//! text with espeak-ng, decodes the file with FFmpeg, and streams the sound
//! as PCM into the zone's Snapcast TCP source.
//!
//! When: an emergency at once, before anything else (an announcement in
//! progress is cut), with an attention chime, the speakers unmuted at the
//! zone's volume and put back afterwards; again every
//! [`Config::speaker_emergency_repeat_s`](crate::config::Config) while it
//! lasts. Priority and normal items once when they come into force and
//! again at the start of each of their daily slots. An item cancelled or
//! expired while being read is cut off. `schedule.repeats` is how many
//! times one announcement reads it (default 1, emergencies 2). A zone that
//! cannot be reached is retried every few seconds while the item lasts.

pub mod normalise;
pub mod snapcast;
pub mod sound;

use crate::model::{Unit, key};
use crate::records::Speech;
use crate::shared::Shared;
use crate::store::{Op, StoreExt};
use bangtin_layouts::alerts::{AlertLevel, BoardAlert};
use chrono::{DateTime, Duration as Span, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use utoipa::ToSchema;

/// A loudspeaker zone: one Snapcast server and the speakers it feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpeakerZone {
    pub id: String,
    /// The commune whose alerts and bulletins it announces.
    pub unit: String,
    pub name: String,
    /// Snapcast JSON-RPC control port, `host:port` (usually port 1705).
    pub control: String,
    /// Snapcast TCP source in server mode, `host:port`, that takes 16-bit
    /// stereo PCM at 48 kHz (`source = tcp://0.0.0.0:4953?name=bangtin&mode=server`).
    pub audio: String,
    /// That source's stream name on the server.
    pub stream: String,
    /// Loudness for emergencies, 0–100 %.
    pub volume: u8,
    /// The board standing beside it: bulletins sent to that board alone
    /// are announced here too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn zone_key(id: &str) -> String {
    format!("speaker/{id}")
}

/// Where a zone's announcements of one item are remembered.
pub fn spoken_key(zone: &str, speech: &str) -> String {
    format!("spoken/{zone}/{speech}")
}

/// How often a zone announced one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Spoken {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub times: u32,
}

/// What a zone is doing, as last seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ZoneStatus {
    /// The alert or bulletin being announced now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playing: Option<String>,
    /// Speakers (Snapcast clients) connected at the last announcement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_at: Option<DateTime<Utc>>,
    /// Why the last try failed (cleared by the next success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A text an officer asked a zone to read now ("đọc ngay").
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReadNow {
    pub id: String,
    pub zone: String,
    pub text: String,
    /// `user:<name>`.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Longest text read now (characters): about a minute of speech.
pub const MAX_READ_CHARS: usize = 1000;
/// Most texts waiting on one zone.
pub const MAX_QUEUED: usize = 5;

/// Each loudspeaker zone's status (the wake-up signal — a change to
/// alerts, bulletins or zones — is [`Shared::speakers_wake`]), the texts
/// officers asked it to read now, and what "stop all" silenced. These two
/// live in memory only: a restart forgets them (decision: after a restart
/// an item owed is announced once more rather than missed).
#[derive(Debug, Default)]
pub struct Speakers {
    status: Mutex<HashMap<String, ZoneStatus>>,
    reads: Mutex<HashMap<String, Vec<ReadNow>>>,
    /// Per zone, per speech key: when "stop all" silenced it. It counts as
    /// announced then for when it is owed again, but not in the reports.
    held: Mutex<HashMap<String, HashMap<String, DateTime<Utc>>>>,
}

impl Speakers {
    pub fn status(&self, zone: &str) -> ZoneStatus {
        self.status
            .lock()
            .map(|m| m.get(zone).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    fn update(&self, zone: &str, f: impl FnOnce(&mut ZoneStatus)) {
        if let Ok(mut m) = self.status.lock() {
            f(m.entry(zone.to_string()).or_default());
        }
    }

    /// The texts waiting to be read on `zone`, oldest first.
    pub fn queued(&self, zone: &str) -> Vec<ReadNow> {
        self.reads
            .lock()
            .map(|m| m.get(zone).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    fn done_read(&self, zone: &str, key: &str) {
        if let Ok(mut m) = self.reads.lock()
            && let Some(v) = m.get_mut(zone)
        {
            v.retain(|r| read_key(&r.id) != key);
        }
    }

    fn held_at(&self, zone: &str, speech: &str) -> Option<DateTime<Utc>> {
        self.held
            .lock()
            .ok()
            .and_then(|m| m.get(zone).and_then(|h| h.get(speech)).copied())
    }
}

/// The speech key of a text read now.
fn read_key(id: &str) -> String {
    format!("read:{id}")
}

/// Why a text cannot be read now.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The zone already has [`MAX_QUEUED`] texts waiting.
    #[error("{0}")]
    Busy(String),
}

/// Queue `text` to be read on `zone` at once (after an emergency being
/// read, before anything else), as `actor` asked. The caller checked the
/// actor may change the zone's unit.
pub fn read_now(
    s: &Shared,
    st: &Speakers,
    zone: &SpeakerZone,
    actor: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<ReadNow, ReadError> {
    let raw_chars = text.chars().count();
    let text = text.trim();
    if text.is_empty() {
        return Err(ReadError::Invalid {
            field: "text",
            reason: "không được để trống (must not be empty)".into(),
        });
    }
    // Counted as sent, as the OpenAPI document's maxLength counts.
    if raw_chars > MAX_READ_CHARS {
        return Err(ReadError::Invalid {
            field: "text",
            reason: format!("dài quá {MAX_READ_CHARS} ký tự (longer than {MAX_READ_CHARS} characters)"),
        });
    }
    let r = ReadNow {
        id: format!("{}-{}", zone.id, now.timestamp_micros()),
        zone: zone.id.clone(),
        text: text.to_string(),
        by: actor.to_string(),
        at: now,
    };
    {
        let mut m = st.reads.lock().map_err(|_| ReadError::Busy("lock".into()))?;
        let q = m.entry(zone.id.clone()).or_default();
        if q.len() >= MAX_QUEUED {
            return Err(ReadError::Busy(format!(
                "cụm loa đã có {MAX_QUEUED} nội dung chờ đọc (the zone already has {MAX_QUEUED} texts waiting)"
            )));
        }
        q.push(r.clone());
    }
    s.wake_speakers();
    Ok(r)
}

/// "Dừng tất cả": on every zone of `zones`, cut what is being read, drop
/// the texts waiting to be read now, and silence every item owed at `now`
/// — each counts as announced now for when it is owed again (an emergency
/// after the repeat interval, a bulletin at its next slot); to end an
/// emergency for good, cancel it. Items that arrive later are announced as
/// usual. Returns how many announcements were stopped or dropped.
pub fn stop_all(s: &Shared, st: &Speakers, zones: &[SpeakerZone], now: DateTime<Utc>) -> crate::store::Result<usize> {
    let mut n = 0;
    for zone in zones {
        let owed = due(s, st, zone, now)?;
        let live: Vec<String> = crate::alerting::items_for(s, &zone.unit, zone.board.as_deref(), now)?
            .into_iter()
            .filter_map(|(_, sp)| sp.map(|sp| sp.key))
            .collect();
        if let Ok(mut m) = st.reads.lock() {
            m.remove(&zone.id);
        }
        if let Ok(mut m) = st.held.lock() {
            let h = m.entry(zone.id.clone()).or_default();
            // Only items still in force need remembering.
            h.retain(|k, _| live.contains(k));
            for d in &owed {
                if !d.speech.key.starts_with("read:") {
                    h.insert(d.speech.key.clone(), now);
                }
            }
        }
        n += owed.len();
    }
    s.wake_speakers();
    Ok(n)
}

/// An announcement a zone owes.
#[derive(Debug, Clone)]
pub struct Due {
    pub alert: BoardAlert,
    pub speech: Speech,
}

/// The start of the daily slot of `a` that holds `now`, if it has slots.
fn slot_start(a: &BoardAlert, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz);
    let minute = (local.hour() * 60 + local.minute()) as u16;
    let [start, _] = a.slots.iter().find(|[s, e]| (*s..*e).contains(&minute))?;
    let t = NaiveTime::from_hms_opt(u32::from(*start) / 60, u32::from(*start) % 60, 0)?;
    tz.from_local_datetime(&local.date_naive().and_time(t))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// What `zone` owes now, most urgent first: emergencies (most severe
/// first), then texts officers asked to read now, then priority, then
/// normal items.
pub fn due(s: &Shared, st: &Speakers, zone: &SpeakerZone, now: DateTime<Utc>) -> crate::store::Result<Vec<Due>> {
    let tz: Tz = s
        .store
        .get_json::<Unit>(&key::unit(&zone.unit))?
        .and_then(|u| u.timezone.parse().ok())
        .or_else(|| s.cfg.timezone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let every = Span::seconds(i64::from(s.cfg.speaker_emergency_repeat_s.max(60)));
    let mut out = Vec::new();
    for (alert, speech) in crate::alerting::items_for(s, &zone.unit, zone.board.as_deref(), now)? {
        let Some(speech) = speech else { continue };
        if !alert.shows_at(now, tz) {
            continue;
        }
        let last = s
            .store
            .get_json::<Spoken>(&spoken_key(&zone.id, &speech.key))?
            .map(|l| l.last)
            .max(st.held_at(&zone.id, &speech.key));
        let owed = match last {
            None => true,
            Some(l) if alert.level == AlertLevel::Emergency => now - l >= every,
            Some(l) => slot_start(&alert, now, tz).is_some_and(|start| l < start),
        };
        if owed {
            out.push(Due { alert, speech });
        }
    }
    for r in st.queued(&zone.id) {
        out.push(Due {
            alert: BoardAlert {
                id: read_key(&r.id),
                level: AlertLevel::Priority,
                // Before every priority item.
                severity: u8::MAX,
                risk_level: None,
                event: String::new(),
                headline: String::new(),
                description: String::new(),
                instruction: String::new(),
                ticker: String::new(),
                sender: r.by.clone(),
                starts: r.at,
                expires: None,
                slots: Vec::new(),
                weekdays: Vec::new(),
                seconds: None,
                media: Vec::new(),
                repeats: None,
            },
            speech: Speech {
                key: read_key(&r.id),
                text: Some(r.text),
                sound: None,
                repeats: 1,
            },
        });
    }
    out.sort_by(|a, b| {
        (b.alert.level, b.alert.severity, a.alert.starts, &a.alert.id).cmp(&(
            a.alert.level,
            a.alert.severity,
            b.alert.starts,
            &b.alert.id,
        ))
    });
    Ok(out)
}

/// The sound of one announcement: chime (emergencies), then the text and
/// the sound file, `repeats` times with pauses between.
fn prepare(s: &Shared, d: &Due) -> anyhow::Result<Vec<i16>> {
    let mut once = Vec::new();
    if let Some(t) = &d.speech.text {
        once.extend(sound::speak(t, &s.tmp_dir)?);
    }
    if let Some(sha) = &d.speech.sound {
        if !once.is_empty() {
            once.extend(sound::silence(0.5));
        }
        once.extend(sound::decode(
            &s.local_media_blocking(sha).unwrap_or_else(|_| s.media_path(sha)),
        )?);
    }
    anyhow::ensure!(!once.is_empty(), "không có gì để phát (nothing to play)");
    let mut out = Vec::new();
    if d.alert.level == AlertLevel::Emergency {
        out.extend(sound::chime());
    }
    for i in 0..d.speech.repeats.clamp(1, 10) {
        if i > 0 {
            out.extend(sound::silence(2.0));
        }
        out.extend_from_slice(&once);
        if out.len() > (sound::MAX_SECONDS * sound::RATE) as usize * sound::CHANNELS {
            break;
        }
    }
    Ok(out)
}

/// How far ahead of real time PCM is sent (Snapcast buffers it).
const LEAD: Duration = Duration::from_millis(200);
/// After the last sample is sent, how long before the speakers' volume is
/// put back (Snapcast's own buffer still plays).
const TAIL: Duration = Duration::from_millis(1500);
/// 20 ms of PCM.
const CHUNK: usize = (sound::RATE / 50) as usize * sound::CHANNELS;

enum Outcome {
    Done,
    /// Cut short: cancelled, expired, or something more urgent came.
    Cut,
}

/// Should `d`, being read, give way? Yes if it is no longer owed
/// (cancelled, expired, out of its slot) or a more urgent item is.
fn gives_way(s: &Shared, st: &Speakers, zone: &SpeakerZone, d: &Due) -> bool {
    match due(s, st, zone, Utc::now()) {
        Ok(list) => {
            !list.iter().any(|x| x.speech.key == d.speech.key)
                || list.first().is_some_and(|x| x.alert.level > d.alert.level)
        }
        Err(_) => false,
    }
}

async fn stream(
    s: &Arc<Shared>,
    st: &Arc<Speakers>,
    zone: &SpeakerZone,
    d: &Due,
    pcm: &[i16],
    wake: &mut watch::Receiver<u64>,
) -> anyhow::Result<Outcome> {
    let mut sock = tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect(&zone.audio))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "nguồn âm thanh {}: quá giờ kết nối (audio source timed out)",
                zone.audio
            )
        })?
        .map_err(|e| anyhow::anyhow!("nguồn âm thanh {}: {e} (audio source)", zone.audio))?;
    sock.set_nodelay(true)?;
    let start = tokio::time::Instant::now();
    let mut bytes = Vec::with_capacity(CHUNK * 2);
    for (i, c) in pcm.chunks(CHUNK).enumerate() {
        let at = start + Duration::from_millis(20 * i as u64);
        tokio::time::sleep_until(at.checked_sub(LEAD).unwrap_or(at)).await;
        bytes.clear();
        bytes.extend(c.iter().flat_map(|v| v.to_le_bytes()));
        sock.write_all(&bytes).await?;
        // Look again on every change, and once a second for expiry.
        if wake.has_changed().unwrap_or(false) || i % 50 == 49 {
            wake.borrow_and_update();
            let (s2, st2, z2, d2) = (s.clone(), st.clone(), zone.clone(), d.clone());
            if tokio::task::spawn_blocking(move || gives_way(&s2, &st2, &z2, &d2)).await? {
                return Ok(Outcome::Cut);
            }
        }
    }
    sock.flush().await?;
    tokio::time::sleep(LEAD).await;
    Ok(Outcome::Done)
}

/// Puts a zone's speakers back as they were when an announcement that
/// took them over ends without doing so itself: the zone was detached or
/// changed while it read (its task is then dropped half-way). The
/// restoration runs as a task of its own.
struct GiveBack {
    control: String,
    stream: String,
    saved: Option<snapcast::Saved>,
}

impl Drop for GiveBack {
    fn drop(&mut self) {
        let Some(saved) = self.saved.take() else { return };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (control, stream) = (self.control.clone(), self.stream.clone());
        rt.spawn(async move {
            let r = match snapcast::Control::connect(&control).await {
                Ok(mut c) => snapcast::give_back(&mut c, &saved, &stream).await,
                Err(e) => Err(e),
            };
            if let Err(e) = r {
                tracing::warn!("loa {control}: không trả lại được âm lượng: {e:#} (could not give the volume back)");
            }
        });
    }
}

async fn announce(
    s: &Arc<Shared>,
    st: &Arc<Speakers>,
    zone: &SpeakerZone,
    d: &Due,
    wake: &mut watch::Receiver<u64>,
) -> anyhow::Result<Outcome> {
    // Reach the zone first: an unreachable one is retried every few
    // seconds, and should not cost a text-to-speech run each time.
    let mut ctl = snapcast::Control::connect(&zone.control).await?;
    let groups = ctl.groups().await?;
    let (s2, d2) = (s.clone(), d.clone());
    let pcm = tokio::task::spawn_blocking(move || prepare(&s2, &d2)).await??;
    st.update(&zone.id, |z| z.clients = Some(snapcast::connected(&groups)));
    // Emergencies and texts an officer reads now must be heard: the
    // speakers are switched over and unmuted.
    let emergency = d.alert.level == AlertLevel::Emergency || d.speech.key.starts_with("read:");
    let mut guard = GiveBack {
        control: zone.control.clone(),
        stream: zone.stream.clone(),
        saved: if emergency {
            Some(snapcast::take_over(&mut ctl, &zone.stream, zone.volume).await?)
        } else {
            None
        },
    };
    let outcome = stream(s, st, zone, d, &pcm, wake).await;
    if let Some(saved) = guard.saved.take() {
        if matches!(outcome, Ok(Outcome::Done)) {
            tokio::time::sleep(TAIL).await;
        }
        // The control connection may have dropped during a long reading.
        if snapcast::give_back(&mut ctl, &saved, &zone.stream).await.is_err() {
            let mut again = snapcast::Control::connect(&zone.control).await?;
            snapcast::give_back(&mut again, &saved, &zone.stream).await?;
        }
    }
    outcome
}

fn remember(s: &Shared, zone: &SpeakerZone, d: &Due, now: DateTime<Utc>) -> crate::store::Result<()> {
    let k = spoken_key(&zone.id, &d.speech.key);
    let old = s.store.get_json::<Spoken>(&k)?;
    let rec = Spoken {
        first: old.as_ref().map_or(now, |o| o.first),
        last: now,
        times: old.map_or(0, |o| o.times) + 1,
    };
    s.store.commit(vec![Op::put(k, &rec)])
}

/// One zone, for as long as it exists unchanged.
async fn zone_loop(s: Arc<Shared>, st: Arc<Speakers>, zone: SpeakerZone) {
    let mut wake = s.speakers_wake.subscribe();
    loop {
        wake.borrow_and_update();
        let (s2, st2, z2) = (s.clone(), st.clone(), zone.clone());
        let next = tokio::task::spawn_blocking(move || due(&s2, &st2, &z2, Utc::now()))
            .await
            .ok()
            .and_then(Result::ok)
            .and_then(|v| v.into_iter().next());
        let Some(d) = next else {
            tokio::select! {
                _ = wake.changed() => {}
                () = tokio::time::sleep(Duration::from_secs(20)) => {}
            }
            continue;
        };
        st.update(&zone.id, |z| z.playing = Some(d.alert.id.clone()));
        let r = announce(&s, &st, &zone, &d, &mut wake).await;
        st.update(&zone.id, |z| z.playing = None);
        match r {
            Ok(Outcome::Done) => {
                let now = Utc::now();
                let (s2, z2, d2) = (s.clone(), zone.clone(), d.clone());
                // A text read now is done with; alerts and bulletins are
                // remembered (reports, and when they are owed again).
                let stored = if d.speech.key.starts_with("read:") {
                    st.done_read(&zone.id, &d.speech.key);
                    Ok(Ok(()))
                } else {
                    tokio::task::spawn_blocking(move || remember(&s2, &z2, &d2, now)).await
                };
                if !matches!(stored, Ok(Ok(()))) {
                    tracing::warn!(
                        "không ghi được lần phát loa {} (could not record announcement)",
                        zone.id
                    );
                }
                st.update(&zone.id, |z| {
                    z.last = Some(d.alert.id.clone());
                    z.last_at = Some(now);
                    z.error = None;
                });
                tracing::info!("loa {} đã phát {} (announced)", zone.id, d.alert.id);
            }
            Ok(Outcome::Cut) => {
                tracing::info!("loa {}: ngắt {} (announcement cut short)", zone.id, d.alert.id);
            }
            Err(e) => {
                tracing::warn!(
                    "loa {} không phát được {}: {e:#} (announcement failed)",
                    zone.id,
                    d.alert.id
                );
                st.update(&zone.id, |z| z.error = Some(format!("{e:#}")));
                tokio::select! {
                    _ = wake.changed() => {}
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        }
    }
}

/// Announce on every zone; zones added, changed or removed are picked up
/// on every wake-up and every 30 s. The zones run inside this one task, so
/// aborting it stops them all at once.
pub async fn run(s: Arc<Shared>, st: Arc<Speakers>) {
    use futures_util::StreamExt;
    use futures_util::future::{AbortHandle, Abortable};
    let mut zones_running: HashMap<String, (SpeakerZone, AbortHandle)> = HashMap::new();
    let mut running = futures_util::stream::FuturesUnordered::new();
    let mut wake = s.speakers_wake.subscribe();
    let mut look = true;
    loop {
        if look {
            wake.borrow_and_update();
            let s2 = s.clone();
            let zones = tokio::task::spawn_blocking(move || s2.store.scan_json::<SpeakerZone>("speaker/")).await;
            if let Ok(Ok(zones)) = zones {
                zones_running.retain(|_, (z, h)| {
                    let keep = zones.contains(z);
                    if !keep {
                        h.abort();
                    }
                    keep
                });
                for z in zones {
                    if !zones_running.contains_key(&z.id) {
                        let (h, reg) = AbortHandle::new_pair();
                        running.push(Abortable::new(
                            Box::pin(zone_loop(s.clone(), st.clone(), z.clone())),
                            reg,
                        ));
                        zones_running.insert(z.id.clone(), (z, h));
                    }
                }
            }
        }
        tokio::select! {
            _ = wake.changed() => look = true,
            () = tokio::time::sleep(Duration::from_secs(30)) => look = true,
            Some(_) = running.next(), if !running.is_empty() => look = false,
        }
    }
}
