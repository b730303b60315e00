//! Pairing: ask the manager for a code, show it, and wait until an officer
//! claims the board; the credential and the pinned key are then saved.

use super::{Agent, backoff, client};
use crate::board::ToScreen;
use anyhow::{Context, Result, bail};
use bangtin_layouts::show::key_from_b64;
use reqwest::StatusCode;
use std::time::Duration;

/// How long a board that refused a manager's key waits before pairing again.
const REFUSED_RETRY: Duration = Duration::from_secs(300);

impl Agent {
    /// Get a code, show it, wait for an officer to claim the board.
    pub(super) async fn pair(&mut self) -> Result<()> {
        let http = client(Some(Duration::from_secs(20)));
        let base = self.cfg.manager.clone();
        let mut attempt = 0;
        loop {
            self.show(ToScreen::Pairing(String::new()));
            let started: serde_json::Value = match http.post(format!("{base}/api/v1/pairing")).send().await {
                Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
                Ok(r) => {
                    tracing::warn!(
                        "máy chủ từ chối xin mã ghép nối: {} (pairing request refused)",
                        r.status()
                    );
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => {
                    tracing::warn!("không kết nối được máy chủ quản lý: {e} (manager unreachable)");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
            };
            let (Some(code), Some(secret)) = (started["code"].as_str(), started["secret"].as_str()) else {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
                continue;
            };
            attempt = 0;
            tracing::info!("mã ghép nối: {code} (pairing code)");
            println!("Mã ghép nối (pairing code): {code}");
            self.show(ToScreen::Pairing(code.to_string()));
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let r = http
                    .post(format!("{base}/api/v1/pairing/poll"))
                    .json(&serde_json::json!({"code": code, "secret": secret}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::OK => {
                        let v: serde_json::Value = r.json().await.context("trả lời ghép nối hỏng")?;
                        let key = v["manager_key"].as_str().unwrap_or_default().to_string();
                        if key_from_b64(&key).is_none() {
                            bail!("máy chủ gửi khóa công khai không hợp lệ (bad manager key)");
                        }
                        if let Some(pinned) = &self.cfg.manager_key
                            && pinned != &key
                        {
                            // Nothing from this manager is kept. The board
                            // says so on screen and in its log, keeps
                            // running (a restart would change nothing) and
                            // asks again later: the address may be fixed
                            // (DNS) or the right manager restored.
                            tracing::error!(
                                "khóa của máy chủ khác khóa đã cài trên bảng: từ chối; thử lại sau {} giây \
                                 (manager key does not match the pinned one: refused; trying again in {} s)",
                                REFUSED_RETRY.as_secs(),
                                REFUSED_RETRY.as_secs()
                            );
                            self.show(ToScreen::Refused);
                            tokio::time::sleep(REFUSED_RETRY).await;
                            break;
                        }
                        self.cfg.board_id = v["board_id"].as_str().map(str::to_string);
                        self.cfg.credential = v["credential"].as_str().map(str::to_string);
                        self.cfg.manager_key = Some(key);
                        self.cfg.save(&self.config_dir)?;
                        tracing::info!(
                            "đã ghép nối: bảng {} (claimed)",
                            self.cfg.board_id.as_deref().unwrap_or("?")
                        );
                        self.show(ToScreen::Claimed);
                        return Ok(());
                    }
                    Ok(r) if r.status() == StatusCode::ACCEPTED => {}
                    Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    // Expired or unknown: ask for a new code.
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!("mất kết nối khi chờ ghép nối: {e} (waiting to be claimed)");
                        tokio::time::sleep(backoff(1)).await;
                    }
                }
            }
        }
    }

    fn show(&self, m: ToScreen) {
        let _ = self.to_screen.send(m);
        (self.wake)();
    }
}
