//! CAP 1.2 (OASIS Common Alerting Protocol, ITU-T X.1303) alerts: parsed
//! safely and interpreted for the boards.
//!
//! Safety comes first, because the document comes from the network:
//!
//! - documents larger than [`MAX_BYTES`] are refused before anything else;
//! - nesting deeper than [`MAX_DEPTH`] is refused by a lexical pre-scan
//!   *before* the XML parser runs (the parser descends recursively, so a
//!   deeply nested document would otherwise exhaust the stack);
//! - DTDs are not allowed at all, which refuses entity expansion ("billion
//!   laughs") and external entities;
//! - the numbers of info blocks, areas, geocodes, parameters and references,
//!   and the lengths of text fields, are bounded;
//! - no input makes [`parse`] panic (fuzzed in the tests).
//!
//! Only the CAP 1.2 namespace is accepted. Required elements and enumerated
//! values are checked as in the specification; every error names the element
//! path (e.g. `alert/info[1]/area[0]/geocode[2]/value`) and the reason, in
//! Vietnamese followed by English, so it can be returned to the source system
//! as it is.
//!
//! Elements of other namespaces (e.g. an XML signature) are ignored; elements
//! of the CAP namespace that CAP 1.2 does not define are refused. Elements
//! that CAP defines but the boards do not use (`code`, `polygon`,
//! `resource`, …) are accepted and not interpreted.

use chrono::{DateTime, FixedOffset};
use roxmltree::{Document, Node, ParsingOptions};
use serde::Serialize;

/// Largest document accepted, in bytes.
pub const MAX_BYTES: usize = 256 * 1024;
/// Deepest element nesting accepted (`alert` is depth 1; CAP itself needs 5).
pub const MAX_DEPTH: usize = 16;
/// Most `info` blocks in one alert.
pub const MAX_INFOS: usize = 8;
/// Most `area` blocks in one `info`.
pub const MAX_AREAS: usize = 64;
/// Most `geocode`s in one `area`.
pub const MAX_GEOCODES: usize = 1000;
/// Most `parameter`s in one `info`.
pub const MAX_PARAMETERS: usize = 64;
/// Most entries in `references`.
pub const MAX_REFERENCES: usize = 100;
/// Most characters in a headline.
pub const MAX_HEADLINE_CHARS: usize = 500;
/// Most characters in a description or an instruction.
pub const MAX_LONG_TEXT_CHARS: usize = 8000;
/// Most characters in other free text (event, senderName, note, areaDesc,
/// parameter values, …).
pub const MAX_TEXT_CHARS: usize = 1000;
/// Most characters in a token (identifier, sender, language, valueName,
/// geocode values, times, enumerated values).
pub const MAX_TOKEN_CHARS: usize = 256;

/// The only namespace accepted.
pub const CAP_NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// Why a CAP document was refused: the element path (empty when it concerns
/// the document as a whole) and the reason, in Vietnamese then English.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct BadCap {
    /// Element path, e.g. `alert/info[1]/area[0]/geocode[2]/value`, or `""`.
    pub path: String,
    /// Vietnamese reason followed by the English meaning in parentheses.
    pub reason: String,
}

fn bad(path: impl Into<String>, reason: impl Into<String>) -> BadCap {
    BadCap {
        path: path.into(),
        reason: reason.into(),
    }
}

/// `status` of an alert. Only [`Status::Actual`] goes live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Actionable by all targeted recipients.
    Actual,
    /// Exercise: only for the exercise's participants.
    Exercise,
    /// Message supporting alert network internal functions.
    System,
    /// Technical testing only.
    Test,
    /// Preliminary template or draft, not actionable.
    Draft,
}

/// `msgType` of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MsgType {
    /// Initial information.
    Alert,
    /// Updates and supersedes the alerts in `references`.
    Update,
    /// Cancels the alerts in `references`.
    Cancel,
    /// Acknowledges receipt.
    Ack,
    /// Indicates rejection of the alerts in `references`.
    Error,
}

/// `scope` of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// For general dissemination to unrestricted audiences.
    Public,
    /// For users with a known operational requirement.
    Restricted,
    /// For specified addresses only.
    Private,
}

/// One earlier message named in `references` (`sender,identifier,sent`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    /// Sender of the referenced message.
    pub sender: String,
    /// Identifier of the referenced message.
    pub identifier: String,
    /// Time the referenced message was sent.
    pub sent: DateTime<FixedOffset>,
}

