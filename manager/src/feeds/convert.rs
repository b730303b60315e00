//! Entries to `bangtin.bulletin/1` documents, taken in through ingest.

use super::*;

/// Take one entry: render it at the stored version; the very bytes already
/// stored are a duplicate (nothing to do), anything else goes in as the
/// next version. `Ok(true)` when a bulletin or version was taken.
pub(crate) async fn take(
    s: &Arc<Shared>,
    feed: &FeedRecord,
    src: &SourceRecord,
    language: &str,
    e: &Entry,
) -> Result<bool, crate::ingest::IngestError> {
    let id = bulletin_id(&feed.url, &e.raw_id);
    let existing = s.store.get_json::<BulletinRecord>(&bulletin_key(&src.id, &id))?;
    // An entry without a date is in force from when it was first read:
    // that instant travels in the stored document, so a re-poll renders
    // the same bytes.
    let first_seen = existing
        .as_ref()
        .and_then(|old| old.reading.as_ref())
        .and_then(|r| r.valid_from)
        .unwrap_or_else(Utc::now);
    let version = match &existing {
        Some(old) => {
            let same = render(feed, src, language, e, old.version, first_seen);
            if hex::encode(Sha256::digest(&same)) == old.sha256 {
                return Ok(false);
            }
            old.version + 1
        }
        None => 1,
    };
    let doc = render(feed, src, language, e, version, first_seen);
    let accepted = crate::ingest::bulletin(s, src, &doc).await?;
    Ok(!accepted.duplicate)
}

/// The bulletin id of an entry: a readable part of its guid / id / link and
/// a hash of feed URL and raw id (so two feeds never share ids, and ids
/// that read alike never collide). Only `A–Z a–z 0–9 . _ : -`, at most 117
/// characters.
pub fn bulletin_id(feed_url: &str, raw_id: &str) -> String {
    let h = hex::encode(Sha256::digest(format!("{feed_url}\n{raw_id}").as_bytes()));
    let readable = raw_id
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let mut slug = String::new();
    for c in readable.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':') {
            c
        } else {
            '-'
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
        if slug.len() >= 100 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        format!("feed-{}", &h[..16])
    } else {
        format!("{slug}-{}", &h[..16])
    }
}

/// The `bangtin.bulletin/1` document of an entry. Deterministic: the same
/// entry, feed, version and `first_seen` always give the same bytes. In
/// force from its publication (or `first_seen`) for the feed's
/// `keep_days`.
pub(crate) fn render(
    feed: &FeedRecord,
    src: &SourceRecord,
    language: &str,
    e: &Entry,
    version: u64,
    first_seen: DateTime<Utc>,
) -> Vec<u8> {
    let from = e.published.unwrap_or(first_seen).with_timezone(&vietnam());
    let to = from + chrono::Duration::days(i64::from(feed.keep_days.clamp(1, MAX_KEEP_DAYS)));
    let title = e
        .title
        .clone()
        .or_else(|| e.summary.as_deref().or(e.text.as_deref()).map(first_line))
        .map(|t| truncate(&one_line(&t), 200))
        .unwrap_or_else(|| "Tin mới".to_string());
    let body = e.text.as_deref().or(e.summary.as_deref()).unwrap_or(&title).to_string();
    let b = Bulletin {
        id: bulletin_id(&feed.url, &e.raw_id),
        version,
        source: Source {
            system: truncate(&src.name, 200),
            author: e.author.as_deref().map(|a| truncate(a, 200)),
        },
        priority: feed.priority,
        category: feed
            .category
            .clone()
            .or_else(|| e.category.clone())
            .map(|c| truncate(&c, 100)),
        language: language.to_string(),
        title: title.clone(),
        summary: e.summary.as_deref().map(|t| truncate(t, 1000)),
        board: BoardContent {
            items: vec![BoardItem::Text {
                headline: Some(title),
                body: truncate(&body, 5000),
                duration_sec: None,
            }],
        },
        audio: None,
        targets: Targets {
            areas: feed
                .targets
                .areas
                .iter()
                .map(|c| AreaTarget {
                    level: if c.len() == 2 {
                        AreaLevel::Province
                    } else {
                        AreaLevel::Commune
                    },
                    code: c.clone(),
                })
                .collect(),
            boards: feed.targets.boards.clone(),
        },
        schedule: Schedule {
            valid_from: Some(from),
            valid_to: Some(to),
            ..Schedule::default()
        },
        supersedes: None,
        cancel: false,
    };
    serde_json::to_vec(&b).unwrap_or_default()
}

pub(crate) fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}
