//! Patterns the OpenAPI document states and the validators check by hand,
//! so that what the document calls valid the server takes and the rest it
//! refuses (Schemathesis checks both ways in `xtask/contract.sh`). The
//! `#[schema(pattern = …)]` attributes repeat them as literals; a test of
//! `api::refusals_doc` compares the document with these.

/// Text that is not only white space (Rust's `char::is_whitespace`, as
/// `str::trim` uses): contains a character outside this class.
pub const NOT_BLANK: &str =
    "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]";

/// The http(s) URLs the manager calls out to (report pushes, feeds):
/// `http://` or `https://` (any case), then a host — a dotted IPv4 address
/// or names of letters, digits and `-` whose last starts with a letter —,
/// an optional port 0–65535, then an optional path, query or fragment
/// without spaces or control characters. No user name or password, no
/// IPv6 literal. [`url`] checks it.
pub const URL: &str = concat!(
    "^[Hh][Tt][Tt][Pp][Ss]?://",
    "(((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])",
    "|([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*)",
    "(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?",
    "([/?#][^\u{0}-\u{20}\u{7f}-\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]*)?$",
);

/// [`URL`] for `#[schema(schema_with = …)]`, at most 2000 characters;
/// `null` too when `nullable`, `""` too when `or_empty`.
fn url_schema(nullable: bool, or_empty: bool) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let types = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    let pattern = if or_empty { format!("^$|{URL}") } else { URL.to_string() };
    ObjectBuilder::new()
        .schema_type(types)
        .max_length(Some(2000))
        .pattern(Some(pattern))
        .description(Some(
            "http(s)://host[:port][/path][?query][#fragment]: a dotted IPv4 address or a name, no credentials, \
             no spaces or control characters",
        ))
        .build()
}

/// A required [`URL`].
pub fn url_required() -> utoipa::openapi::schema::Object {
    url_schema(false, false)
}

/// An optional [`URL`] (absent or `null`: none).
pub fn url_optional() -> utoipa::openapi::schema::Object {
    url_schema(true, false)
}

/// An optional [`URL`], where `""` clears it.
pub fn url_optional_or_empty() -> utoipa::openapi::schema::Object {
    url_schema(true, true)
}

/// `host:port` of a loudspeaker's Snapcast server: a host name or address
/// (letters, digits, `.`, `-`, `:`; 1–253, in brackets or not) and a port
/// 1–65535 without leading zeros. [`host_port`] checks it.
pub const HOST_PORT: &str = concat!(
    "^(\\[[A-Za-z0-9.:-]{1,253}\\]|[A-Za-z0-9.:-]{1,253})",
    ":(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})$",
);

/// Whether `s` is a [`HOST_PORT`].
pub fn host_port(s: &str) -> bool {
    let Some((host, port)) = s.rsplit_once(':') else {
        return false;
    };
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0')
        && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
    port_ok
        && (1..=253).contains(&host.len())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
}

/// A day `YYYY-MM-DD` (JSON Schema's `date`), or `""` for none.
pub fn date_or_empty() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .build()
        .into()
}

/// Whether `s` is a [`URL`].
pub fn url(s: &str) -> bool {
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("http://") {
        &s[7..]
    } else if lower.starts_with("https://") {
        &s[8..]
    } else {
        return false;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    (ipv4(host) || name(host)) && port.is_none_or(port_ok) && !tail.chars().any(excluded)
}

fn octet(o: &str) -> bool {
    let digits = !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit());
    digits && (o.len() == 1 || !o.starts_with('0')) && o.parse::<u16>().is_ok_and(|v| v <= 255)
}

fn ipv4(h: &str) -> bool {
    let parts: Vec<&str> = h.split('.').collect();
    parts.len() == 4 && parts.iter().all(|o| octet(o))
}

fn name(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    labels
        .iter()
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .and_then(|l| l.bytes().next())
            .is_some_and(|b| b.is_ascii_alphabetic())
}

fn port_ok(p: &str) -> bool {
    let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match p.len() {
        1..=4 => digits,
        5 => digits && !p.starts_with('0') && p.parse::<u32>().is_ok_and(|v| v <= 65535),
        _ => false,
    }
}

/// Control characters and white space (Rust's, which the pattern lists).
fn excluded(c: char) -> bool {
    c.is_control() || c.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_takes_ordinary_urls_and_refuses_the_rest() {
        for ok in [
            "http://127.0.0.1:9000/r?x=1",
            "https://htttn.example/bao-cao",
            "HTTPS://Example.COM",
            "http://localhost#frag",
            "http://a-b.c1.example:65535/đường/dẫn?q=tiếng việt"
                .replace(' ', "%20")
                .as_str(),
            "http://x:0",
        ] {
            assert!(url(ok), "{ok}");
            assert!(reqwest::Url::parse(ok).is_ok(), "{ok} parses");
        }
        for bad in [
            "",
            "ftp://example.com",
            "http://",
            "http://user:pw@example.com",
            "http://example.com:65536",
            "http://example.com:00080",
            "http://1.2.3",
            "http://256.1.1.1",
            "http://01.2.3.4",
            "http://[::1]/",
            "http://exa mple.com",
            "http://example.com/a b",
            "http://example.com/\u{7}",
            "http://example..com",
            "http://example.com.",
            " http://example.com",
            "http://example.com\u{a0}",
        ] {
            assert!(!url(bad), "{bad:?}");
        }
    }

    fn class_chars(class: &str) -> Vec<char> {
        let chars: Vec<char> = class.chars().collect();
        let mut listed = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if i + 2 < chars.len() && chars[i + 1] == '-' {
                listed.extend(chars[i]..=chars[i + 2]);
                i += 3;
            } else {
                listed.push(chars[i]);
                i += 1;
            }
        }
        listed
    }

    /// Every character the URL pattern's last class leaves out is one
    /// [`url`] refuses in a path, and no other (the class is written by
    /// hand).
    #[test]
    fn the_url_pattern_lists_exactly_the_characters_refused() {
        let class = URL.rsplit_once("([/?#][^").unwrap().1;
        let listed = class_chars(class.split_once("]*)?$").unwrap().0);
        for c in (0..=0x3100u32).filter_map(char::from_u32) {
            assert_eq!(listed.contains(&c), excluded(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn host_port_takes_snapcast_addresses() {
        for ok in [
            "127.0.0.1:1705",
            "loa.xa:4953",
            "[::1]:1705",
            "::1:1705",
            "a:65535",
            "a:1",
        ] {
            assert!(host_port(ok), "{ok}");
        }
        for bad in [
            "", "a", ":80", "a:0", "a:080", "a:+80", "a:65536", "a b:80", "[a:80", "[]:80", "a:",
        ] {
            assert!(!host_port(bad), "{bad:?}");
        }
    }

    /// NOT_BLANK's class is exactly what `str::trim` removes.
    #[test]
    fn not_blank_lists_exactly_white_space() {
        let class = NOT_BLANK.strip_prefix("[^").unwrap().strip_suffix(']').unwrap();
        let listed = class_chars(class);
        for c in (0..=0x3100u32).filter_map(char::from_u32) {
            assert_eq!(listed.contains(&c), c.is_whitespace(), "U+{:04X}", c as u32);
        }
    }
}
