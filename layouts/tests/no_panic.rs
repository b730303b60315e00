//! No input makes the layout parser panic: random text, and real layouts
//! with random edits (the kind of damage a bad copy-paste or a truncated
//! upload does). Every failure must come back as located problems.

use bangtin_layouts::parse_layout;
use proptest::prelude::*;
use std::path::Path;

const TEMPLATE: &str = include_str!("../templates/commune-office-1920x1080.toml");

fn parse(s: &str) {
    if let Err(e) = parse_layout(s, Path::new("x.toml"), Path::new(".")) {
        assert!(!e.problems.is_empty(), "an error always names at least one problem");
        let _ = e.to_string();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_never_panics(s in "\\PC{0,400}") {
        parse(&s);
    }

    #[test]
    fn edited_templates_never_panic(cut in 0usize..6000, len in 0usize..40, insert in "[ -~đĐạỹ\\n\"=\\[\\]#]{0,12}") {
        let mut s: Vec<char> = TEMPLATE.chars().collect();
        let at = cut.min(s.len());
        let end = (at + len).min(s.len());
        s.splice(at..end, insert.chars());
        parse(&s.into_iter().collect::<String>());
    }

    #[test]
    fn extreme_numbers_never_panic(v in prop_oneof![any::<i64>().prop_map(|v| v.to_string()), any::<f64>().prop_map(|v| format!("{v:?}"))]) {
        for key in ["width = 1920", "speed = 120", "x = 0", "duration = 15", "transition_ms = 800", "size = 56"] {
            let name = key.split(' ').next().unwrap();
            parse(&TEMPLATE.replacen(key, &format!("{name} = {v}"), 1));
        }
    }
}
