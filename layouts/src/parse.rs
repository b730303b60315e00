//! Reading layout files: TOML text → [`Layout`], with every error naming
//! the file, line, column and field.

use crate::model::Layout;
use crate::raw::RawLayout;
use crate::validate::{FieldPath, Problem, Seg, validate};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// Largest layout file we read; real ones are a few KiB.
pub const MAX_LAYOUT_BYTES: u64 = 1024 * 1024;

/// One problem located in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1-based; 0 when the problem has no place in the text (e.g. a missing table).
    pub line: usize,
    pub column: usize,
    pub field: FieldPath,
    pub message: String,
}

/// Everything wrong with one layout file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LayoutError {
    pub file: PathBuf,
    pub problems: Vec<Located>,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file.display())?;
            if p.line > 0 {
                write!(f, ":{}:{}", p.line, p.column)?;
            }
            if !p.field.is_root() {
                write!(f, ": trường `{}`", p.field)?;
            }
            write!(f, ": {}", p.message)?;
        }
        Ok(())
    }
}

impl LayoutError {
    fn whole_file(file: &Path, message: String) -> Self {
        LayoutError {
            file: file.to_path_buf(),
            problems: vec![Located {
                line: 0,
                column: 0,
                field: FieldPath::default(),
                message,
            }],
        }
    }
}

