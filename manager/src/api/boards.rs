//! Boards: enrollment by pairing code, management, publishing signed shows,
//! and the routes boards themselves call.

use super::{CREATED, audit, new_id, now};
use crate::accounts::{new_secret, secret_hash};
use crate::auth::{BoardAuth, ClientIp, Officer};
use crate::error::{ApiResult, AppError, AppJson, AppPath, ErrorBody};
use crate::model::{Board, Claimed, Group, Pairing, key};
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangtin_layouts::show::{Show, Signed};
use bangtin_layouts::wire::Push;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Pairing codes avoid look-alike characters (0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LEN: usize = 8;
const PAIRING_MINUTES: i64 = 15;

fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// "abcd-efgh", "ABCD EFGH" → "ABCDEFGH".
fn normalise_code(c: &str) -> String {
    c.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PairingStarted {
    /// Shown full-screen on the board, e.g. "K7QX-4MRT".
    pub code: String,
    /// Kept by the board to collect its credential.
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// A board asks to be enrolled: it gets a code to show and a secret to poll
/// with. No account needed; limited per address.
#[utoipa::path(post, path = "/api/v1/pairing", tag = "board",
    responses((status = 201, body = PairingStarted), (status = 429, body = ErrorBody)))]
pub async fn request_pairing(
    State(s): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
) -> ApiResult<(StatusCode, AppJson<PairingStarted>)> {
    s.limits.pairing(&format!("ip:{ip}"))?;
    let code = new_code();
    let secret = new_secret("");
    let p = Pairing {
        code: code.clone(),
        secret_hash: secret_hash(&secret),
        created_at: now(),
        expires_at: now() + Duration::minutes(PAIRING_MINUTES),
        claimed: None,
    };
    s.commit(vec![Op::put(key::pairing(&code), &p)]).await?;
    Ok((
        CREATED,
        AppJson(PairingStarted {
            code: format!("{}-{}", &code[..4], &code[4..]),
            secret,
            expires_at: p.expires_at,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollBody {
    pub code: String,
    pub secret: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PairingResult {
    /// "pending" until an officer claims the board, then "claimed".
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board_id: Option<String>,
    /// The board's own credential (`bb_…`), given once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The manager's ed25519 public key, base64: the board pins it and
    /// refuses shows not signed by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_key: Option<String>,
}

/// The waiting board asks whether it has been claimed.
#[utoipa::path(post, path = "/api/v1/pairing/poll", tag = "board", request_body = PollBody,
    responses((status = 200, body = PairingResult, description = "claimed: credential inside"),
        (status = 202, body = PairingResult, description = "still waiting"),
        (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn poll_pairing(
    State(s): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    AppJson(b): AppJson<PollBody>,
) -> ApiResult<(StatusCode, AppJson<PairingResult>)> {
    s.limits.request(&format!("poll:{ip}"))?;
    let code = normalise_code(&b.code);
    let p: Pairing = s
        .store
        .get_json(&key::pairing(&code))?
        .filter(|p: &Pairing| p.secret_hash == secret_hash(&b.secret))
        .ok_or_else(|| AppError::not_found("mã ghép nối"))?;
    if let Some(c) = p.claimed {
        // Handed over once; the pairing is gone after this.
        s.commit(vec![Op::del(key::pairing(&code))]).await?;
        return Ok((
            StatusCode::OK,
            AppJson(PairingResult {
                status: "claimed".into(),
                board_id: Some(c.board_id),
                credential: Some(c.credential),
                manager_key: Some(s.public_key_b64()),
            }),
        ));
    }
    if p.expires_at < now() {
        s.commit(vec![Op::del(key::pairing(&code))]).await?;
        return Err(AppError {
            status: StatusCode::GONE,
            ..AppError::conflict("mã ghép nối đã hết hạn; bảng tin sẽ xin mã mới (pairing code expired)")
        });
    }
    Ok((
        StatusCode::ACCEPTED,
        AppJson(PairingResult {
            status: "pending".into(),
            board_id: None,
            credential: None,
            manager_key: None,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// The code the board shows (dashes and case do not matter).
    pub code: String,
    /// 1–200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: String,
    /// Group ids of the unit (another: 404).
    #[serde(default)]
    pub groups: Vec<String>,
}

fn check_groups(s: &AppState, unit: &str, groups: &[String]) -> ApiResult<()> {
    for g in groups {
        let group: Option<Group> = s.store.get_json(&key::group(g))?;
        if group.is_none_or(|g| g.unit != unit) {
            return Err(
                AppError::not_found_because(format!("không có nhóm {g} trong đơn vị (unknown group)")).field("groups"),
            );
        }
    }
    Ok(())
}

/// Claim a waiting board into this unit by the code it shows.
#[utoipa::path(post, path = "/api/v1/units/{unit}/boards/claim", tag = "boards", params(("unit" = String, Path)),
    request_body = ClaimBody,
    responses((status = 201, body = Board), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn claim_board(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppJson(b): AppJson<ClaimBody>,
) -> ApiResult<(StatusCode, AppJson<Board>)> {
    who.write(&unit, "đơn vị")?;
    // Guessing codes is slow: a handful of tries a minute per officer.
    s.limits.pairing(&format!("claim:{}", who.user.id))?;
    if s.store.get(&key::unit(&unit))?.is_none() {
        return Err(AppError::not_found("đơn vị"));
    }
    if b.name.trim().is_empty() || b.name.chars().count() > 200 {
        return Err(AppError::unprocessable("cần tên bảng tin (name required)").field("name"));
    }
    check_groups(&s, &unit, &b.groups)?;
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let code = normalise_code(&b.code);
    let mut p: Pairing = s
        .store
        .get_json(&key::pairing(&code))?
        .filter(|p: &Pairing| p.claimed.is_none() && p.expires_at > now())
        .ok_or_else(|| {
            AppError::not_found("bảng tin đang chờ với mã này (no board waiting with this code)").field("code")
        })?;
    let credential = new_secret("bb_");
    let board = Board {
        id: new_id(&*s.store, "brd")?,
        unit: unit.clone(),
        name: b.name,
        groups: b.groups,
        disabled: false,
        claimed_by: who.user.username.clone(),
        claimed_at: now(),
        show_version: 0,
        last_seen: None,
        display: Default::default(),
    };
    p.claimed = Some(Claimed {
        board_id: board.id.clone(),
        credential: credential.clone(),
    });
    let hash = secret_hash(&credential);
    s.commit(vec![
        Op::put(key::board(&board.id), &board),
        Op::put(key::board_cred(&hash), &board.id),
        Op::put(format!("boardcredof/{}", board.id), &hash),
        Op::put(key::pairing(&code), &p),
        audit(
            &*s.store,
            &who.actor(),
            "board.claim",
            &board.id,
            Some(&unit),
            Some(serde_json::json!({"name": board.name})),
        )?,
    ])
    .await?;
    Ok((CREATED, AppJson(board)))
}

/// A board as officers see it: the record, when it last beat, and whether
/// it is online now (see `crate::live`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardView {
    #[serde(flatten)]
    pub board: Board,
    /// Beating within [`bangtin_layouts::wire::MISSED_BEATS_OFFLINE`]
    /// periods of its heartbeat interval.
    #[serde(default)]
    pub online: bool,
}

pub(super) fn view(s: &AppState, mut board: Board) -> BoardView {
    let beat = s.live.get(&board.id);
    board.last_seen = beat.map(|b| b.last);
    BoardView {
        board,
        online: beat.is_some_and(|b| b.online),
    }
}

/// A unit's boards.
#[utoipa::path(get, path = "/api/v1/units/{unit}/boards", tag = "boards", params(("unit" = String, Path)),
    responses((status = 200, body = [BoardView]), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn list_boards(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<BoardView>>> {
    who.read(&unit, "đơn vị")?;
    let all: Vec<Board> = s.store.scan_json("board/")?;
    Ok(AppJson(
        all.into_iter()
            .filter(|b| b.unit == unit)
            .map(|b| view(&s, b))
            .collect(),
    ))
}

/// A board the officer may read (404 otherwise, also for other communes').
pub(super) fn load(s: &AppState, who: &Officer, id: &str) -> ApiResult<Board> {
    let b: Board = s
        .store
        .get_json(&key::board(id))?
        .ok_or_else(|| AppError::not_found("bảng tin"))?;
    who.read(&b.unit, "bảng tin")?;
    Ok(b)
}

/// One board.
#[utoipa::path(get, path = "/api/v1/boards/{id}", tag = "boards", params(("id" = String, Path)),
    responses((status = 200, body = BoardView), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn get_board(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<BoardView>> {
    let b = load(&s, &who, &id)?;
    Ok(AppJson(view(&s, b)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardPatch {
    /// 1–200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: Option<String>,
    /// Group ids of the board's unit (another: 404).
    pub groups: Option<Vec<String>>,
    /// A disabled board's credential is refused until it is enabled again.
    pub disabled: Option<bool>,
}

/// Rename a board, move it between groups, disable or enable it.
#[utoipa::path(patch, path = "/api/v1/boards/{id}", tag = "boards", params(("id" = String, Path)), request_body = BoardPatch,
    responses((status = 200, body = Board), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn update_board(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(p): AppJson<BoardPatch>,
) -> ApiResult<AppJson<Board>> {
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let mut b = load(&s, &who, &id)?;
    who.write(&b.unit, "bảng tin")?;
    if let Some(n) = p.name {
        if n.trim().is_empty() || n.chars().count() > 200 {
            return Err(AppError::unprocessable("cần tên bảng tin (name required)").field("name"));
        }
        b.name = n;
    }
    if let Some(g) = p.groups {
        check_groups(&s, &b.unit, &g)?;
        b.groups = g;
    }
    if let Some(d) = p.disabled {
        b.disabled = d;
    }
    s.commit(vec![
        Op::put(key::board(&b.id), &b),
        audit(&*s.store, &who.actor(), "board.update", &b.id, Some(&b.unit), None)?,
    ])
    .await?;
    if b.disabled {
        s.live.hub.disconnect(&b.id);
    }
    Ok(AppJson(b))
}

/// Remove a board: its credential stops working at once.
#[utoipa::path(delete, path = "/api/v1/boards/{id}", tag = "boards", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn delete_board(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let b = load(&s, &who, &id)?;
    who.write(&b.unit, "bảng tin")?;
    let mut ops = vec![
        Op::del(key::board(&id)),
        Op::del(key::show(&id)),
        Op::del(key::heartbeat(&id)),
        Op::del(key::seen(&id)),
        Op::del(format!("boardcredof/{id}")),
    ];
    if let Some(h) = s.store.get_json::<String>(&format!("boardcredof/{id}"))? {
        ops.push(Op::del(key::board_cred(&h)));
    }
    ops.push(audit(
        &*s.store,
        &who.actor(),
        "board.delete",
        &id,
        Some(&b.unit),
        Some(serde_json::json!({"name": b.name})),
    )?);
    s.commit(ops).await?;
    // The board is gone, so what follows is unreachable already; its
    // records go in batches (a long history is large), and its files
    // once no backup copies them — not holding up other changes.
    drop(_w);
    s.live.forget(&id);
    let s2 = s.clone();
    let id2 = id.clone();
    tokio::task::spawn_blocking(move || -> Result<(), crate::store::StoreError> {
        for coll in key::BOARD_PREFIXES {
            s2.store.delete_prefix(&format!("{coll}/{id2}/"))?;
        }
        s2.store.journal().forget(&id2)?;
        s2.store.flush()
    })
    .await
    .map_err(AppError::internal)??;
    s.shared
        .remove_paths(vec![s.screens_dir(&id)])
        .await
        .map_err(AppError::internal)?;
    s.unshare(crate::shared::screen_blob(&id, ""), false)
        .await
        .map_err(AppError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Published {
    pub board: String,
    pub version: u64,
    pub slots: usize,
    pub layouts: usize,
    pub media: usize,
    pub valid_until: DateTime<Utc>,
}

/// Compile, sign and store a board's new show, with `extra` changes in the
/// same batch, then tell the board if it is connected. Caller holds the
/// write lock.
pub(super) async fn publish(s: &AppState, who: &Officer, board: Board, extra: Vec<Op>) -> ApiResult<Published> {
    publish_as(s, &who.actor(), board, extra).await
}

/// [`publish`] by `actor` (an officer, or the manager itself).
pub(super) async fn publish_as(s: &AppState, actor: &str, mut board: Board, extra: Vec<Op>) -> ApiResult<Published> {
    let show = crate::shows::compile_show(s, &board, now())?;
    let signed = bangtin_layouts::show::sign(&show, &s.key.0);
    board.show_version = show.version;
    let mut ops = extra;
    ops.extend([
        Op::put(key::show(&board.id), &signed),
        Op::put(key::board(&board.id), &board),
        audit(
            &*s.store,
            actor,
            "board.publish",
            &board.id,
            Some(&board.unit),
            Some(serde_json::json!({"version": show.version})),
        )?,
    ]);
    s.commit(ops).await?;
    s.live.hub.push(&board.id, &Push::Show { version: show.version });
    Ok(Published {
        board: board.id,
        version: show.version,
        slots: show.slots.len(),
        layouts: show.layouts.len(),
        media: show.media.len(),
        valid_until: show.valid_until,
    })
}

/// Publish a new signed show to one board.
#[utoipa::path(post, path = "/api/v1/boards/{id}/publish", tag = "boards", params(("id" = String, Path)),
    responses((status = 200, body = Published), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn publish_board(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<Published>> {
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let b = load(&s, &who, &id)?;
    who.write(&b.unit, "bảng tin")?;
    Ok(AppJson(publish(&s, &who, b, Vec::new()).await?))
}

/// Publish new signed shows to every board of a unit.
#[utoipa::path(post, path = "/api/v1/units/{unit}/publish", tag = "boards", params(("unit" = String, Path)),
    responses((status = 200, body = [Published]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn publish_unit(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<Published>>> {
    who.write(&unit, "đơn vị")?;
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let all: Vec<Board> = s.store.scan_json("board/")?;
    let mut out = Vec::new();
    for b in all.into_iter().filter(|b| b.unit == unit && !b.disabled) {
        out.push(publish(&s, &who, b, Vec::new()).await?);
    }
    Ok(AppJson(out))
}

/// The signed show last published to a board.
#[utoipa::path(get, path = "/api/v1/boards/{id}/show", tag = "boards", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn board_show(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<Signed>> {
    load(&s, &who, &id)?;
    Ok(AppJson(
        s.store
            .get_json(&key::show(&id))?
            .ok_or_else(|| AppError::not_found("chương trình đã phát hành"))?,
    ))
}

/// For boards: their current signed show. `If-None-Match: "<version>"`
/// answers 304 when nothing changed.
#[utoipa::path(get, path = "/api/v1/board/show", tag = "board",
    responses((status = 200, body = Object), (status = 304), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn own_show(State(s): State<Arc<AppState>>, b: BoardAuth, headers: HeaderMap) -> ApiResult<Response> {
    let etag = format!("\"{}\"", b.board.show_version);
    if b.board.show_version > 0
        && headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str())
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let raw = s
        .store
        .get(&key::show(&b.board.id))?
        .ok_or_else(|| AppError::not_found("chương trình (no show published yet)"))?;
    let mut r = (StatusCode::OK, raw).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).map_err(AppError::internal)?);
    Ok(r)
}

/// For boards: a media file their current show or alert set lists.
/// `Range: bytes=N-` (or `N-M`, `-N`) answers 206 with that part, so a cut
/// download resumes.
#[utoipa::path(get, path = "/api/v1/board/media/{sha256}", tag = "board", params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the file, 64 lowercase hex digits")),
    responses((status = 200, content_type = "application/octet-stream"),
        (status = 206, content_type = "application/octet-stream", description = "the range asked for"),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)),
    security(("token" = [])))]
pub async fn own_media(
    State(s): State<Arc<AppState>>,
    b: BoardAuth,
    AppPath(sha): AppPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut listed = Vec::new();
    if let Some(signed) = s.store.get_json::<Signed>(&key::show(&b.board.id))? {
        let show: Show = serde_json::from_str(&signed.payload).map_err(AppError::internal)?;
        listed.extend(show.media);
    }
    if let Some(signed) = s.store.get_json::<Signed>(&crate::alerting::set_key(&b.board.id))? {
        let set: bangtin_layouts::alerts::AlertSet =
            serde_json::from_str(&signed.payload).map_err(AppError::internal)?;
        listed.extend(set.media());
    }
    let m = listed
        .iter()
        .find(|m| m.sha256 == sha)
        .ok_or_else(|| AppError::not_found("tệp"))?;
    // Any manager on a shared database serves it, so a download cut on
    // one resumes on another.
    let path = super::content::local(s.shared.local_media(&sha).await)?;
    super::ranges::send_file_range(path, &m.mime, headers.get(header::RANGE)).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicKey {
    /// ed25519, base64: shows are signed with the matching secret key.
    pub key: String,
}

/// The manager's show-signing public key.
#[utoipa::path(get, path = "/api/v1/public-key", tag = "board", responses((status = 200, body = PublicKey)))]
pub async fn public_key(State(s): State<Arc<AppState>>) -> AppJson<PublicKey> {
    AppJson(PublicKey {
        key: s.public_key_b64(),
    })
}

/// The boards you may see, across your units: filtered by unit, group,
/// liveness and name, offline boards first (the longest silent at the top),
/// a page at a time.
#[utoipa::path(get, path = "/api/v1/boards", tag = "boards", params(crate::overview::BoardFilter),
    responses((status = 200, body = crate::overview::BoardPage), (status = 400, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn fleet(
    State(s): State<Arc<AppState>>,
    who: Officer,
    crate::error::AppQuery(f): crate::error::AppQuery<crate::overview::BoardFilter>,
) -> ApiResult<AppJson<crate::overview::BoardPage>> {
    let shared = s.shared.clone();
    let page = tokio::task::spawn_blocking(move || crate::overview::overview(&shared, |u| who.can_read(u), &f))
        .await
        .map_err(AppError::internal)??;
    Ok(AppJson(page))
}
