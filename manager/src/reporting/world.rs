//! What reports are built from: units, boards, items in force.

use super::*;

/// Boards and units, loaded once per report or round.
#[derive(Debug)]
pub struct World {
    pub boards: Vec<Board>,
    pub units: HashMap<String, Unit>,
    default_tz: Tz,
}

impl World {
    pub fn load(store: &dyn Store, default_tz: &str) -> crate::store::Result<World> {
        let units: Vec<Unit> = store.scan_json("unit/")?;
        Ok(World {
            boards: store.scan_json("board/")?,
            units: units.into_iter().map(|u| (u.code.clone(), u)).collect(),
            default_tz: default_tz.parse().unwrap_or(DEFAULT_TZ),
        })
    }

    fn province_of(&self, unit: &str) -> Option<&str> {
        self.units.get(unit)?.parent.as_deref()
    }

    /// Time zone of `unit`'s boards.
    pub fn tz(&self, unit: &str) -> Tz {
        self.units
            .get(unit)
            .and_then(|u| u.timezone.parse().ok())
            .unwrap_or(self.default_tz)
    }

    /// Is `board` inside unit `code` (the commune itself, or its province)?
    pub fn within(&self, board: &Board, code: &str) -> bool {
        self.unit_within(&board.unit, code)
    }

    /// Is commune `unit` unit `code` itself, or in province `code`?
    pub fn unit_within(&self, unit: &str, code: &str) -> bool {
        unit == code || self.province_of(unit) == Some(code)
    }

    /// Does `item` concern unit `code`: its areas name the unit, the unit's
    /// province or one of its communes, or it targets one of its boards?
    pub fn concerns(&self, item: &Item, code: &str) -> bool {
        item.areas
            .iter()
            .any(|a| a == code || Some(a.as_str()) == self.province_of(code) || self.province_of(a) == Some(code))
            || self
                .targeted(&item.areas, &item.boards)
                .iter()
                .any(|b| self.within(b, code))
    }

    /// Boards covered by `areas` or named in `ids` (as the alert sets are
    /// compiled, `crate::alerting`).
    pub(crate) fn targeted(&self, areas: &[String], ids: &[String]) -> Vec<&Board> {
        self.boards
            .iter()
            .filter(|b| {
                ids.contains(&b.id)
                    || areas
                        .iter()
                        .any(|a| *a == b.unit || Some(a.as_str()) == self.province_of(&b.unit))
            })
            .collect()
    }
}

/// Bulletin or CAP alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Bulletin,
    Alert,
}

/// One bulletin or alert, as reports see it.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    pub source: String,
    pub id: String,
    pub version: Option<u64>,
    pub title: String,
    pub priority: String,
    pub state: String,
    pub received_at: DateTime<Utc>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub has_media: bool,
    /// SHA-256 of its pictures and videos (what boards download).
    pub board_media: Vec<String>,
    pub areas: Vec<String>,
    pub boards: Vec<String>,
    /// Off the boards for good: `cancelled`, `superseded`, `updated`.
    pub(crate) withdrawn: Option<&'static str>,
    /// When it was withdrawn, where known.
    withdrawn_at: Option<DateTime<Utc>>,
    /// CAP Test, Exercise, System, Draft: never sent to boards.
    pub(crate) not_live: bool,
    /// Normal bulletins waiting for approval: each commune's decision.
    pub(crate) decisions: Option<BTreeMap<String, Decision>>,
    pub(crate) rejected: bool,
}

pub(crate) fn name_of<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Item {
    pub fn from_bulletin(r: &BulletinRecord) -> Item {
        let reading = r.reading.as_ref();
        let withdrawn = match r.state {
            BulletinState::Cancelled => Some("cancelled"),
            BulletinState::Superseded => Some("superseded"),
            _ => None,
        };
        Item {
            kind: ItemKind::Bulletin,
            source: r.source.clone(),
            id: r.id.clone(),
            version: Some(r.version),
            title: r.title.clone(),
            priority: r.priority.clone(),
            state: name_of(r.state),
            received_at: r.received,
            valid_from: reading.and_then(|d| d.valid_from),
            valid_to: reading.and_then(|d| d.alert.expires),
            has_media: reading.is_some_and(|d| d.has_media),
            board_media: reading.map(|d| d.board_media.clone()).unwrap_or_default(),
            areas: r.areas.clone(),
            boards: r.boards.clone(),
            withdrawn,
            // A cancel is a new version: its receipt is the cancel's time.
            withdrawn_at: (r.state == BulletinState::Cancelled).then_some(r.received),
            not_live: false,
            decisions: (r.priority == "normal" && r.state == BulletinState::Pending).then(|| r.decisions.clone()),
            rejected: r.state == BulletinState::Rejected,
        }
    }

    pub fn from_alert(r: &AlertRecord) -> Item {
        let reading = r.reading.as_ref();
        Item {
            kind: ItemKind::Alert,
            source: r.source.clone(),
            id: r.identifier.clone(),
            version: None,
            title: r
                .headline
                .clone()
                .or_else(|| reading.map(|i| i.alert.event.clone()))
                .unwrap_or_default(),
            priority: if r.emergency { "emergency" } else { "priority" }.into(),
            state: name_of(r.state),
            received_at: r.received,
            valid_from: reading.and_then(|i| i.valid_from),
            valid_to: r.expires.map(|t| t.with_timezone(&Utc)),
            has_media: false,
            board_media: Vec::new(),
            areas: r.areas.clone(),
            boards: Vec::new(),
            withdrawn: match r.state {
                AlertState::Cancelled => Some("cancelled"),
                AlertState::Updated => Some("updated"),
                _ => None,
            },
            withdrawn_at: None,
            not_live: r.state == AlertState::NotLive,
            decisions: None,
            rejected: false,
        }
    }

    /// The id boards know it by (and log as `alert:<id>`).
    pub fn alert_id(&self) -> String {
        match self.kind {
            ItemKind::Bulletin => format!("bulletin:{}:{}", self.source, self.id),
            ItemKind::Alert => format!("cap:{}", self.id),
        }
    }

    pub(crate) fn expired(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.valid_to.filter(|t| *t <= now)
    }

    /// Over for good: expired, withdrawn, rejected or never live.
    pub fn ended(&self, now: DateTime<Utc>) -> bool {
        self.expired(now).is_some() || self.withdrawn.is_some() || self.not_live || self.rejected
    }

    /// When it ended, where known.
    pub(crate) fn ended_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.expired(now)
            .or(self.withdrawn_at)
            .or(self.not_live.then_some(self.received_at))
    }
}
