//! `bangtin-load fanout`: one CAP emergency for a whole province (issue #12).
//!
//! A fresh data directory gets a province, `--communes` communes in it and
//! `--boards` claimed boards spread over them, and a registered source
//! system that covers the province. The manager runs as its own process
//! (`bangtin-load --manager`, by default the `bangtin-manager` beside it).
//! Every simulated board holds its event stream open, as a real board does;
//! when it is told its alert set changed it fetches `GET
//! /api/v1/board/alerts`, checks the signature with the manager's public
//! key, checks the set is its own, and looks for the alert.
//!
//! Each round the source sends one signed CAP emergency for the province,
//! then its cancellation. For each we measure from the moment the source
//! sends it:
//! - **answer**: until the manager answers the source (it answers once
//!   every board's set is stored, made durable and pushed);
//! - **told**: until each board's event stream brings the push that its
//!   set changed (the sets are stored and durable before any push) — p99
//!   and max over the boards;
//! - **fetched and verified**: until each board holds a verified set with
//!   the alert in it (or, for the cancel, without it) — p50, p99, max over
//!   the boards.
//!
//! ```text
//! cargo build --release -p bangtin-manager -p bangtin-tests
//! target/release/bangtin-load fanout --boards 4000 --communes 200 --rounds 3
//! ```

use super::cluster::Managers;
use super::pct;
use anyhow::{Result, bail};
use bangtin_layouts::wire::Push;
use bangtin_manager::accounts::{create_unit, new_secret};
use bangtin_manager::model::Unit;
use bangtin_manager::sources::{self, SourceRecord};
use bangtin_manager::store::Op;
use bangtin_manager::{AppState, Config};
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PROVINCE: &str = "19";
const SOURCE: &str = "htttn-fanout";
const SENDER: &str = "htttn@fanout.example";

#[derive(clap::Args, Debug, Clone)]
pub struct FanoutArgs {
    /// Số bảng tin mô phỏng (simulated boards)
    #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(u32).range(1..))]
    pub boards: u32,
    /// Số xã; các bảng tin chia đều (communes; the boards are spread evenly)
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=9999))]
    pub communes: u32,
    /// Số lượt: mỗi lượt một cảnh báo rồi lệnh huỷ (rounds: one alert, then its cancel)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
    /// Ngưỡng p99 cần đạt, ms (p99 target)
    #[arg(long, default_value_t = 1000.0)]
    pub p99_ms: f64,
    /// Thư mục dữ liệu; mặc định một thư mục tạm (data directory; default: a temporary one)
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Dùng PostgreSQL (khởi động một máy chủ tạm, ghi đĩa đầy đủ) thay sled (a temporary PostgreSQL, fsync on, instead of sled)
    #[arg(long)]
    pub postgres: bool,
    /// Số máy quản lý dùng chung PostgreSQL, sau haproxy khi từ 2; các bảng tin chia đều (managers on the database; 2 or more: behind haproxy, the boards spread over them)
    #[arg(long, default_value_t = 1, requires = "postgres", value_parser = clap::value_parser!(u16).range(1..=8))]
    pub managers: u16,
}

/// The boards' credentials and the manager's public key.
struct Fleet {
    boards: Vec<(String, String)>,
    source_key: Vec<u8>,
    public: VerifyingKey,
}

