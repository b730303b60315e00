//! The show: everything a board needs to play offline for weeks — its
//! schedule resolved to UTC slots, the layouts, the media by SHA-256 — as the
//! manager signs it with ed25519 and the board verifies it.
//!
//! The signature covers the exact bytes of the JSON payload, which travels
//! as a string inside the envelope: nothing is re-serialised between signing
//! and verifying, so no canonical-JSON subtleties can break or bypass it.

use crate::raw::RawLayout;
use crate::schedule::Slot;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SHOW_SCHEMA: &str = "bangtin.show/1";

/// What one board plays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Show {
    pub schema: String,
    pub board: String,
    /// Increases with every publish for this board; a board never accepts
    /// an older show than the one it has.
    pub version: u64,
    pub issued_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The board's time zone (clocks, local validity).
    pub timezone: String,
    pub slots: Vec<Slot>,
    /// Layouts by key, as officers wrote them; media are `sha256:<hex>`.
    pub layouts: BTreeMap<String, RawLayout>,
    pub media: Vec<ShowMedia>,
    /// When the screen is off and how bright it is (local times).
    #[serde(default)]
    pub display: crate::wire::DisplayPlan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowMedia {
    pub sha256: String,
    pub size: u64,
    pub mime: String,
}

/// A signed document as it travels — a show (`bangtin.show/1`) or a
/// board's alert set (`bangtin.alerts/1`): the payload bytes and their
/// signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    /// The JSON of a [`Show`] or an alert set, exactly as signed.
    pub payload: String,
    /// ed25519 signature of `payload`'s bytes, base64.
    pub signature: String,
    /// The signer's public key, base64 (informational: boards verify with
    /// the key they pinned at enrollment, never with this one).
    pub key: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShowError {
    #[error("chữ ký không đúng định dạng (malformed signature)")]
    MalformedSignature,
    #[error(
        "chữ ký không khớp: chương trình không phải do máy chủ quản lý ký hoặc đã bị sửa (signature does not verify)"
    )]
    BadSignature,
    #[error("nội dung chương trình hỏng: {0} (payload is not a show)")]
    BadPayload(String),
    #[error("định dạng chương trình {0:?} không được hỗ trợ (unsupported show schema)")]
    Schema(String),
}

/// Public key as base64 (what boards pin).
pub fn key_to_b64(key: &VerifyingKey) -> String {
    B64.encode(key.as_bytes())
}

pub fn key_from_b64(s: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = B64.decode(s.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Serialise and sign a show.
pub fn sign(show: &Show, key: &SigningKey) -> Signed {
    sign_json(show, key)
}

/// Sign any document the way shows are signed (see [`crate::alerts`]).
pub fn sign_json<T: Serialize>(doc: &T, key: &SigningKey) -> Signed {
    let payload = serde_json::to_string(doc).expect("signed documents always serialise");
    let sig = key.sign(payload.as_bytes());
    Signed {
        payload,
        signature: B64.encode(sig.to_bytes()),
        key: key_to_b64(&key.verifying_key()),
    }
}

/// Verify any signed document with the pinned key, then parse it.
pub fn verify_json<T: serde::de::DeserializeOwned>(signed: &Signed, pinned: &VerifyingKey) -> Result<T, ShowError> {
    let bytes: [u8; 64] = B64
        .decode(signed.signature.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(ShowError::MalformedSignature)?;
    pinned
        .verify(signed.payload.as_bytes(), &Signature::from_bytes(&bytes))
        .map_err(|_| ShowError::BadSignature)?;
    serde_json::from_str(&signed.payload).map_err(|e| ShowError::BadPayload(e.to_string()))
}

/// Verify with the pinned key, then parse. Nothing of an unverified payload
/// is ever parsed.
pub fn verify(signed: &Signed, pinned: &VerifyingKey) -> Result<Show, ShowError> {
    let show: Show = verify_json(signed, pinned)?;
    if show.schema != SHOW_SCHEMA {
        return Err(ShowError::Schema(show.schema));
    }
    Ok(show)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show() -> Show {
        Show {
            schema: SHOW_SCHEMA.into(),
            board: "b1".into(),
            version: 3,
            issued_at: Utc::now(),
            valid_from: Utc::now(),
            valid_until: Utc::now(),
            timezone: "Asia/Ho_Chi_Minh".into(),
            slots: vec![],
            layouts: BTreeMap::new(),
            media: vec![ShowMedia {
                sha256: "ab".repeat(32),
                size: 10,
                mime: "image/png".into(),
            }],
            display: Default::default(),
        }
    }

    #[test]
    fn signed_show_verifies_with_the_pinned_key_only() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let s = sign(&show(), &key);
        assert_eq!(verify(&s, &key.verifying_key()).unwrap(), show_with_time(&s));
        assert_eq!(verify(&s, &other.verifying_key()), Err(ShowError::BadSignature));
        // The envelope's own key is not trusted: re-signing with another key
        // and putting that key in the envelope still fails.
        let forged = Signed {
            key: key_to_b64(&other.verifying_key()),
            ..sign(&show(), &other)
        };
        assert_eq!(verify(&forged, &key.verifying_key()), Err(ShowError::BadSignature));
    }

    fn show_with_time(s: &Signed) -> Show {
        serde_json::from_str(&s.payload).unwrap()
    }

    #[test]
    fn any_tampering_is_refused() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let s = sign(&show(), &key);
        let tampered = Signed {
            payload: s.payload.replace("\"version\":3", "\"version\":4"),
            ..s.clone()
        };
        assert_eq!(verify(&tampered, &key.verifying_key()), Err(ShowError::BadSignature));
        let bad_sig = Signed {
            signature: "not base64!".into(),
            ..s
        };
        assert_eq!(
            verify(&bad_sig, &key.verifying_key()),
            Err(ShowError::MalformedSignature)
        );
    }
}
