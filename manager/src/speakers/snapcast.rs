//! A small Snapcast JSON-RPC client (TCP control port, one JSON object per
//! line) and the emergency override: every group on the announcement
//! stream, unmuted, every client at the zone's volume — and afterwards
//! everything back as it was.

use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(3);

/// One connection to a Snapcast server's control port.
#[derive(Debug)]
pub struct Control {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
    next: u64,
}

fn err(addr: &str, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("điều khiển Snapcast {addr}: {e} (Snapcast control)")
}

impl Control {
    pub async fn connect(addr: &str) -> anyhow::Result<Control> {
        let s = tokio::time::timeout(TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| err(addr, "quá giờ kết nối"))?
            .map_err(|e| err(addr, e))?;
        let (r, w) = s.into_split();
        Ok(Control {
            reader: BufReader::new(r),
            writer: w,
            next: 1,
        })
    }

    /// Call `method`; its `result`, or the server's error.
    pub async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next;
        self.next += 1;
        let mut line = json!({"id": id, "jsonrpc": "2.0", "method": method, "params": params}).to_string();
        line.push_str("\r\n");
        let work = async {
            self.writer.write_all(line.as_bytes()).await?;
            let mut buf = String::new();
            loop {
                buf.clear();
                if self.reader.read_line(&mut buf).await? == 0 {
                    anyhow::bail!("máy chủ đóng kết nối (connection closed)");
                }
                // Notifications (no id) come on the same connection.
                let Ok(v) = serde_json::from_str::<Value>(&buf) else {
                    continue;
                };
                if v.get("id").and_then(Value::as_u64) != Some(id) {
                    continue;
                }
                if let Some(e) = v.get("error") {
                    anyhow::bail!("{method}: {e}");
                }
                return Ok(v.get("result").cloned().unwrap_or(Value::Null));
            }
        };
        tokio::time::timeout(TIMEOUT, work)
            .await
            .map_err(|_| anyhow::anyhow!("{method}: quá giờ (timed out)"))?
    }

    /// The server's groups (`Server.GetStatus`).
    pub async fn groups(&mut self) -> anyhow::Result<Vec<Value>> {
        let st = self.call("Server.GetStatus", json!({})).await?;
        Ok(st["server"]["groups"].as_array().cloned().unwrap_or_default())
    }
}

/// What the override changed, to be put back.
#[derive(Debug, Default)]
pub struct Saved {
    groups: Vec<(String, String, bool)>,
    clients: Vec<(String, Value)>,
}

/// Count the clients connected to the server.
pub fn connected(groups: &[Value]) -> usize {
    groups
        .iter()
        .flat_map(|g| g["clients"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["connected"].as_bool().unwrap_or(false))
        .count()
}

/// Put every group on `stream`, unmuted, and every client at `volume` %
/// unmuted; returns what was there before.
pub async fn take_over(c: &mut Control, stream: &str, volume: u8) -> anyhow::Result<Saved> {
    let mut saved = Saved::default();
    for g in c.groups().await? {
        let id = g["id"].as_str().unwrap_or_default().to_string();
        let old_stream = g["stream_id"].as_str().unwrap_or_default().to_string();
        let muted = g["muted"].as_bool().unwrap_or(false);
        if old_stream != stream {
            c.call("Group.SetStream", json!({"id": id, "stream_id": stream}))
                .await?;
        }
        if muted {
            c.call("Group.SetMute", json!({"id": id, "mute": false})).await?;
        }
        saved.groups.push((id, old_stream, muted));
        for cl in g["clients"].as_array().cloned().unwrap_or_default() {
            let cid = cl["id"].as_str().unwrap_or_default().to_string();
            let old = cl["config"]["volume"].clone();
            c.call(
                "Client.SetVolume",
                json!({"id": cid, "volume": {"muted": false, "percent": volume}}),
            )
            .await?;
            saved.clients.push((cid, old));
        }
    }
    Ok(saved)
}

/// Undo [`take_over`].
pub async fn give_back(c: &mut Control, saved: &Saved, stream: &str) -> anyhow::Result<()> {
    for (id, old) in &saved.clients {
        if old.is_object() {
            c.call("Client.SetVolume", json!({"id": id, "volume": old})).await?;
        }
    }
    for (id, old_stream, muted) in &saved.groups {
        if old_stream != stream && !old_stream.is_empty() {
            c.call("Group.SetStream", json!({"id": id, "stream_id": old_stream}))
                .await?;
        }
        if *muted {
            c.call("Group.SetMute", json!({"id": id, "mute": true})).await?;
        }
    }
    Ok(())
}
