//! Every string the web UI shows, in one catalogue per language
//! (`manager/web/i18n/vi.ftl`, `en.ftl`, Project Fluent). Vietnamese is the
//! default; English is the second language.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::LazyLock;

/// The UI's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

/// The cookie that remembers the language switch.
pub const LANG_COOKIE: &str = "bangtin_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

pub(crate) const VI: &str = include_str!("../../web/i18n/vi.ftl");
pub(crate) const EN: &str = include_str!("../../web/i18n/en.ftl");

fn bundle(lang: &str, src: &'static str) -> FluentBundle<FluentResource> {
    let res =
        FluentResource::try_new(src.to_string()).unwrap_or_else(|(_, errs)| panic!("web/i18n/{lang}.ftl: {errs:?}"));
    let id = lang.parse().expect("language id");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: they would end up in
    // titles, values of form fields and tests.
    b.set_use_isolating(false);
    b.add_resource(res)
        .unwrap_or_else(|errs| panic!("web/i18n/{lang}.ftl: {errs:?}"));
    b
}

static BUNDLES: LazyLock<[FluentBundle<FluentResource>; 2]> = LazyLock::new(|| [bundle("vi", VI), bundle("en", EN)]);

fn get(lang: Lang) -> &'static FluentBundle<FluentResource> {
    &BUNDLES[match lang {
        Lang::Vi => 0,
        Lang::En => 1,
    }]
}

/// The message `key` in `lang`, with arguments. A missing key shows as
/// itself (and a test keeps the catalogues complete).
pub fn text(lang: Lang, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let b = get(lang);
    let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
        tracing::warn!(key, lang = lang.code(), "missing UI string");
        return key.to_string();
    };
    let mut fa = FluentArgs::new();
    for (k, v) in args {
        fa.set(*k, v.clone());
    }
    let mut errs = Vec::new();
    let out = b.format_pattern(pattern, if args.is_empty() { None } else { Some(&fa) }, &mut errs);
    out.into_owned()
}

/// Message ids defined in a catalogue's source.
#[cfg(test)]
pub(crate) fn keys(src: &str) -> Vec<String> {
    src.lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both languages say everything: a key in one catalogue and not the
    /// other would show its id to the officer.
    #[test]
    fn catalogues_have_the_same_keys() {
        let (mut vi, mut en) = (keys(VI), keys(EN));
        vi.sort();
        en.sort();
        let only_vi: Vec<_> = vi.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !vi.contains(k)).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "vi only: {only_vi:?}; en only: {only_en:?}"
        );
        assert!(vi.len() > 20);
        // Both parse, with no error.
        assert_eq!(text(Lang::Vi, "nav-boards", &[]), "Bảng tin");
        assert_eq!(text(Lang::En, "nav-boards", &[]), "Boards");
    }

    /// Every key the templates and the code ask for exists.
    #[test]
    fn every_used_key_exists() {
        let vi = keys(VI);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for dir in ["templates", "src/web"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).expect("read dir").flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        files.push(p);
                    }
                }
            }
        }
        for f in files {
            let src = std::fs::read_to_string(&f).expect("read");
            // Method calls t, tn and ta with a literal key.
            for pat in [".t(\"", ".tn(\"", ".ta(\""] {
                for (i, _) in src.match_indices(pat) {
                    let rest = &src[i + pat.len()..];
                    let Some(end) = rest.find('"') else { continue };
                    let k = &rest[..end];
                    if !vi.iter().any(|v| v == k) {
                        missing.push(format!("{}: {k}", f.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "strings used but not in the catalogue: {missing:#?}"
        );
    }

    #[test]
    fn arguments_are_filled_in() {
        assert_eq!(
            text(Lang::Vi, "ago-minutes", &[("n", FluentValue::from(3))]),
            "3 phút trước"
        );
        assert_eq!(
            text(Lang::En, "ago-minutes", &[("n", FluentValue::from(1))]),
            "1 minute ago"
        );
    }
}
