//! Which alerts each board must show: every live emergency or priority
//! alert (CAP) and bulletin whose targets cover the board — its commune,
//! its province, or the board itself — and every normal bulletin an editor
//! of the board's commune approved (with the editor's changes). Built from
//! the readings stored with the records ([`crate::interpret`]), compiled
//! once per commune when something changes (boards of a commune share it;
//! a board a bulletin names by itself gets its own), signed as a
//! `bangtin.alerts/1` set per board, stored, and announced over the
//! board's event stream at once. `GET /api/v1/board/alerts` serves the
//! stored set. Boards that were offline fetch it when they reconnect;
//! expiry is applied by the board itself from the times in the set, so an
//! alert ends on time even without network ([`run`] then drops it from
//! the stored sets).

use crate::interpret::shown;
use crate::model::{Board, Unit, key};
pub use crate::records::Speech;
use crate::records::{AlertState, BulletinState, Decision, Reading};
use crate::shared::Shared;
use crate::store::{Op, Store, StoreExt};
use bangtin_layouts::alerts::{ALERTS_SCHEMA, AlertSet, BoardAlert};
use bangtin_layouts::show::Signed;
use bangtin_layouts::wire::Push;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Where a board's current signed set is kept.
pub fn set_key(board: &str) -> String {
    format!("alerts/{board}")
}

fn covers(areas: &[String], unit: &str, province: Option<&str>) -> bool {
    areas.iter().any(|a| a == unit || Some(a.as_str()) == province)
}

/// A CAP alert in force, as much of its record as alert sets need (the
/// document itself is not read).
#[derive(Deserialize)]
struct AlertRow {
    state: AlertState,
    areas: Vec<String>,
    #[serde(default)]
    reading: Option<Reading>,
}

/// A bulletin, as much of its record as alert sets need.
#[derive(Deserialize)]
struct BulletinRow {
    state: BulletinState,
    areas: Vec<String>,
    boards: Vec<String>,
    #[serde(default)]
    decisions: BTreeMap<String, Decision>,
    #[serde(default)]
    reading: Option<Reading>,
}

/// Every alert and bulletin that may be on a board at `now` (live, or
/// waiting for approval, and not expired), read from the store once for a
/// whole refresh; [`InForce::for_place`] picks what one place shows.
pub struct InForce {
    alerts: Vec<AlertRow>,
    bulletins: Vec<BulletinRow>,
    /// Boards that a bulletin names one by one.
    named: HashSet<String>,
}

impl std::fmt::Debug for InForce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "InForce({} alerts, {} bulletins)",
            self.alerts.len(),
            self.bulletins.len()
        )
    }
}

impl InForce {
    pub fn load(store: &dyn Store, now: DateTime<Utc>) -> crate::store::Result<InForce> {
        let current = |r: &Option<Reading>| r.as_ref().is_some_and(|r| r.alert.expires.is_none_or(|e| e > now));
        let mut alerts = Vec::new();
        for (k, v) in store.scan("alert/")? {
            let a: AlertRow = serde_json::from_slice(&v).map_err(|e| crate::store::StoreError::Corrupt {
                key: k.clone(),
                msg: e.to_string(),
            })?;
            if a.state == AlertState::Live && current(&a.reading) {
                alerts.push(a);
            }
        }
        let mut bulletins = Vec::new();
        let mut named = HashSet::new();
        for (k, v) in store.scan("bulletin/")? {
            let b: BulletinRow = serde_json::from_slice(&v).map_err(|e| crate::store::StoreError::Corrupt {
                key: k.clone(),
                msg: e.to_string(),
            })?;
            if matches!(b.state, BulletinState::Live | BulletinState::Pending) && current(&b.reading) {
                named.extend(b.boards.iter().cloned());
                bulletins.push(b);
            }
        }
        Ok(InForce {
            alerts,
            bulletins,
            named,
        })
    }

    /// Does a bulletin name `board` itself (so its set differs from its
    /// commune's)?
    pub fn names(&self, board: &str) -> bool {
        self.named.contains(board)
    }

