//! The `bangtin.bulletin/1` wire format: what a source information system
//! (HTTTN) sends to `POST /api/v1/bulletins`, and the one validated way to
//! read it, [`parse`].
//!
//! [`parse`] refuses, before building anything, documents larger than
//! [`MAX_BYTES`] or nested deeper than [`MAX_DEPTH`]; it then reads the JSON
//! into a small tree that keeps keys in document order (so a repeated key is
//! refused instead of silently taking the last value) and walks it field by
//! field. Every refusal is a [`BadBulletin`] naming the JSON path, e.g.
//! `board.items[1].durationSec`, with a reason in Vietnamese followed by the
//! English meaning in parentheses. Whole-document problems (size, depth,
//! malformed JSON) have the path `$`.
//!
//! The types also derive serde and [`utoipa::ToSchema`]; serialising a
//! [`Bulletin`] gives a document that [`parse`] accepts again (with the
//! `schema` member). Deserialising them with serde directly does **not**
//! validate: use it only for records the manager stored itself.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The value of the `schema` member this module reads.
pub const SCHEMA: &str = "bangtin.bulletin/1";
/// Largest accepted document, in bytes.
pub const MAX_BYTES: usize = 256 * 1024;
/// Deepest accepted nesting of arrays and objects (the document itself is
/// level 1; the sample bulletin reaches 4).
pub const MAX_DEPTH: usize = 32;
/// Most board items in one bulletin.
pub const MAX_ITEMS: usize = 20;
/// Most targets (areas and boards together) in one bulletin.
pub const MAX_TARGETS: usize = 5000;
/// Most daily time slots in one schedule.
pub const MAX_SLOTS: usize = 48;
/// Largest `schedule.repeats`.
pub const MAX_REPEATS: u32 = 1000;
/// Longest media URL, in characters.
pub const MAX_URL_CHARS: usize = 2000;

/// Why a document is not an acceptable bulletin: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct BadBulletin {
    /// JSON path of the offending member, e.g. `board.items[1].durationSec`;
    /// `$` for the document as a whole.
    pub path: String,
    /// Vietnamese, then the English meaning in parentheses.
    pub reason: String,
}

impl BadBulletin {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        BadBulletin {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// Whether the document as a whole was refused (too large, too deep,
    /// malformed JSON, not an object) rather than one of its members: a
    /// handler may answer 400 for these and 422 for the others.
    pub fn is_document_level(&self) -> bool {
        self.path == "$"
    }
}

/// How urgently a bulletin goes out (DESIGN.md §4), lowest first: the
/// derived order sorts `Normal < Priority < Emergency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = BulletinPriority)]
pub enum Priority {
    /// Thông thường: waits for an editor's approval in the commune's queue.
    Normal,
    /// Ưu tiên: goes to the head of the targeted boards' programme.
    Priority,
    /// Khẩn cấp: preempts everything on every targeted board at once.
    Emergency,
}

impl Priority {
    /// The wire name: `normal`, `priority` or `emergency`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Priority => "priority",
            Priority::Emergency => "emergency",
        }
    }
}