/// A geographic area of an `info` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Area {
    /// `areaDesc`: the area in words.
    pub desc: String,
    /// `geocode`s as (valueName, value).
    pub geocodes: Vec<(String, String)>,
}

/// One `info` block: the alert in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// RFC 3066 language code; `en-US` when absent, as the specification says.
    pub language: String,
    /// `category` values (at least one).
    pub category: Vec<String>,
    /// `event`: the type of event in words.
    pub event: String,
    /// `Immediate`, `Expected`, `Future`, `Past` or `Unknown`.
    pub urgency: String,
    /// `Extreme`, `Severe`, `Moderate`, `Minor` or `Unknown`.
    pub severity: String,
    /// `Observed`, `Likely` (also for the deprecated `Very Likely`),
    /// `Possible`, `Unlikely` or `Unknown`.
    pub certainty: String,
    /// When the information becomes effective.
    pub effective: Option<DateTime<FixedOffset>>,
    /// Expected onset of the event.
    pub onset: Option<DateTime<FixedOffset>>,
    /// When the information expires.
    pub expires: Option<DateTime<FixedOffset>>,
    /// `senderName`: the issuing authority in words.
    pub sender_name: Option<String>,
    /// Short headline (at most [`MAX_HEADLINE_CHARS`] characters).
    pub headline: Option<String>,
    /// Description of the event.
    pub description: Option<String>,
    /// Recommended action.
    pub instruction: Option<String>,
    /// `parameter`s as (valueName, value).
    pub parameters: Vec<(String, String)>,
    /// Areas concerned.
    pub areas: Vec<Area>,
}

/// A parsed, validated CAP 1.2 alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapAlert {
    /// Identifier chosen by the sender; unique per sender.
    pub identifier: String,
    /// Sender, globally unique (often an e-mail-like address).
    pub sender: String,
    /// When the message was sent.
    pub sent: DateTime<FixedOffset>,
    /// Actual, Exercise, System, Test or Draft.
    pub status: Status,
    /// Alert, Update, Cancel, Ack or Error.
    pub msg_type: MsgType,
    /// Public, Restricted or Private.
    pub scope: Scope,
    /// Earlier messages this one updates, cancels, acknowledges or rejects.
    pub references: Vec<Reference>,
    /// `note`: explanation, e.g. why a message is cancelled.
    pub note: Option<String>,
    /// The information, possibly in several languages.
    pub info: Vec<Info>,
}

/// `valueName`s of the Vietnamese disaster risk level parameter (compared
/// case-insensitively).
const RISK_NAMES: [&str; 3] = ["VN_RISK_LEVEL", "capDoRuiRo", "riskLevel"];
/// `valueName`s of administrative-unit geocodes (compared
/// case-insensitively).
const ADMIN_NAMES: [&str; 3] = ["VN-ADMIN", "VN_ADMIN", "admin"];