    /// The alerts and bulletins for a place in commune `unit` of
    /// `province` (a board, or with `board` `None` the commune's
    /// loudspeakers), each with what the loudspeakers say for it; sorted by
    /// id. Normal bulletins only where the commune's editor approved them,
    /// with the editor's changes.
    pub fn for_place(
        &self,
        unit: &str,
        province: Option<&str>,
        board: Option<&str>,
    ) -> Vec<(BoardAlert, Option<Speech>)> {
        let mut out = Vec::new();
        for a in &self.alerts {
            if let Some(r) = a.reading.as_ref().filter(|_| covers(&a.areas, unit, province)) {
                out.push((shown(r, None), r.speech.clone()));
            }
        }
        for b in &self.bulletins {
            let Some(r) = &b.reading else { continue };
            if !(covers(&b.areas, unit, province) || board.is_some_and(|id| b.boards.iter().any(|x| x == id))) {
                continue;
            }
            let approved = b.decisions.get(unit).filter(|d| d.approved);
            if b.state == BulletinState::Pending && approved.is_none() {
                continue;
            }
            out.push((shown(r, approved.and_then(|d| d.edits.as_ref())), r.speech.clone()));
        }
        out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        out
    }
}

fn province_of(s: &Shared, unit: &str) -> crate::store::Result<Option<String>> {
    Ok(s.store.get_json::<Unit>(&key::unit(unit))?.and_then(|u| u.parent))
}

/// The alerts in force or to come for `board` (expired ones left out).
pub fn alerts_for(s: &Shared, board: &Board, now: DateTime<Utc>) -> crate::store::Result<Vec<BoardAlert>> {
    Ok(items_for(s, &board.unit, Some(&board.id), now)?
        .into_iter()
        .map(|(a, _)| a)
        .collect())
}

/// The alerts and bulletins in force or to come for a place in commune
/// `unit` (a board, or with `board` `None` its loudspeakers), each with what
/// the loudspeakers say for it, if anything. Expired ones are left out.
pub fn items_for(
    s: &Shared,
    unit: &str,
    board: Option<&str>,
    now: DateTime<Utc>,
) -> crate::store::Result<Vec<(BoardAlert, Option<Speech>)>> {
    let province = province_of(s, unit)?;
    Ok(InForce::load(&*s.store, now)?.for_place(unit, province.as_deref(), board))
}

static REFRESH: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Recompile the sets of `boards`; store, sign and push those that changed.
/// Returns how many changed.
pub fn refresh(s: &Shared, boards: &[Board], now: DateTime<Utc>) -> crate::store::Result<usize> {
    // All boards' sets in one batch, made durable once (one fsync, not one
    // per board), then announced together.
    // One refresh at a time: two at once could both give version N + 1
    // different contents, and a board holding the first would never fetch
    // the second.
    let _one = crate::store::exclusive_blocking(&*s.store, &REFRESH, "refresh")?;
    let mut ops = Vec::new();
    let mut pushes = Vec::new();
    let inforce = InForce::load(&*s.store, now)?;
    // Many boards: every stored set in one read rather than one read a
    // board (on a database several managers share, a round trip each).
    let stored: Option<HashMap<String, Vec<u8>>> = if boards.len() > 32 {
        Some(s.store.scan("alerts/")?.into_iter().collect())
    } else {
        None
    };
    // Compiled once per commune: its boards share it, but for a board that
    // a bulletin names by itself.
    let mut communes: HashMap<&str, (Option<String>, Vec<BoardAlert>)> = HashMap::new();
    for b in boards {
        if !communes.contains_key(b.unit.as_str()) {
            let province = province_of(s, &b.unit)?;
            let alerts = inforce
                .for_place(&b.unit, province.as_deref(), None)
                .into_iter()
                .map(|(a, _)| a)
                .collect();
            communes.insert(&b.unit, (province, alerts));
        }
        let (province, common) = &communes[b.unit.as_str()];
        let alerts = if inforce.names(&b.id) {
            inforce
                .for_place(&b.unit, province.as_deref(), Some(&b.id))
                .into_iter()
                .map(|(a, _)| a)
                .collect()
        } else {
            common.clone()
        };
        let old: Option<Signed> = match &stored {
            Some(all) => match all.get(&set_key(&b.id)) {
                None => None,
                Some(v) => Some(
                    serde_json::from_slice(v).map_err(|e| crate::store::StoreError::Corrupt {
                        key: set_key(&b.id),
                        msg: e.to_string(),
                    })?,
                ),
            },
            None => s.store.get_json(&set_key(&b.id))?,
        };
        let old: Option<AlertSet> = old.and_then(|o| serde_json::from_str(&o.payload).ok());
        let round_seconds = Some(s.cfg.bulletin_round_s);
        if old
            .as_ref()
            .is_some_and(|o| o.alerts == alerts && o.round_seconds == round_seconds)
            || (old.is_none() && alerts.is_empty())
        {
            continue;
        }
        let set = AlertSet {
            schema: ALERTS_SCHEMA.into(),
            board: b.id.clone(),
            version: old.map_or(1, |o| o.version + 1),
            issued_at: now,
            alerts,
            round_seconds,
        };
        let signed = bangtin_layouts::alerts::sign(&set, &s.key.0);
        ops.push(Op::put(set_key(&b.id), &signed));
        pushes.push((b.id.as_str(), set.version));
    }
    if ops.is_empty() {
        return Ok(0);
    }
    let t = std::time::Instant::now();
    s.commit_blocking(ops)?;
    tracing::debug!(
        "alert sets of {} boards stored and durable in {:?}",
        pushes.len(),
        t.elapsed()
    );
    s.metrics.alert_sets_issued.inc_by(pushes.len() as u64);
    for (id, version) in &pushes {
        s.live.hub.push(id, &Push::Alerts { version: *version });
    }
    Ok(pushes.len())
}