fn populate(dir: &Path, store: Option<&str>, a: &FanoutArgs) -> Result<Fleet> {
    let state = AppState::open(Config {
        data_dir: dir.to_path_buf(),
        store: store.map(str::to_string),
        ..Config::default()
    })?;
    let public = state.key.0.verifying_key();
    let unit = |code: String, name: String, parent: Option<&str>| Unit {
        code,
        name,
        parent: parent.map(str::to_string),
        timezone: "Asia/Ho_Chi_Minh".into(),
    };
    create_unit(
        &*state.store,
        "fanout",
        &unit(PROVINCE.into(), "Tỉnh Thái Nguyên".into(), None),
    )?;
    let communes: Vec<String> = (0..a.communes).map(|i| format!("{}", 60000 + i)).collect();
    for (i, c) in communes.iter().enumerate() {
        create_unit(
            &*state.store,
            "fanout",
            &unit(c.clone(), format!("Xã số {}", i + 1), Some(PROVINCE)),
        )?;
    }
    let source_key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let now = chrono::Utc::now();
    let mut ops = vec![Op::put(
        sources::key_of(SOURCE),
        &SourceRecord {
            id: SOURCE.into(),
            name: "Hệ thống thông tin nguồn tỉnh (đo)".into(),
            units: vec![PROVINCE.into()],
            created: now,
            key: base64::engine::general_purpose::STANDARD.encode(&source_key),
            disabled: false,
            report_url: None,
            report_every_s: None,
        },
    )];
    let mut boards = Vec::with_capacity(a.boards as usize);
    for i in 0..a.boards {
        let id = format!("brd_fan{i}");
        let cred = new_secret("bb_");
        let unit = &communes[i as usize % communes.len()];
        ops.extend(super::manager::board_records(&id, unit, &cred, "fanout", 0));
        boards.push((id, cred));
        if ops.len() >= 3000 {
            state.store.apply(std::mem::take(&mut ops))?;
        }
    }
    state.store.apply(ops)?;
    state.store.flush()?;
    Ok(Fleet {
        boards,
        source_key,
        public,
    })
}

fn cap(id: &str, cancel_of: Option<&str>) -> String {
    let (msg_type, refs) = match cancel_of {
        Some(r) => (
            "Cancel",
            format!("\n  <references>{SENDER},{r},2026-12-07T06:30:00+07:00</references>"),
        ),
        None => ("Alert", String::new()),
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{id}</identifier>
  <sender>{SENDER}</sender>
  <sent>2026-12-07T06:30:00+07:00</sent>
  <status>Actual</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>{refs}
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Lũ quét</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <expires>2099-01-01T00:00:00+07:00</expires>
    <senderName>Ban Chỉ huy PCTT và TKCN tỉnh</senderName>
    <headline>Lũ quét trên toàn tỉnh: không ra khỏi nhà</headline>
    <description>Mưa 200–300 mm trong 6 giờ tới, nước sông lên nhanh.</description>
    <instruction>Không đi qua ngầm, tràn; di chuyển lên chỗ cao.</instruction>
    <area>
      <areaDesc>Toàn tỉnh</areaDesc>
      <geocode><valueName>VN-ADMIN</valueName><value>{PROVINCE}</value></geocode>
    </area>
  </info>
</alert>"#
    )
}

/// What each board waits for now: a set with (`true`) or without the alert.
#[derive(Clone)]
struct Expect {
    alert: String,
    present: bool,
    sent: Instant,
}

struct Sim {
    url: String,
    public: VerifyingKey,
    streams: Vec<reqwest::Client>,
    http: reqwest::Client,
    /// The source system's own client (a machine of its own in the field,
    /// not sharing the boards' connection pool).
    source: reqwest::Client,
    expect: Mutex<Option<Expect>>,
    connected: AtomicUsize,
    errors: AtomicUsize,
    /// Seconds from send to verified set, per board, this round.
    got: Mutex<Vec<f64>>,
    /// Seconds from send to the push telling the board, per board.
    told: Mutex<Vec<f64>>,
}

/// Fetch, verify and check one board's set; `true` once it is what the
/// round waits for (and then it is counted).
async fn fetch(sim: &Sim, id: &str, cred: &str, done: &mut Option<String>) {
    let Some(want) = sim.expect.lock().unwrap().clone() else {
        return;
    };
    let tag = format!("{}{}", want.alert, want.present);
    if done.as_deref() == Some(tag.as_str()) {
        return;
    }
    let r = sim
        .http
        .get(format!("{}/api/v1/board/alerts", sim.url))
        .bearer_auth(cred)
        .send()
        .await;
    let signed: bangtin_layouts::show::Signed = match r {
        Ok(r) if r.status().is_success() => match r.json().await {
            Ok(s) => s,
            Err(_) => return void(sim),
        },
        _ => return void(sim),
    };
    let Ok(set) = bangtin_layouts::alerts::verify(&signed, &sim.public) else {
        return void(sim);
    };
    if set.board != id {
        return void(sim);
    }
    let has = set.alerts.iter().any(|a| a.id == want.alert);
    if has == want.present {
        sim.got.lock().unwrap().push(want.sent.elapsed().as_secs_f64());
        *done = Some(tag);
    }
}

