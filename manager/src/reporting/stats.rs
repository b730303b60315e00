//! Statistics for officers (JSON and CSV).

use super::*;

/// One commune's figures over a period (or the total of a province).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitStats {
    pub unit: String,
    pub name: String,
    /// Boards of the unit claimed before the period ended.
    pub boards: usize,
    /// `online_seconds / expected_seconds`, 4 decimals; null when no board
    /// existed in the period.
    pub online_ratio: Option<f64>,
    /// Seconds the manager counted the boards online (a beat within 3
    /// heartbeat periods), summed over boards.
    pub online_seconds: f64,
    /// Seconds of the period each board existed (from its claim, up to
    /// now), summed over boards.
    pub expected_seconds: f64,
    /// Distinct bulletins / CAP alerts on screen at least once.
    pub bulletins_shown: usize,
    pub alerts_shown: usize,
    /// Seconds on screen, summed over boards.
    pub bulletin_seconds: f64,
    pub alert_seconds: f64,
    pub airtime_seconds: f64,
}

/// Statistics of a commune, or of a province and each of its communes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    pub unit: String,
    pub name: String,
    /// First and last local day, inclusive.
    #[schema(value_type = String, example = "2026-01-01")]
    pub from: NaiveDate,
    #[schema(value_type = String, example = "2026-06-30")]
    pub to: NaiveDate,
    /// One row per commune.
    pub communes: Vec<UnitStats>,
    /// Over all of them (distinct counts are distinct over the whole unit).
    pub total: UnitStats,
    pub generated_at: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct Acc {
    boards: usize,
    online_us: i64,
    expected_us: i64,
    bulletin_us: i64,
    alert_us: i64,
    ids: BTreeSet<String>,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        self.boards += o.boards;
        self.online_us += o.online_us;
        self.expected_us += o.expected_us;
        self.bulletin_us += o.bulletin_us;
        self.alert_us += o.alert_us;
        self.ids.extend(o.ids.iter().cloned());
    }

    fn row(&self, unit: &str, name: &str) -> UnitStats {
        let bulletins = self.ids.iter().filter(|i| i.starts_with("bulletin:")).count();
        UnitStats {
            unit: unit.into(),
            name: name.into(),
            boards: self.boards,
            online_ratio: (self.expected_us > 0)
                .then(|| ((self.online_us as f64 / self.expected_us as f64) * 10_000.0).round() / 10_000.0),
            online_seconds: seconds(self.online_us),
            expected_seconds: seconds(self.expected_us),
            bulletins_shown: bulletins,
            alerts_shown: self.ids.len() - bulletins,
            bulletin_seconds: seconds(self.bulletin_us),
            alert_seconds: seconds(self.alert_us),
            airtime_seconds: seconds(self.bulletin_us + self.alert_us),
        }
    }
}

pub(crate) fn overlap(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> i64 {
    let (from, to) = (a.0.max(b.0), a.1.min(b.1));
    if to > from {
        (to - from).num_microseconds().unwrap_or(0)
    } else {
        0
    }
}

/// One board over local days `from..=to`. Blocking.
pub(crate) fn board_stats(
    store: &dyn Store,
    board: &Board,
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> crate::store::Result<Acc> {
    fold_board(store, &board.id, tz)?;
    let start = day_start(from, tz);
    let end = to.succ_opt().map_or(now, |d| day_start(d, tz));
    let exists = (board.claimed_at, now);
    let mut acc = Acc {
        boards: 1,
        expected_us: overlap((start, end), exists),
        ..Acc::default()
    };
    let p = format!("rpt/day/{}/", board.id);
    let lo = day_key(&board.id, from);
    let hi = to.succ_opt().map_or_else(|| prefix_end(&p), |d| day_key(&board.id, d));
    for (_, v) in store.range(&lo, &hi, usize::MAX, false)? {
        let Ok(d) = serde_json::from_slice::<DayAgg>(&v) else {
            continue;
        };
        acc.online_us += d.online_us;
        acc.bulletin_us += d.bulletin_us;
        acc.alert_us += d.alert_us;
        acc.ids.extend(d.ids);
    }
    // Online now: the stretch since the last "online" transition is not
    // folded into days until it ends.
    let cur: Cursor = get_or_default(store, &cursor_key(&board.id))?;
    if let Some(since) = cur.online_since {
        acc.online_us += overlap((since, now), (start, end));
    }
    acc.online_us = acc.online_us.min(acc.expected_us);
    Ok(acc)
}

/// Statistics of unit `code` over local days `from..=to`. Blocking.
pub fn stats(
    store: &dyn Store,
    world: &World,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> crate::store::Result<Stats> {
    let name = |c: &str| world.units.get(c).map(|u| u.name.clone()).unwrap_or_default();
    let commune = world.units.get(code).is_some_and(|u| u.parent.is_some());
    let mut rows: Vec<String> = if commune {
        vec![code.to_string()]
    } else {
        let mut v: Vec<String> = world
            .units
            .values()
            .filter(|u| u.parent.as_deref() == Some(code))
            .map(|u| u.code.clone())
            .collect();
        if world.boards.iter().any(|b| b.unit == code) {
            v.push(code.to_string());
        }
        v
    };
    rows.sort();
    let last = to.succ_opt().map_or(now, |d| day_start(d, world.tz(code)));
    let mut total = Acc::default();
    let mut communes = Vec::with_capacity(rows.len());
    for c in &rows {
        let mut acc = Acc::default();
        for b in world.boards.iter().filter(|b| b.unit == *c && b.claimed_at < last) {
            acc.add(&board_stats(store, b, world.tz(c), from, to, now)?);
        }
        communes.push(acc.row(c, &name(c)));
        total.add(&acc);
    }
    Ok(Stats {
        unit: code.to_string(),
        name: name(code),
        from,
        to,
        communes,
        total: total.row(code, &name(code)),
        generated_at: now,
    })
}

/// RFC 4180: quote fields holding a comma, a quote or a line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub const STATS_CSV_HEADER: &str = "unit,name,boards,online_ratio,online_seconds,expected_seconds,\
bulletins_shown,alerts_shown,bulletin_seconds,alert_seconds,airtime_seconds";

/// The statistics as CSV: a header, one row per commune, and for a
/// province a last row with its total. UTF-8, CRLF.
pub fn stats_csv(s: &Stats) -> String {
    let mut out = format!("{STATS_CSV_HEADER}\r\n");
    let province = s.communes.len() != 1 || s.communes.first().is_some_and(|c| c.unit != s.unit);
    let rows = s.communes.iter().chain(province.then_some(&s.total));
    for r in rows {
        let fields = [
            csv_field(&r.unit),
            csv_field(&r.name),
            r.boards.to_string(),
            r.online_ratio.map(|x| format!("{x:.4}")).unwrap_or_default(),
            format!("{:.3}", r.online_seconds),
            format!("{:.3}", r.expected_seconds),
            r.bulletins_shown.to_string(),
            r.alerts_shown.to_string(),
            format!("{:.3}", r.bulletin_seconds),
            format!("{:.3}", r.alert_seconds),
            format!("{:.3}", r.airtime_seconds),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}