/// Read and validate a layout file. Relative media paths resolve against
/// the file's folder.
pub fn load_layout(file: &Path) -> Result<Layout, LayoutError> {
    let meta = std::fs::metadata(file).map_err(|e| {
        LayoutError::whole_file(
            file,
            format!("không đọc được tệp bố cục: {e} (cannot read layout file)"),
        )
    })?;
    if meta.len() > MAX_LAYOUT_BYTES {
        return Err(LayoutError::whole_file(
            file,
            format!("tệp bố cục lớn hơn {MAX_LAYOUT_BYTES} byte (layout file too large)"),
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| {
        LayoutError::whole_file(
            file,
            format!("không đọc được tệp bố cục: {e} (cannot read layout file)"),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        LayoutError::whole_file(
            file,
            format!(
                "tệp không phải UTF-8 (byte {}); hãy lưu tệp với mã UTF-8 (file is not UTF-8)",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_layout(&text, file, &base)
}

/// Parse and validate layout TOML. `file` is only used in messages.
pub fn parse_layout(text: &str, file: &Path, base_dir: &Path) -> Result<Layout, LayoutError> {
    let raw = parse_raw(text, file)?;
    validate(&raw, base_dir).map_err(|problems| locate_problems(text, file, problems))
}

/// Parse TOML into the raw document (no semantic checks).
pub fn parse_raw(text: &str, file: &Path) -> Result<RawLayout, LayoutError> {
    toml::from_str::<RawLayout>(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        let field = e
            .span()
            .and_then(|s| DeTable::parse(text).ok().map(|t| path_at(t.get_ref(), &s)))
            .unwrap_or_default();
        LayoutError {
            file: file.to_path_buf(),
            problems: vec![Located {
                line,
                column,
                field,
                message: translate_serde_message(e.message()),
            }],
        }
    })
}

/// Put officer-facing Vietnamese in front of serde's English wording.
fn translate_serde_message(m: &str) -> String {
    let m = m.trim();
    let vi = if m.starts_with("unknown field") {
        "trường không có trong định dạng bố cục"
    } else if m.starts_with("missing field") {
        "thiếu trường bắt buộc"
    } else if m.starts_with("invalid type") || m.contains("một số hoặc") {
        "sai kiểu giá trị"
    } else if m.starts_with("duplicate key") {
        "khóa bị lặp"
    } else {
        "lỗi cú pháp TOML"
    };
    format!("{vi} ({m})")
}

fn locate_problems(text: &str, file: &Path, problems: Vec<Problem>) -> LayoutError {
    let doc = DeTable::parse(text).ok();
    let problems = problems
        .into_iter()
        .map(|p| {
            let span = doc.as_ref().and_then(|d| span_of(d.get_ref(), &p.path));
            let (line, column) = span.map_or((0, 0), |s| line_col(text, s.start));
            Located {
                line,
                column,
                field: p.path,
                message: p.message,
            }
        })
        .collect();
    LayoutError {
        file: file.to_path_buf(),
        problems,
    }
}

/// The span of the deepest part of `path` present in the document: the
/// value itself, or (for a missing field) the table that should hold it.
fn span_of(table: &DeTable, path: &FieldPath) -> Option<Range<usize>> {
    let mut best: Option<Range<usize>> = None;
    let mut cur: Option<&DeValue> = None;
    let mut cur_table = Some(table);
    for seg in &path.0 {
        match seg {
            Seg::Key(k) => {
                let t = cur_table?;
                let Some((key, v)) = t.get_key_value(k.as_str()) else {
                    return best;
                };
                // Point at the key: for `speed = -3` the key starts the line.
                best = Some(key.span());
                cur = Some(v.get_ref());
                cur_table = v.get_ref().as_table();
            }
            Seg::Index(i) => {
                let arr = cur?.as_array()?;
                let v = arr.get(*i)?;
                best = Some(v.span());
                cur = Some(v.get_ref());
                cur_table = v.get_ref().as_table();
            }
        }
    }
    best
}

/// The path of the deepest value whose span holds `span`.
fn path_at(table: &DeTable, span: &Range<usize>) -> FieldPath {
    fn walk_table(t: &DeTable, span: &Range<usize>, path: &mut FieldPath) {
        for (k, v) in t {
            let vs = v.span();
            let ks = k.span();
            let inside = |s: &Range<usize>| s.start <= span.start && span.start < s.end.max(s.start + 1);
            if inside(&ks) || inside(&vs) || contains_span(v.get_ref(), span) {
                path.0.push(Seg::Key(k.get_ref().to_string()));
                walk_value(v.get_ref(), span, path);
                return;
            }
        }
    }
    fn walk_value(v: &DeValue, span: &Range<usize>, path: &mut FieldPath) {
        if let Some(t) = v.as_table() {
            walk_table(t, span, path);
        } else if let Some(a) = v.as_array() {
            for (i, e) in a.iter().enumerate() {
                if e.span().contains(&span.start) || contains_span(e.get_ref(), span) {
                    path.0.push(Seg::Index(i));
                    walk_value(e.get_ref(), span, path);
                    return;
                }
            }
        }
    }
    // Tables of an array-of-tables ([[zone]]) have no span covering their
    // keys, so also search inside.
    fn contains_span(v: &DeValue, span: &Range<usize>) -> bool {
        if let Some(t) = v.as_table() {
            t.iter().any(|(k, v)| {
                k.span().contains(&span.start) || v.span().contains(&span.start) || contains_span(v.get_ref(), span)
            })
        } else if let Some(a) = v.as_array() {
            a.iter()
                .any(|e| e.span().contains(&span.start) || contains_span(e.get_ref(), span))
        } else {
            false
        }
    }
    let mut path = FieldPath::default();
    walk_table(table, span, &mut path);
    path
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"
[board]
name = "Bảng tin xã Định Hóa"
width = 384
height = 192

[[zone]]
id = "chu-chay"
x = 0
y = 128
width = 384
height = 64

[[zone.item]]
type = "ticker"
text = "Thông báo khẩn: bão số 3"
speed = 60
"##;

    fn err(text: &str) -> LayoutError {
        parse_layout(text, Path::new("bang.toml"), Path::new(".")).unwrap_err()
    }

    #[test]
    fn good_layout_parses() {
        let l = parse_layout(GOOD, Path::new("bang.toml"), Path::new(".")).unwrap();
        assert_eq!(l.board.width, 384);
        assert_eq!(l.zones[0].items.len(), 1);
    }

    #[test]
    fn semantic_error_names_file_line_and_field() {
        let bad = GOOD.replace("speed = 60", "speed = -3");
        let e = err(&bad);
        assert_eq!(e.problems.len(), 1);
        let p = &e.problems[0];
        assert_eq!(p.field.to_string(), "zone[0].item[0].speed");
        assert_eq!(p.line, 17);
        let shown = e.to_string();
        assert!(
            shown.starts_with("bang.toml:17:1: trường `zone[0].item[0].speed`"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_field_is_named_with_its_line() {
        let bad = GOOD.replace("speed = 60", "sped = 60");
        let e = err(&bad);
        let p = &e.problems[0];
        assert_eq!(p.line, 17, "{e}");
        assert!(p.message.contains("sped"), "{e}");
        assert_eq!(p.field.to_string(), "zone[0].item[0].sped");
    }

    #[test]
    fn wrong_type_names_field_and_line() {
        let bad = GOOD.replace("width = 384\nheight = 192", "width = \"rộng\"\nheight = 192");
        let e = err(&bad);
        let p = &e.problems[0];
        assert_eq!((p.line, p.field.to_string().as_str()), (4, "board.width"), "{e}");
        assert!(p.message.contains("sai kiểu"), "{e}");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let e = err("[board]\nwidth = 384\nheight = = 3\n");
        assert_eq!(e.problems[0].line, 3, "{e}");
    }

    #[test]
    fn zone_outside_board_and_duplicate_ids_are_all_reported() {
        let mut bad = GOOD.replace("y = 128", "y = 150");
        bad.push_str("\n[[zone]]\nid = \"chu-chay\"\nx = 0\ny = 0\nwidth = 10\nheight = 10\n");
        let e = err(&bad);
        let fields: Vec<String> = e.problems.iter().map(|p| p.field.to_string()).collect();
        assert!(fields.contains(&"zone[0].height".to_string()), "{e}");
        assert!(fields.contains(&"zone[1].id".to_string()), "{e}");
        assert!(e.problems.iter().all(|p| p.line > 0), "{e}");
    }

    #[test]
    fn field_of_another_type_is_refused() {
        let bad = GOOD.replace("speed = 60", "speed = 60\nfit = \"fill\"");
        let e = err(&bad);
        assert_eq!(e.problems[0].field.to_string(), "zone[0].item[0].fit");
        assert_eq!(e.problems[0].line, 18);
    }

    #[test]
    fn missing_board_is_reported() {
        let e = err("[[zone]]\nid = \"a\"\nx = 0\ny = 0\nwidth = 1\nheight = 1\n");
        assert!(e.problems.iter().any(|p| p.field.to_string() == "board"), "{e}");
    }

    #[test]
    fn decomposed_vietnamese_is_normalised() {
        // "Ủy ban … Định" typed with combining marks (hook above, dot below).
        let decomposed = "U\u{0309}y ban Đi\u{0323}nh";
        let text = GOOD.replace("Thông báo khẩn: bão số 3", decomposed);
        let l = parse_layout(&text, Path::new("b.toml"), Path::new(".")).unwrap();
        match &l.zones[0].items[0].kind {
            crate::model::ItemKind::Ticker { text, .. } => assert_eq!(text, "Ủy ban Định"),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn no_panic_on_garbage() {
        for s in [
            "",
            "\u{0}",
            "[[zone]]\n[[zone.item]]\n",
            "board = 3",
            "[board]\nwidth = 1e309\n",
            "[board]\nwidth = -1\nheight = 99999999999\n",
        ] {
            let _ = parse_layout(s, Path::new("x.toml"), Path::new("."));
        }
    }
}