fn is_risk_name(name: &str) -> bool {
    RISK_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn is_admin_name(name: &str) -> bool {
    ADMIN_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn is_vietnamese(language: &str) -> bool {
    let primary = language.split('-').next().unwrap_or("");
    primary.eq_ignore_ascii_case("vi")
}

impl CapAlert {
    /// The info block for the board: Vietnamese (`vi`, `vi-VN`, any region,
    /// any case) if present, else the first.
    pub fn board_info(&self) -> Option<&Info> {
        self.info
            .iter()
            .find(|i| is_vietnamese(&i.language))
            .or_else(|| self.info.first())
    }

    /// `urgency` Immediate and `severity` Extreme or Severe (in any info
    /// block) ⇒ emergency.
    pub fn is_emergency(&self) -> bool {
        self.info
            .iter()
            .any(|i| i.urgency == "Immediate" && (i.severity == "Extreme" || i.severity == "Severe"))
    }

    /// Vietnamese disaster risk level 1–5 from a parameter (`valueName`
    /// `VN_RISK_LEVEL`, also `capDoRuiRo` or `riskLevel`, any case); `None` if
    /// absent. When several info blocks (or parameters) give one, the highest
    /// is taken: erring towards caution. Values outside 1–5 never get here,
    /// [`parse`] refuses them.
    pub fn risk_level(&self) -> Option<u8> {
        self.info
            .iter()
            .flat_map(|i| i.parameters.iter())
            .filter(|(name, _)| is_risk_name(name))
            .filter_map(|(_, value)| value.trim().parse::<u8>().ok())
            .filter(|l| (1..=5).contains(l))
            .max()
    }

    /// Administrative-unit codes of every area's geocodes (`valueName`
    /// `VN-ADMIN`, also `VN_ADMIN` or `admin`, any case), over all info
    /// blocks, deduplicated, in order of first appearance.
    pub fn area_codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = Vec::new();
        for (_, value) in self
            .info
            .iter()
            .flat_map(|i| i.areas.iter())
            .flat_map(|a| a.geocodes.iter())
            .filter(|(name, _)| is_admin_name(name))
        {
            if !codes.iter().any(|c| c == value) {
                codes.push(value.clone());
            }
        }
        codes
    }

    /// Whether the alert goes on the boards: `status` Actual only. Test,
    /// Exercise, System and Draft alerts are kept and may be previewed.
    pub fn goes_live(&self) -> bool {
        self.status == Status::Actual
    }

    /// Latest `expires` over the info blocks that give one (`None` when none
    /// gives an expiry).
    pub fn expires(&self) -> Option<DateTime<FixedOffset>> {
        self.info.iter().filter_map(|i| i.expires).max()
    }
}

/// Official colour of a Vietnamese disaster risk level (1 light blue,
/// 2 light yellow, 3 orange, 4 red, 5 purple) as `#rrggbb`, with a text
/// colour readable on it: `(background, text)`. `None` outside 1–5.
pub fn risk_colour(level: u8) -> Option<(&'static str, &'static str)> {
    // One palette for the manager and the boards' alert screens.
    bangtin_layouts::alerts::risk_colour(level)
}

// ---------------------------------------------------------------------------
// Parsing

/// Parse and validate a CAP 1.2 alert.
///
/// Never panics; every refusal names the element and the reason.
pub fn parse(body: &[u8]) -> Result<CapAlert, BadCap> {
    if body.len() > MAX_BYTES {
        return Err(bad(
            "",
            format!(
                "tài liệu quá lớn: {} byte, tối đa {MAX_BYTES} byte (document too large: {} bytes, at most {MAX_BYTES})",
                body.len(),
                body.len()
            ),
        ));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        bad(
            "",
            format!(
                "tài liệu không phải UTF-8 hợp lệ (byte thứ {}) (document is not valid UTF-8 at byte {})",
                e.valid_up_to(),
                e.valid_up_to()
            ),
        )
    })?;
    prescan(text)?;
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(xml_error)?;
    // The pre-scan already bounds the depth; this confirms it on the tree the
    // parser built, should the two ever disagree.
    check_depth(&doc)?;
    parse_alert(doc.root_element())
}

/// Translate a parser error into a [`BadCap`].
fn xml_error(e: roxmltree::Error) -> BadCap {
    use roxmltree::Error as E;
    let pos = e.pos();
    match e {
        E::DtdDetected => bad(
            "",
            "tài liệu chứa DOCTYPE (DTD, khai báo thực thể); không được phép vì lý do an toàn \
             (DOCTYPE/DTD and entity declarations are not allowed, for safety)",
        ),
        E::UnknownEntityReference(name, _) => bad(
            "",
            format!(
                "tham chiếu thực thể không xác định &{}; ở dòng {}, cột {} (unknown entity reference &{}; at line {}, column {})",
                shown(&name),
                pos.row,
                pos.col,
                shown(&name),
                pos.row,
                pos.col
            ),
        ),
        E::EntityReferenceLoop(_) => bad(
            "",
            "tham chiếu thực thể lồng nhau quá sâu (entity references nested too deeply)",
        ),
        E::NodesLimitReached => bad("", "tài liệu có quá nhiều nút (too many nodes)"),
        other => bad(
            "",
            format!(
                "XML không hợp lệ ở dòng {}, cột {} (malformed XML: {other})",
                pos.row, pos.col
            ),
        ),
    }
}

fn too_deep() -> BadCap {
    bad(
        "",
        format!(
            "tài liệu lồng nhau quá sâu, tối đa {MAX_DEPTH} cấp phần tử (elements nested deeper than {MAX_DEPTH} levels)"
        ),
    )
}

