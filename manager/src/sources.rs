//! Source information systems (the province's HTTTN and the like) that send
//! bulletins and alerts. Each has its own key and signs every request:
//!
//! ```text
//! X-Bangtin-Source:    <source id>
//! X-Bangtin-Timestamp: <Unix seconds>
//! X-Bangtin-Nonce:     <16–64 characters of A–Z a–z 0–9 _ ->
//! X-Bangtin-Signature: hex(HMAC-SHA256(key, "<timestamp>\n<nonce>\n<METHOD>\n<path>\n" ‖ body))
//! ```
//!
//! A timestamp more than 300 s away from the manager's clock is refused, and
//! so is a nonce the source has used before (nonces are remembered for
//! twice that window, so a replay is refused whenever its timestamp would
//! still pass). Method and path are signed too: a request signed for one
//! endpoint cannot be replayed at another.

use crate::store::{Op, Store, StoreExt};
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

pub const HEADER_SOURCE: &str = "x-bangtin-source";
pub const HEADER_TIMESTAMP: &str = "x-bangtin-timestamp";
pub const HEADER_NONCE: &str = "x-bangtin-nonce";
pub const HEADER_SIGNATURE: &str = "x-bangtin-signature";
/// Largest accepted difference between a request's timestamp and our clock.
pub const MAX_SKEW_S: i64 = 300;

/// A source system as stored (with its key).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceRecord {
    pub id: String,
    pub name: String,
    /// Administrative units (province or commune codes) it may address;
    /// a province covers its communes.
    pub units: Vec<String>,
    pub created: DateTime<Utc>,
    /// HMAC key, base64.
    pub key: String,
    #[serde(default)]
    pub disabled: bool,
    /// Where changed reports are pushed (http or https); none: the source
    /// reads them itself (see `crate::reporting`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_url: Option<String>,
    /// Seconds between pushes, 1–3600 (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_every_s: Option<u32>,
}

/// A source system as shown to administrators (never its key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SourceView {
    pub id: String,
    pub name: String,
    pub units: Vec<String>,
    pub created: DateTime<Utc>,
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_every_s: Option<u32>,
}

impl From<&SourceRecord> for SourceView {
    fn from(r: &SourceRecord) -> Self {
        SourceView {
            id: r.id.clone(),
            name: r.name.clone(),
            units: r.units.clone(),
            created: r.created,
            disabled: r.disabled,
            report_url: r.report_url.clone(),
            report_every_s: r.report_every_s,
        }
    }
}

pub fn key_of(id: &str) -> String {
    format!("source/{id}")
}

fn nonce_key(source: &str, nonce: &str) -> String {
    format!("nonce/{source}/{nonce}")
}

/// What is signed.
pub fn signing_input(timestamp: &str, nonce: &str, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("{timestamp}\n{nonce}\n{method}\n{path}\n").into_bytes();
    v.extend_from_slice(body);
    v
}

/// `hex(HMAC-SHA256(key, signing_input(…)))`.
pub fn sign(key: &[u8], timestamp: &str, nonce: &str, method: &str, path: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&signing_input(timestamp, nonce, method, path, body));
    hex::encode(mac.finalize().into_bytes())
}

/// A source's signed request, as the HTTP side read it: the four
/// signature headers (empty when absent), the method, the path and the body.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub source: &'a str,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
}

/// Why a source's request was not taken as theirs (HTTP 401), or the
/// manager's own failure.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn unauthorized(m: impl Into<String>) -> SourceError {
    SourceError::Unauthorized(m.into())
}

