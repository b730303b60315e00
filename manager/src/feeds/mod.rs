//! Feeds: sources that only publish RSS 2.0, Atom or JSON Feed 1.1. An
//! administrator attaches a feed URL to a registered source; a background
//! task polls it at its interval and turns every entry into a
//! `bangtin.bulletin/1` document that goes through exactly the same ingest
//! path as `POST /api/v1/bulletins` ([`crate::ingest::bulletin`]),
//! so the same targets, version and duplicate rules hold.
//!
//! Each entry's document is rendered deterministically from the entry and
//! the feed's configuration, so an unchanged entry renders the very bytes
//! already stored and is a duplicate (never re-announced), while an edited
//! one (other title, text, category, date) becomes the next version of the
//! same bulletin. The bulletin id is derived from the entry's guid / id /
//! link and the feed URL, so it is stable across polls and restarts.
//!
//! One bad poll never stops the poller: an unreachable server, an HTTP
//! error, a body over [`MAX_FEED_BYTES`], XML that declares entities or
//! nests too deep, or a document that is no feed is recorded in the feed's
//! status (Vietnamese reason, English in parentheses) and tried again at
//! the next interval.

use crate::bulletin::{
    self, AreaLevel, AreaTarget, BoardContent, BoardItem, Bulletin, Priority, Schedule, Source, Targets,
};
use crate::model::{Board, Unit, key};
use crate::records::{BulletinRecord, bulletin_key};
use crate::shared::Shared;
use crate::sources::{self, SourceRecord};
use crate::store::{Op, Store, StoreExt};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

mod convert;
mod poll;
mod read;
mod records;
mod text;
mod xml;

pub use convert::*;
pub use poll::*;
pub(crate) use read::*;
pub use records::*;
pub use text::*;
pub(crate) use xml::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        let t = html_to_text(
            "<p>Th&ocirc;ng b&aacute;o <b>l&#7883;ch</b> ti&ecirc;m&nbsp;ch&#x1EE7;ng</p>\
             <script>alert('x')</script><ul><li>M&#7897;t</li><li>Hai &amp; ba</li></ul>\
             <p title=\"a > b\">3 &lt; 4 &unknown; &#0;</p>",
        );
        assert_eq!(t, "Thông báo lịch tiêm chủng\n\n• Một\n• Hai & ba\n\n3 < 4 &unknown;");
        assert_eq!(html_to_text("a < b, 2<3"), "a < b, 2<3");
        assert_eq!(clean_text("  a\r\n\u{202E}b\t c \n\n\n\nd  "), "a\nb c\n\nd");
    }

    #[test]
    fn ids_are_stable_allowed_and_distinct() {
        let a = bulletin_id("https://x.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=1");
        assert_eq!(a, bulletin_id("https://x.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=1"));
        assert!(a.starts_with("ubnd.vn-tin-b"), "{a}");
        assert!(a.len() <= 128);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)));
        assert_ne!(a, bulletin_id("https://x.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=2"));
        assert_ne!(a, bulletin_id("https://y.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=1"));
        let long = bulletin_id("u", &"x".repeat(5000));
        assert!(long.len() <= 128, "{long}");
        assert!(bulletin_id("u", "///").starts_with("feed-"));
    }

    #[test]
    fn xml_entity_declarations_and_deep_nesting_are_refused() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><rss version="2.0"><channel><title>&b;</title></channel></rss>"#;
        assert!(check_xml(bomb).unwrap_err().contains("ENTITY"));
        let xxe = br#"<!DOCTYPE rss SYSTEM "file:///etc/passwd" [ ]><rss/>"#;
        assert!(check_xml(xxe).is_err());
        let plain_doctype = br#"<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel/></rss>"#;
        assert!(check_xml(plain_doctype).is_ok());
        let deep = format!("<rss>{}{}</rss>", "<a>".repeat(100), "</a>".repeat(100));
        assert!(check_xml(deep.as_bytes()).is_err());
        let ok = br#"<rss version="2.0"><channel><item><title a=">">x</title><br/><!-- <!ENTITY --><![CDATA[<!ENTITY]]></item></channel></rss>"#;
        assert!(check_xml(ok).is_ok());
    }

    #[test]
    fn rss_entries_render_to_valid_bulletins() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>UBND</title><language>vi-vn</language>