/// Lexical pre-scan bounding the element nesting before the (recursive) XML
/// parser sees the document.
///
/// It follows the parser's lexing (comments, CDATA sections, processing
/// instructions, quoted attribute values) and counts every `<` that starts
/// neither of those nor a closing tag as an element start, and `/>` or `</`
/// as an element end. Wherever the lexing could differ, the parser stops
/// with an error at or before that point, so the parser never descends
/// deeper than the depth counted here.
fn prescan(text: &str) -> Result<(), BadCap> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth: usize = 0;
    let find = |from: usize, pat: &[u8]| -> Option<usize> {
        b.get(from..)?
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| from + p)
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            match find(i + 4, b"-->") {
                Some(end) => i = end + 3,
                None => return Ok(()),
            }
        } else if rest.starts_with(b"<![CDATA[") {
            match find(i + 9, b"]]>") {
                Some(end) => i = end + 3,
                None => return Ok(()),
            }
        } else if rest.starts_with(b"<!DOCTYPE") {
            return Err(xml_error(roxmltree::Error::DtdDetected));
        } else if rest.starts_with(b"<!") {
            // Not XML the parser accepts: it stops here with an error.
            return Ok(());
        } else if rest.starts_with(b"<?") {
            match find(i + 2, b"?>") {
                Some(end) => i = end + 2,
                None => return Ok(()),
            }
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            match find(i + 2, b">") {
                Some(end) => i = end + 1,
                None => return Ok(()),
            }
        } else {
            // An element start: scan its tag, quoted values included.
            let mut j = i + 1;
            let mut quote: Option<u8> = None;
            let self_closing = loop {
                let Some(&c) = b.get(j) else {
                    // Unclosed tag: the parser stops with an error.
                    return Ok(());
                };
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == b'"' || c == b'\'' => quote = Some(c),
                    None if c == b'>' => break j > i + 1 && b[j - 1] == b'/',
                    None => {}
                }
                j += 1;
            };
            if !self_closing {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep());
                }
            }
            i = j + 1;
        }
    }
    Ok(())
}

/// Depth check on the parsed tree (each element's ancestors, bounded).
fn check_depth(doc: &Document<'_>) -> Result<(), BadCap> {
    for n in doc.descendants().filter(|n| n.is_element()) {
        // `ancestors` starts with the node itself.
        let depth = n.ancestors().take(MAX_DEPTH + 2).filter(|a| a.is_element()).count();
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
    }
    Ok(())
}

/// A value as quoted in an error message: at most 40 characters.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

/// The CAP children of an element, checked against the names CAP defines
/// for it; elements of other namespaces are left out.
struct Children<'a, 'i> {
    path: String,
    nodes: Vec<Node<'a, 'i>>,
}

impl<'a, 'i> Children<'a, 'i> {
    fn of(node: Node<'a, 'i>, path: &str, known: &[&str]) -> Result<Self, BadCap> {
        let mut nodes = Vec::new();
        for child in node.children().filter(|c| c.is_element()) {
            if child.tag_name().namespace() != Some(CAP_NS) {
                continue;
            }
            let name = child.tag_name().name();
            if !known.contains(&name) {
                return Err(bad(
                    format!("{path}/{name}"),
                    "phần tử không có trong CAP 1.2 tại vị trí này (element not defined by CAP 1.2 here)",
                ));
            }
            nodes.push(child);
        }
        Ok(Children {
            path: path.to_string(),
            nodes,
        })
    }

    fn all(&self, name: &str) -> impl Iterator<Item = Node<'a, 'i>> + '_ {
        let name = name.to_string();
        self.nodes.iter().copied().filter(move |n| n.tag_name().name() == name)
    }

    /// An element that may appear at most once; its path.
    fn one(&self, name: &str) -> Result<Option<(Node<'a, 'i>, String)>, BadCap> {
        let mut it = self.all(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(bad(
                format!("{}/{name}", self.path),
                format!("phần tử {name} xuất hiện nhiều lần (element {name} appears more than once)"),
            ));
        }
        Ok(first.map(|n| (n, format!("{}/{name}", self.path))))
    }

    /// Text of an optional single element (`None` when absent or empty).
    fn opt_text(&self, name: &str, max: usize) -> Result<Option<String>, BadCap> {
        match self.one(name)? {
            None => Ok(None),
            Some((n, path)) => {
                let t = text_of(n, &path, max)?;
                Ok(if t.is_empty() { None } else { Some(t) })
            }
        }
    }

    /// Text of a required single element, not empty; with its path.
    fn req_text(&self, name: &str, max: usize) -> Result<(String, String), BadCap> {
        let path = format!("{}/{name}", self.path);
        match self.one(name)? {
            None => Err(bad(path, format!("thiếu trường {name} (missing {name})"))),
            Some((n, path)) => {
                let t = text_of(n, &path, max)?;
                if t.is_empty() {
                    return Err(bad(path, format!("trường {name} rỗng (empty {name})")));
                }
                Ok((t, path))
            }
        }
    }

    fn opt_time(&self, name: &str) -> Result<Option<DateTime<FixedOffset>>, BadCap> {
        match self.one(name)? {
            None => Ok(None),
            Some((n, path)) => {
                let t = text_of(n, &path, MAX_TOKEN_CHARS)?;
                if t.is_empty() {
                    return Ok(None);
                }
                parse_time(&t, &path, name).map(Some)
            }
        }
    }
}