/// `board` holds alert set version `seen`, above the manager's own (its
/// store went back in time: restored from an older backup, or recreated
/// with the same signing key). The board's set is issued again as version
/// `seen + 1`, so the board takes it instead of ignoring every set until
/// the manager's count passes its own. True when it did.
pub fn catch_up(s: &Shared, board: &Board, seen: u64, now: DateTime<Utc>) -> crate::store::Result<bool> {
    let _one = crate::store::exclusive_blocking(&*s.store, &REFRESH, "refresh")?;
    if stored(s, &board.id)?.is_some_and(|st| st.version >= seen) {
        return Ok(false);
    }
    let set = AlertSet {
        schema: ALERTS_SCHEMA.into(),
        board: board.id.clone(),
        version: seen + 1,
        issued_at: now,
        alerts: alerts_for(s, board, now)?,
        round_seconds: Some(s.cfg.bulletin_round_s),
    };
    let signed = bangtin_layouts::alerts::sign(&set, &s.key.0);
    s.commit_blocking(vec![Op::put(set_key(&board.id), &signed)])?;
    tracing::warn!(
        "bảng tin {} giữ bộ cảnh báo số {seen}, mới hơn của máy chủ: cấp lại số {} (the manager was behind this board's alert set)",
        board.id,
        set.version
    );
    s.live.hub.push(&board.id, &Push::Alerts { version: set.version });
    Ok(true)
}

/// A board's set as stored: the signed envelope's bytes (what the board
/// gets, served as they are), its payload and version.
#[derive(Debug)]
pub struct StoredSet {
    pub raw: Vec<u8>,
    pub payload: String,
    pub version: u64,
}

/// The signed set stored for `board`.
pub fn stored(s: &Shared, board: &str) -> crate::store::Result<Option<StoredSet>> {
    #[derive(Deserialize)]
    struct Envelope {
        payload: String,
    }
    #[derive(Deserialize)]
    struct Version {
        version: u64,
    }
    let k = set_key(board);
    let Some(raw) = s.store.get(&k)? else {
        return Ok(None);
    };
    let corrupt = |e: serde_json::Error| crate::store::StoreError::Corrupt {
        key: k.clone(),
        msg: e.to_string(),
    };
    let payload = serde_json::from_slice::<Envelope>(&raw).map_err(corrupt)?.payload;
    let version = serde_json::from_str::<Version>(&payload).map_err(corrupt)?.version;
    Ok(Some(StoredSet { raw, payload, version }))
}

/// Boards covered by `areas` (commune or province codes) or named in `ids`.
pub fn boards_for(s: &Shared, areas: &[String], ids: &[String]) -> crate::store::Result<Vec<Board>> {
    let boards: Vec<Board> = s.store.scan_json("board/")?;
    let mut provinces: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::new();
    for b in boards {
        if !provinces.contains_key(&b.unit) {
            provinces.insert(b.unit.clone(), province_of(s, &b.unit)?);
        }
        if covers(areas, &b.unit, provinces[&b.unit].as_deref()) || ids.contains(&b.id) {
            out.push(b);
        }
    }
    Ok(out)
}

