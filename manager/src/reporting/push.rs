//! Pushing reports to the sources.

use super::*;

/// The body of a push: `POST <report_url>`, signed like ingest requests
/// but with the source's key by the manager (`X-Bangtin-Source` names the
/// source the reports are for).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportPush {
    /// `bangtin.reports/1`.
    pub schema: String,
    pub source: String,
    pub sent_at: DateTime<Utc>,
    /// Reports that changed since the last successful push.
    pub reports: Vec<Report>,
}

/// An item a source sent, as the push rounds track it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ItemRef {
    Bulletin(String),
    Alert(String),
}

/// Items each source may still get pushes for (by source id).
pub(crate) type Open = BTreeMap<String, BTreeSet<ItemRef>>;

/// The items an audit entry says changed (receipt, approval, rejection).
pub(crate) fn item_of(e: &AuditEntry) -> Option<(String, ItemRef)> {
    let source = || e.actor.strip_prefix("source:").map(str::to_string);
    match e.action.as_str() {
        "bulletin.receive" => Some((source()?, ItemRef::Bulletin(e.target.clone()))),
        "alert.receive" => Some((source()?, ItemRef::Alert(e.target.clone()))),
        a if a.starts_with("bulletin.") => {
            let (src, id) = e.target.split_once('/')?;
            Some((src.to_string(), ItemRef::Bulletin(id.to_string())))
        }
        _ => None,
    }
}

pub(crate) fn is_settled(store: &dyn Store, source: &str, alert_id: &str) -> crate::store::Result<bool> {
    Ok(get_lenient::<Sent>(store, &sent_key(source, &item_hash(alert_id)))?.is_some_and(|s| s.settled))
}

/// Every item not settled yet (once, when the manager starts).
pub(crate) fn seed(store: &dyn Store) -> crate::store::Result<Open> {
    let mut open = Open::new();
    for b in store.scan_json::<BulletinRecord>("bulletin/")? {
        if !is_settled(store, &b.source, &format!("bulletin:{}:{}", b.source, b.id))? {
            open.entry(b.source).or_default().insert(ItemRef::Bulletin(b.id));
        }
    }
    for a in store.scan_json::<AlertRecord>("alert/")? {
        if !is_settled(store, &a.source, &format!("cap:{}", a.identifier))? {
            open.entry(a.source).or_default().insert(ItemRef::Alert(a.identifier));
        }
    }
    Ok(open)
}