/// The text of a simple element, whitespace-trimmed; refused when it holds
/// child elements or is longer than `max` characters.
fn text_of(node: Node<'_, '_>, path: &str, max: usize) -> Result<String, BadCap> {
    let mut s = String::new();
    for child in node.children() {
        if child.is_element() {
            return Err(bad(
                path,
                "phần tử này chỉ được chứa văn bản, không chứa phần tử con (element must hold text only, no child elements)",
            ));
        }
        if let Some(t) = child.text().filter(|_| child.is_text()) {
            s.push_str(t);
        }
    }
    let t = s.trim();
    let n = t.chars().count();
    if n > max {
        return Err(bad(
            path,
            format!("văn bản quá dài: {n} ký tự, tối đa {max} (text too long: {n} characters, at most {max})"),
        ));
    }
    Ok(t.to_string())
}

/// Parse a CAP dateTime: `YYYY-MM-DDThh:mm:ss[.fff]` with an explicit
/// offset (`+07:00`; `-00:00` is UTC). `Z` is also taken as UTC although the
/// specification prefers `-00:00`.
fn parse_time(s: &str, path: &str, field: &str) -> Result<DateTime<FixedOffset>, BadCap> {
    let invalid = || {
        bad(
            path,
            format!(
                "thời gian {field} không hợp lệ \"{}\", cần dạng 2026-09-17T06:30:00+07:00 (invalid {field} time, expected e.g. 2026-09-17T06:30:00+07:00)",
                shown(s)
            ),
        )
    };
    if !s.is_ascii() || s.len() < 19 {
        return Err(invalid());
    }
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shape_ok = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape_ok {
        return Err(invalid());
    }
    let mut k = 19;
    if b.get(k) == Some(&b'.') {
        k += 1;
        let start = k;
        while b.get(k).is_some_and(u8::is_ascii_digit) {
            k += 1;
        }
        if k == start || k - start > 9 {
            return Err(invalid());
        }
    }
    let zone = &s[k..];
    let normalized = match zone {
        "" => {
            return Err(bad(
                path,
                format!(
                    "thời gian {field} \"{}\" thiếu độ lệch múi giờ, ví dụ +07:00 (time {field} has no UTC offset, e.g. +07:00)",
                    shown(s)
                ),
            ));
        }
        "Z" => format!("{}+00:00", &s[..k]),
        z if z.len() == 6
            && (z.starts_with('+') || z.starts_with('-'))
            && z.as_bytes()[3] == b':'
            && z.as_bytes()[1..3].iter().all(u8::is_ascii_digit)
            && z.as_bytes()[4..6].iter().all(u8::is_ascii_digit) =>
        {
            s.to_string()
        }
        _ => return Err(invalid()),
    };
    DateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S%.f%:z").map_err(|_| invalid())
}

/// Check an enumerated value against the allowed ones (case-sensitive, as
/// the specification).
fn enumerated<'v>(value: &str, allowed: &[&'v str], path: &str, field: &str) -> Result<&'v str, BadCap> {
    allowed.iter().copied().find(|a| *a == value).ok_or_else(|| {
        let list = allowed.join(", ");
        bad(
            path,
            format!(
                "giá trị {field} không hợp lệ \"{}\"; cho phép: {list} (invalid {field} value; allowed: {list})",
                shown(value)
            ),
        )
    })
}

/// identifier and sender: no whitespace, comma, `<` or `&` (CAP 1.2 §3.2.1).
fn check_id(value: &str, path: &str, field: &str) -> Result<(), BadCap> {
    if value
        .chars()
        .any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '&')
    {
        return Err(bad(
            path,
            format!(
                "{field} không được chứa khoảng trắng, dấu phẩy, '<' hoặc '&' (\"{}\") ({field} must not contain spaces, commas, '<' or '&')",
                shown(value)
            ),
        ));
    }
    Ok(())
}

const ALERT_CHILDREN: &[&str] = &[
    "identifier",
    "sender",
    "sent",
    "status",
    "msgType",
    "source",
    "scope",
    "restriction",
    "addresses",
    "code",
    "note",
    "references",
    "incidents",
    "info",
];