/// Areas and boards of the alerts and bulletins whose end fell in
/// `(after, until]`: their boards' sets change then.
fn ended_between(
    store: &dyn Store,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> crate::store::Result<(Vec<String>, Vec<String>)> {
    let ended = |r: &Option<Reading>| {
        r.as_ref()
            .and_then(|r| r.alert.expires)
            .is_some_and(|e| e > after && e <= until)
    };
    let (mut areas, mut boards) = (Vec::new(), Vec::new());
    for (_, v) in store.scan("alert/")? {
        if let Ok(a) = serde_json::from_slice::<AlertRow>(&v)
            && a.state == AlertState::Live
            && ended(&a.reading)
        {
            areas.extend(a.areas);
        }
    }
    for (_, v) in store.scan("bulletin/")? {
        if let Ok(b) = serde_json::from_slice::<BulletinRow>(&v)
            && matches!(b.state, BulletinState::Live | BulletinState::Pending)
            && ended(&b.reading)
        {
            areas.extend(b.areas);
            boards.extend(b.boards);
        }
    }
    areas.sort();
    areas.dedup();
    boards.sort();
    boards.dedup();
    Ok((areas, boards))
}

/// How often [`run`] looks for alerts that ended.
const SWEEP: std::time::Duration = std::time::Duration::from_secs(30);

/// Keep the stored sets current without a request asking: once at start
/// every board's set (the settings, e.g. `bulletin_round_s`, may have
/// changed), then every 30 s the sets of boards whose alerts ended — the
/// board ends them on time by itself; this keeps what it fetches small.
pub async fn run(s: std::sync::Arc<Shared>) {
    let started = Utc::now();
    let s2 = s.clone();
    let all = tokio::task::spawn_blocking(move || {
        let boards: Vec<Board> = s2.store.scan_json("board/")?;
        refresh(&s2, &boards, started)
    })
    .await;
    match all {
        Ok(Ok(n)) if n > 0 => {
            tracing::info!("bộ cảnh báo của {n} bảng tin cập nhật khi khởi động (alert sets refreshed)")
        }
        Ok(Err(e)) => tracing::warn!("không cập nhật được bộ cảnh báo: {e} (alert sets not refreshed)"),
        _ => {}
    }
    let mut last = started;
    let mut tick = tokio::time::interval(SWEEP);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = Utc::now();
        let s2 = s.clone();
        let swept = tokio::task::spawn_blocking(move || {
            let (areas, boards) = ended_between(&*s2.store, last, now)?;
            if areas.is_empty() && boards.is_empty() {
                return Ok(0);
            }
            let affected = boards_for(&s2, &areas, &boards)?;
            refresh(&s2, &affected, now)
        })
        .await;
        match swept {
            Ok(Ok(_)) => last = now,
            Ok(Err(e)) => tracing::warn!("không cập nhật được bộ cảnh báo hết hạn: {e} (expired alerts not swept)"),
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use crate::records::{AlertRecord, BulletinRecord, alert_key, bulletin_key};
    use chrono::Duration;
    use std::sync::Arc;

    const PROVINCE: &str = "19";
    const X: &str = "05443";
    const Y: &str = "05446";

    fn open(dir: &std::path::Path) -> Arc<Shared> {
        Arc::new(
            Shared::open(Config {
                data_dir: dir.to_path_buf(),
                ..Config::default()
            })
            .unwrap(),
        )
    }

    fn unit(code: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: code.into(),
            name: format!("Đơn vị {code}"),
            parent: parent.map(str::to_string),
            timezone: "Asia/Ho_Chi_Minh".into(),
        }
    }

    fn board(id: &str, unit: &str) -> Board {
        Board {
            id: id.into(),
            unit: unit.into(),
            name: format!("Bảng {id}"),
            groups: vec![],
            disabled: false,
            claimed_by: "test".into(),
            claimed_at: Utc::now(),
            show_version: 0,
            last_seen: None,
            display: Default::default(),
        }
    }

    /// A province, communes X and Y in it, boards x1, x2 in X and y1 in Y.
    fn world(s: &Shared) -> Vec<Board> {
        crate::accounts::create_unit(&*s.store, "test", &unit(PROVINCE, None)).unwrap();
        crate::accounts::create_unit(&*s.store, "test", &unit(X, Some(PROVINCE))).unwrap();
        crate::accounts::create_unit(&*s.store, "test", &unit(Y, Some(PROVINCE))).unwrap();
        let boards = vec![board("brd_x1", X), board("brd_x2", X), board("brd_y1", Y)];
        s.store
            .commit(boards.iter().map(|b| Op::put(key::board(&b.id), b)).collect())
            .unwrap();
        boards
    }

    fn cap_xml(id: &str, area: &str, effective: &str, expires: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{id}</identifier><sender>htttn@test.example</sender>
  <sent>2026-12-07T06:30:00+07:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>vi-VN</language><category>Met</category><event>Lũ quét</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
    <effective>{effective}</effective><expires>{expires}</expires>
    <headline>Lũ quét: không ra khỏi nhà</headline><instruction>Di chuyển lên chỗ cao.</instruction>
    <area><areaDesc>Vùng</areaDesc><geocode><valueName>VN-ADMIN</valueName><value>{area}</value></geocode></area>
  </info>
</alert>"#
        )
    }

    /// A live CAP alert record as ingest stores it, with or without its
    /// reading (a record kept by an older manager has none).
    fn cap_record(id: &str, area: &str, effective: &str, expires: &str, read: bool) -> AlertRecord {
        let doc = cap_xml(id, area, effective, expires);
        let cap = crate::cap::parse(doc.as_bytes()).unwrap();
        let mut rec = AlertRecord {
            source: "htttn".into(),
            identifier: id.into(),
            sender: cap.sender.clone(),
            sent: cap.sent,
            msg_type: "alert".into(),
            state: AlertState::Live,
            emergency: cap.is_emergency(),
            risk_level: None,
            headline: None,
            areas: vec![area.into()],
            expires: cap.expires(),
            received: Utc::now(),
            document: doc,
            reading: None,
        };
        if read {
            rec.reading = crate::interpret::alert(&cap, &rec);
        }
        rec
    }

    fn set_of(s: &Shared, board: &str) -> Option<AlertSet> {
        stored(s, board).unwrap().map(|st| {
            let signed: Signed = serde_json::from_slice(&st.raw).unwrap();
            bangtin_layouts::alerts::verify(&signed, &s.key.0.verifying_key()).unwrap()
        })
    }

    #[test]
    fn a_record_from_an_older_manager_is_read_when_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        let boards = world(&s);
        let rec = cap_record(
            "OLD-1",
            X,
            "2026-12-07T06:30:00+07:00",
            "2099-01-01T00:00:00+07:00",
            false,
        );
        s.store
            .commit(vec![Op::put(alert_key(&rec.sender, &rec.identifier), &rec)])
            .unwrap();
        assert_eq!(
            refresh(&s, &boards, Utc::now()).unwrap(),
            0,
            "unread: nothing to show yet"
        );
        drop(s);
        let s = open(dir.path());
        let kept: AlertRecord = s
            .store
            .get_json(&alert_key(&rec.sender, &rec.identifier))
            .unwrap()
            .unwrap();
        let reading = kept.reading.expect("read when the store opened");
        assert_eq!(reading.alert.headline, "Lũ quét: không ra khỏi nhà");
        assert_eq!(
            reading.alert.ticker,
            "Lũ quét: không ra khỏi nhà — Di chuyển lên chỗ cao."
        );
        assert_eq!(reading.speech.unwrap().repeats, 2, "an emergency is read twice");
        assert_eq!(refresh(&s, &boards, Utc::now()).unwrap(), 2, "both boards of commune X");
        assert_eq!(set_of(&s, "brd_x1").unwrap().alerts[0].id, "cap:OLD-1");
        assert!(set_of(&s, "brd_y1").is_none(), "commune Y is not covered");
    }

    #[test]
    fn communes_share_a_compiled_set_and_a_board_named_alone_gets_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        let boards = world(&s);
        let cap = cap_record(
            "PROV-1",
            PROVINCE,
            "2026-12-07T06:30:00+07:00",
            "2099-01-01T00:00:00+07:00",
            true,
        );
        let doc = serde_json::json!({
            "schema": "bangtin.bulletin/1", "id": "b-1", "version": 1,
            "source": { "system": "HTTTN" }, "priority": "priority", "language": "vi",
            "title": "Cắt điện khu chợ",
            "board": { "items": [ { "type": "text", "body": "Cắt điện từ 8h đến 11h.", "durationSec": 12 } ] },
            "targets": { "boards": ["brd_x2"] }
        });
        let bytes = serde_json::to_vec(&doc).unwrap();
        let parsed = crate::bulletin::parse(&bytes).unwrap();
        let mut b = BulletinRecord {
            source: "htttn".into(),
            id: "b-1".into(),
            version: 1,
            priority: "priority".into(),
            state: BulletinState::Live,
            title: parsed.title.clone(),
            areas: vec![],
            boards: vec!["brd_x2".into()],
            received: Utc::now(),
            sha256: String::new(),
            document: String::from_utf8(bytes).unwrap(),
            decisions: Default::default(),
            media: vec![],
            reading: None,
        };
        b.reading = Some(crate::interpret::bulletin(&parsed, &b, |sha| s.media_path(sha)));
        s.store
            .commit(vec![
                Op::put(alert_key(&cap.sender, &cap.identifier), &cap),
                Op::put(bulletin_key("htttn", "b-1"), &b),
            ])
            .unwrap();
        assert_eq!(refresh(&s, &boards, Utc::now()).unwrap(), 3);
        let ids = |id: &str| -> Vec<String> { set_of(&s, id).unwrap().alerts.into_iter().map(|a| a.id).collect() };
        assert_eq!(ids("brd_x1"), ["cap:PROV-1"]);
        assert_eq!(ids("brd_x2"), ["bulletin:htttn:b-1", "cap:PROV-1"]);
        assert_eq!(ids("brd_y1"), ["cap:PROV-1"]);
        let x2 = set_of(&s, "brd_x2").unwrap();
        let named = &x2.alerts[0];
        assert_eq!(
            named.ticker, "Cắt điện khu chợ",
            "no ticker of its own: the headline scrolls"
        );
        assert_eq!(named.seconds, Some(12));
        assert_eq!(x2.board, "brd_x2", "each board's set is its own, signed for it");
        // Nothing changed: nothing rewritten, nothing pushed.
        assert_eq!(refresh(&s, &boards, Utc::now() + Duration::minutes(5)).unwrap(), 0);
    }

    #[test]
    fn an_alert_taking_effect_later_keeps_its_set_still() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        let boards = world(&s);
        let rec = cap_record(
            "LATER-1",
            X,
            "2099-01-01T00:00:00+07:00",
            "2099-01-02T00:00:00+07:00",
            true,
        );
        s.store
            .commit(vec![Op::put(alert_key(&rec.sender, &rec.identifier), &rec)])
            .unwrap();
        let now = Utc::now();
        assert_eq!(refresh(&s, &boards, now).unwrap(), 2);
        let v = set_of(&s, "brd_x1").unwrap().version;
        // Interpreted once: its start is fixed on arrival, not recomputed
        // from the clock at every refresh.
        assert_eq!(refresh(&s, &boards, now + Duration::minutes(3)).unwrap(), 0);
        assert_eq!(set_of(&s, "brd_x1").unwrap().version, v);
    }

    #[test]
    fn ended_alerts_are_found_in_their_window_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        world(&s);
        let rec = cap_record(
            "END-1",
            Y,
            "2026-12-07T06:30:00+07:00",
            "2026-12-07T08:00:00+07:00",
            true,
        );
        s.store
            .commit(vec![Op::put(alert_key(&rec.sender, &rec.identifier), &rec)])
            .unwrap();
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        let window = |a: &str, b: &str| ended_between(&*s.store, at(a), at(b)).unwrap();
        assert_eq!(
            window("2026-12-07T07:59:30+07:00", "2026-12-07T08:00:00+07:00"),
            (vec![Y.to_string()], vec![])
        );
        assert_eq!(
            window("2026-12-07T08:00:00+07:00", "2026-12-07T08:00:30+07:00"),
            (vec![], vec![])
        );
        assert_eq!(
            window("2026-12-07T07:00:00+07:00", "2026-12-07T07:59:59+07:00"),
            (vec![], vec![])
        );
    }
}
