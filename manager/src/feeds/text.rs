//! Text: HTML cleaned to plain text, lengths, one-line titles.

/// HTML to plain text: tags dropped (script and style with their content),
/// block elements and `<br>` as line breaks, entities decoded, spaces
/// collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt..];
        if let Some(c) = after.strip_prefix("<!--") {
            rest = c.find("-->").map_or("", |e| &c[e + 3..]);
            continue;
        }
        if let Some(c) = after.strip_prefix("<![CDATA[") {
            let e = c.find("]]>").unwrap_or(c.len());
            out.push_str(&c[..e]);
            rest = c.get(e + 3..).unwrap_or("");
            continue;
        }
        let next = after[1..].chars().next();
        if !next.is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?') {
            // A lone '<' is text.
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let Some(end) = tag_end(after) else {
            break;
        };
        let tag = &after[1..end];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[end + 1..];
        match name.as_str() {
            "script" | "style" | "head" | "template" if !closing => {
                let close = format!("</{name}");
                rest = find_ci(rest, &close)
                    .and_then(|i| rest[i..].find('>').map(|e| &rest[i + e + 1..]))
                    .unwrap_or("");
            }
            "br" | "p" | "div" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "table"
            | "blockquote" | "section" | "article" | "header" | "footer" | "pre" | "hr" | "dd" | "dt" | "figure"
            | "figcaption" => out.push('\n'),
            "li" if !closing => out.push_str("\n• "),
            "td" | "th" => out.push(' '),
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    clean_text(&out)
}

/// First position of ASCII `needle` in `hay`, ignoring ASCII case; stops at
/// the first match and allocates nothing (a feed may hold many tags).
pub(crate) fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

/// Index of the `>` that ends the tag starting at `s[0] == '<'`, skipping
/// quoted attribute values.
pub(crate) fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Decode HTML character references: numeric ones and the named ones
/// feeds use (Latin-1 letters among them, which cover many Vietnamese
/// vowels). Unknown names stay as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // References are short: look no further than that for the ';'.
        let semi = after.char_indices().take(33).find(|&(_, c)| c == ';').map(|(i, _)| i);
        let decoded = semi.and_then(|i| {
            let name = &after[..i];
            if let Some(num) = name.strip_prefix('#') {
                let v = match num.strip_prefix(['x', 'X']) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => num.parse::<u32>().ok(),
                }?;
                // NUL, surrogates and controls are not text.
                char::from_u32(v)
                    .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
                    .map(|c| (c.to_string(), i))
                    .or(Some((String::new(), i)))
            } else {
                named_entity(name).map(|c| (c.to_string(), i))
            }
        });
        match decoded {
            Some((text, i)) => {
                out.push_str(&text);
                rest = &after[i + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn named_entity(name: &str) -> Option<&'static str> {
    const LATIN1: &[(&str, &str)] = &[
        ("Agrave", "À"),
        ("Aacute", "Á"),
        ("Acirc", "Â"),
        ("Atilde", "Ã"),
        ("Egrave", "È"),
        ("Eacute", "É"),
        ("Ecirc", "Ê"),
        ("Igrave", "Ì"),
        ("Iacute", "Í"),
        ("Ograve", "Ò"),
        ("Oacute", "Ó"),
        ("Ocirc", "Ô"),
        ("Otilde", "Õ"),
        ("Ugrave", "Ù"),
        ("Uacute", "Ú"),
        ("Yacute", "Ý"),
        ("agrave", "à"),
        ("aacute", "á"),
        ("acirc", "â"),
        ("atilde", "ã"),
        ("egrave", "è"),
        ("eacute", "é"),
        ("ecirc", "ê"),
        ("igrave", "ì"),
        ("iacute", "í"),
        ("ograve", "ò"),
        ("oacute", "ó"),
        ("ocirc", "ô"),
        ("otilde", "õ"),
        ("ugrave", "ù"),
        ("uacute", "ú"),
        ("yacute", "ý"),
        ("Auml", "Ä"),
        ("auml", "ä"),
        ("Ouml", "Ö"),
        ("ouml", "ö"),
        ("Uuml", "Ü"),
        ("uuml", "ü"),
        ("Ccedil", "Ç"),
        ("ccedil", "ç"),
        ("Ntilde", "Ñ"),
        ("ntilde", "ñ"),
        ("szlig", "ß"),
    ];
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "ndash" => "–",
        "mdash" => "—",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "laquo" => "«",
        "raquo" => "»",
        "bull" => "•",
        "middot" => "·",
        "deg" => "°",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "times" => "×",
        "divide" => "÷",
        "euro" => "€",
        "sect" => "§",
        "para" => "¶",
        "shy" => "",
        other => return LATIN1.iter().find(|(n, _)| *n == other).map(|(_, c)| *c),
    })
}

/// Bidirectional embeddings, overrides and isolates, which bulletins refuse.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Plain text as bulletins accept it: no control characters but line
/// feeds, spaces collapsed within lines, at most one empty line in a row,
/// trimmed.
pub fn clean_text(s: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in s.split('\n') {
        let mut l = String::with_capacity(line.len());
        for c in line.chars() {
            if is_bidi_control(c) {
                continue;
            }
            let c = if c.is_whitespace() || c.is_control() { ' ' } else { c };
            if !(c == ' ' && (l.is_empty() || l.ends_with(' '))) {
                l.push(c);
            }
        }
        let l = l.trim_end().to_string();
        if l.is_empty() && lines.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        lines.push(l);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

/// One line of clean text.
pub(crate) fn clean_line(s: &str) -> String {
    one_line(&clean_text(s))
}

pub(crate) fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// At most `max` characters, ending in "…" when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Text from outside, safe to echo: escaped, at most 64 characters.
pub(crate) fn echo(s: &str) -> String {
    let mut out: String = s.chars().take(64).flat_map(char::escape_debug).collect();
    if s.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

pub(crate) fn echo_long(s: &str) -> String {
    truncate(s, 300)
}
