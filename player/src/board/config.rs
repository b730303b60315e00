//! The board's own settings: which manager, its credential and the
//! manager's pinned public key. One TOML file, readable by the player's
//! user only, written atomically.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardConfig {
    /// Base URL of the manager, e.g. "https://bangtin.tinh.gov.vn".
    pub manager: String,
    /// Heartbeat period in seconds.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_seconds: u32,
    /// Set once the board is claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board_id: Option<String>,
    /// The board's own credential (`bb_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The manager's ed25519 public key (base64), pinned at enrollment:
    /// shows not signed with it are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_key: Option<String>,
}

fn default_heartbeat() -> u32 {
    bangtin_layouts::wire::DEFAULT_HEARTBEAT_SECONDS
}

impl BoardConfig {
    pub fn new(manager: &str) -> BoardConfig {
        BoardConfig {
            manager: manager.trim_end_matches('/').to_string(),
            heartbeat_seconds: default_heartbeat(),
            board_id: None,
            credential: None,
            manager_key: None,
        }
    }

    pub fn is_paired(&self) -> bool {
        self.board_id.is_some() && self.credential.is_some() && self.manager_key.is_some()
    }

    pub fn file(dir: &Path) -> PathBuf {
        dir.join("board.toml")
    }

    /// The config in `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<BoardConfig>> {
        let path = Self::file(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("không đọc được {} (cannot read)", path.display())),
        };
        let c: BoardConfig = toml::from_str(&text)
            .map_err(|e| crate::BadInput(format!("{}: {e}", path.display())))
            .context("tệp cấu hình bảng tin hỏng (bad board config)")?;
        if let Some(k) = &c.manager_key
            && bangtin_layouts::show::key_from_b64(k).is_none()
        {
            return Err(crate::BadInput(format!(
                "{}: manager_key không phải khóa ed25519 base64 (not an ed25519 key)",
                path.display()
            ))
            .into());
        }
        Ok(Some(c))
    }

    /// Write atomically, mode 0600 (it holds the board's credential).
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("không tạo được thư mục {}", dir.display()))?;
        let text = toml::to_string(self).context("cấu hình không tuần tự hóa được")?;
        crate::board::cache::write_atomic(&Self::file(dir), text.as_bytes(), 0o600)
    }
}

/// `$XDG_CONFIG_HOME/bangtin`, else `~/.config/bangtin`.
pub fn default_config_dir() -> PathBuf {
    xdg("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_STATE_HOME/bangtin`, else `~/.local/state/bangtin`: the show and
/// media cache and the proof-of-play log (state that must survive reboots,
/// unlike a cache a cleaner may wipe).
pub fn default_data_dir() -> PathBuf {
    xdg("XDG_STATE_HOME", ".local/state")
}

fn xdg(var: &str, fallback: &str) -> PathBuf {
    if let Some(d) = std::env::var_os(var).filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("bangtin");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(fallback).join("bangtin")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(BoardConfig::load(dir.path()).unwrap(), None);
        let mut c = BoardConfig::new("http://127.0.0.1:8080/");
        assert_eq!(c.manager, "http://127.0.0.1:8080");
        c.board_id = Some("brd_1".into());
        c.save(dir.path()).unwrap();
        assert_eq!(BoardConfig::load(dir.path()).unwrap(), Some(c));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(BoardConfig::file(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(BoardConfig::file(dir.path()), "manager = 3\n").unwrap();
        let e = format!("{:#}", BoardConfig::load(dir.path()).unwrap_err());
        assert!(e.contains("board.toml"), "{e}");
    }
}