/// A bulletin as sent by a source system, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "schema", rename = "bangtin.bulletin/1", rename_all = "camelCase")]
pub struct Bulletin {
    /// The source's identifier, 1–128 characters of `A–Z a–z 0–9 . _ : -`;
    /// stable across versions of the same bulletin.
    pub id: String,
    /// ≥ 1; a later version of the same id replaces the earlier one.
    pub version: u64,
    pub source: Source,
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// BCP 47 language tag, e.g. `vi`, `vi-VN`, `en`.
    pub language: String,
    /// 1–200 characters.
    pub title: String,
    /// At most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What the boards show; at least one item unless `cancel`.
    #[serde(default)]
    pub board: BoardContent,
    /// What the loudspeakers play.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Audio>,
    /// Where it goes; at least one target unless `cancel` (a cancel without
    /// targets withdraws the bulletin wherever it went).
    #[serde(default)]
    pub targets: Targets,
    /// When it is shown; empty means at once, all day, every day.
    #[serde(default)]
    pub schedule: Schedule,
    /// Id of another bulletin this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// Withdraws the bulletin `id` (this version and every earlier one).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cancel: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The system (and person) that sent a bulletin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BulletinSource)]
pub struct Source {
    /// 1–200 characters, e.g. "HTTTN tỉnh Thái Nguyên".
    pub system: String,
    /// At most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// What a bulletin shows on the boards, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BulletinBoardContent)]
pub struct BoardContent {
    /// At most 20 items.
    pub items: Vec<BoardItem>,
}

/// One piece of board content, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schema(as = BulletinItem)]
pub enum BoardItem {
    /// A page of text: body at most 5000 characters, headline at most 200.
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        headline: Option<String>,
        body: String,
        /// Seconds on screen, in (0, 3600].
        #[serde(rename = "durationSec", default, skip_serializing_if = "Option::is_none")]
        duration_sec: Option<f64>,
    },
    /// A line of text scrolling along the bottom, at most 1000 characters.
    Ticker {
        text: String,
        #[serde(rename = "durationSec", default, skip_serializing_if = "Option::is_none")]
        duration_sec: Option<f64>,
    },
    /// An image the manager fetches by URL and checks against `sha256`.
    Image {
        /// http or https, at most 2000 characters, no user or password.
        url: String,
        /// SHA-256 of the file, 64 hex digits (stored in lowercase).
        sha256: String,
        #[serde(rename = "durationSec", default, skip_serializing_if = "Option::is_none")]
        duration_sec: Option<f64>,
        /// `fit` (default), `fill` or `stretch`, as in layouts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fit: Option<String>,
    },
    /// A video the manager fetches by URL and checks against `sha256`.
    Video {
        url: String,
        sha256: String,
        /// Seconds on screen; absent: the video's own length.
        #[serde(rename = "durationSec", default, skip_serializing_if = "Option::is_none")]
        duration_sec: Option<f64>,
    },
}

/// What the loudspeakers play: text to read aloud, a sound file, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BulletinAudio)]
pub struct Audio {
    /// Text to read aloud, at most 5000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tts: Option<String>,
    /// A sound file; requires `sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Where a bulletin goes: administrative units and/or single boards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BulletinTargets)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<AreaTarget>,
    /// Board ids, 1–64 characters of `A–Z a–z 0–9 . _ : -`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boards: Vec<String>,
}

/// An administrative unit by its official code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BulletinAreaTarget)]
pub struct AreaTarget {
    pub level: AreaLevel,
    /// 2 digits for a province, 5 for a commune, e.g. "05545".
    pub code: String,
}

/// The level of an administrative unit (Vietnam has had two since 2025).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = BulletinAreaLevel)]
pub enum AreaLevel {
    /// Tỉnh / thành phố; 2-digit code.
    Province,
    /// Xã / phường / đặc khu; 5-digit code.
    Commune,
}

impl AreaLevel {
    /// Number of digits in this level's official codes.
    pub fn code_digits(self) -> usize {
        match self {
            AreaLevel::Province => 2,
            AreaLevel::Commune => 5,
        }
    }
}

/// When a bulletin is shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BulletinSchedule)]
pub struct Schedule {
    /// RFC 3339 with an explicit offset; absent: from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<FixedOffset>>,
    /// RFC 3339 with an explicit offset, after `validFrom`; absent: until
    /// cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<DateTime<FixedOffset>>,
    /// Daily windows in the board's local time, not overlapping; empty: all
    /// day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<Slot>,
    /// ISO weekdays, 1 = Monday … 7 = Sunday, no repeats; empty: every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekdays: Vec<u8>,
    /// Times per slot, 1–1000; absent: loop within the slots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1000)]
    pub repeats: Option<u32>,
}

/// A daily window, `start` inclusive to `end` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BulletinSlot)]
pub struct Slot {
    /// "HH:MM", 00:00–23:59.
    pub start: String,
    /// "HH:MM", after `start`, up to "24:00".
    pub end: String,
}

impl Slot {
    /// Start and end in minutes after midnight (end up to 1440), or `None`
    /// if either is not a valid "HH:MM".
    pub fn minutes(&self) -> Option<(u16, u16)> {
        Some((clock_minutes(&self.start, false)?, clock_minutes(&self.end, true)?))
    }
}

impl Bulletin {
    /// Every media URL with its expected SHA-256 (images, videos, audio).
    pub fn media(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .board
            .items
            .iter()
            .filter_map(|it| match it {
                BoardItem::Image { url, sha256, .. } | BoardItem::Video { url, sha256, .. } => {
                    Some((url.as_str(), sha256.as_str()))
                }
                BoardItem::Text { .. } | BoardItem::Ticker { .. } => None,
            })
            .collect();
        if let Some(Audio {
            url: Some(u),
            sha256: Some(h),
            ..
        }) = &self.audio
        {
            out.push((u, h));
        }
        out
    }

    /// Target administrative codes (commune and province) in order.
    pub fn area_codes(&self) -> Vec<&str> {
        self.targets.areas.iter().map(|a| a.code.as_str()).collect()
    }
}

// ---------------------------------------------------------------------------
// OpenAPI: the documented body has the `schema` member the Rust type keeps
// implicit, so the schema of `Bulletin` is that of this mirror.

/// The only value `schema` takes.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
enum SchemaName {
    #[serde(rename = "bangtin.bulletin/1")]
    V1,
}

/// A bulletin from a source information system, `bangtin.bulletin/1`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BulletinDoc {
    /// Always "bangtin.bulletin/1".
    #[schema(inline)]
    schema: SchemaName,
    /// The source's identifier, 1–128 characters of `A–Z a–z 0–9 . _ : -`;
    /// stable across versions of the same bulletin.
    id: String,
    /// ≥ 1; a later version of the same id replaces the earlier one; the same
    /// id and version twice is accepted once.
    #[schema(minimum = 1)]
    version: u64,
    source: Source,
    priority: Priority,
    /// Free text, at most 100 characters, e.g. "chính sách".
    #[serde(default)]
    category: Option<String>,
    /// BCP 47 language tag, e.g. `vi`, `vi-VN`, `en`.
    language: String,
    /// 1–200 characters.
    title: String,
    /// At most 1000 characters.
    #[serde(default)]
    summary: Option<String>,
    /// What the boards show; required, with 1–20 items, unless `cancel`.
    #[serde(default)]
    board: Option<BoardContent>,
    /// What the loudspeakers play: `tts` and/or `url` with `sha256`.
    #[serde(default)]
    audio: Option<Audio>,
    /// Where it goes: required, with 1–5000 targets, unless `cancel`.
    #[serde(default)]
    targets: Option<Targets>,
    /// When it is shown; absent: at once, all day, every day, until
    /// cancelled.
    #[serde(default)]
    schedule: Option<Schedule>,
    /// Id of another bulletin this one replaces.
    #[serde(default)]
    supersedes: Option<String>,
    /// Withdraws the bulletin `id` (every version) wherever it went.
    #[serde(default)]
    cancel: bool,
}

