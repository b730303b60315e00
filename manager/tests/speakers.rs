//! Loudspeakers, for real: two Snapcast servers (one per commune) on
//! 127.0.0.1, each with a snapclient writing what it plays to a file; the
//! manager reads alerts and bulletins with espeak-ng and streams them in.
//! An emergency is heard at once at full volume on its commune's speakers
//! only (and the speakers' own volume is given back after), a normal
//! bulletin only once the commune's editor approved it, and a cancelled
//! emergency stops mid-sentence.

use bangtin_tests::harness::manager::{
    COMMUNE_A, COMMUNE_B, Client, PASSWORD, PROVINCE, Server, SignedSource, seed, user,
};
use bangtin_tests::harness::snapcast::Snap;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

async fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "waited {secs} s for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t.elapsed()
}

async fn zones(c: &Client, unit: &str) -> Vec<Value> {
    let (st, v) = c.get(&format!("/api/v1/units/{unit}/speakers")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

/// Times `zone` finished announcing `item` (a key prefix).
async fn times(c: &Client, unit: &str, item: &str) -> u64 {
    zones(c, unit).await[0]["spoken"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["item"].as_str().unwrap().starts_with(item))
        .map(|s| s["times"].as_u64().unwrap())
        .sum()
}

/// Waits until `unit`'s zone has finished announcing `item` (a key prefix)
/// at least once.
async fn wait_recorded(c: &Client, unit: &str, item: &str, secs: u64) {
    let t = Instant::now();
    while times(c, unit, item).await == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "waited {secs} s for {item} on {unit}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `xml` with the text of its first `<tag>` element replaced.
fn element(xml: &str, tag: &str, value: &str) -> String {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let a = xml.find(&open).unwrap_or_else(|| panic!("no <{tag}>")) + open.len();
    let b = a + xml[a..].find(&close).unwrap();
    format!("{}{value}{}", &xml[..a], &xml[b..])
}

/// The sample storm warning for communes A and B, in force now (sent a
/// minute ago, expiring in an hour), as `identifier` with `status`. Its
/// description and instruction are shortened so that one reading lasts
/// about 9 s rather than 32 s (an emergency is read twice).
fn storm(identifier: &str, status: &str) -> String {
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap());
    let at = |m: i64| (now + chrono::Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let xml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/samples/alert-storm.cap.xml"
    ))
    .unwrap()
    .replace("05545", COMMUNE_A)
    .replace("05548", COMMUNE_B);
    [
        ("identifier", identifier),
        ("status", status),
        ("sent", &at(-1)),
        ("effective", &at(-1)),
        ("expires", &at(60)),
        ("description", "Mưa rất to."),
        ("instruction", "Tránh xa suối."),
    ]
    .iter()
    .fold(xml, |x, (tag, v)| element(&x, tag, v))
}

/// A file server on 127.0.0.1 standing in for the source's media host.
async fn media_host(files: Vec<(&'static str, Vec<u8>)>) -> String {
    let mut app = axum::Router::new();
    for (path, bytes) in files {
        app = app.route(path, axum::routing::get(move || async move { bytes.clone() }));
    }
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}")
}

fn bulletin(id: &str, priority: &str, unit: &str, tts: &str) -> Value {
    json!({
        "schema": "bangtin.bulletin/1", "id": id, "version": 1,
        "source": { "system": "HTTTN tỉnh Thái Nguyên" },
        "priority": priority, "language": "vi", "title": "Thông báo",
        "board": { "items": [ { "type": "text", "headline": "Thông báo", "body": tts } ] },
        "audio": { "tts": tts },
        "targets": { "areas": [ { "level": "commune", "code": unit } ] }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loudspeakers_announce_emergencies_at_once_and_bulletins_once_approved() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let xa_a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let xa_b = user(&s, &admin, "xa.b", "editor", COMMUNE_B).await;
    let src = SignedSource::register(&s, &admin, json!({"name": "HTTTN", "units": [PROVINCE]})).await;
    let snap_a = Snap::start(dir.path(), "loa-a");
    let snap_b = Snap::start(dir.path(), "loa-b");

    // Only administrators attach speakers; bad addresses are named.
    let zone = |snap: &Snap| {
        json!({"name": "Loa chợ", "control": format!("127.0.0.1:{}", snap.control),
               "audio": format!("127.0.0.1:{}", snap.audio), "volume": 90})
    };
    let path_a = format!("/api/v1/units/{COMMUNE_A}/speakers");
    let (st, _) = xa_a.post(&path_a, zone(&snap_a)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for (field, bad) in [("control", "loa-cho"), ("audio", "127.0.0.1:0"), ("volume", "101")] {
        let mut z = zone(&snap_a);
        z[field] = if field == "volume" { json!(101) } else { json!(bad) };
        let (st, v) = admin.post(&path_a, z).await;
        assert_eq!(
            (st, v["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{v}"
        );
    }
    let (st, v) = admin.post(&path_a, zone(&snap_a)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let zone_a = v["id"].as_str().unwrap().to_string();
    let (st, v) = admin
        .post(&format!("/api/v1/units/{COMMUNE_B}/speakers"), zone(&snap_b))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, _) = xa_b.get(&path_a).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "commune B is told nothing of A's speakers");

    // The speakers were left muted at 20 %: an emergency unmutes them at
    // the zone's 90 %, is heard within a second, and they are put back.
    snap_a.rpc(
        "Client.SetVolume",
        json!({"id": "loa-a", "volume": {"muted": true, "percent": 20}}),
    );
    let (a0, b0) = (snap_a.played(), snap_b.played());
    let text = "Khẩn cấp: lũ quét tại xã Định Hóa lúc 22h ngày 6/12. Người dân di chuyển ngay đến nơi an toàn.";
    let sent = Instant::now();
    let (st, v) = src.bulletin(&bulletin("lu-quet", "emergency", COMMUNE_A, text)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    wait_for("the emergency on commune A's speakers", 10, || {
        snap_a.loud_since(a0) > 0.05
    })
    .await;
    let heard = sent.elapsed();
    println!(
        "khẩn cấp → loa: {} ms (ingest to sound at the speaker)",
        heard.as_millis()
    );
    assert_eq!(snap_a.volume(), json!({"muted": false, "percent": 90}));
    wait_for("the emergency to be read (twice) to the end", 60, || {
        snap_a.volume() == json!({"muted": true, "percent": 20})
    })
    .await;
    assert_eq!(times(&admin, COMMUNE_A, "bulletin:").await, 1);
    // The source's report says where it was announced: commune A's zone,
    // once; so does commune A's officers' report.
    let (st, r) = src.get("/api/v1/bulletins/lu-quet/report").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let sp = r["speakers"].as_array().unwrap();
    assert_eq!(sp.len(), 1, "{r}");
    assert_eq!((&sp[0]["unit"], &sp[0]["times"]), (&json!(COMMUNE_A), &json!(1)), "{r}");
    let (_, ra) = xa_a
        .get(&format!(
            "/api/v1/units/{COMMUNE_A}/reports?source={}&id=lu-quet",
            src.id
        ))
        .await;
    assert_eq!(ra[0]["speakers"], r["speakers"], "{ra}");
    // Chime (0.9 s of tones, 0.4 s pause), then the text twice with 2 s
    // between: as long as the same text read here, twice, plus 3.3 s.
    let once = bangtin_manager::speakers::sound::speak(text, dir.path()).unwrap().len() as f64 / 96_000.0;
    let (span, loud) = (snap_a.span_since(a0), snap_a.loud_since(a0));
    println!("khẩn cấp: {span:.1} s from first to last sound ({once:.1} s the text once), {loud:.1} s loud");
    assert!(
        (span - (2.0 * once + 3.3)).abs() < 1.0 && loud > 2.0,
        "chime and the text twice: {span} s, {loud} s loud"
    );
    assert_eq!(snap_b.loud_since(b0), 0.0, "commune B's speakers stay silent");
    let z = &zones(&xa_a, COMMUNE_A).await[0];
    assert_eq!(z["status"]["clients"], 1, "{z}");
    assert!(z["status"]["error"].is_null(), "{z}");

    // A normal bulletin: silent until commune B's editor approves it.
    let b1 = snap_b.played();
    let (st, v) = src
        .bulletin(&bulletin(
            "tiem-chung",
            "normal",
            COMMUNE_B,
            "Trạm y tế xã tiêm chủng cho trẻ dưới 5 tuổi lúc 7h30 thứ Bảy.",
        ))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(snap_b.loud_since(b1), 0.0, "not before approval");
    let (st, v) = xa_b
        .post(
            &format!("/api/v1/units/{COMMUNE_B}/bulletins/{}/tiem-chung/approve", src.id),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    wait_for("the approved bulletin on commune B's speakers", 10, || {
        snap_b.loud_since(b1) > 0.05
    })
    .await;
    let t = Instant::now();
    while times(&xa_b, COMMUNE_B, "bulletin:").await == 0 {
        assert!(t.elapsed() < Duration::from_secs(30), "bulletin never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Not an emergency: the speakers' own volume was left alone.
    assert_eq!(snap_b.volume()["percent"], 100);

    // A long emergency cancelled mid-sentence stops within a second or so.
    let long = text.repeat(4);
    let mut b = bulletin("lu-quet-2", "emergency", COMMUNE_A, &long);
    b["schedule"] = json!({"repeats": 3});
    let a1 = snap_a.played();
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    wait_for("the second emergency", 10, || snap_a.loud_since(a1) > 2.0).await;
    let mut cancel = bulletin("lu-quet-2", "emergency", COMMUNE_A, &long);
    cancel["version"] = json!(2);
    cancel["cancel"] = json!(true);
    let (st, v) = src.bulletin(&cancel).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let cut = snap_a.played();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = snap_a.loud_since(cut);
    assert!(after < 1.5, "{after} s of sound after the cancel");
    assert_eq!(
        times(&admin, COMMUNE_A, &format!("bulletin:{}:lu-quet-2", src.id)).await,
        0,
        "a cut announcement is not counted as made"
    );
    wait_for("the speakers' volume given back after the cut", 10, || {
        snap_a.volume() == json!({"muted": true, "percent": 20})
    })
    .await;

    // The zone detached while an emergency is being read: its speakers get
    // their own volume back all the same.
    let mut b = bulletin("lu-quet-3", "emergency", COMMUNE_A, &long);
    b["schedule"] = json!({"repeats": 3});
    let a2 = snap_a.played();
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    wait_for("the third emergency", 10, || snap_a.loud_since(a2) > 1.0).await;
    assert_eq!(snap_a.volume(), json!({"muted": false, "percent": 90}));
    let (st, _) = admin
        .call(reqwest::Method::DELETE, &format!("/api/v1/speakers/{zone_a}"), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    wait_for("the detached zone's speakers given their volume back", 10, || {
        snap_a.volume() == json!({"muted": true, "percent": 20})
    })
    .await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cap_emergencies_and_sound_files_by_url_are_heard_but_cap_tests_are_not() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let src = SignedSource::register(&s, &admin, json!({"name": "HTTTN", "units": [PROVINCE]})).await;
    let snap_a = Snap::start(dir.path(), "loa-a");
    let snap_b = Snap::start(dir.path(), "loa-b");
    for (unit, snap) in [(COMMUNE_A, &snap_a), (COMMUNE_B, &snap_b)] {
        let zone = json!({"name": "Loa chợ", "control": format!("127.0.0.1:{}", snap.control),
                          "audio": format!("127.0.0.1:{}", snap.audio), "volume": 90});
        let (st, v) = admin.post(&format!("/api/v1/units/{unit}/speakers"), zone).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let started = Instant::now();

    // A CAP exercise of the storm warning (status Test): kept, never heard.
    let (a0, b0) = (snap_a.played(), snap_b.played());
    let (st, v) = src.alert(&storm("VN-TN-THU-001", "Test")).await;
    assert_eq!(
        (st, v["state"].as_str()),
        (StatusCode::ACCEPTED, Some("not_live")),
        "{v}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        (snap_a.loud_since(a0), snap_b.loud_since(b0)),
        (0.0, 0.0),
        "a CAP Test is not heard"
    );
    assert_eq!(times(&admin, COMMUNE_A, "cap:").await, 0);

    // The real one (Immediate, Severe: an emergency) for both communes:
    // heard at once at the zones' 90 %, read twice, recorded once.
    let (a1, b1) = (snap_a.played(), snap_b.played());
    let sent = Instant::now();
    let (st, v) = src.alert(&storm("VN-TN-BAO-001", "Actual")).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::ACCEPTED, Some("live")), "{v}");
    wait_for("the storm warning on commune A's speakers", 5, || {
        snap_a.loud_since(a1) > 0.05
    })
    .await;
    println!("CAP → loa A: {} ms", sent.elapsed().as_millis());
    assert_eq!(snap_a.volume(), json!({"muted": false, "percent": 90}));
    wait_for("the storm warning on commune B's speakers", 5, || {
        snap_b.loud_since(b1) > 0.05
    })
    .await;
    wait_recorded(&admin, COMMUNE_A, "cap:", 40).await;
    wait_recorded(&admin, COMMUNE_B, "cap:", 10).await;
    let key = "cap:VN-TN-BAO-001";
    for unit in [COMMUNE_A, COMMUNE_B] {
        let z = &zones(&admin, unit).await[0];
        let caps: Vec<_> = z["spoken"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["item"].as_str().unwrap().starts_with("cap:"))
            .map(|s| (s["item"].as_str().unwrap(), s["times"].as_u64().unwrap()))
            .collect();
        assert_eq!(caps, [(key, 1)], "{unit}: the Actual alert once, the Test never: {z}");
    }
    // The source's report lists both communes' zones.
    let (st, r) = src.get("/api/v1/alerts/VN-TN-BAO-001/report").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let units: Vec<_> = r["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["unit"].clone())
        .collect();
    assert_eq!(units, [json!(COMMUNE_A), json!(COMMUNE_B)], "{r}");
    assert_eq!(
        snap_a.volume(),
        json!({"muted": false, "percent": 100}),
        "volume given back"
    );
    // Chime, then event. headline. description. instruction. twice.
    let text = "Bão số 3. Cảnh báo bão số 3: mưa rất to, nguy cơ lũ quét và sạt lở đất. Mưa rất to. Tránh xa suối.";
    let once = bangtin_manager::speakers::sound::speak(text, dir.path()).unwrap().len() as f64 / 96_000.0;
    for (name, snap, from) in [("A", &snap_a, a1), ("B", &snap_b, b1)] {
        let (span, loud) = (snap.span_since(from), snap.loud_since(from));
        println!("CAP loa {name}: {span:.1} s first to last sound ({once:.1} s the text once), {loud:.1} s loud");
        assert!(
            (span - (2.0 * once + 3.3)).abs() < 1.0 && loud > 2.0,
            "{name}: {span} s, {loud} s loud"
        );
    }

    // A priority bulletin for commune B with only a sound file by URL: a
    // 2 s, 440 Hz tone the manager fetches, checks and plays as it is.
    let wav = dir.path().join("a440.wav");
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "sine=frequency=440:duration=2", "-ar", "22050", "-ac", "1"])
        .arg(&wav)
        .status()
        .expect("ffmpeg");
    assert!(made.success());
    let bytes = std::fs::read(&wav).unwrap();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let host = media_host(vec![("/a440.wav", bytes)]).await;
    let mut b = bulletin("coi-440", "priority", COMMUNE_B, "Thử còi báo động.");
    b["audio"] = json!({"url": format!("{host}/a440.wav"), "sha256": sha});
    let (a2, b2) = (snap_a.played(), snap_b.played());
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    wait_for("the tone on commune B's speakers", 5, || snap_b.loud_since(b2) > 0.05).await;
    wait_recorded(&admin, COMMUNE_B, &format!("bulletin:{}:coi-440:v1", src.id), 10).await;
    // Until a second of silence follows the tone: all of it played.
    wait_for("the tone to end", 5, || {
        let f = snap_b.loud_frames(b2);
        (snap_b.played() - b2) / 4 > *f.last().unwrap() as u64 + 48_000
    })
    .await;
    let loud = snap_b.loud_frames(b2);
    let (first, last) = (loud[0], *loud.last().unwrap());
    let span = (last - first) as f64 / 48_000.0;
    let left = &snap_b.left(b2)[first..=last];
    let crossings = left.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    let hz = crossings as f64 / span / 2.0;
    println!("còi loa B: {span:.2} s, {hz:.0} Hz");
    assert!((1.5..2.6).contains(&span), "about 2 s of sound: {span} s");
    assert!(
        (880.0 * 0.9..880.0 * 1.1).contains(&(2.0 * hz)),
        "a 440 Hz tone: {hz} Hz"
    );
    assert_eq!(snap_a.loud_since(a2), 0.0, "commune A's speakers stay silent");
    assert_eq!(snap_b.volume(), json!({"muted": false, "percent": 100}));
    println!("test took {:.1} s after setup", started.elapsed().as_secs_f64());
    s.stop().await;
}