const INFO_CHILDREN: &[&str] = &[
    "language",
    "category",
    "event",
    "responseType",
    "urgency",
    "severity",
    "certainty",
    "audience",
    "eventCode",
    "effective",
    "onset",
    "expires",
    "senderName",
    "headline",
    "description",
    "instruction",
    "web",
    "contact",
    "parameter",
    "resource",
    "area",
];

const AREA_CHILDREN: &[&str] = &["areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"];

const CATEGORIES: &[&str] = &[
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
];

fn parse_alert(root: Node<'_, '_>) -> Result<CapAlert, BadCap> {
    let name = root.tag_name().name();
    match root.tag_name().namespace() {
        Some(CAP_NS) => {}
        Some(ns) if ns.starts_with("urn:oasis:names:tc:emergency:cap:") => {
            let version = ns.rsplit(':').next().unwrap_or("");
            return Err(bad(
                name,
                format!(
                    "CAP {} không được hỗ trợ; chỉ nhận CAP 1.2 ({CAP_NS}) (CAP {} is not supported; only CAP 1.2 is accepted)",
                    shown(version),
                    shown(version)
                ),
            ));
        }
        Some(ns) => {
            return Err(bad(
                name,
                format!(
                    "không gian tên phải là {CAP_NS}, nhận \"{}\" (namespace must be {CAP_NS})",
                    shown(ns)
                ),
            ));
        }
        None => {
            return Err(bad(
                name,
                format!("thiếu không gian tên {CAP_NS} (missing the CAP 1.2 namespace)"),
            ));
        }
    }
    if name != "alert" {
        return Err(bad(
            shown(name),
            "phần tử gốc phải là alert (the root element must be alert)",
        ));
    }

    let c = Children::of(root, "alert", ALERT_CHILDREN)?;

    let (identifier, path) = c.req_text("identifier", MAX_TOKEN_CHARS)?;
    check_id(&identifier, &path, "identifier")?;
    let (sender, path) = c.req_text("sender", MAX_TOKEN_CHARS)?;
    check_id(&sender, &path, "sender")?;
    let (sent, path) = c.req_text("sent", MAX_TOKEN_CHARS)?;
    let sent = parse_time(&sent, &path, "sent")?;

    let (status, path) = c.req_text("status", MAX_TOKEN_CHARS)?;
    let status = match enumerated(
        &status,
        &["Actual", "Exercise", "System", "Test", "Draft"],
        &path,
        "status",
    )? {
        "Actual" => Status::Actual,
        "Exercise" => Status::Exercise,
        "System" => Status::System,
        "Test" => Status::Test,
        _ => Status::Draft,
    };

    let (msg_type, path) = c.req_text("msgType", MAX_TOKEN_CHARS)?;
    let msg_type = match enumerated(
        &msg_type,
        &["Alert", "Update", "Cancel", "Ack", "Error"],
        &path,
        "msgType",
    )? {
        "Alert" => MsgType::Alert,
        "Update" => MsgType::Update,
        "Cancel" => MsgType::Cancel,
        "Ack" => MsgType::Ack,
        _ => MsgType::Error,
    };

    let (scope, path) = c.req_text("scope", MAX_TOKEN_CHARS)?;
    let scope = match enumerated(&scope, &["Public", "Restricted", "Private"], &path, "scope")? {
        "Public" => Scope::Public,
        "Restricted" => Scope::Restricted,
        _ => Scope::Private,
    };
    if scope == Scope::Private && c.opt_text("addresses", MAX_LONG_TEXT_CHARS)?.is_none() {
        return Err(bad(
            "alert/addresses",
            "bắt buộc khi scope là Private (required when scope is Private)",
        ));
    }
    // Checked for duplicates and size, not interpreted.
    c.opt_text("source", MAX_TEXT_CHARS)?;
    c.opt_text("restriction", MAX_TEXT_CHARS)?;
    c.opt_text("incidents", MAX_TEXT_CHARS)?;

    let note = c.opt_text("note", MAX_TEXT_CHARS)?;

    let references = match c.one("references")? {
        None => Vec::new(),
        Some((n, path)) => {
            let t = text_of(n, &path, MAX_REFERENCES * (3 * MAX_TOKEN_CHARS + 3))?;
            parse_references(&t, &path)?
        }
    };
    if references.is_empty() && matches!(msg_type, MsgType::Update | MsgType::Cancel) {
        let t = if msg_type == MsgType::Update {
            "Update"
        } else {
            "Cancel"
        };
        return Err(bad(
            "alert/references",
            format!(
                "bắt buộc khi msgType là {t}: cần ít nhất một cảnh báo được tham chiếu (required when msgType is {t}: at least one referenced alert)"
            ),
        ));
    }

    let mut info = Vec::new();
    for (k, n) in c.all("info").enumerate() {
        if k >= MAX_INFOS {
            return Err(bad(
                format!("alert/info[{k}]"),
                format!("quá nhiều khối info, tối đa {MAX_INFOS} (too many info blocks, at most {MAX_INFOS})"),
            ));
        }
        info.push(parse_info(n, &format!("alert/info[{k}]"))?);
    }

    Ok(CapAlert {
        identifier,
        sender,
        sent,
        status,
        msg_type,
        scope,
        references,
        note,
        info,
    })
}

