//! Who is asking: officers (session cookie or API token) and boards (their
//! credential), with their rights and request-rate limits.

use crate::accounts::secret_hash;
use crate::error::AppError;
use crate::model::{Board, Role, Session, User, key};
use crate::state::AppState;
use crate::store::StoreExt;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use chrono::Utc;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "bangtin_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated officer.
#[derive(Debug, Clone)]
pub struct Officer {
    pub user: User,
    /// Set when authenticated by session cookie (mutations must echo it).
    pub csrf: Option<String>,
}

impl Officer {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    pub fn can_read(&self, unit: &str) -> bool {
        self.is_admin() || self.user.units.iter().any(|u| u == unit)
    }

    pub fn can_write(&self, unit: &str) -> bool {
        self.is_admin() || (self.user.role == Role::Editor && self.user.units.iter().any(|u| u == unit))
    }

    /// Refuse unless the officer may read `unit`. Objects of units one may
    /// not see answer "not found", so ids of other communes leak nothing.
    pub fn read(&self, unit: &str, what: &str) -> Result<(), AppError> {
        if self.can_read(unit) {
            Ok(())
        } else {
            Err(AppError::not_found(what))
        }
    }

    /// Refuse unless the officer may change `unit`.
    pub fn write(&self, unit: &str, what: &str) -> Result<(), AppError> {
        self.read(unit, what)?;
        if self.can_write(unit) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "tài khoản chỉ được xem, không được sửa ở đơn vị {unit} (read-only here)"
            )))
        }
    }

    pub fn admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::forbidden("chỉ quản trị viên cấp tỉnh (administrators only)"))
        }
    }

    /// Label for the audit log.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.username)
    }
}

/// An authenticated board.
#[derive(Debug, Clone)]
pub struct BoardAuth {
    pub board: Board,
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    header_cookie(&parts.headers, name)
}

/// A cookie's value among `headers`.
pub fn header_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn limit(state: &AppState, who: &str) -> Result<(), AppError> {
    state.limits.request(who)
}

impl FromRequestParts<Arc<AppState>> for Officer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        if let Some(tok) = bearer(parts) {
            if !tok.starts_with("bt_") {
                return Err(AppError::unauthorized());
            }
            let t: crate::model::ApiToken = state
                .store
                .get_json(&key::token(&secret_hash(tok)))?
                .ok_or_else(AppError::unauthorized)?;
            let user = active_user(state, &t.user_id)?;
            limit(state, &format!("token:{}", t.id))?;
            tracing::Span::current().record("officer", user.username.as_str());
            return Ok(Officer { user, csrf: None });
        }
        let o = SessionOfficer::from_request_parts(parts, state).await?.officer;
        tracing::Span::current().record("officer", o.user.username.as_str());
        Ok(o)
    }
}

/// An officer signed in with the session cookie (API tokens are not
/// sessions: `POST /api/v1/auth/logout` ends the cookie's session).
#[derive(Debug, Clone)]
pub struct SessionOfficer {
    pub officer: Officer,
    /// The session's key in the store (the hash of the cookie's value).
    pub session_hash: String,
}

impl FromRequestParts<Arc<AppState>> for SessionOfficer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let sid = cookie(parts, SESSION_COOKIE).ok_or_else(AppError::unauthorized)?;
        let officer = session_officer(state, sid)?;
        // Cookies ride along with cross-site requests; changes must also
        // carry the token only our own pages can read.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != officer.csrf.as_deref() {
                return Err(AppError::forbidden(
                    "thiếu hoặc sai mã chống giả mạo X-CSRF-Token (missing or wrong CSRF token)",
                ));
            }
        }
        Ok(SessionOfficer {
            officer,
            session_hash: secret_hash(sid),
        })
    }
}

