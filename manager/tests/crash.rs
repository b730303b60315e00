//! sled calls itself beta, so we test what matters: the manager killed with
//! SIGKILL in the middle of writes comes back with every change it had
//! acknowledged, and no change half-applied.

use bangtin_tests::harness::manager::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server it holds when dropped, also when the test fails.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &std::path::Path) -> (Guard, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bangtin-manager"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        // The check below reads every layout back at once.
        .env("BANGTIN_REQUESTS_PER_SECOND", "100000")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (Guard(child), url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_writes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let (mut child, url) = start(dir.path());
    // A token to keep using after the restart.
    let fake = Server::fake(&url);
    let admin = Client::token(&fake, "tinh", PASSWORD).await;
    let (_, m) = admin.upload(COMMUNE_A, "a.png", png(16, 16, 3)).await;
    let sha = m["sha256"].as_str().unwrap().to_string();
    let toml = layout_toml(&sha, &sha).replace(
        &format!("[[zone.item]]\ntype = \"video\"\nsrc = \"sha256:{sha}\"\n"),
        "",
    );

    // Four writers race; the server is killed under them.
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (c, toml) = (admin.clone(), toml.clone());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0.. {
                let r = c
                    .request(reqwest::Method::POST, &format!("/api/v1/units/{COMMUNE_A}/layouts"))
                    .json(&json!({"name": format!("w{w}-{i}"), "toml": toml}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let v: Value = r.json().await.unwrap();
                        acked.push(v["id"].as_str().unwrap().to_string());
                    }
                    _ => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert!(
        acked.len() >= 4,
        "writers got going before the kill ({} acknowledged)",
        acked.len()
    );
    eprintln!("{} layouts acknowledged before SIGKILL", acked.len());

    let (child, url) = start(dir.path());
    let c = Client {
        base: url.clone(),
        ..admin.clone()
    };
    let (st, list) = c.get(&format!("/api/v1/units/{COMMUNE_A}/layouts")).await;
    assert_eq!(st, StatusCode::OK, "{list} (acknowledged {})", acked.len());
    let present: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    for id in &acked {
        assert!(present.contains(id), "acknowledged layout {id} lost in the crash");
    }
    // Nothing half-applied: each layout has its first version and its audit entry.
    let mut audited: Vec<String> = Vec::new();
    // The largest `before` the API takes (its document says int64).
    let mut before: u64 = 9_223_372_036_854_775_807;
    loop {
        let (_, page) = c.get(&format!("/api/v1/audit?limit=1000&before={before}")).await;
        let page = page.as_array().unwrap().clone();
        let Some(last) = page.last() else { break };
        before = last["seq"].as_u64().unwrap();
        audited.extend(
            page.iter()
                .filter(|e| e["action"] == "layout.create")
                .filter_map(|e| e["target"].as_str().map(str::to_string)),
        );
    }
    for id in &present {
        let (st, v) = c.get(&format!("/api/v1/layouts/{id}/versions")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v.as_array().unwrap().len(), 1, "layout {id} without its version");
        assert!(audited.contains(id), "layout {id} without its audit entry");
    }
    drop(child);
}
