//! Reports: per item and board, received, shown, failed.

use super::*;

/// Where a bulletin stands on one board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardState {
    /// Not fetched yet, still in force (see `reason` when the board is offline).
    Waiting,
    /// A normal bulletin the board's commune has not decided on yet.
    PendingApproval,
    /// The board's commune rejected it (`reason` holds why).
    Rejected,
    /// Fetched, not on screen yet.
    Received,
    /// On screen at least once.
    Shown,
    /// Not delivered or not shown in time (`reason`).
    Failed,
    /// Cancelled, superseded or updated before it was shown.
    Withdrawn,
}

/// Why: a stable code and a message in Vietnamese with its English meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    /// `offline`, `not_fetched`, `not_shown`, `disabled`, `rejected`,
    /// `cancelled`, `superseded`, `updated`.
    pub code: String,
    pub message: String,
}

pub(crate) fn reason(code: &str, message: impl Into<String>) -> Option<Reason> {
    Some(Reason {
        code: code.into(),
        message: message.into(),
    })
}

/// Time on screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Shown {
    /// First time on screen.
    pub first: DateTime<Utc>,
    /// End of the latest play that ended (null while the first is on screen).
    pub last: Option<DateTime<Utc>>,
    /// Seconds on screen, plays that ended or were cut short.
    pub seconds: f64,
    pub plays: u64,
    /// Of `plays`, those cut short (another emergency, display off, restart).
    pub interrupted: u64,
}

/// One targeted board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardReport {
    pub board: String,
    pub name: String,
    /// Commune code.
    pub unit: String,
    pub state: BoardState,
    /// First fetch of a signed alert set holding it.
    pub received: Option<DateTime<Utc>>,
    /// Bulletins: newest version the board fetched, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_received: Option<DateTime<Utc>>,
    /// When everything it needs was on the board: `received` for text-only
    /// bulletins and CAP alerts; null while media referenced by URL are not
    /// delivered.
    pub media_ready: Option<DateTime<Utc>>,
    pub shown: Option<Shown>,
    pub reason: Option<Reason>,
}

/// Counts over the boards of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub targeted: usize,
    /// Boards that fetched it (shown ones included).
    pub received: usize,
    pub media_ready: usize,
    pub shown: usize,
    pub waiting: usize,
    pub pending_approval: usize,
    pub rejected: usize,
    pub failed: usize,
    pub withdrawn: usize,
    /// Seconds on screen over all boards.
    pub seconds: f64,
    pub first_received: Option<DateTime<Utc>>,
    pub first_shown: Option<DateTime<Utc>>,
    pub last_shown: Option<DateTime<Utc>>,
}

/// The report of one bulletin or CAP alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub kind: ItemKind,
    pub source: String,
    /// Bulletin id or CAP identifier.
    pub id: String,
    /// Bulletins: the version the manager holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    pub title: String,
    /// `normal`, `priority`, `emergency`.
    pub priority: String,
    /// The item's own state: bulletins `pending`, `live`, `rejected`,
    /// `cancelled`, `superseded`; alerts `live`, `not_live`, `updated`,
    /// `cancelled`.
    pub state: String,
    /// Expired, withdrawn, rejected or never live.
    pub ended: bool,
    /// When the manager accepted it.
    pub received_at: DateTime<Utc>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    /// Images, videos or sound referenced by URL.
    pub has_media: bool,
    pub summary: Summary,
    /// Targeted boards, by commune then id.
    pub boards: Vec<BoardReport>,
    /// Loudspeaker zones of the targeted communes that announced it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speakers: Vec<SpeakerReport>,
    pub generated_at: DateTime<Utc>,
}

/// What a report covers: boards and (for loudspeaker zones) communes.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub boards: &'a dyn Fn(&Board) -> bool,
    pub units: &'a dyn Fn(&str) -> bool,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scope")
    }
}

impl Scope<'static> {
    /// Everything the item targets (sources' reports and pushes).
    pub fn all() -> Scope<'static> {
        fn any_board(_: &Board) -> bool {
            true
        }
        fn any_unit(_: &str) -> bool {
            true
        }
        Scope {
            boards: &any_board,
            units: &any_unit,
        }
    }
}

/// How often a loudspeaker zone announced an item (all its versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpeakerReport {
    pub zone: String,
    pub name: String,
    pub unit: String,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub times: u32,
}

