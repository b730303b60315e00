//! The records of essential information as the manager keeps them:
//! bulletins (`bangtin.bulletin/1`) and CAP alerts, with their states, the
//! editors' decisions and their store keys. Plain data: what may happen to
//! them is in [`crate::ingest`] (arrival) and [`crate::approval`]
//! (decisions); [`crate::alerting`], [`crate::reporting`] and
//! [`crate::feeds`] read them.

use bangtin_layouts::alerts::BoardAlert;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Where a bulletin stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulletinState {
    /// A normal bulletin waiting for an editor of its commune.
    Pending,
    /// Approved, or priority/emergency (no approval needed): to be shown.
    Live,
    Rejected,
    Cancelled,
    /// A newer version or another bulletin replaced it.
    Superseded,
}

/// A bulletin as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulletinRecord {
    pub source: String,
    pub id: String,
    pub version: u64,
    pub priority: String,
    pub state: BulletinState,
    pub title: String,
    /// Administrative codes and board ids it targets.
    pub areas: Vec<String>,
    pub boards: Vec<String>,
    pub received: DateTime<Utc>,
    /// SHA-256 of the document as received.
    pub sha256: String,
    /// The document as received.
    pub document: String,
    /// Normal bulletins: each targeted commune's editor's decision, by
    /// commune code (absent: still waiting there). A new version starts
    /// with none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub decisions: std::collections::BTreeMap<String, Decision>,
    /// SHA-256 of every file it references (fetched and checked on
    /// arrival, kept in the media store).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<String>,
    /// The document as boards, loudspeakers and reports see it, read once
    /// on arrival ([`crate::interpret`]). Kept in the store, never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub reading: Option<Reading>,
}

/// An editor's decision on a normal bulletin for one commune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub approved: bool,
    /// Who decided (`user:<name>`).
    pub by: String,
    pub at: DateTime<Utc>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the editor changed before approving (shown instead of the
    /// source's text on that commune's boards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edits: Option<BulletinEdits>,
}

/// Texts an editor may change when approving; absent fields keep the
/// source's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulletinEdits {
    /// 1–500 characters, not only spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub title: Option<String>,
    /// 1–500 characters, not only spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub summary: Option<String>,
    /// The main text on the board: 1–5000 characters, not only spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub text: Option<String>,
    /// 1–500 characters, not only spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub ticker: Option<String>,
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Actual and in force.
    Live,
    /// Test, Exercise, System or Draft: kept and previewable, never shown.
    NotLive,
    /// Replaced by an Update.
    Updated,
    Cancelled,
}

/// A CAP alert as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertRecord {
    pub source: String,
    pub identifier: String,
    pub sender: String,
    pub sent: DateTime<chrono::FixedOffset>,
    pub msg_type: String,
    pub state: AlertState,
    pub emergency: bool,
    pub risk_level: Option<u8>,
    pub headline: Option<String>,
    pub areas: Vec<String>,
    pub expires: Option<DateTime<chrono::FixedOffset>>,
    pub received: DateTime<Utc>,
    pub document: String,
    /// As for bulletins: read once on arrival, kept, never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub reading: Option<Reading>,
}

/// A bulletin or CAP alert interpreted once, on arrival: what every board
/// of the places it covers shows (before a commune's edits), what the
/// loudspeakers say, and what reports need. Boards and loudspeakers never
/// parse the document again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// As boards show it; for normal bulletins before an editor's changes
    /// (applied per commune, [`crate::interpret::edited`]).
    pub alert: BoardAlert,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech: Option<Speech>,
    /// From when it applies, as the document says (reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    /// It carries pictures, video or sound (reports).
    #[serde(default)]
    pub has_media: bool,
    /// SHA-256 of its pictures and videos, as the document lists them
    /// (reports: what boards download).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub board_media: Vec<String>,
}

/// What the loudspeakers read or play for an alert or bulletin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speech {
    /// Changes when the content changes (a new CAP message or bulletin
    /// version): announcements are remembered under it.
    pub key: String,
    /// Text to read aloud (Vietnamese).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// SHA-256 of a sound file in the media store, played after the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    /// Times read in one announcement (`schedule.repeats`, default 1; 2 for
    /// emergencies).
    pub repeats: u32,
}

/// Store key of the CAP alert `identifier` of `sender`.
pub fn alert_key(sender: &str, identifier: &str) -> String {
    format!("alert/{}", sha_hex(format!("{sender},{identifier}").as_bytes()))
}

/// Store key of bulletin `id` of source `source`.
pub fn bulletin_key(source: &str, id: &str) -> String {
    format!("bulletin/{source}/{id}")
}

/// SHA-256 of `b`, lowercase hex.
pub fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A state as its name in JSON (`"live"`, `"not_live"`, …).
pub fn state_name<T: Serialize>(s: T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