<item><guid>https://ubnd.vn/tin/1</guid><title>Lịch tiêm chủng &amp;amp; khám</title>
<description>&lt;p&gt;Tiêm chủng &lt;b&gt;mở rộng&lt;/b&gt; tại trạm y tế&lt;/p&gt;</description>
<category>y tế</category><pubDate>Mon, 01 Jun 2026 08:00:00 +0700</pubDate></item>
<item><link>https://ubnd.vn/tin/2</link><title>Không có guid</title></item>
</channel></rss>"#;
        let now = DateTime::parse_from_rfc3339("2026-06-02T00:00:00Z").unwrap().to_utc();
        let (lang, entries, seen) = read_feed(rss.as_bytes(), "https://ubnd.vn/rss", 7, now).unwrap();
        assert_eq!((lang.as_str(), seen, entries.len()), ("vi-vn", 2, 2));
        let e = &entries[0];
        assert_eq!(e.title.as_deref(), Some("Lịch tiêm chủng & khám"));
        assert_eq!(e.summary.as_deref(), Some("Tiêm chủng mở rộng tại trạm y tế"));
        assert_eq!(entries[1].raw_id, "https://ubnd.vn/tin/2");
        let src = SourceRecord {
            id: "src_1".into(),
            name: "Cổng thông tin xã".into(),
            units: vec!["19".into()],
            created: now,
            key: String::new(),
            disabled: false,
            report_url: None,
            report_every_s: None,
        };
        let feed = FeedRecord {
            id: "feed_1".into(),
            source: "src_1".into(),
            url: "https://ubnd.vn/rss".into(),
            interval_s: 60,
            targets: FeedTargets {
                areas: vec!["05443".into()],
                boards: vec![],
            },
            priority: Priority::Normal,
            category: None,
            max_age_days: 7,
            keep_days: 7,
            created: now,
            created_by: "user:x".into(),
            status: FeedStatus::default(),
        };
        let doc = render(&feed, &src, &lang, e, 3, now);
        assert_eq!(doc, render(&feed, &src, &lang, e, 3, now), "deterministic");
        let b = bulletin::parse(&doc).unwrap();
        assert_eq!(b.version, 3);
        assert_eq!(b.category.as_deref(), Some("y tế"));
        assert_eq!(b.schedule.valid_from.unwrap().to_rfc3339(), "2026-06-01T08:00:00+07:00");
        // In force for the feed's keep_days, from its date…
        assert_eq!(b.schedule.valid_to.unwrap().to_rfc3339(), "2026-06-08T08:00:00+07:00");
        // …or, undated, from when it was first read.
        let undated = bulletin::parse(&render(&feed, &src, &lang, &entries[1], 1, now)).unwrap();
        assert_eq!(undated.schedule.valid_from.unwrap().to_utc(), now);
        assert_eq!(
            undated.schedule.valid_to.unwrap().to_utc(),
            now + chrono::Duration::days(7)
        );
        // Too old for a 7-day window.
        let later = now + chrono::Duration::days(30);
        let (_, entries, _) = read_feed(rss.as_bytes(), "https://ubnd.vn/rss", 7, later).unwrap();
        assert_eq!(entries.len(), 1, "the undated entry stays");
    }

    #[test]
    fn json_feed_and_garbage() {
        let j = r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[
            {"id":"a1","title":"Mất điện","content_html":"<p>Cắt điện từ 8h&ndash;10h</p>","tags":["điện"]}]}"#;
        let now = Utc::now();
        let (lang, entries, _) = read_feed(j.as_bytes(), "https://x.vn/feed.json", 7, now).unwrap();
        assert_eq!(lang, "vi");
        assert_eq!(entries[0].text.as_deref(), Some("Cắt điện từ 8h–10h"));
        assert!(read_feed(b"hello", "u", 7, now).is_err());
        assert!(read_feed(b"<html><body>x</body></html>", "u", 7, now).is_err());
        assert!(read_feed(b"{\"a\":1}", "u", 7, now).is_err());
    }
}
