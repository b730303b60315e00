//! XML safety: no entity declarations, bounded nesting.

use super::*;

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Refuse, before any parser sees it, XML that declares entities (the
/// trick behind "billion laughs" and external-entity reads) or nests deeper
/// than [`MAX_XML_DEPTH`]. The parser itself expands no DTD either: this
/// makes the refusal explicit and bounds what it walks.
pub(crate) fn check_xml(body: &[u8]) -> Result<(), String> {
    let entity = || {
        "feed khai báo thực thể XML (<!ENTITY>) hoặc DTD nội bộ, bị từ chối \
         (XML entity declarations are refused)"
            .to_string()
    };
    let (mut i, mut depth) = (0usize, 0usize);
    while let Some(off) = body[i..].iter().position(|&b| b == b'<') {
        let p = i + off;
        let rest = &body[p..];
        let skip_to = |end: &[u8]| find(rest, end).map_or(body.len(), |e| p + e + end.len());
        if rest.starts_with(b"<!--") {
            i = skip_to(b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(b"?>");
        } else if rest.starts_with(b"<!") {
            // A declaration (DOCTYPE), with its internal subset in [ ].
            let (mut brackets, mut quote, mut end) = (0usize, None, body.len());
            for (j, &b) in rest.iter().enumerate().skip(2) {
                match (quote, b) {
                    (Some(q), _) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'[') => brackets += 1,
                    (None, b']') => brackets = brackets.saturating_sub(1),
                    (None, b'>') if brackets == 0 => {
                        end = p + j + 1;
                        break;
                    }
                    _ => {}
                }
            }
            let decl = body[p..end].to_ascii_uppercase();
            if find(&decl, b"<!ENTITY").is_some() || find(&decl[2..], b"[").is_some() {
                return Err(entity());
            }
            i = end;
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = p + 2;
        } else {
            // A start tag: its end is the first '>' outside quotes.
            let mut quote = None;
            let mut end = None;
            for (j, &b) in rest.iter().enumerate().skip(1) {
                match (quote, b) {
                    (Some(q), _) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'>') => {
                        end = Some(j);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else {
                // Unterminated: the parser will say so.
                return Ok(());
            };
            if rest[end - 1] != b'/' {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(format!(
                        "XML lồng nhau quá sâu: tối đa {MAX_XML_DEPTH} cấp (XML nested deeper than {MAX_XML_DEPTH} levels)"
                    ));
                }
            }
            i = p + end + 1;
        }
    }
    Ok(())
}
