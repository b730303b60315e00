//! Accounts: officers, their passwords and sessions, administrative units.
//! The rules for creating them (names, password policy, units that exist)
//! live here, below the HTTP handlers of `api/account.rs` and the CLI of
//! `main.rs`, which both call them.

use crate::audit::{audit, new_id};
use crate::model::{Role, Session, Unit, User, key};
use crate::store::{Op, Store, StoreExt};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why an account or unit was not created. Each names the field at fault;
/// the HTTP side maps them to 422, 409, 404 and 500.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{field}: {reason}")]
    Conflict { field: &'static str, reason: String },
    /// The request names something that does not exist (a unit): 404.
    #[error("{field}: {reason}")]
    Unknown { field: &'static str, reason: String },
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// argon2id with the crate's defaults (19 MiB, 2 passes).
pub fn hash_password(pw: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Internal(e.to_string()))
}

pub fn verify_password(pw: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// A new random secret with a type prefix (`bt_` API token, `bb_` board
/// credential, none for sessions).
pub fn new_secret(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}{}", B64URL.encode(b))
}

/// Secrets are stored only as hashes.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn check_password_policy(pw: &str) -> Result<(), AccountError> {
    if pw.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid {
            field: "password",
            reason: format!("mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự (password too short)"),
        });
    }
    Ok(())
}

/// A new account. Its OpenAPI schema is written by hand (below): an
/// editor or a viewer needs at least one unit, an administrator none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub units: Vec<String>,
    /// Ask for a new password at the first sign-in (accounts an
    /// administrator makes through the API; not the first administrator).
    #[serde(skip)]
    pub must_change_password: bool,
}

/// A user name: 3–64 of ASCII letters, digits, `.`, `_`, `-`, `@`.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9._@-]{3,64}$";

impl utoipa::PartialSchema for NewUser {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let for_roles = |roles: &[&str], min_units: usize| {
            let mut units = ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("Unit codes the account works in"));
            let mut o = ObjectBuilder::new()
                .property(
                    "username",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(USERNAME_PATTERN))
                        .description(Some("3–64 of letters, digits, . _ - @")),
                )
                .required("username")
                .property("display_name", ObjectBuilder::new().schema_type(Type::String))
                .property(
                    "password",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(MIN_PASSWORD_CHARS))
                        .description(Some("At least 10 characters")),
                )
                .required("password")
                .property(
                    "role",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(roles.iter().copied())),
                )
                .required("role")
                .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
            if min_units > 0 {
                units = units.min_items(Some(min_units));
                o = o.property("units", units).required("units");
            } else {
                o = o.property("units", units);
            }
            o
        };
        OneOfBuilder::new()
            .item(for_roles(&["admin"], 0))
            .item(for_roles(&["editor", "viewer"], 1))
            .description(Some("An editor or a viewer needs at least one unit"))
            .into()
    }
}

impl utoipa::ToSchema for NewUser {}

fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid {
            field: "username",
            reason: "tên đăng nhập 3–64 ký tự: chữ, số, . _ - @ (user name: 3–64 of letters, digits, . _ - @)".into(),
        })
    }
}

pub fn check_units(store: &dyn Store, role: Role, units: &[String]) -> Result<(), AccountError> {
    if role != Role::Admin && units.is_empty() {
        return Err(AccountError::Invalid {
            field: "units",
            reason: "tài khoản biên tập/xem phải thuộc ít nhất một đơn vị (editors and viewers need a unit)".into(),
        });
    }
    for u in units {
        if store.get(&key::unit(u))?.is_none() {
            return Err(AccountError::Unknown {
                field: "units",
                reason: format!("không có đơn vị mã {u} (unknown unit code)"),
            });
        }
    }
    Ok(())
}

