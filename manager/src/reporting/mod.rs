//! Report back to the source systems, and statistics for officers.
//!
//! For every bulletin and CAP alert a source sent, and every board it
//! targets, the manager knows when the board **received** it (first fetched
//! a signed alert set holding it — `GET /api/v1/board/alerts`, a 304 counts
//! too), when it was **shown** (first and last time on screen and the
//! seconds in all, from proof of play: an alert or bulletin on screen is
//! logged under the layout label `alert:<BoardAlert id>`, the id being
//! `bulletin:<source>:<id>` or `cap:<identifier>`), and why it **failed**
//! where that is known. Sources read the report (signed, like ingest) and,
//! with a `report_url`, get the reports that changed pushed to them.
//!
//! Proof of play and the online/offline transitions are *folded* into small
//! aggregates per board, from a cursor, so neither a report nor a year of
//! statistics scans raw events (and the transitions, kept only
//! `heartbeat_days`, live on as daily totals). Records:
//!
//! | key | value |
//! |---|---|
//! | `rpt/fetch/{board}/{set version}` | first fetch of that alert set version (kept [`FETCH_KEEP_DAYS`]) |
//! | `rpt/recv/{item}/{board}` | [`Receipt`]: first fetch of a set holding the item |
//! | `rpt/play/{item}/{board}` | [`PlayAgg`]: the item's plays on the board |
//! | `rpt/cursor/{board}` | how far proof of play and transitions are folded |
//! | `rpt/day/{board}/{local date}` | [`DayAgg`]: online time and airtime that day |
//! | `rpt/sent/{source}/{item}` | the last report pushed to the source |
//!
//! `{item}` is the first 32 hex digits of SHA-256 of the board alert id.

use crate::live::{Beat, Live, Transition};
use crate::model::{AuditEntry, Board, Unit};
use crate::records::{AlertRecord, AlertState, BulletinRecord, BulletinState, Decision, bulletin_key};
use crate::shared::Shared;
use crate::sources::SourceRecord;
use crate::store::{Op, Store, StoreExt, prefix_end};
use bangtin_layouts::time::DEFAULT_TZ;
use bangtin_layouts::wire::PlayKind;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use utoipa::ToSchema;

/// Pushes to a source happen this often unless its registration says.
pub const DEFAULT_REPORT_EVERY_S: u32 = 60;
/// Longest wait between two pushes, also after failures.
pub const MAX_REPORT_EVERY_S: u32 = 3600;
/// A received bulletin with no proof of play this long after it expired
/// counts as not shown (boards upload proof of play in batches).
pub const NOT_SHOWN_GRACE_MINUTES: i64 = 60;
/// Pushes of an item stop this long after it ended, once its last report
/// went out unchanged (its report stays readable).
pub const SETTLE_HOURS: i64 = 24;
/// Fetch records (`rpt/fetch/…`) older than this are dropped.
pub const FETCH_KEEP_DAYS: i64 = 30;
/// Reports in one push request at most.
pub const MAX_REPORTS_PER_PUSH: usize = 100;
/// Board entries in one push request at most (a report of a province-wide
/// bulletin lists thousands; one larger report still goes alone).
pub const MAX_BOARDS_PER_PUSH: usize = 10_000;
/// Schema name of a push body.
pub const PUSH_SCHEMA: &str = "bangtin.reports/1";
/// How often every board's proof of play and transitions are folded.
const FOLD_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// How often removed boards' records and old fetch records are dropped.
const CLEAN_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Events folded per store batch.
const FOLD_CHUNK: usize = 2000;
/// Distinct items remembered per board and day.
const MAX_DAY_IDS: usize = 500;
/// A play or online stretch is split over at most this many local days.
const MAX_SPLIT_DAYS: i64 = 400;
/// Audit entries this much older than the last look are looked at again
/// (entries are committed a moment after their time is taken).
const AUDIT_SLACK_S: i64 = 120;

mod fold;
mod push;
mod receipts;
mod records;
mod reports;
mod settings;
mod stats;
mod world;