/// Serialises nonce check-and-record within this process (one manager).
static NONCES: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Check a source's signed request; the nonce is recorded on success.
pub fn verify(store: &dyn Store, r: SignedRequest<'_>, now: DateTime<Utc>) -> Result<SourceRecord, SourceError> {
    for (name, v) in [
        (HEADER_SOURCE, r.source),
        (HEADER_TIMESTAMP, r.timestamp),
        (HEADER_NONCE, r.nonce),
        (HEADER_SIGNATURE, r.signature),
    ] {
        if v.is_empty() {
            return Err(unauthorized(format!("thiếu tiêu đề {name} (missing header)")));
        }
    }
    let (id, ts, nonce, sig) = (r.source, r.timestamp, r.nonce, r.signature);
    let src: SourceRecord = store
        .get_json(&key_of(id))?
        .filter(|s: &SourceRecord| !s.disabled)
        .ok_or_else(|| unauthorized("nguồn tin không có hoặc đã bị khóa (unknown or disabled source)"))?;
    let t: i64 = ts
        .parse()
        .map_err(|_| unauthorized(format!("{HEADER_TIMESTAMP} phải là số giây Unix (Unix seconds)")))?;
    let skew = now.timestamp() - t;
    if skew.abs() > MAX_SKEW_S {
        return Err(unauthorized(format!(
            "thời điểm ký lệch {skew} s so với máy chủ, quá ±{MAX_SKEW_S} s (stale or future timestamp)"
        )));
    }
    if !(16..=64).contains(&nonce.len())
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(unauthorized(format!(
            "{HEADER_NONCE}: 16–64 ký tự A–Z a–z 0–9 _ - (bad nonce)"
        )));
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(&src.key)
        .map_err(|e| SourceError::Internal(e.to_string()))?;
    let got = hex::decode(sig).unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| SourceError::Internal(e.to_string()))?;
    mac.update(&signing_input(ts, nonce, r.method, r.path, r.body));
    if mac.verify_slice(&got).is_err() {
        return Err(unauthorized("chữ ký không đúng (bad signature)"));
    }
    let _g = crate::store::exclusive_blocking(store, &NONCES, "nonces")?;
    let nk = nonce_key(&src.id, nonce);
    if store.get(&nk)?.is_some() {
        return Err(unauthorized("nonce đã dùng: yêu cầu bị gửi lại (replayed request)"));
    }
    // Applied, not waited on: what the request changes is flushed with it
    // (and a replayed read changes nothing).
    store.apply(vec![Op::put(nk, &t)])?;
    Ok(src)
}

/// Forget nonces old enough that their requests fail the timestamp check anyway.
pub fn prune_nonces(store: &dyn Store, now: DateTime<Utc>) -> crate::store::Result<usize> {
    let old = now.timestamp() - 2 * MAX_SKEW_S;
    let mut ops = Vec::new();
    for (k, v) in store.scan("nonce/")? {
        let t: i64 = serde_json::from_slice(&v).unwrap_or(0);
        if t < old {
            ops.push(Op::Del(k));
        }
    }
    let n = ops.len();
    if n > 0 {
        store.apply(ops)?;
    }
    Ok(n)
}

/// Whether `code` is inside a source's units (itself, or a commune of a
/// province it covers).
pub fn covers(units: &[String], code: &str, parent_of: impl Fn(&str) -> Option<String>) -> bool {
    units.iter().any(|u| u == code) || parent_of(code).is_some_and(|p| units.contains(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_every_part() {
        let k = b"khoa-bi-mat";
        let base = sign(k, "1790000000", "abcdefghijklmnop", "POST", "/api/v1/bulletins", b"{}");
        assert_eq!(base.len(), 64);
        assert_ne!(
            base,
            sign(k, "1790000001", "abcdefghijklmnop", "POST", "/api/v1/bulletins", b"{}")
        );
        assert_ne!(
            base,
            sign(k, "1790000000", "abcdefghijklmnoq", "POST", "/api/v1/bulletins", b"{}")
        );
        assert_ne!(
            base,
            sign(k, "1790000000", "abcdefghijklmnop", "POST", "/api/v1/alerts", b"{}")
        );
        assert_ne!(
            base,
            sign(k, "1790000000", "abcdefghijklmnop", "POST", "/api/v1/bulletins", b"{ }")
        );
        assert_ne!(
            base,
            sign(
                b"khac",
                "1790000000",
                "abcdefghijklmnop",
                "POST",
                "/api/v1/bulletins",
                b"{}"
            )
        );
    }

    #[test]
    fn provinces_cover_their_communes() {
        let parent = |c: &str| (c == "05545").then(|| "19".to_string());
        assert!(covers(&["19".into()], "05545", parent));
        assert!(covers(&["05545".into()], "05545", parent));
        assert!(!covers(&["20".into()], "05545", parent));
    }
}