/// The announcements of `item` by zones whose commune `unit_scope` lets
/// through and that the item targets.
pub(crate) fn spoken(
    store: &dyn Store,
    world: &World,
    item: &Item,
    unit_scope: &dyn Fn(&str) -> bool,
) -> crate::store::Result<Vec<SpeakerReport>> {
    let mut out = Vec::new();
    for z in store.scan_json::<crate::speakers::SpeakerZone>("speaker/")? {
        let targeted = item.areas.iter().any(|a| world.unit_within(&z.unit, a))
            || z.board.as_ref().is_some_and(|b| item.boards.contains(b));
        if !targeted || !unit_scope(&z.unit) {
            continue;
        }
        // A bulletin's versions are announced apiece; a CAP message once.
        let prefix = match item.kind {
            ItemKind::Bulletin => crate::speakers::spoken_key(&z.id, &format!("{}:v", item.alert_id())),
            ItemKind::Alert => crate::speakers::spoken_key(&z.id, &item.alert_id()),
        };
        let mut acc: Option<SpeakerReport> = None;
        for (k, v) in store.scan(&prefix)? {
            if item.kind == ItemKind::Alert && k != prefix {
                continue;
            }
            let Ok(sp) = serde_json::from_slice::<crate::speakers::Spoken>(&v) else {
                continue;
            };
            let r = acc.get_or_insert_with(|| SpeakerReport {
                zone: z.id.clone(),
                name: z.name.clone(),
                unit: z.unit.clone(),
                first: sp.first,
                last: sp.last,
                times: 0,
            });
            r.first = r.first.min(sp.first);
            r.last = r.last.max(sp.last);
            r.times += sp.times;
        }
        out.extend(acc);
    }
    Ok(out)
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub(crate) fn seconds(us: i64) -> f64 {
    round3(us as f64 / 1e6)
}

pub(crate) fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(crate) fn max_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

pub(crate) fn withdrawn_reason(code: &str) -> Option<Reason> {
    match code {
        "cancelled" => reason(code, "nguồn tin đã hủy bản tin (cancelled by the source)"),
        "superseded" => reason(code, "đã được thay bằng bản tin khác (superseded)"),
        _ => reason(code, "đã được thay bằng bản cập nhật (replaced by an update)"),
    }
}

/// Where `item` stands on `board`.
pub(crate) fn board_report(
    item: &Item,
    board: &Board,
    receipt: Option<Receipt>,
    media_at: Option<DateTime<Utc>>,
    plays: Option<PlayAgg>,
    beat: Option<Beat>,
    now: DateTime<Utc>,
) -> BoardReport {
    let shown = plays.and_then(|p| {
        Some(Shown {
            first: p.first?,
            last: p.last,
            seconds: seconds(p.micros),
            plays: p.plays,
            interrupted: p.interrupted,
        })
    });
    let decision = item.decisions.as_ref().map(|d| d.get(&board.unit));
    let rejection = match decision {
        Some(Some(d)) if !d.approved => Some(d.reason.clone().unwrap_or_default()),
        _ if item.rejected => Some(String::new()),
        _ => None,
    };
    let rejected = || {
        let why = rejection.clone().unwrap_or_default();
        let msg = if why.is_empty() {
            "cán bộ xã từ chối bản tin (rejected by the commune)".to_string()
        } else {
            format!("cán bộ xã từ chối: {why} (rejected by the commune)")
        };
        (BoardState::Rejected, reason("rejected", msg))
    };
    let (state, why) = if shown.is_some() {
        (BoardState::Shown, None)
    } else if receipt.is_some() {
        if let Some(w) = item.withdrawn {
            (BoardState::Withdrawn, withdrawn_reason(w))
        } else if rejection.is_some() {
            rejected()
        } else if item
            .expired(now)
            .is_some_and(|t| now >= t + Duration::minutes(NOT_SHOWN_GRACE_MINUTES))
        {
            (
                BoardState::Failed,
                reason(
                    "not_shown",
                    "đã nhận nhưng không có nhật ký phát nào trước khi hết hiệu lực (received, no proof of play before it expired)",
                ),
            )
        } else {
            (BoardState::Received, None)
        }
    } else if let Some(w) = item.withdrawn {
        (BoardState::Withdrawn, withdrawn_reason(w))
    } else if rejection.is_some() {
        rejected()
    } else if matches!(decision, Some(None)) {
        (BoardState::PendingApproval, None)
    } else if board.disabled {
        (
            BoardState::Failed,
            reason("disabled", "bảng tin đã bị khóa (board disabled)"),
        )
    } else if let Some(end) = item.expired(now) {
        if beat.is_none_or(|b| b.last < end) {
            (
                BoardState::Failed,
                reason(
                    "offline",
                    "bảng tin mất kết nối, không nhận được trước khi hết hiệu lực (board offline, never fetched before expiry)",
                ),
            )
        } else {
            (
                BoardState::Failed,
                reason(
                    "not_fetched",
                    "bảng tin có kết nối nhưng không tải bộ cảnh báo trước khi hết hiệu lực (board online, never fetched before expiry)",
                ),
            )
        }
    } else if !beat.is_some_and(|b| b.online) {
        (
            BoardState::Waiting,
            reason("offline", "bảng tin đang mất kết nối (board offline)"),
        )
    } else {
        (BoardState::Waiting, None)
    };
    let bulletin = item.kind == ItemKind::Bulletin;
    BoardReport {
        board: board.id.clone(),
        name: board.name.clone(),
        unit: board.unit.clone(),
        state,
        received: receipt.as_ref().map(|r| r.first),
        received_version: receipt.as_ref().filter(|_| bulletin).map(|r| r.version),
        version_received: receipt.as_ref().filter(|_| bulletin).map(|r| r.version_at),
        // Pictures and videos: when the last was in the board's cache
        // (its heartbeats say); a sound file is the speakers', not the
        // board's.
        media_ready: receipt.as_ref().and_then(|r| {
            if item.board_media.is_empty() {
                Some(r.first)
            } else {
                media_at.map(|t| t.max(r.first))
            }
        }),
        shown,
        reason: why,
    }
}

/// The report of `item` over the boards it targets that `scope` keeps,
/// folding first the proof of play of those not in `folded` (which a
/// caller building several reports keeps). Blocking.
pub fn build(
    store: &dyn Store,
    live: &Live,
    world: &World,
    item: &Item,
    scope: Scope<'_>,
    folded: &mut HashSet<String>,
    now: DateTime<Utc>,
) -> crate::store::Result<Report> {
    let Scope {
        boards: scope,
        units: unit_scope,
    } = scope;
    let mut targeted = if item.not_live {
        Vec::new()
    } else {
        world.targeted(&item.areas, &item.boards)
    };
    targeted.retain(|b| scope(b));
    targeted.sort_by(|a, b| (&a.unit, &a.id).cmp(&(&b.unit, &b.id)));
    let h = item_hash(&item.alert_id());
    let mut boards = Vec::with_capacity(targeted.len());
    let mut sum = Summary::default();
    let mut micros = 0i64;
    for b in targeted {
        if folded.insert(b.id.clone()) {
            fold_board(store, &b.id, world.tz(&b.unit))?;
        }
        let receipt = get_lenient::<Receipt>(store, &recv_key(&h, &b.id))?;
        let plays = get_lenient::<PlayAgg>(store, &play_key(&h, &b.id))?;
        micros += plays.as_ref().map_or(0, |p| p.micros);
        let media_at = if item.board_media.is_empty() {
            None
        } else {
            media_ready_at(store, &b.id, &item.board_media)?
        };
        let r = board_report(item, b, receipt, media_at, plays, live.get(&b.id), now);
        sum.targeted += 1;
        sum.received += usize::from(r.received.is_some());
        sum.media_ready += usize::from(r.media_ready.is_some());
        match r.state {
            BoardState::Shown => sum.shown += 1,
            BoardState::Waiting => sum.waiting += 1,
            BoardState::Received => {}
            BoardState::PendingApproval => sum.pending_approval += 1,
            BoardState::Rejected => sum.rejected += 1,
            BoardState::Failed => sum.failed += 1,
            BoardState::Withdrawn => sum.withdrawn += 1,
        }
        sum.first_received = min_opt(sum.first_received, r.received);
        sum.first_shown = min_opt(sum.first_shown, r.shown.as_ref().map(|s| s.first));
        sum.last_shown = max_opt(sum.last_shown, r.shown.as_ref().and_then(|s| s.last));
        boards.push(r);
    }
    sum.seconds = seconds(micros);
    Ok(Report {
        kind: item.kind,
        source: item.source.clone(),
        id: item.id.clone(),
        version: item.version,
        title: item.title.clone(),
        priority: item.priority.clone(),
        state: item.state.clone(),
        ended: item.ended(now),
        received_at: item.received_at,
        valid_from: item.valid_from,
        valid_to: item.valid_to,
        has_media: item.has_media,
        summary: sum,
        boards,
        speakers: spoken(store, world, item, unit_scope)?,
        generated_at: now,
    })
}

/// What changes when a report changes (everything but when it was made).
pub(crate) fn report_hash(r: &Report) -> String {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("generated_at");
    }
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}

/// A source's CAP alert by identifier (the newest, if several senders of
/// the source used it).
pub fn find_alert(store: &dyn Store, source: &str, identifier: &str) -> crate::store::Result<Option<AlertRecord>> {
    Ok(store
        .scan_json::<AlertRecord>("alert/")?
        .into_iter()
        .filter(|a| a.source == source && a.identifier == identifier)
        .max_by_key(|a| a.received))
}