pub use fold::*;
pub use push::*;
pub use receipts::*;
pub use records::*;
pub use reports::*;
pub use settings::*;
pub use stats::*;
pub use world::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn stretches_are_cut_at_local_midnight() {
        // 23:59:50 to 00:00:10 in Hà Nội (UTC+7).
        let parts = split_days(at("2026-11-22T16:59:50Z"), at("2026-11-22T17:00:10Z"), DEFAULT_TZ);
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            parts,
            vec![(d("2026-11-22"), 10_000_000), (d("2026-11-23"), 10_000_000)]
        );
        assert!(split_days(at("2026-11-22T17:00:10Z"), at("2026-11-22T17:00:10Z"), DEFAULT_TZ).is_empty());
        let long = split_days(at("2020-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), DEFAULT_TZ);
        assert!(long.len() <= MAX_SPLIT_DAYS as usize + 2);
    }

    #[test]
    fn report_urls_are_http_without_credentials() {
        assert!(check_report_url("https://htttn.example/bao-cao").is_ok());
        assert!(check_report_url("http://127.0.0.1:9000/r?x=1").is_ok());
        for bad in [
            "ftp://x/y",
            "https://u:p@x/",
            "không phải URL",
            "http://",
            "https://x/ a",
        ] {
            let e = check_report_url(bad).unwrap_err();
            assert_eq!(e.field, "report_url", "{bad}");
        }
        assert!(check_report_every(0).is_err() && check_report_every(3601).is_err());
        assert_eq!(check_report_every(60).unwrap(), 60);
    }

    #[test]
    fn pushes_are_cut_by_reports_and_boards() {
        let now = Utc::now();
        let report = |boards: usize| Report {
            kind: ItemKind::Bulletin,
            source: "src_1".into(),
            id: "b".into(),
            version: Some(1),
            title: String::new(),
            priority: "emergency".into(),
            state: "live".into(),
            ended: false,
            received_at: now,
            valid_from: None,
            valid_to: None,
            has_media: false,
            summary: Summary::default(),
            boards: vec![
                BoardReport {
                    board: "brd_1".into(),
                    name: String::new(),
                    unit: "05443".into(),
                    state: BoardState::Waiting,
                    received: None,
                    received_version: None,
                    version_received: None,
                    media_ready: None,
                    shown: None,
                    reason: None,
                };
                boards
            ],
            speakers: Vec::new(),
            generated_at: now,
        };
        let sent = || Sent {
            hash: String::new(),
            at: now,
            ended_seen: None,
            settled: false,
        };
        let small: Vec<((), Report, Sent)> = (0..250).map(|_| ((), report(1), sent())).collect();
        let sizes: Vec<usize> = push_chunks(&small).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let big: Vec<((), Report, Sent)> = [6000, 6000, 20_000, 10]
            .into_iter()
            .map(|n| ((), report(n), sent()))
            .collect();
        let sizes: Vec<usize> = push_chunks(&big).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [1, 1, 1, 1]);
        assert!(push_chunks::<()>(&[]).is_empty());
    }

    #[test]
    fn audit_entries_name_the_items_they_change() {
        let e = |actor: &str, action: &str, target: &str| AuditEntry {
            seq: 1,
            at: Utc::now(),
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            unit: None,
            detail: None,
        };
        assert_eq!(
            item_of(&e("source:src_1", "bulletin.receive", "tn:1")),
            Some(("src_1".into(), ItemRef::Bulletin("tn:1".into())))
        );
        assert_eq!(
            item_of(&e("user:xa", "bulletin.reject", "src_1/tn:1")),
            Some(("src_1".into(), ItemRef::Bulletin("tn:1".into())))
        );
        assert_eq!(
            item_of(&e("source:src_2", "alert.receive", "VN/1")),
            Some(("src_2".into(), ItemRef::Alert("VN/1".into())))
        );
        assert_eq!(item_of(&e("user:a", "layout.create", "lay_1")), None);
    }
}