/// The officer behind a session cookie's value (the web UI checks its
/// CSRF token itself: in a header from scripts, in a form field without).
pub fn session_officer(state: &AppState, sid: &str) -> Result<Officer, AppError> {
    let s: Session = state
        .store
        .get_json(&key::session(&secret_hash(sid)))?
        .ok_or_else(AppError::unauthorized)?;
    if s.expires_at < Utc::now() {
        return Err(AppError::unauthorized());
    }
    let user = active_user(state, &s.user_id)?;
    limit(state, &format!("user:{}", user.id))?;
    Ok(Officer {
        user,
        csrf: Some(s.csrf),
    })
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(parts: &Parts) -> Option<&str> {
    cookie(parts, SESSION_COOKIE)
}

/// A cookie's value.
pub fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie(parts, name)
}

fn active_user(state: &AppState, id: &str) -> Result<User, AppError> {
    let u: User = state
        .store
        .get_json(&key::user(id))?
        .ok_or_else(AppError::unauthorized)?;
    if u.disabled {
        return Err(AppError::forbidden("tài khoản đã bị khóa (account disabled)"));
    }
    Ok(u)
}

impl FromRequestParts<Arc<AppState>> for BoardAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let tok = bearer(parts)
            .filter(|t| t.starts_with("bb_"))
            .ok_or_else(AppError::unauthorized)?;
        let id: String = state
            .store
            .get_json(&key::board_cred(&secret_hash(tok)))?
            .ok_or_else(AppError::unauthorized)?;
        let board: Board = state
            .store
            .get_json(&key::board(&id))?
            .ok_or_else(AppError::unauthorized)?;
        if board.disabled {
            return Err(AppError::forbidden("bảng tin đã bị tắt (board disabled)"));
        }
        // The emergency lane has a budget of its own: a board busy with
        // uploads must still get its alerts at once.
        let lane = if parts.uri.path() == "/api/v1/board/alerts" {
            "board-alerts"
        } else {
            "board"
        };
        limit(state, &format!("{lane}:{}", board.id))?;
        tracing::Span::current().record("board", board.id.as_str());
        Ok(BoardAuth { board })
    }
}

/// The client's address, when the server knows it (for per-address limits).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<Arc<AppState>> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let Some(peer) = peer else {
            return Ok(ClientIp("local".to_string()));
        };
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(ClientIp(client_of(peer, &forwarded, &s.limits.proxies).to_string()))
    }
}

/// Who sent a request that reached us from `peer`: `peer` itself, unless
/// it is a trusted proxy — then the last address of `X-Forwarded-For`
/// (`forwarded`, as the proxies appended to it) not itself a trusted
/// proxy. Anything before that was written by the client and is not
/// believed; a header that does not parse leaves the proxy's address.
pub fn client_of(peer: std::net::IpAddr, forwarded: &str, proxies: &[ipnet::IpNet]) -> std::net::IpAddr {
    let trusted = |ip: &std::net::IpAddr| proxies.iter().any(|n| n.contains(ip));
    if !trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded.rsplit(',').map(str::trim).filter(|h| !h.is_empty()) {
        let Ok(ip) = hop.parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::client_of;

    #[test]
    fn the_client_is_the_last_untrusted_hop() {
        let nets: Vec<ipnet::IpNet> = ["127.0.0.1/32", "10.0.0.0/8"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        // Straight from a client: its own address, whatever it writes.
        assert_eq!(client_of(ip("198.51.100.1"), "1.1.1.1", &nets), ip("198.51.100.1"));
        // Through nginx on the machine: the address nginx appended.
        assert_eq!(client_of(ip("127.0.0.1"), "203.0.113.7", &nets), ip("203.0.113.7"));
        // Through two trusted hops, after a forged first entry.
        assert_eq!(
            client_of(ip("127.0.0.1"), "6.6.6.6, 203.0.113.7, 10.0.0.5", &nets),
            ip("203.0.113.7")
        );
        // No header, or one that does not parse: the proxy itself.
        assert_eq!(client_of(ip("127.0.0.1"), "", &nets), ip("127.0.0.1"));
        assert_eq!(client_of(ip("127.0.0.1"), "unknown", &nets), ip("127.0.0.1"));
        // Nothing trusted: the header never counts.
        assert_eq!(client_of(ip("127.0.0.1"), "203.0.113.7", &[]), ip("127.0.0.1"));
    }
}