fn void(sim: &Sim) {
    sim.errors.fetch_add(1, Ordering::Relaxed);
}

/// One board: hold the event stream; on every alerts push, fetch.
async fn board(sim: Arc<Sim>, i: usize, id: String, cred: String) {
    let client = &sim.streams[i % sim.streams.len()];
    let mut first = true;
    let mut done = None;
    let mut told = None;
    loop {
        let r = client
            .get(format!("{}/api/v1/board/events", sim.url))
            .bearer_auth(&cred)
            .send()
            .await;
        let mut resp = match r {
            Ok(r) if r.status().is_success() => r,
            _ => {
                void(&sim);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut pending = String::new();
        while let Ok(Some(bytes)) = resp.chunk().await {
            pending.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(end) = pending.find("\n\n") {
                let ev: String = pending.drain(..end + 2).collect();
                for data in ev.lines().filter_map(|l| l.strip_prefix("data:")) {
                    match serde_json::from_str::<Push>(data.trim()) {
                        Ok(Push::Show { .. }) if first => {
                            first = false;
                            sim.connected.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Push::Alerts { .. }) => {
                            let want = sim.expect.lock().unwrap().clone();
                            if let Some(w) = want
                                && told != Some(w.sent)
                            {
                                told = Some(w.sent);
                                sim.told.lock().unwrap().push(w.sent.elapsed().as_secs_f64());
                            }
                            fetch(&sim, &id, &cred, &mut done).await
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// CPU seconds of the managers and PostgreSQL (server and backends) so far.
fn cpu_all(pids: &[u32], pg: Option<u32>) -> f64 {
    let mut all = pids.to_vec();
    all.extend(pg.map(super::fleet::tree).unwrap_or_default());
    super::fleet::cpu_sum(&all)
}

fn rss_mib(pids: &[u32]) -> f64 {
    super::fleet::mem_sum(pids).map_or(f64::NAN, |m| m.rss_kib as f64 / 1024.0)
}

/// Run the measurement against the manager `exe`.
pub fn run(exe: &Path, a: FanoutArgs) -> Result<()> {
    let tmp;
    let dir = match &a.data {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let t = Instant::now();
    let pg = a.postgres.then(crate::harness::postgres::Postgres::start_durable);
    let db = pg.as_ref().map(|p| p.new_db());
    let fleet = populate(&dir, db.as_deref(), &a)?;
    eprintln!(
        "{} bảng tin trong {} xã sẵn sàng sau {:.1} s (boards registered)",
        a.boards,
        a.communes,
        t.elapsed().as_secs_f64()
    );
    let server = Managers::start(exe, db.as_deref(), &dir, a.managers, &[])?;
    let (pids, url) = (server.pids(), server.url());
    let pg_pid = pg.as_ref().map(|p| p.pid());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let ok = rt.block_on(async {
        let sim = Arc::new(Sim {
            url,
            public: fleet.public,
            streams: (0..8)
                .map(|_| reqwest::Client::builder().build())
                .collect::<Result<_, _>>()?,
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
            source: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
            expect: Mutex::new(None),
            connected: AtomicUsize::new(0),
            errors: AtomicUsize::new(0),
            got: Mutex::new(Vec::new()),
            told: Mutex::new(Vec::new()),
        });
        for (i, (id, cred)) in fleet.boards.iter().enumerate() {
            tokio::spawn(board(sim.clone(), i, id.clone(), cred.clone()));
        }
        let until = Instant::now() + Duration::from_secs(180);
        while sim.connected.load(Ordering::Relaxed) < fleet.boards.len() {
            if Instant::now() > until {
                bail!(
                    "chỉ {} / {} bảng tin kết nối được (boards connected)",
                    sim.connected.load(Ordering::Relaxed),
                    fleet.boards.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!(
            "# one CAP emergency to {} boards in {} communes (then its cancel), {} rounds — manager {}; store: {}; cpu s: the managers' and PostgreSQL's",
            a.boards,
            a.communes,
            a.rounds,
            exe.display(),
            if a.postgres {
                format!("PostgreSQL (fsync on), {} managers{}", a.managers, if a.managers > 1 { " behind haproxy" } else { "" })
            } else {
                "sled".to_string()
            }
        );
        println!(
            "{:>5} {:>7} {:>9} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9} {:>7} {:>7}",
            "round",
            "kind",
            "answer",
            "told p99",
            "told max",
            "boards",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "cpu s"
        );
        let mut all = Vec::new();
        for r in 1..=a.rounds {
            let id = format!("FANOUT-{}-{r}", std::process::id());
            for (kind, body, present) in [
                ("alert", cap(&id, None), true),
                ("cancel", cap(&format!("{id}-huy"), Some(&id)), false),
            ] {
                sim.got.lock().unwrap().clear();
                sim.told.lock().unwrap().clear();
                let errors0 = sim.errors.load(Ordering::Relaxed);
                let cpu0 = cpu_all(&pids, pg_pid);
                let sent = Instant::now();
                *sim.expect.lock().unwrap() = Some(Expect {
                    alert: format!("cap:{id}"),
                    present,
                    sent,
                });
                super::manager::post_cap(&sim.source, &sim.url, SOURCE, &fleet.source_key, &body).await?;
                let pushed = sent.elapsed().as_secs_f64();
                let until = Instant::now() + Duration::from_secs(60);
                while sim.got.lock().unwrap().len() < fleet.boards.len() && Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                let mut got = sim.got.lock().unwrap().clone();
                got.sort_by(f64::total_cmp);
                let mut told = sim.told.lock().unwrap().clone();
                let told_max = told.iter().copied().fold(f64::NAN, f64::max);
                println!(
                    "{:>5} {:>7} {:>9.0} {:>9.0} {:>9.0} {:>7} {:>9.0} {:>9.0} {:>9.0} {:>7} {:>7.2}",
                    r,
                    kind,
                    pushed * 1e3,
                    pct(&mut told, 0.99) * 1e3,
                    told_max * 1e3,
                    got.len(),
                    pct(&mut got, 0.5) * 1e3,
                    pct(&mut got, 0.99) * 1e3,
                    got.last().copied().unwrap_or(f64::NAN) * 1e3,
                    sim.errors.load(Ordering::Relaxed) - errors0,
                    cpu_all(&pids, pg_pid) - cpu0
                );
                all.extend(got.iter().copied());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        all.sort_by(f64::total_cmp);
        let expected = fleet.boards.len() * a.rounds as usize * 2;
        let p99 = pct(&mut all, 0.99) * 1e3;
        println!(
            "all: {} / {} sets fetched and verified, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; managers' RSS {:.0} MiB",
            all.len(),
            expected,
            pct(&mut all, 0.5) * 1e3,
            p99,
            all.last().copied().unwrap_or(f64::NAN) * 1e3,
            rss_mib(&pids)
        );
        if let Some(p) = pg_pid {
            println!(
                "PostgreSQL RSS {:.0} MiB (server and backends); {} managers",
                rss_mib(&super::fleet::tree(p)),
                pids.len()
            );
        }
        Ok::<bool, anyhow::Error>(all.len() == expected && p99 <= a.p99_ms)
    })?;
    rt.shutdown_timeout(Duration::from_secs(1));
    drop(server);
    if !ok {
        bail!(
            "chưa đạt: không phải bảng nào cũng nhận, hoặc p99 vượt {} ms (target missed)",
            a.p99_ms
        );
    }
    println!("đạt (target met): p99 ≤ {} ms", a.p99_ms);
    Ok(())
}