impl utoipa::PartialSchema for Bulletin {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        BulletinDoc::schema()
    }
}

impl ToSchema for Bulletin {
    fn name() -> std::borrow::Cow<'static, str> {
        "Bulletin".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        BulletinDoc::schemas(schemas);
    }
}

// ---------------------------------------------------------------------------
// Reading.

/// Read and validate a `bangtin.bulletin/1` document. Never panics; refuses
/// with the path of the first problem found.
pub fn parse(body: &[u8]) -> Result<Bulletin, BadBulletin> {
    if body.len() > MAX_BYTES {
        return Err(BadBulletin::new(
            "$",
            format!(
                "tài liệu quá lớn: {} byte, tối đa {MAX_BYTES} byte (document too large: {} bytes, at most {MAX_BYTES})",
                body.len(),
                body.len()
            ),
        ));
    }
    // A UTF-8 byte order mark, as some Windows tools write, is not JSON.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    check_depth(body)?;
    let root: J = serde_json::from_slice(body).map_err(|e| {
        BadBulletin::new(
            "$",
            format!(
                "JSON không hợp lệ ở dòng {}, cột {} (malformed JSON: {e})",
                e.line(),
                e.column()
            ),
        )
    })?;
    bulletin(&root)
}

/// Refuse nesting deeper than [`MAX_DEPTH`] with one pass over the bytes, so
/// that no recursive reader ever sees such a document.
fn check_depth(body: &[u8]) -> Result<(), BadBulletin> {
    let (mut depth, mut line, mut line_start) = (0usize, 1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in body.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let column = i - line_start + 1;
                    return Err(BadBulletin::new(
                        "$",
                        format!(
                            "lồng nhau quá sâu ở dòng {line}, cột {column}: tối đa {MAX_DEPTH} cấp \
                             (nested deeper than {MAX_DEPTH} levels at line {line} column {column})"
                        ),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A JSON value that keeps object members in document order and remembers
/// the first key an object repeats.
enum J {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>, Option<String>),
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<J, E> {
        Ok(J::Num(v.into()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<J, E> {
        Ok(J::Num(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<J, E> {
        serde_json::Number::from_f64(v)
            .map(J::Num)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<J, E> {
        Ok(J::Str(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<J, E> {
        Ok(J::Str(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        J::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(J::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut members: Vec<(String, J)> = Vec::new();
        let mut seen = HashSet::new();
        let mut repeated = None;
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value::<J>()?;
            if !seen.insert(k.clone()) && repeated.is_none() {
                repeated = Some(k.clone());
            }
            members.push((k, v));
        }
        Ok(J::Obj(members, repeated))
    }
}

impl J {
    /// What this is, in Vietnamese and English, for messages.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            J::Null => ("null", "null"),
            J::Bool(_) => ("giá trị true/false", "a boolean"),
            J::Num(_) => ("số", "a number"),
            J::Str(_) => ("chuỗi", "a string"),
            J::Arr(_) => ("mảng", "an array"),
            J::Obj(..) => ("đối tượng", "an object"),
        }
    }

    /// The member `key` of an object, if present and not null.
    fn member(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(m, _) => m
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .filter(|v| !matches!(v, J::Null)),
            _ => None,
        }
    }
}

type R<T> = Result<T, BadBulletin>;

/// `path.key`, or `key` at the top.
fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn idx(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// A path as shown: `$` for the document itself.
fn shown(path: &str) -> &str {
    if path.is_empty() { "$" } else { path }
}

/// A name from the document, safe to echo: escaped and at most 64 characters.
fn echo(s: &str) -> String {
    let mut out: String = s.chars().take(64).flat_map(char::escape_debug).collect();
    if s.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

fn wrong_type(path: &str, vi: &str, en: &str, got: &J) -> BadBulletin {
    let (got_vi, got_en) = got.kind();
    BadBulletin::new(
        shown(path),
        format!("phải là {vi}, không phải {got_vi} (must be {en}, not {got_en})"),
    )
}

fn missing(path: &str) -> BadBulletin {
    BadBulletin::new(path, "thiếu trường bắt buộc (required field missing)")
}

/// The members of the object `j`, after refusing unknown and repeated keys.
/// Returns an accessor that treats null like an absent member.
fn object<'a>(j: &'a J, path: &str, allowed: &[&str]) -> R<Obj<'a>> {
    let J::Obj(members, repeated) = j else {
        return Err(wrong_type(path, "đối tượng", "an object", j));
    };
    if let Some((k, _)) = members.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        let k = echo(k);
        let list = allowed.join(", ");
        return Err(BadBulletin::new(
            at(path, &k),
            format!(
                "trường không được hỗ trợ \"{k}\"; các trường hợp lệ: {list} \
                 (unknown field \"{k}\"; expected one of: {list})"
            ),
        ));
    }
    if let Some(k) = repeated {
        let k = echo(k);
        return Err(BadBulletin::new(
            at(path, &k),
            format!("trường \"{k}\" xuất hiện nhiều lần (duplicate field \"{k}\")"),
        ));
    }
    Ok(Obj {
        j,
        path: path.to_string(),
    })
}

struct Obj<'a> {
    j: &'a J,
    path: String,
}

impl<'a> Obj<'a> {
    fn get(&self, key: &str) -> Option<&'a J> {
        self.j.member(key)
    }
    fn path(&self, key: &str) -> String {
        at(&self.path, key)
    }
    /// A required member.
    fn req(&self, key: &str) -> R<&'a J> {
        self.get(key).ok_or_else(|| missing(&self.path(key)))
    }
}

fn string<'a>(j: &'a J, path: &str) -> R<&'a str> {
    match j {
        J::Str(s) => Ok(s),
        other => Err(wrong_type(path, "chuỗi", "a string", other)),
    }
}

fn array<'a>(j: &'a J, path: &str) -> R<&'a [J]> {
    match j {
        J::Arr(a) => Ok(a),
        other => Err(wrong_type(path, "mảng", "an array", other)),
    }
}

fn unsigned(j: &J, path: &str) -> R<u64> {
    match j {
        J::Num(n) => n
            .as_u64()
            .ok_or_else(|| BadBulletin::new(path, "phải là số nguyên không âm (must be a non-negative integer)")),
        other => Err(wrong_type(path, "số nguyên", "an integer", other)),
    }
}

/// Bidirectional embeddings, overrides and isolates: they can make text read
/// differently from what it says, and Vietnamese never needs them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text as stored: no control characters but line feeds and tabs (a CR LF
/// pair becomes LF), trimmed, `min..=max` characters.
fn text(j: &J, path: &str, min: usize, max: usize) -> R<String> {
    let raw = string(j, path)?;
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\r' && matches!(chars.peek(), Some((_, '\n'))) {
            continue;
        }
        if (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) {
            let (n, u) = (i + 1, c as u32);
            return Err(BadBulletin::new(
                path,
                format!(
                    "chứa ký tự điều khiển U+{u:04X} ở ký tự thứ {n}; chỉ cho phép xuống dòng và tab \
                     (contains control character U+{u:04X} at character {n}; only line feeds and tabs are allowed)"
                ),
            ));
        }
        out.push(c);
    }
    let trimmed = out.trim();
    let n = trimmed.chars().count();
    if n == 0 && min > 0 {
        return Err(BadBulletin::new(path, "không được để trống (must not be blank)"));
    }
    if n > max {
        return Err(BadBulletin::new(
            path,
            format!("dài {n} ký tự, tối đa {max} ký tự (too long: {n} characters, at most {max})"),
        ));
    }
    Ok(if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    })
}

/// Optional text: absent, null or blank are `None`.
fn opt_text(j: Option<&J>, path: &str, max: usize) -> R<Option<String>> {
    match j {
        None => Ok(None),
        Some(j) => text(j, path, 0, max).map(|s| Some(s).filter(|s| !s.is_empty())),
    }
}

/// An identifier: 1–`max` characters of `A–Z a–z 0–9 . _ : -`.
fn ident(j: &J, path: &str, max: usize) -> R<String> {
    let s = string(j, path)?;
    let n = s.chars().count();
    if (1..=max).contains(&n)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    {
        Ok(s.to_string())
    } else {
        Err(BadBulletin::new(
            path,
            format!(
                "phải gồm 1–{max} ký tự A–Z, a–z, 0–9, '.', '_', ':', '-' \
                 (must be 1–{max} characters of A–Z a–z 0–9 . _ : -)"
            ),
        ))
    }
}

/// A BCP-47-shaped tag: 2–3 letters, then subtags of 1–8 letters or digits.
pub(crate) fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && s.len() <= 35
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn media_url(j: &J, path: &str) -> R<String> {
    let s = string(j, path)?;
    let n = s.chars().count();
    if n == 0 {
        return Err(BadBulletin::new(path, "không được để trống (must not be blank)"));
    }
    if n > MAX_URL_CHARS {
        return Err(BadBulletin::new(
            path,
            format!(
                "URL dài {n} ký tự, tối đa {MAX_URL_CHARS} (URL too long: {n} characters, at most {MAX_URL_CHARS})"
            ),
        ));
    }
    // The URL parser would silently drop these; refuse them instead.
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(BadBulletin::new(
            path,
            "URL không được chứa khoảng trắng hay ký tự điều khiển (URL must not contain spaces or control characters)",
        ));
    }
    // The same parser the media fetcher uses, so both read the URL alike.
    let u =
        reqwest::Url::parse(s).map_err(|e| BadBulletin::new(path, format!("URL không hợp lệ (invalid URL: {e})")))?;
    if !matches!(u.scheme(), "http" | "https") {
        let scheme = echo(u.scheme());
        return Err(BadBulletin::new(
            path,
            format!(
                "chỉ nhận URL http hoặc https, không nhận \"{scheme}\" (only http or https URLs, not \"{scheme}\")"
            ),
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(BadBulletin::new(
            path,
            "URL không được chứa tên người dùng hay mật khẩu (URL must not contain credentials)",
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(BadBulletin::new(path, "URL thiếu máy chủ (URL has no host)"));
    }
    Ok(s.to_string())
}

/// 64 hex digits, returned in lowercase.
fn sha256(j: &J, path: &str) -> R<String> {
    let s = string(j, path)?;
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(BadBulletin::new(
            path,
            format!(
                "SHA-256 phải gồm đúng 64 chữ số thập lục phân, nhận được {} ký tự \
                 (SHA-256 must be exactly 64 hex digits; got {} characters)",
                s.chars().count(),
                s.chars().count()
            ),
        ))
    }
}

fn duration(j: Option<&J>, path: &str) -> R<Option<f64>> {
    match j {
        None => Ok(None),
        Some(J::Num(n)) => match n.as_f64() {
            Some(v) if v > 0.0 && v <= 3600.0 => Ok(Some(v)),
            _ => Err(BadBulletin::new(
                path,
                "thời lượng phải lớn hơn 0 và không quá 3600 giây (duration must be in (0, 3600] seconds)",
            )),
        },
        Some(other) => Err(wrong_type(path, "số giây", "a number of seconds", other)),
    }
}

/// Minutes after midnight of "HH:MM" (00:00–23:59, or 24:00 if `end`).
fn clock_minutes(s: &str, end: bool) -> Option<u16> {
    let &[h1, h2, b':', m1, m2] = s.as_bytes() else {
        return None;
    };
    if ![h1, h2, m1, m2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let h = u16::from(h1 - b'0') * 10 + u16::from(h2 - b'0');
    let m = u16::from(m1 - b'0') * 10 + u16::from(m2 - b'0');
    match (h, m) {
        (24, 0) if end => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn clock(j: &J, path: &str, end: bool) -> R<(String, u16)> {
    let s = string(j, path)?;
    match clock_minutes(s, end) {
        Some(m) => Ok((s.to_string(), m)),
        None if end => Err(BadBulletin::new(
            path,
            "giờ phải có dạng HH:MM từ 00:00 đến 24:00 (time must be HH:MM between 00:00 and 24:00)",
        )),
        None => Err(BadBulletin::new(
            path,
            "giờ phải có dạng HH:MM từ 00:00 đến 23:59 (time must be HH:MM between 00:00 and 23:59)",
        )),
    }
}

fn instant(j: &J, path: &str) -> R<DateTime<FixedOffset>> {
    let s = string(j, path)?;
    DateTime::parse_from_rfc3339(s).map_err(|_| {
        let naive = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(s, f).is_ok())
            || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
        if naive {
            BadBulletin::new(
                path,
                "thời điểm phải ghi rõ múi giờ, ví dụ 2026-11-28T00:00:00+07:00 \
                 (an explicit UTC offset is required, e.g. 2026-11-28T00:00:00+07:00)",
            )
        } else {
            BadBulletin::new(
                path,
                "phải là thời điểm RFC 3339, ví dụ 2026-11-28T00:00:00+07:00 \
                 (must be an RFC 3339 date-time, e.g. 2026-11-28T00:00:00+07:00)",
            )
        }
    })
}

const TOP: &[&str] = &[
    "schema",
    "id",
    "version",
    "source",
    "priority",
    "category",
    "language",
    "title",
    "summary",
    "board",
    "audio",
    "targets",
    "schedule",
    "supersedes",
    "cancel",
];

fn bulletin(root: &J) -> R<Bulletin> {
    if !matches!(root, J::Obj(..)) {
        let (vi, en) = root.kind();
        return Err(BadBulletin::new(
            "$",
            format!(
                "tài liệu phải là một đối tượng JSON, không phải {vi} (the document must be a JSON object, not {en})"
            ),
        ));
    }
    // The schema first: a document of another schema is refused as such,
    // not for the members it has that this one lacks.
    match root.member("schema") {
        Some(J::Str(s)) if s == SCHEMA => {}
        Some(J::Str(s)) => {
            let s = echo(s);
            return Err(BadBulletin::new(
                "schema",
                format!(
                    "lược đồ \"{s}\" không được hỗ trợ; chỉ hỗ trợ \"{SCHEMA}\" \
                     (unsupported schema \"{s}\"; supported schemas: {SCHEMA})"
                ),
            ));
        }
        Some(other) => {
            let (vi, en) = other.kind();
            return Err(BadBulletin::new(
                "schema",
                format!(
                    "phải là chuỗi \"{SCHEMA}\", không phải {vi} (must be the string \"{SCHEMA}\", not {en}; supported schemas: {SCHEMA})"
                ),
            ));
        }
        None => {
            return Err(BadBulletin::new(
                "schema",
                format!("thiếu trường schema; chỉ hỗ trợ \"{SCHEMA}\" (missing schema; supported schemas: {SCHEMA})"),
            ));
        }
    }
    let f = object(root, "", TOP)?;

    let cancel = match f.get("cancel") {
        None => false,
        Some(J::Bool(b)) => *b,
        Some(other) => return Err(wrong_type("cancel", "true hoặc false", "true or false", other)),
    };
    let id = ident(f.req("id")?, "id", 128)?;
    let version = unsigned(f.req("version")?, "version")?;
    if version == 0 {
        return Err(BadBulletin::new("version", "phải từ 1 trở lên (must be at least 1)"));
    }
    let source = source(f.req("source")?, "source")?;
    let priority = match string(f.req("priority")?, "priority")? {
        "normal" => Priority::Normal,
        "priority" => Priority::Priority,
        "emergency" => Priority::Emergency,
        other => {
            let other = echo(other);
            return Err(BadBulletin::new(
                "priority",
                format!(
                    "mức ưu tiên \"{other}\" không hợp lệ; chỉ nhận normal, priority, emergency \
                     (unknown priority \"{other}\"; expected normal, priority or emergency)"
                ),
            ));
        }
    };
    let category = opt_text(f.get("category"), "category", 100)?;
    let language = string(f.req("language")?, "language")?;
    if !is_language_tag(language) {
        return Err(BadBulletin::new(
            "language",
            "phải là mã ngôn ngữ BCP 47, ví dụ vi, vi-VN, en (must be a BCP 47 language tag, e.g. vi, vi-VN, en)",
        ));
    }
    let language = language.to_string();
    let title = text(f.req("title")?, "title", 1, 200)?;
    let summary = opt_text(f.get("summary"), "summary", 1000)?;
    let board = match f.get("board") {
        None if cancel => BoardContent::default(),
        None => return Err(missing("board")),
        Some(j) => board(j, "board", cancel)?,
    };
    let audio = f.get("audio").map(|j| audio(j, "audio")).transpose()?;
    let targets = match f.get("targets") {
        None if cancel => Targets::default(),
        None => return Err(missing("targets")),
        Some(j) => targets(j, "targets", cancel)?,
    };
    let schedule = f
        .get("schedule")
        .map(|j| schedule(j, "schedule"))
        .transpose()?
        .unwrap_or_default();
    let supersedes = f.get("supersedes").map(|j| ident(j, "supersedes", 128)).transpose()?;
    if supersedes.as_deref() == Some(id.as_str()) {
        return Err(BadBulletin::new(
            "supersedes",
            "bản tin không thể thay thế chính nó; hãy gửi version cao hơn \
             (a bulletin cannot supersede itself; send a higher version instead)",
        ));
    }
    Ok(Bulletin {
        id,
        version,
        source,
        priority,
        category,
        language,
        title,
        summary,
        board,
        audio,
        targets,
        schedule,
        supersedes,
        cancel,
    })
}

fn source(j: &J, path: &str) -> R<Source> {
    let f = object(j, path, &["system", "author"])?;
    Ok(Source {
        system: text(f.req("system")?, &f.path("system"), 1, 200)?,
        author: opt_text(f.get("author"), &f.path("author"), 200)?,
    })
}

fn board(j: &J, path: &str, cancel: bool) -> R<BoardContent> {
    let f = object(j, path, &["items"])?;
    let items_path = f.path("items");
    let items = match f.get("items") {
        None if cancel => &[][..],
        None => return Err(missing(&items_path)),
        Some(j) => array(j, &items_path)?,
    };
    if items.len() > MAX_ITEMS {
        return Err(BadBulletin::new(
            items_path,
            format!(
                "tối đa {MAX_ITEMS} mục, nhận được {} (at most {MAX_ITEMS} items, got {})",
                items.len(),
                items.len()
            ),
        ));
    }
    if items.is_empty() && !cancel {
        return Err(BadBulletin::new(
            items_path,
            "cần ít nhất một mục, trừ khi cancel là true (at least one item is required unless cancel is true)",
        ));
    }
    let items = items
        .iter()
        .enumerate()
        .map(|(i, it)| item(it, &idx(&items_path, i)))
        .collect::<R<_>>()?;
    Ok(BoardContent { items })
}

fn item(j: &J, path: &str) -> R<BoardItem> {
    if !matches!(j, J::Obj(..)) {
        return Err(wrong_type(path, "đối tượng", "an object", j));
    }
    let type_path = at(path, "type");
    let ty = string(j.member("type").ok_or_else(|| missing(&type_path))?, &type_path)?;
    match ty {
        "text" => {
            let f = object(j, path, &["type", "headline", "body", "durationSec"])?;
            Ok(BoardItem::Text {
                headline: opt_text(f.get("headline"), &f.path("headline"), 200)?,
                body: text(f.req("body")?, &f.path("body"), 1, 5000)?,
                duration_sec: duration(f.get("durationSec"), &f.path("durationSec"))?,
            })
        }
        "ticker" => {
            let f = object(j, path, &["type", "text", "durationSec"])?;
            Ok(BoardItem::Ticker {
                text: text(f.req("text")?, &f.path("text"), 1, 1000)?,
                duration_sec: duration(f.get("durationSec"), &f.path("durationSec"))?,
            })
        }
        "image" => {
            let f = object(j, path, &["type", "url", "sha256", "durationSec", "fit"])?;
            let url = media_url(f.req("url")?, &f.path("url"))?;
            let sha256 = sha256(f.req("sha256")?, &f.path("sha256"))?;
            let duration_sec = duration(f.get("durationSec"), &f.path("durationSec"))?;
            let fit = match f.get("fit") {
                None => None,
                Some(j) => match string(j, &f.path("fit"))? {
                    s @ ("fit" | "fill" | "stretch") => Some(s.to_string()),
                    other => {
                        let other = echo(other);
                        return Err(BadBulletin::new(
                            f.path("fit"),
                            format!(
                                "cách vừa khung \"{other}\" không hợp lệ; chỉ nhận fit, fill, stretch \
                                 (unknown fit \"{other}\"; expected fit, fill or stretch)"
                            ),
                        ));
                    }
                },
            };
            Ok(BoardItem::Image {
                url,
                sha256,
                duration_sec,
                fit,
            })
        }
        "video" => {
            let f = object(j, path, &["type", "url", "sha256", "durationSec"])?;
            Ok(BoardItem::Video {
                url: media_url(f.req("url")?, &f.path("url"))?,
                sha256: sha256(f.req("sha256")?, &f.path("sha256"))?,
                duration_sec: duration(f.get("durationSec"), &f.path("durationSec"))?,
            })
        }
        other => {
            let other = echo(other);
            Err(BadBulletin::new(
                type_path,
                format!(
                    "loại mục \"{other}\" không hợp lệ; chỉ nhận text, ticker, image, video \
                     (unknown item type \"{other}\"; expected text, ticker, image or video)"
                ),
            ))
        }
    }
}

fn audio(j: &J, path: &str) -> R<Audio> {
    let f = object(j, path, &["tts", "url", "sha256"])?;
    let tts = opt_text(f.get("tts"), &f.path("tts"), 5000)?;
    let url = f.get("url").map(|j| media_url(j, &f.path("url"))).transpose()?;
    let sha = f.get("sha256").map(|j| sha256(j, &f.path("sha256"))).transpose()?;
    match (&tts, &url, &sha) {
        (None, None, _) => Err(BadBulletin::new(
            path,
            "cần tts (văn bản đọc) hoặc url (tệp âm thanh) (audio needs tts or url)",
        )),
        (_, Some(_), None) => Err(BadBulletin::new(
            f.path("sha256"),
            "url âm thanh cần kèm sha256 (an audio url requires sha256)",
        )),
        (_, None, Some(_)) => Err(BadBulletin::new(
            f.path("sha256"),
            "sha256 chỉ dùng kèm url (sha256 is only allowed with url)",
        )),
        _ => Ok(Audio { tts, url, sha256: sha }),
    }
}

fn targets(j: &J, path: &str, cancel: bool) -> R<Targets> {
    let f = object(j, path, &["areas", "boards"])?;
    let (areas_path, boards_path) = (f.path("areas"), f.path("boards"));
    let areas = f
        .get("areas")
        .map(|j| array(j, &areas_path))
        .transpose()?
        .unwrap_or_default();
    let boards = f
        .get("boards")
        .map(|j| array(j, &boards_path))
        .transpose()?
        .unwrap_or_default();
    let total = areas.len() + boards.len();
    if total > MAX_TARGETS {
        return Err(BadBulletin::new(
            path,
            format!(
                "tối đa {MAX_TARGETS} đối tượng nhận (areas và boards), nhận được {total} \
                 (at most {MAX_TARGETS} targets in areas and boards together, got {total})"
            ),
        ));
    }
    if total == 0 && !cancel {
        return Err(BadBulletin::new(
            path,
            "cần ít nhất một đối tượng nhận trong areas hoặc boards (at least one target is required in areas or boards)",
        ));
    }
    let mut out = Targets {
        areas: Vec::with_capacity(areas.len()),
        boards: Vec::with_capacity(boards.len()),
    };
    let mut seen: HashMap<(AreaLevel, String), usize> = HashMap::new();
    for (i, a) in areas.iter().enumerate() {
        let p = idx(&areas_path, i);
        let t = area(a, &p)?;
        if let Some(first) = seen.insert((t.level, t.code.clone()), i) {
            return Err(BadBulletin::new(
                p,
                format!("trùng với {areas_path}[{first}] (duplicate of {areas_path}[{first}])"),
            ));
        }
        out.areas.push(t);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, b) in boards.iter().enumerate() {
        let p = idx(&boards_path, i);
        let id = ident(b, &p, 64)?;
        if let Some(first) = seen.insert(id.clone(), i) {
            return Err(BadBulletin::new(
                p,
                format!("trùng với {boards_path}[{first}] (duplicate of {boards_path}[{first}])"),
            ));
        }
        out.boards.push(id);
    }
    Ok(out)
}

fn area(j: &J, path: &str) -> R<AreaTarget> {
    let f = object(j, path, &["level", "code"])?;
    let level = match string(f.req("level")?, &f.path("level"))? {
        "province" => AreaLevel::Province,
        "commune" => AreaLevel::Commune,
        other => {
            let other = echo(other);
            return Err(BadBulletin::new(
                f.path("level"),
                format!(
                    "cấp hành chính \"{other}\" không hợp lệ; chỉ nhận province, commune \
                     (unknown level \"{other}\"; expected province or commune)"
                ),
            ));
        }
    };
    let code_path = f.path("code");
    let code = match f.req("code")? {
        J::Str(s) => s,
        J::Num(_) => {
            return Err(BadBulletin::new(
                code_path,
                "mã phải là chuỗi chữ số, ví dụ \"05545\", để giữ số 0 ở đầu \
                 (the code must be a string of digits, e.g. \"05545\", to keep leading zeros)",
            ));
        }
        other => return Err(wrong_type(&code_path, "chuỗi", "a string", other)),
    };
    let digits = level.code_digits();
    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
        let (vi, en) = match level {
            AreaLevel::Province => ("mã tỉnh", "a province code"),
            AreaLevel::Commune => ("mã xã", "a commune code"),
        };
        return Err(BadBulletin::new(
            code_path,
            format!("{vi} phải gồm đúng {digits} chữ số ({en} must be exactly {digits} digits)"),
        ));
    }
    Ok(AreaTarget {
        level,
        code: code.clone(),
    })
}

fn schedule(j: &J, path: &str) -> R<Schedule> {
    let f = object(j, path, &["validFrom", "validTo", "slots", "weekdays", "repeats"])?;
    let valid_from = f
        .get("validFrom")
        .map(|j| instant(j, &f.path("validFrom")))
        .transpose()?;
    let valid_to = f.get("validTo").map(|j| instant(j, &f.path("validTo"))).transpose()?;
    if let (Some(from), Some(to)) = (valid_from, valid_to)
        && to <= from
    {
        return Err(BadBulletin::new(
            f.path("validTo"),
            "validTo phải sau validFrom (validTo must be after validFrom)",
        ));
    }

    let slots_path = f.path("slots");
    let raw_slots = f
        .get("slots")
        .map(|j| array(j, &slots_path))
        .transpose()?
        .unwrap_or_default();
    if raw_slots.len() > MAX_SLOTS {
        return Err(BadBulletin::new(
            slots_path,
            format!("tối đa {MAX_SLOTS} khung giờ (at most {MAX_SLOTS} slots)"),
        ));
    }
    let mut slots = Vec::with_capacity(raw_slots.len());
    let mut spans: Vec<(u16, u16, usize)> = Vec::with_capacity(raw_slots.len());
    for (i, s) in raw_slots.iter().enumerate() {
        let p = idx(&slots_path, i);
        let sf = object(s, &p, &["start", "end"])?;
        let (start, a) = clock(sf.req("start")?, &sf.path("start"), false)?;
        let (end, b) = clock(sf.req("end")?, &sf.path("end"), true)?;
        if b <= a {
            return Err(BadBulletin::new(
                sf.path("end"),
                "giờ kết thúc phải sau giờ bắt đầu; khung qua nửa đêm hãy tách làm hai \
                 (end must be after start; split a slot that crosses midnight in two)",
            ));
        }
        spans.push((a, b, i));
        slots.push(Slot { start, end });
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        if let [(_, prev_end, i), (next_start, _, j)] = w
            && next_start < prev_end
        {
            let (first, second) = ((*i).min(*j), (*i).max(*j));
            return Err(BadBulletin::new(
                idx(&slots_path, second),
                format!("chồng lên {slots_path}[{first}] (overlaps {slots_path}[{first}])"),
            ));
        }
    }

    let weekdays_path = f.path("weekdays");
    let raw_days = f
        .get("weekdays")
        .map(|j| array(j, &weekdays_path))
        .transpose()?
        .unwrap_or_default();
    let mut weekdays: Vec<u8> = Vec::with_capacity(raw_days.len().min(7));
    for (i, d) in raw_days.iter().enumerate() {
        let p = idx(&weekdays_path, i);
        let n = unsigned(d, &p).ok().filter(|n| (1..=7).contains(n)).ok_or_else(|| {
            BadBulletin::new(
                p.as_str(),
                "ngày trong tuần phải từ 1 (thứ Hai) đến 7 (Chủ nhật) (weekday must be 1 = Monday … 7 = Sunday)",
            )
        })?;
        let n = n as u8;
        if let Some(first) = weekdays.iter().position(|&x| x == n) {
            return Err(BadBulletin::new(
                p,
                format!("trùng với {weekdays_path}[{first}] (duplicate of {weekdays_path}[{first}])"),
            ));
        }
        weekdays.push(n);
    }

    let repeats = match f.get("repeats") {
        None => None,
        Some(j) => {
            let p = f.path("repeats");
            let n = unsigned(j, &p)?;
            if !(1..=u64::from(MAX_REPEATS)).contains(&n) {
                return Err(BadBulletin::new(
                    p,
                    format!("số lần phát phải từ 1 đến {MAX_REPEATS} (repeats must be 1–{MAX_REPEATS})"),
                ));
            }
            Some(n as u32)
        }
    };
    Ok(Schedule {
        valid_from,
        valid_to,
        slots,
        weekdays,
        repeats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_only_hh_mm() {
        assert_eq!(clock_minutes("00:00", false), Some(0));
        assert_eq!(clock_minutes("23:59", false), Some(1439));
        assert_eq!(clock_minutes("24:00", true), Some(1440));
        for bad in [
            "24:00", "25:00", "12:60", "1:00", "12:5", "12-00", "１2:00", "", "12:000",
        ] {
            assert_eq!(clock_minutes(bad, false), None, "{bad}");
        }
        assert_eq!(clock_minutes("24:01", true), None);
    }

    #[test]
    fn language_tags() {
        for ok in ["vi", "vi-VN", "en", "zh-Hant-TW", "es-419"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "v",
            "vietnamese",
            "vi_VN",
            "vi-",
            "-vi",
            "vi--VN",
            "vi-VERYLONGSUB",
            "v1",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn depth_scan_ignores_brackets_in_strings() {
        let deep_in_string = format!("{{\"a\": \"{}\"}}", "[".repeat(100));
        assert!(check_depth(deep_in_string.as_bytes()).is_ok());
        let escaped_quote = format!("{{\"a\": \"\\\"{}\"}}", "{".repeat(100));
        assert!(check_depth(escaped_quote.as_bytes()).is_ok());
        let nested = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check_depth(nested.as_bytes()).is_ok());
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(check_depth(too_deep.as_bytes()).is_err());
    }
}