/// Create a user (the CLI and `POST /api/v1/users`).
pub fn create_user(store: &dyn Store, actor: &str, n: NewUser) -> Result<User, AccountError> {
    check_username(&n.username)?;
    check_password_policy(&n.password)?;
    check_units(store, n.role, &n.units)?;
    if store.get(&key::username(&n.username))?.is_some() {
        return Err(AccountError::Conflict {
            field: "username",
            reason: format!("tên đăng nhập {} đã có (user name taken)", n.username),
        });
    }
    let user = User {
        id: new_id(store, "usr")?,
        display_name: if n.display_name.is_empty() {
            n.username.clone()
        } else {
            n.display_name
        },
        username: n.username,
        password_hash: hash_password(&n.password)?,
        role: n.role,
        units: n.units,
        disabled: false,
        created_at: Utc::now(),
        must_change_password: n.must_change_password,
    };
    store.commit(vec![
        Op::put(key::user(&user.id), &user),
        Op::put(key::username(&user.username), &user.id),
        audit(
            store,
            actor,
            "user.create",
            &user.id,
            None,
            Some(serde_json::json!({"username": user.username, "role": user.role, "units": user.units})),
        )?,
    ])?;
    Ok(user)
}

/// Create a unit (the CLI and `POST /api/v1/units`).
pub fn create_unit(store: &dyn Store, actor: &str, u: &Unit) -> Result<(), AccountError> {
    if u.code.is_empty() || u.code.len() > 16 || !u.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AccountError::Invalid {
            field: "code",
            reason: "mã đơn vị là dãy số chính thức, 1–16 chữ số (official numeric code)".into(),
        });
    }
    if u.name.trim().is_empty() {
        return Err(AccountError::Invalid {
            field: "name",
            reason: "cần tên đơn vị (name required)".into(),
        });
    }
    if u.timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AccountError::Invalid {
            field: "timezone",
            reason: format!("múi giờ {:?} không có (unknown time zone)", u.timezone),
        });
    }
    if let Some(p) = &u.parent
        && store.get(&key::unit(p))?.is_none()
    {
        return Err(AccountError::Unknown {
            field: "parent",
            reason: format!("không có đơn vị cha {p} (unknown parent)"),
        });
    }
    if store.get(&key::unit(&u.code))?.is_some() {
        return Err(AccountError::Conflict {
            field: "code",
            reason: format!("đơn vị {} đã có (unit exists)", u.code),
        });
    }
    store.commit(vec![
        Op::put(key::unit(&u.code), u),
        audit(store, actor, "unit.create", &u.code, Some(&u.code), None)?,
    ])?;
    Ok(())
}

/// Remove sessions past their expiry (a session is deleted at sign-out;
/// without this, every session never signed out of stayed for good).
pub fn prune_sessions(store: &dyn Store, now: DateTime<Utc>) -> crate::store::Result<usize> {
    let stale: Vec<Op> = store
        .scan("session/")?
        .into_iter()
        .filter(|(_, v)| serde_json::from_slice::<Session>(v).map_or(true, |s| s.expires_at < now))
        .map(|(k, _)| Op::Del(k))
        .collect();
    let n = stale.len();
    if n > 0 {
        store.apply(stale)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;
    use chrono::Duration;

    #[test]
    fn expired_sessions_are_pruned_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let now = chrono::Utc::now();
        let session = |h: i64| Session {
            user_id: "usr_1".into(),
            csrf: "c".into(),
            created_at: now - Duration::hours(13),
            expires_at: now + Duration::hours(h),
        };
        store
            .commit(vec![
                Op::put(key::session("old"), &session(-1)),
                Op::put(key::session("live"), &session(1)),
                Op::Put(key::session("torn"), b"{".to_vec()),
            ])
            .unwrap();
        assert_eq!(prune_sessions(&store, now).unwrap(), 2);
        let left: Vec<String> = store.scan("session/").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(left, vec![key::session("live")]);
        assert_eq!(prune_sessions(&store, now).unwrap(), 0);
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("mật khẩu rất dài 2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu rất dài 2026", &h));
        assert!(!verify_password("mật khẩu rất dài 2027", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("bt_");
        assert!(a.starts_with("bt_") && a.len() > 40);
        assert_ne!(a, new_secret("bt_"));
        assert_eq!(secret_hash(&a).len(), 64);
    }
}
