//! The one description of the editor's fields: the board, a zone, and each
//! item kind with its fields, their input types, limits and label keys.
//! Forms are generated from it and posted values are read back through it;
//! the layouts crate's validator stays the judge of every value (the limits
//! here only become `min`/`max` hints in the browser).

use bangtin_layouts::validate::{MAX_DURATION_S, MAX_TRANSITION_MS};

/// How a field is typed in and read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    /// One line of text.
    Line,
    /// Several lines (`<textarea>`).
    Long,
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// A number in `min..=max` (`step` for the browser).
    Num { min: f64, max: f64, step: f64 },
    /// Yes / no / the default (a select, so "unset" stays possible).
    Bool,
    /// One of these words, or the default.
    Choice(&'static [&'static str]),
    /// `#rgb`, `#rrggbb` or `#rrggbbaa`.
    Color,
    /// A picture from the unit's library (`sha256:…`).
    Picture,
    /// A video from the unit's library.
    Video,
    /// `2026-11-23`, `2026-11-23 07:00` or RFC 3339.
    When,
    /// `40` or `40, 56` (vertical, horizontal).
    Padding,
}

/// One field: its name in the layout document (and so in the validator's
/// paths), its type, whether it is required, its label's catalogue key.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub label: &'static str,
}

const fn f(name: &'static str, ty: Ty, label: &'static str) -> Field {
    Field {
        name,
        ty,
        required: false,
        label,
    }
}

const fn req(name: &'static str, ty: Ty, label: &'static str) -> Field {
    Field {
        name,
        ty,
        required: true,
        label,
    }
}

/// An item kind: its `type`, label key and own fields (the shared ones in
/// [`SHARED`] follow them in every form).
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub kind: &'static str,
    pub label: &'static str,
    pub fields: &'static [Field],
}

const SIDE: i64 = bangtin_layouts::MAX_BOARD_SIDE as i64;
const FITS: &[&str] = &["fit", "fill", "stretch"];
const ALIGNS: &[&str] = &["left", "center", "right", "justify"];
const SIZE: Ty = Ty::Num {
    min: 1.0,
    max: 2000.0,
    step: 1.0,
};

/// The board (`[board]`).
pub const BOARD: &[Field] = &[
    f("name", Ty::Line, "editor-f-board-name"),
    req(
        "width",
        Ty::Int {
            min: bangtin_layouts::MIN_BOARD_SIDE as i64,
            max: SIDE,
        },
        "editor-f-width",
    ),
    req(
        "height",
        Ty::Int {
            min: bangtin_layouts::MIN_BOARD_SIDE as i64,
            max: SIDE,
        },
        "editor-f-height",
    ),
    f("background", Ty::Color, "editor-f-background"),
    f("timezone", Ty::Line, "editor-f-timezone"),
];

/// The board's picture (kept apart: a template may not have one).
pub const BOARD_MEDIA: &[Field] = &[f("background_image", Ty::Picture, "editor-f-background_image")];

/// A zone's geometry, drawn on the board and typed as numbers.
pub const ZONE_GEOMETRY: &[Field] = &[
    req("x", Ty::Int { min: 0, max: SIDE }, "editor-f-x"),
    req("y", Ty::Int { min: 0, max: SIDE }, "editor-f-y"),
    req("width", Ty::Int { min: 1, max: SIDE }, "editor-f-w"),
    req("height", Ty::Int { min: 1, max: SIDE }, "editor-f-h"),
];

/// A zone's other fields.
pub const ZONE: &[Field] = &[
    req("id", Ty::Line, "editor-f-zone-id"),
    f("z", Ty::Int { min: -1000, max: 1000 }, "editor-f-z"),
    f("background", Ty::Color, "editor-f-background"),
    f("loop", Ty::Bool, "editor-f-loop"),
    f("transition", Ty::Choice(&["cut", "crossfade"]), "editor-f-transition"),
    f(
        "transition_ms",
        Ty::Int {
            min: 0,
            max: MAX_TRANSITION_MS,
        },
        "editor-f-transition_ms",
    ),
];

/// Fields every item kind has.
pub const SHARED: &[Field] = &[
    f(
        "duration",
        Ty::Num {
            min: 0.1,
            max: MAX_DURATION_S,
            step: 0.1,
        },
        "editor-f-duration",
    ),
    f("transition", Ty::Choice(&["cut", "crossfade"]), "editor-f-transition"),
    f(
        "transition_ms",
        Ty::Int {
            min: 0,
            max: MAX_TRANSITION_MS,
        },
        "editor-f-transition_ms",
    ),
    f("valid_from", Ty::When, "editor-f-valid_from"),
    f("valid_to", Ty::When, "editor-f-valid_to"),
    f("background", Ty::Color, "editor-f-background"),
];