/// Add the items audit entries since `since` (with some slack) name.
pub(crate) fn tail_audit(store: &dyn Store, open: &mut Open, since: DateTime<Utc>) -> crate::store::Result<()> {
    let from = since - Duration::seconds(AUDIT_SLACK_S);
    let mut end = prefix_end("audit/");
    loop {
        let page = store.range("audit/", &end, 500, true)?;
        let Some((last, _)) = page.last() else {
            return Ok(());
        };
        let full = page.len() == 500;
        end = last.clone();
        for (_, v) in &page {
            let Ok(e) = serde_json::from_slice::<AuditEntry>(v) else {
                continue;
            };
            if e.at < from {
                return Ok(());
            }
            if let Some((src, item)) = item_of(&e) {
                open.entry(src).or_default().insert(item);
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// A push round's work for one source: reports that changed, and items
/// that need no more pushes.
pub(crate) struct Round {
    changed: Vec<(ItemRef, Report, Sent)>,
    settled: Vec<ItemRef>,
    ops: Vec<Op>,
}

/// Build the reports of `items` of `src` and keep those that changed since
/// the last push. Blocking.
pub(crate) fn round(
    s: &Shared,
    src: &SourceRecord,
    items: &BTreeSet<ItemRef>,
    now: DateTime<Utc>,
) -> crate::store::Result<Round> {
    let store = &*s.store;
    let world = World::load(store, &s.cfg.timezone)?;
    let alerts: Vec<AlertRecord> = if items.iter().any(|i| matches!(i, ItemRef::Alert(_))) {
        store
            .scan_json::<AlertRecord>("alert/")?
            .into_iter()
            .filter(|a| a.source == src.id)
            .collect()
    } else {
        Vec::new()
    };
    let mut folded = HashSet::new();
    let mut out = Round {
        changed: Vec::new(),
        settled: Vec::new(),
        ops: Vec::new(),
    };
    for r in items {
        let item = match r {
            ItemRef::Bulletin(id) => {
                get_lenient::<BulletinRecord>(store, &bulletin_key(&src.id, id))?.map(|b| Item::from_bulletin(&b))
            }
            ItemRef::Alert(idf) => alerts
                .iter()
                .filter(|a| a.identifier == *idf)
                .max_by_key(|a| a.received)
                .map(Item::from_alert),
        };
        let Some(item) = item else {
            out.settled.push(r.clone());
            continue;
        };
        let report = build(store, &s.live, &world, &item, Scope::all(), &mut folded, now)?;
        let hash = report_hash(&report);
        let sk = sent_key(&src.id, &item_hash(&item.alert_id()));
        let old = get_lenient::<Sent>(store, &sk)?;
        let ended = item.ended(now);
        let ended_seen = old
            .as_ref()
            .and_then(|o| o.ended_seen)
            .or(ended.then_some(now))
            .filter(|_| ended);
        match old {
            Some(o) if o.hash == hash => {
                let since = item.ended_at(now).or(ended_seen);
                if ended && since.is_some_and(|t| now - t >= Duration::hours(SETTLE_HOURS)) {
                    out.ops.push(Op::put(
                        sk,
                        &Sent {
                            settled: true,
                            ended_seen,
                            ..o
                        },
                    ));
                    out.settled.push(r.clone());
                } else if o.ended_seen != ended_seen {
                    out.ops.push(Op::put(sk, &Sent { ended_seen, ..o }));
                }
            }
            _ => out.changed.push((
                r.clone(),
                report,
                Sent {
                    hash,
                    at: now,
                    ended_seen,
                    settled: false,
                },
            )),
        }
    }
    Ok(out)
}

/// POST `reports` to `src`'s report URL, signed with its key.
pub(crate) async fn push(
    http: &reqwest::Client,
    src: &SourceRecord,
    url: &str,
    reports: &[Report],
) -> Result<(), String> {
    use base64::Engine;
    use rand::Rng;
    let key = base64::engine::general_purpose::STANDARD
        .decode(&src.key)
        .map_err(|e| format!("khóa hỏng (bad key): {e}"))?;
    let u = reqwest::Url::parse(url).map_err(|e| format!("URL hỏng (bad URL): {e}"))?;
    let body = serde_json::to_vec(&ReportPush {
        schema: PUSH_SCHEMA.into(),
        source: src.id.clone(),
        sent_at: Utc::now(),
        reports: reports.to_vec(),
    })
    .map_err(|e| e.to_string())?;
    let ts = Utc::now().timestamp().to_string();
    let nonce: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    let sig = crate::sources::sign(&key, &ts, &nonce, "POST", u.path(), &body);
    let r = http
        .post(u)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(crate::sources::HEADER_SOURCE, &src.id)
        .header(crate::sources::HEADER_TIMESTAMP, ts)
        .header(crate::sources::HEADER_NONCE, nonce)
        .header(crate::sources::HEADER_SIGNATURE, sig)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", r.status()))
    }
}

/// When a source is due next, and its failures in a row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Due {
    at: tokio::time::Instant,
    failures: u32,
}

/// Fold every board's proof of play and transitions, then compact its raw
/// proof of play older than `playlog_hours` (only what is folded).
pub(crate) fn fold_all(s: &Shared) -> crate::store::Result<()> {
    let world = World::load(&*s.store, &s.cfg.timezone)?;
    let before = Utc::now() - Duration::hours(i64::from(s.cfg.playlog_hours.max(1)));
    for b in &world.boards {
        let tz = world.tz(&b.unit);
        fold_board(&*s.store, &b.id, tz)?;
        let folded: Cursor = get_or_default(&*s.store, &cursor_key(&b.id))?;
        crate::playlog::compact(&*s.store, &b.id, tz, before, folded.next_seq)?;
    }
    let boards = world.boards.iter().map(|b| b.id.as_str()).collect();
    crate::playlog::sweep(&*s.store, before, &boards)?;
    Ok(())
}

/// Drop fetch records older than [`FETCH_KEEP_DAYS`], days' aggregates and
/// proof-of-play totals older than `report_days`, and the per-board
/// records of removed boards (their proof of play is gone with them).
pub(crate) fn clean(s: &Shared, now: DateTime<Utc>) -> crate::store::Result<()> {
    let store = &*s.store;
    let cut = now - Duration::days(FETCH_KEEP_DAYS);
    let old: Vec<Op> = store
        .scan("rpt/fetch/")?
        .into_iter()
        .filter(|(_, v)| serde_json::from_slice::<DateTime<Utc>>(v).ok().is_none_or(|t| t < cut))
        .map(|(k, _)| Op::Del(k))
        .collect();
    if !old.is_empty() {
        store.apply(old)?;
    }
    let keep_from = (now - Duration::days(i64::from(s.cfg.report_days.max(1)))).date_naive();
    for b in store.scan_json::<Board>("board/")? {
        store.delete_range(
            &format!("rpt/day/{}/", b.id),
            &format!("rpt/day/{}/{}", b.id, keep_from.format("%Y-%m-%d")),
        )?;
        crate::playlog::prune_totals(store, &b.id, keep_from)?;
    }
    for (k, _) in store.scan("rpt/cursor/")? {
        let Some(board) = k.strip_prefix("rpt/cursor/") else {
            continue;
        };
        if store.get(&crate::model::key::board(board))?.is_none() {
            store.delete_prefix(&format!("rpt/day/{board}/"))?;
            store.delete_prefix(&format!("rpt/fetch/{board}/"))?;
            store.apply(vec![Op::Del(k.clone())])?;
        }
    }
    Ok(())
}

pub(crate) async fn blocking<T: Send + 'static>(
    s: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> crate::store::Result<T> + Send + 'static,
) -> Result<T, String> {
    let s = s.clone();
    match tokio::task::spawn_blocking(move || f(&s)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The background work: fold every board's proof of play and transitions
/// every minute, clean up hourly, and push changed reports to each source
/// with a `report_url` every `report_every_s` (failures back off, doubling
/// up to an hour). Runs until aborted.
pub async fn run(s: Arc<Shared>) {
    let http = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("không tạo được HTTP client để gửi báo cáo: {e} (report pushes disabled)");
            return;
        }
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = tokio::time::Instant::now();
    let mut next_fold = start + std::time::Duration::from_secs(5);
    let mut next_clean = start + CLEAN_EVERY;
    let mut open: Option<Open> = None;
    let mut audit_seen = Utc::now();
    let mut due: HashMap<String, Due> = HashMap::new();
    loop {
        tick.tick().await;
        let now = tokio::time::Instant::now();
        if now >= next_fold {
            next_fold = now + FOLD_EVERY;
            if let Err(e) = blocking(&s, fold_all).await {
                tracing::warn!("tổng hợp nhật ký phát lỗi: {e} (folding proof of play failed)");
            }
        }
        if now >= next_clean {
            next_clean = now + CLEAN_EVERY;
            if let Err(e) = blocking(&s, |s| clean(s, Utc::now())).await {
                tracing::warn!("dọn dữ liệu báo cáo lỗi: {e} (report cleanup failed)");
            }
        }
        let sources = match blocking(&s, |s| s.store.scan_json::<SourceRecord>("source/")).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("không đọc được danh sách nguồn tin: {e} (cannot list sources)");
                continue;
            }
        };
        let pushing: Vec<SourceRecord> = sources
            .into_iter()
            .filter(|src| !src.disabled && src.report_url.is_some())
            .collect();
        if pushing.is_empty() {
            continue;
        }
        // Items that changed: every unsettled one at start, then those the
        // audit log names.
        let looked = Utc::now();
        let prev = open.take();
        let since = audit_seen;
        match blocking(&s, move |s| {
            let mut o = match prev {
                Some(o) => o,
                None => seed(&*s.store)?,
            };
            tail_audit(&*s.store, &mut o, since)?;
            Ok(o)
        })
        .await
        {
            Ok(o) => {
                open = Some(o);
                audit_seen = looked;
            }
            Err(e) => {
                tracing::warn!("không đọc được nhật ký thay đổi: {e} (cannot read the audit log)");
                continue;
            }
        }
        for src in pushing {
            let d = due.get(&src.id).copied().unwrap_or(Due { at: now, failures: 0 });
            if now < d.at {
                continue;
            }
            let every = u64::from(src.report_every_s.unwrap_or(DEFAULT_REPORT_EVERY_S));
            let items = open.as_ref().and_then(|o| o.get(&src.id)).cloned().unwrap_or_default();
            let src2 = src.clone();
            let r = blocking(&s, move |s| {
                let r = round(s, &src2, &items, Utc::now())?;
                s.store.apply(r.ops.clone())?;
                Ok(r)
            })
            .await;
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(
                        "không lập được báo cáo cho nguồn {}: {e} (building reports failed)",
                        src.id
                    );
                    due.insert(
                        src.id.clone(),
                        Due {
                            at: now + std::time::Duration::from_secs(every),
                            failures: d.failures,
                        },
                    );
                    continue;
                }
            };
            if let Some(set) = open.as_mut().and_then(|o| o.get_mut(&src.id)) {
                for i in &r.settled {
                    set.remove(i);
                }
            }
            let url = src.report_url.clone().unwrap_or_default();
            let mut failed = None;
            for chunk in push_chunks(&r.changed) {
                let reports: Vec<Report> = chunk.iter().map(|(_, rep, _)| rep.clone()).collect();
                if let Err(e) = push(&http, &src, &url, &reports).await {
                    failed = Some(e);
                    break;
                }
                let ops: Vec<Op> = chunk
                    .iter()
                    .map(|(_, rep, sent)| Op::put(sent_key(&src.id, &item_hash(&alert_id_of(rep))), sent))
                    .collect();
                if let Err(e) = blocking(&s, move |s| s.store.apply(ops)).await {
                    tracing::warn!("không ghi được báo cáo đã gửi: {e} (cannot record pushed reports)");
                }
            }
            let next = match failed {
                None => Due {
                    at: now + std::time::Duration::from_secs(every),
                    failures: 0,
                },
                Some(e) => {
                    let failures = d.failures.saturating_add(1);
                    let wait = every
                        .saturating_mul(1u64 << failures.min(16))
                        .min(u64::from(MAX_REPORT_EVERY_S));
                    tracing::warn!(
                        "không gửi được báo cáo tới nguồn {} ({url}): {e}; thử lại sau {wait} s (report push failed, retrying)",
                        src.id
                    );
                    Due {
                        at: now + std::time::Duration::from_secs(wait),
                        failures,
                    }
                }
            };
            due.insert(src.id.clone(), next);
        }
    }
}

/// The changed reports cut into requests of at most
/// [`MAX_REPORTS_PER_PUSH`] reports and [`MAX_BOARDS_PER_PUSH`] boards.
pub(crate) fn push_chunks<T>(changed: &[(T, Report, Sent)]) -> Vec<&[(T, Report, Sent)]> {
    let mut out = Vec::new();
    let (mut start, mut boards) = (0, 0);
    for (i, (_, r, _)) in changed.iter().enumerate() {
        let n = r.boards.len();
        if i > start && (i - start >= MAX_REPORTS_PER_PUSH || boards + n > MAX_BOARDS_PER_PUSH) {
            out.push(&changed[start..i]);
            (start, boards) = (i, 0);
        }
        boards += n;
    }
    if start < changed.len() {
        out.push(&changed[start..]);
    }
    out
}

pub(crate) fn alert_id_of(r: &Report) -> String {
    match r.kind {
        ItemKind::Bulletin => format!("bulletin:{}:{}", r.source, r.id),
        ItemKind::Alert => format!("cap:{}", r.id),
    }
}