/// `references`: whitespace-separated `sender,identifier,sent` triples.
fn parse_references(text: &str, path: &str) -> Result<Vec<Reference>, BadCap> {
    let mut out = Vec::new();
    for (k, entry) in text.split_whitespace().enumerate() {
        let n = k + 1;
        if k >= MAX_REFERENCES {
            return Err(bad(
                path,
                format!(
                    "quá nhiều tham chiếu, tối đa {MAX_REFERENCES} (too many references, at most {MAX_REFERENCES})"
                ),
            ));
        }
        let parts: Vec<&str> = entry.split(',').collect();
        let [sender, identifier, sent] = parts[..] else {
            return Err(bad(
                path,
                format!(
                    "tham chiếu thứ {n} \"{}\" không có dạng sender,identifier,sent (reference {n} is not sender,identifier,sent)",
                    shown(entry)
                ),
            ));
        };
        if sender.is_empty() || identifier.is_empty() {
            return Err(bad(
                path,
                format!("tham chiếu thứ {n} thiếu sender hoặc identifier (reference {n} lacks sender or identifier)"),
            ));
        }
        check_id(sender, path, "sender")?;
        check_id(identifier, path, "identifier")?;
        let sent = parse_time(sent, path, "sent")?;
        out.push(Reference {
            sender: sender.to_string(),
            identifier: identifier.to_string(),
            sent,
        });
    }
    Ok(out)
}

/// A `valueName`/`value` pair (parameter, geocode, eventCode).
fn parse_pair(node: Node<'_, '_>, path: &str) -> Result<(String, String), BadCap> {
    let c = Children::of(node, path, &["valueName", "value"])?;
    let (name, _) = c.req_text("valueName", MAX_TOKEN_CHARS)?;
    let value = match c.one("value")? {
        None => return Err(bad(format!("{path}/value"), "thiếu trường value (missing value)")),
        Some((n, p)) => text_of(n, &p, MAX_TEXT_CHARS)?,
    };
    Ok((name, value))
}