/// Every item kind, in the order the editor offers them.
pub const KINDS: &[Kind] = &[
    Kind {
        kind: "image",
        label: "editor-kind-image",
        fields: &[
            req("src", Ty::Picture, "editor-f-src"),
            f("fit", Ty::Choice(FITS), "editor-f-fit"),
        ],
    },
    Kind {
        kind: "text",
        label: "editor-kind-text",
        fields: &[
            f("title", Ty::Line, "editor-f-title"),
            f("body", Ty::Long, "editor-f-body"),
            f("size", SIZE, "editor-f-size"),
            f("title_size", SIZE, "editor-f-title_size"),
            f("color", Ty::Color, "editor-f-color"),
            f("title_color", Ty::Color, "editor-f-title_color"),
            f("bold", Ty::Bool, "editor-f-bold"),
            f("align", Ty::Choice(ALIGNS), "editor-f-align"),
            f("valign", Ty::Choice(&["top", "middle", "bottom"]), "editor-f-valign"),
            f("wrap", Ty::Bool, "editor-f-wrap"),
            f(
                "line_height",
                Ty::Num {
                    min: 0.8,
                    max: 3.0,
                    step: 0.05,
                },
                "editor-f-line_height",
            ),
            f("padding", Ty::Padding, "editor-f-padding"),
            f("min_size", SIZE, "editor-f-min_size"),
        ],
    },
    Kind {
        kind: "ticker",
        label: "editor-kind-ticker",
        fields: &[
            req("text", Ty::Long, "editor-f-text"),
            f(
                "speed",
                Ty::Num {
                    min: 1.0,
                    max: 5000.0,
                    step: 1.0,
                },
                "editor-f-speed",
            ),
            f("direction", Ty::Choice(&["left", "right"]), "editor-f-direction"),
            f("separator", Ty::Line, "editor-f-separator"),
            f("repeat", Ty::Int { min: 0, max: 10_000 }, "editor-f-repeat"),
            f("size", SIZE, "editor-f-size"),
            f("color", Ty::Color, "editor-f-color"),
            f("bold", Ty::Bool, "editor-f-bold"),
        ],
    },
    Kind {
        kind: "clock",
        label: "editor-kind-clock",
        fields: &[
            f(
                "format",
                Ty::Choice(&["datetime", "date", "time", "long"]),
                "editor-f-format",
            ),
            f("seconds", Ty::Bool, "editor-f-seconds"),
            f("timezone", Ty::Line, "editor-f-timezone"),
            f("size", SIZE, "editor-f-size"),
            f("color", Ty::Color, "editor-f-color"),
            f("bold", Ty::Bool, "editor-f-bold"),
            f("align", Ty::Choice(ALIGNS), "editor-f-align"),
        ],
    },
    Kind {
        kind: "qr",
        label: "editor-kind-qr",
        fields: &[
            req("data", Ty::Long, "editor-f-data"),
            f("caption", Ty::Line, "editor-f-caption"),
            f("color", Ty::Color, "editor-f-color"),
            f("size", SIZE, "editor-f-size"),
        ],
    },
    Kind {
        kind: "video",
        label: "editor-kind-video",
        fields: &[
            req("src", Ty::Video, "editor-f-src"),
            f("fit", Ty::Choice(FITS), "editor-f-fit"),
            f("loop", Ty::Bool, "editor-f-loop"),
            f("mute", Ty::Bool, "editor-f-mute"),
            f(
                "volume",
                Ty::Num {
                    min: 0.0,
                    max: 1.0,
                    step: 0.05,
                },
                "editor-f-volume",
            ),
            f(
                "start",
                Ty::Num {
                    min: 0.0,
                    max: MAX_DURATION_S,
                    step: 0.1,
                },
                "editor-f-start",
            ),
        ],
    },
];

pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.kind == name)
}

/// A kind's fields, its own first, then the shared ones.
pub fn item_fields(k: &Kind) -> impl Iterator<Item = &'static Field> + use<> {
    let own: &'static [Field] = k.fields;
    own.iter().chain(SHARED.iter())
}

/// Every label key the table names (the catalogue test checks them).
#[cfg(test)]
pub fn label_keys() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = BOARD
        .iter()
        .chain(BOARD_MEDIA)
        .chain(ZONE_GEOMETRY)
        .chain(ZONE)
        .chain(SHARED)
        .map(|f| f.label)
        .collect();
    for k in KINDS {
        v.push(k.label);
        v.extend(k.fields.iter().map(|f| f.label));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field the table offers is one the layouts crate accepts for
    /// that kind: a form field the validator would refuse as "does not apply
    /// to this type" could never be saved.
    #[test]
    fn every_field_applies_to_its_kind() {
        use bangtin_layouts::raw::{RawItem, RawLayout};
        for k in KINDS {
            for fld in k.fields {
                let mut it: serde_json::Value = serde_json::json!({"type": k.kind});
                it[fld.name] = match fld.ty {
                    Ty::Int { min, .. } => serde_json::json!(min),
                    Ty::Num { min, .. } => serde_json::json!(min),
                    Ty::Bool => serde_json::json!(true),
                    Ty::Padding => serde_json::json!(4.0),
                    Ty::Choice(c) => serde_json::json!(c[0]),
                    Ty::Color => serde_json::json!("#123456"),
                    _ => serde_json::json!("x"),
                };
                let item: RawItem = serde_json::from_value(it).expect("raw item");
                let raw: RawLayout = serde_json::from_value(serde_json::json!({
                    "board": {"width": 640, "height": 360},
                    "zone": [{"id": "z", "x": 0, "y": 0, "width": 640, "height": 360, "item": [item]}],
                }))
                .expect("raw layout");
                if let Err(p) = bangtin_layouts::validate(&raw, std::path::Path::new("/")) {
                    assert!(
                        !p.iter().any(|p| p.message.contains("does not apply")),
                        "{} {}: {p:?}",
                        k.kind,
                        fld.name
                    );
                }
            }
        }
    }

    #[test]
    fn labels_are_in_the_catalogue() {
        let vi = crate::web::i18n::keys(crate::web::i18n::VI);
        let mut keys: Vec<String> = label_keys().into_iter().map(str::to_string).collect();
        for f in ZONE.iter().chain(KINDS.iter().flat_map(|k| k.fields)) {
            if let Ty::Choice(c) = f.ty {
                keys.extend(c.iter().map(|o| format!("editor-opt-{o}")));
            }
        }
        for k in keys {
            assert!(vi.contains(&k), "missing catalogue key {k}");
        }
    }
}
