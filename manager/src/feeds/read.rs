//! Reading a feed body: RSS 2.0, Atom or JSON Feed to entries.

use super::*;

/// Parse a feed body: its language and its entries (at most
/// [`MAX_ENTRIES`], none older than `max_age_days` unless 0), and how many
/// entries it has in all.
pub(crate) fn read_feed(
    body: &[u8],
    url: &str,
    max_age_days: u32,
    now: DateTime<Utc>,
) -> Result<(String, Vec<Entry>, u32), String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => check_xml(body)?,
        Some(b'{') => {}
        _ => {
            return Err("không phải feed RSS, Atom hay JSON Feed (not an RSS, Atom or JSON Feed document)".to_string());
        }
    }
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .id_generator(|links, title, _| {
            // Stable for entries without an id: their link, else their title.
            if let Some(l) = links.first() {
                l.href.clone()
            } else if let Some(t) = title {
                format!("title:{}", t.content)
            } else {
                String::new()
            }
        })
        .build();
    let feed = parser.parse(body).map_err(|e| {
        format!(
            "không đọc được feed RSS/Atom/JSON: {} (cannot parse feed)",
            echo_long(&e.to_string())
        )
    })?;
    let language = feed
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| crate::bulletin::is_language_tag(l))
        .unwrap_or("vi")
        .to_string();
    let seen = u32::try_from(feed.entries.len()).unwrap_or(u32::MAX);
    let oldest = (max_age_days > 0).then(|| now - chrono::Duration::days(i64::from(max_age_days)));
    let mut out = Vec::new();
    for e in feed.entries {
        if out.len() >= MAX_ENTRIES {
            break;
        }
        let published = e.published.or(e.updated);
        if let (Some(oldest), Some(p)) = (oldest, published)
            && p < oldest
        {
            continue;
        }
        let html = |t: &feed_rs::model::Text| {
            if is_html(t.content_type.subty().as_str()) {
                html_to_text(&t.content)
            } else {
                clean_text(&decode_entities(&t.content))
            }
        };
        let title = e.title.as_ref().map(html).filter(|t| !t.is_empty());
        let summary = e.summary.as_ref().map(html).filter(|t| !t.is_empty());
        let text = e
            .content
            .as_ref()
            .and_then(|c| {
                let body = c.body.as_deref()?;
                Some(if is_html(c.content_type.subty().as_str()) {
                    html_to_text(body)
                } else {
                    clean_text(&decode_entities(body))
                })
            })
            .filter(|t| !t.is_empty());
        let category = e
            .categories
            .iter()
            .map(|c| clean_line(c.label.as_deref().unwrap_or(&c.term)))
            .find(|c| !c.is_empty());
        let author = e
            .authors
            .iter()
            .filter_map(|a| a.name.as_deref())
            .map(clean_line)
            .find(|a| !a.is_empty());
        let mut raw_id = e.id.trim().to_string();
        if raw_id.is_empty() {
            // Nothing to tell it by: its text is its identity.
            raw_id = format!(
                "sha256:{}",
                hex::encode(Sha256::digest(format!("{title:?}{summary:?}{text:?}").as_bytes()))
            );
        }
        if title.is_none() && summary.is_none() && text.is_none() {
            continue;
        }
        out.push(Entry {
            raw_id,
            title,
            summary,
            text,
            category,
            author,
            published,
        });
    }
    Ok((language, out, seen))
}

pub(crate) fn is_html(subtype: &str) -> bool {
    matches!(subtype, "html" | "xhtml" | "xhtml+xml")
}
