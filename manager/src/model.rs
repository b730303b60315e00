//! Records the manager keeps, and their keys in the store.

use bangtin_layouts::raw::RawLayout;
use bangtin_layouts::schedule::Schedule;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Province operator: every unit, users, audit.
    Admin,
    /// Commune officer: reads and changes the units named in `units`.
    Editor,
    /// Reads the units named in `units`.
    Viewer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// argon2id, PHC string format.
    pub password_hash: String,
    pub role: Role,
    /// Administrative-unit codes this account works in (editors, viewers).
    pub units: Vec<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// Set when an administrator chose the password: the web UI asks for
    /// a new one at the next sign-in, before anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A user as the API shows it (never the hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub units: Vec<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The password was set by an administrator and must be changed.
    #[serde(default)]
    pub must_change_password: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            units: u.units.clone(),
            disabled: u.disabled,
            created_at: u.created_at,
            must_change_password: u.must_change_password,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// An administrative unit (province or commune), by its official code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Unit {
    /// Official code, e.g. "19" (province) or "05443" (commune): 1–16 digits.
    #[schema(pattern = "^[0-9]{1,16}$")]
    pub code: String,
    /// Not only spaces.
    #[schema(
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: String,
    /// Parent unit's code (a commune's province).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Time zone of the unit's boards: a name of the tz database.
    #[schema(schema_with = time_zone_schema)]
    pub timezone: String,
}

/// The tz database's zone names, as the manager knows them.
fn time_zone_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())))
        .build()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
}

/// A file in a unit's media library; the bytes are stored once by hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Media {
    pub sha256: String,
    pub unit: String,
    pub name: String,
    pub kind: MediaKind,
    pub mime: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Seconds (video, audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    pub has_thumbnail: bool,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LayoutRecord {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub version: u32,
    #[schema(value_type = Object)]
    pub layout: RawLayout,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub id: String,
    pub unit: String,
    pub name: String,
}

/// Who a schedule is for; boards inherit from their groups and their unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Unit(String),
    Group(String),
    Board(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScheduleRecord {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub target: Target,
    #[schema(value_type = Object)]
    pub schedule: Schedule,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub groups: Vec<String>,
    pub disabled: bool,
    pub claimed_by: String,
    pub claimed_at: DateTime<Utc>,
    /// Version of the last show published for it.
    pub show_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Display off windows and brightness by time of day; goes into the
    /// board's signed show.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub display: bangtin_layouts::wire::DisplayPlan,
}

/// A board waiting to be claimed: it shows `code`, polls with `secret`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pairing {
    pub code: String,
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set by the claim; handed to the board once, then deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Claimed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claimed {
    pub board_id: String,
    pub credential: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
}

/// Where the latest screenshot of a kind is, under `screen/{board}/{kind}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShotRecord {
    /// File name in the board's screenshot folder.
    pub file: String,
    pub taken_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub size: u64,
}

/// Store keys. Collections are prefixes, so a scan lists one.
pub mod key {
    pub fn user(id: &str) -> String {
        format!("user/{id}")
    }
    pub fn username(name: &str) -> String {
        format!("username/{}", name.to_lowercase())
    }
    pub fn session(hash: &str) -> String {
        format!("session/{hash}")
    }
    pub fn token(hash: &str) -> String {
        format!("token/{hash}")
    }
    pub fn unit(code: &str) -> String {
        format!("unit/{code}")
    }
    pub fn media(unit: &str, sha: &str) -> String {
        format!("media/{unit}/{sha}")
    }
    pub fn layout(id: &str) -> String {
        format!("layout/{id}")
    }
    pub fn layout_version(id: &str, v: u32) -> String {
        format!("layoutv/{id}/{v:08}")
    }
    pub fn group(id: &str) -> String {
        format!("group/{id}")
    }
    pub fn schedule(id: &str) -> String {
        format!("schedule/{id}")
    }
    pub fn board(id: &str) -> String {
        format!("board/{id}")
    }
    pub fn board_cred(hash: &str) -> String {
        format!("boardcred/{hash}")
    }
    pub fn pairing(code: &str) -> String {
        format!("pairing/{code}")
    }
    pub fn show(board: &str) -> String {
        format!("show/{board}")
    }
    pub fn heartbeat(board: &str) -> String {
        format!("heartbeat/{board}")
    }
    /// [`crate::live::Seen`]: only where managers share the store.
    pub fn seen(board: &str) -> String {
        format!("seen/{board}")
    }
    pub fn audit(seq: u64) -> String {
        format!("audit/{seq:020}")
    }

    // Boards online (see `crate::live`). Every per-board collection is
    // `name/{board}/…`, so deleting a board deletes its prefixes.

    /// Online/offline transitions.
    pub fn board_event(board: &str, micros: u64) -> String {
        format!("boardevent/{board}/{micros:020}")
    }
    /// Commands waiting for the board's next heartbeat or event stream.
    pub fn command(board: &str, seq: u64) -> String {
        format!("cmd/{board}/{seq:020}")
    }
    /// Latest screenshot of a kind (`thumb`, `full`): where its file is.
    pub fn screenshot(board: &str, kind: &str) -> String {
        format!("screen/{board}/{kind}")
    }
    /// Prefixes holding a board's own records, deleted with it (its logs
    /// of proof of play and heartbeats go with `Journal::forget`).
    pub const BOARD_PREFIXES: &[&str] = &["boardevent", "cmd", "playtot", "playcut", "screen", "playseq"];
}