fn parse_info(node: Node<'_, '_>, path: &str) -> Result<Info, BadCap> {
    let c = Children::of(node, path, INFO_CHILDREN)?;

    let language = match c.opt_text("language", MAX_TOKEN_CHARS)? {
        None => "en-US".to_string(),
        Some(l) => {
            let ok = l.len() <= 35
                && l.split('-')
                    .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()));
            if !ok {
                return Err(bad(
                    format!("{path}/language"),
                    format!(
                        "mã ngôn ngữ không hợp lệ \"{}\", ví dụ vi-VN (invalid language code, e.g. vi-VN)",
                        shown(&l)
                    ),
                ));
            }
            l
        }
    };

    let mut category = Vec::new();
    for (k, n) in c.all("category").enumerate() {
        let p = format!("{path}/category[{k}]");
        if k >= CATEGORIES.len() {
            return Err(bad(p, "quá nhiều category (too many categories)"));
        }
        let t = text_of(n, &p, MAX_TOKEN_CHARS)?;
        let v = enumerated(&t, CATEGORIES, &p, "category")?;
        if !category.iter().any(|c: &String| c == v) {
            category.push(v.to_string());
        }
    }
    if category.is_empty() {
        return Err(bad(
            format!("{path}/category"),
            "thiếu trường category (missing category)",
        ));
    }

    let (event, _) = c.req_text("event", MAX_TEXT_CHARS)?;

    let (urgency, p) = c.req_text("urgency", MAX_TOKEN_CHARS)?;
    let urgency = enumerated(
        &urgency,
        &["Immediate", "Expected", "Future", "Past", "Unknown"],
        &p,
        "urgency",
    )?
    .to_string();
    let (severity, p) = c.req_text("severity", MAX_TOKEN_CHARS)?;
    let severity = enumerated(
        &severity,
        &["Extreme", "Severe", "Moderate", "Minor", "Unknown"],
        &p,
        "severity",
    )?
    .to_string();
    let (certainty, p) = c.req_text("certainty", MAX_TOKEN_CHARS)?;
    let certainty = if certainty == "Very Likely" {
        // Deprecated CAP 1.0 value, to be treated as Likely.
        "Likely".to_string()
    } else {
        enumerated(
            &certainty,
            &["Observed", "Likely", "Possible", "Unlikely", "Unknown"],
            &p,
            "certainty",
        )?
        .to_string()
    };

    let effective = c.opt_time("effective")?;
    let onset = c.opt_time("onset")?;
    let expires = c.opt_time("expires")?;
    if effective.zip(expires).is_some_and(|(from, to)| to < from) {
        return Err(bad(
            format!("{path}/expires"),
            "thời điểm hết hạn (expires) trước thời điểm hiệu lực (effective) (expires is before effective)",
        ));
    }

    let sender_name = c.opt_text("senderName", MAX_TEXT_CHARS)?;
    let headline = c.opt_text("headline", MAX_HEADLINE_CHARS)?;
    let description = c.opt_text("description", MAX_LONG_TEXT_CHARS)?;
    let instruction = c.opt_text("instruction", MAX_LONG_TEXT_CHARS)?;
    // Checked for duplicates and size, not interpreted.
    c.opt_text("audience", MAX_TEXT_CHARS)?;
    c.opt_text("web", MAX_TEXT_CHARS)?;
    c.opt_text("contact", MAX_TEXT_CHARS)?;

    let mut parameters = Vec::new();
    for (k, n) in c.all("parameter").enumerate() {
        let p = format!("{path}/parameter[{k}]");
        if k >= MAX_PARAMETERS {
            return Err(bad(
                p,
                format!("quá nhiều parameter, tối đa {MAX_PARAMETERS} (too many parameters, at most {MAX_PARAMETERS})"),
            ));
        }
        let (name, value) = parse_pair(n, &p)?;
        if is_risk_name(&name) {
            let level = value.parse::<u8>().ok().filter(|l| (1..=5).contains(l));
            if level.is_none() {
                return Err(bad(
                    format!("{p}/value"),
                    format!(
                        "cấp độ rủi ro thiên tai phải là số từ 1 đến 5, nhận \"{}\" (disaster risk level must be a number from 1 to 5)",
                        shown(&value)
                    ),
                ));
            }
        }
        parameters.push((name, value));
    }

    let mut areas = Vec::new();
    for (k, n) in c.all("area").enumerate() {
        let p = format!("{path}/area[{k}]");
        if k >= MAX_AREAS {
            return Err(bad(
                p,
                format!("quá nhiều area, tối đa {MAX_AREAS} (too many areas, at most {MAX_AREAS})"),
            ));
        }
        areas.push(parse_area(n, &p)?);
    }

    Ok(Info {
        language,
        category,
        event,
        urgency,
        severity,
        certainty,
        effective,
        onset,
        expires,
        sender_name,
        headline,
        description,
        instruction,
        parameters,
        areas,
    })
}

fn parse_area(node: Node<'_, '_>, path: &str) -> Result<Area, BadCap> {
    let c = Children::of(node, path, AREA_CHILDREN)?;
    let (desc, _) = c.req_text("areaDesc", MAX_TEXT_CHARS)?;
    let mut geocodes = Vec::new();
    for (k, n) in c.all("geocode").enumerate() {
        let p = format!("{path}/geocode[{k}]");
        if k >= MAX_GEOCODES {
            return Err(bad(
                p,
                format!("quá nhiều geocode, tối đa {MAX_GEOCODES} (too many geocodes, at most {MAX_GEOCODES})"),
            ));
        }
        let (name, value) = parse_pair(n, &p)?;
        if is_admin_name(&name) && (value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad(
                format!("{p}/value"),
                format!(
                    "mã đơn vị hành chính phải gồm 1–10 chữ số, nhận \"{}\" (administrative-unit code must be 1–10 digits)",
                    shown(&value)
                ),
            ));
        }
        geocodes.push((name, value));
    }
    Ok(Area { desc, geocodes })
}
