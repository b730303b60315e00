//! A layout as the editor's form holds it: every value as typed, named by
//! the validator's own field paths (`zone[1].item[0].speed`), so an error
//! the layouts crate reports lands on the input of the same name. Read
//! from a posted form, from a saved layout, and turned into the layout
//! document the API takes.

use super::kinds::{self, Field, Ty};
use bangtin_layouts::raw::RawLayout;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct ItemDraft {
    pub kind: String,
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct ZoneDraft {
    pub values: BTreeMap<String, String>,
    pub items: Vec<ItemDraft>,
}

#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The saved layout this draft edits (none: a new layout).
    pub id: Option<String>,
    pub unit: String,
    pub name: String,
    pub board: BTreeMap<String, String>,
    pub zones: Vec<ZoneDraft>,
}

/// Largest index a posted form may use: the validator's own limits, so a
/// crafted form cannot make the manager build huge lists.
const MAX_ZONE_INDEX: usize = bangtin_layouts::validate::MAX_ZONES;
const MAX_ITEM_INDEX: usize = bangtin_layouts::validate::MAX_ITEMS_PER_ZONE;

/// A zone's posted fields and its items by their posted index.
type PostedZone = (BTreeMap<String, String>, BTreeMap<usize, ItemDraft>);

/// `zone[3]` → ("zone", 3) from the front of `s`, with the rest after `.`.
fn indexed<'a>(s: &'a str, name: &str) -> Option<(usize, &'a str)> {
    let rest = s.strip_prefix(name)?.strip_prefix('[')?;
    let (n, rest) = rest.split_once(']')?;
    let i: usize = n.parse().ok()?;
    Some((i, rest.strip_prefix('.').unwrap_or(rest)))
}

impl Draft {
    /// Read the posted fields. Zones and items come in the order of their
    /// indices (the page renumbers them after a drag).
    pub fn from_form(kv: &[(String, String)]) -> Draft {
        let mut d = Draft::default();
        let mut zones: BTreeMap<usize, PostedZone> = BTreeMap::new();
        for (k, v) in kv {
            match k.as_str() {
                "id" => d.id = Some(v.clone()).filter(|v| !v.is_empty()),
                "unit" => d.unit = v.clone(),
                "name" => d.name = v.clone(),
                _ => {}
            }
            if let Some(f) = k.strip_prefix("board.") {
                d.board.insert(f.to_string(), v.clone());
                continue;
            }
            let Some((zi, rest)) = indexed(k, "zone") else { continue };
            if zi >= MAX_ZONE_INDEX {
                continue;
            }
            let z = zones.entry(zi).or_default();
            if let Some((ii, field)) = indexed(rest, "item") {
                if ii >= MAX_ITEM_INDEX || field.is_empty() {
                    continue;
                }
                let it = z.1.entry(ii).or_default();
                if field == "type" {
                    it.kind = v.clone();
                } else {
                    it.values.insert(field.to_string(), v.clone());
                }
            } else if !rest.is_empty() {
                z.0.insert(rest.to_string(), v.clone());
            }
        }
        d.zones = zones
            .into_values()
            .map(|(values, items)| ZoneDraft {
                values,
                items: items.into_values().collect(),
            })
            .collect();
        d
    }

    /// The draft of a saved layout.
    pub fn from_layout(id: Option<String>, unit: &str, name: &str, raw: &RawLayout) -> Draft {
        let doc = serde_json::to_value(raw).unwrap_or(Value::Null);
        let board = doc.get("board").cloned().unwrap_or(Value::Null);
        Draft {
            id,
            unit: unit.to_string(),
            name: name.to_string(),
            board: strings(&board, kinds::BOARD.iter().chain(kinds::BOARD_MEDIA)),
            zones: doc
                .get("zone")
                .and_then(Value::as_array)
                .map(|zs| {
                    zs.iter()
                        .map(|z| ZoneDraft {
                            values: strings(z, kinds::ZONE.iter().chain(kinds::ZONE_GEOMETRY)),
                            items: z
                                .get("item")
                                .and_then(Value::as_array)
                                .map(|its| {
                                    its.iter()
                                        .map(|it| {
                                            let kind = it.get("type").and_then(Value::as_str).unwrap_or("").to_string();
                                            let fields: Vec<&Field> = match kinds::kind(&kind) {
                                                Some(k) => kinds::item_fields(k).collect(),
                                                None => Vec::new(),
                                            };
                                            ItemDraft {
                                                values: strings(it, fields.into_iter()),
                                                kind,
                                            }
                                        })
                                        .collect()
                                })
                                .unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The layout document, or the fields whose text is not of their type
    /// (path, catalogue key of the message). The rules — ranges, edges,
    /// required fields — are the validator's, not checked here.
    pub fn to_layout(&self) -> Result<RawLayout, Vec<(String, &'static str)>> {
        let mut errs = Vec::new();
        let board = object(
            &self.board,
            kinds::BOARD.iter().chain(kinds::BOARD_MEDIA),
            "board",
            &mut errs,
        );
        let zones: Vec<Value> = self
            .zones
            .iter()
            .enumerate()
            .map(|(zi, z)| {
                let p = format!("zone[{zi}]");
                let mut o = object(&z.values, kinds::ZONE.iter().chain(kinds::ZONE_GEOMETRY), &p, &mut errs);
                let items: Vec<Value> = z
                    .items
                    .iter()
                    .enumerate()
                    .map(|(ii, it)| {
                        let ip = format!("{p}.item[{ii}]");
                        match kinds::kind(it.kind.trim()) {
                            Some(k) => {
                                let mut o = object(&it.values, kinds::item_fields(k), &ip, &mut errs);
                                o.insert("type".into(), json!(k.kind));
                                Value::Object(o)
                            }
                            // The validator names an unknown type.
                            None => json!({"type": it.kind}),
                        }
                    })
                    .collect();
                if !items.is_empty() {
                    o.insert("item".into(), Value::Array(items));
                }
                Value::Object(o)
            })
            .collect();
        let doc = json!({"board": Value::Object(board), "zone": zones});
        if !errs.is_empty() {
            return Err(errs);
        }
        serde_json::from_value(doc).map_err(|_| vec![("layout".to_string(), "editor-bad-form")])
    }

    /// The board's size as typed, when it is a number.
    pub fn board_size(&self) -> (i64, i64) {
        let n = |k: &str, d| self.board.get(k).and_then(|v| v.trim().parse().ok()).unwrap_or(d);
        (n("width", 1920).max(1), n("height", 1080).max(1))
    }
}

/// The fields of `v` named in `fields`, as the editor shows them.
fn strings<'a>(v: &Value, fields: impl Iterator<Item = &'a Field>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in fields {
        let Some(x) = v.get(f.name) else { continue };
        let s = match x {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(a) => a.iter().map(Value::to_string).collect::<Vec<_>>().join(", "),
            Value::Object(_) => continue,
        };
        out.insert(f.name.to_string(), s);
    }
    out
}

/// A number as officers type it: a Vietnamese decimal comma is fine.
fn number(s: &str) -> Option<f64> {
    s.trim().replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The typed fields of one table; an empty input leaves its field out (the
/// layout's default applies).
fn object<'a>(
    vals: &BTreeMap<String, String>,
    fields: impl Iterator<Item = &'a Field>,
    prefix: &str,
    errs: &mut Vec<(String, &'static str)>,
) -> Map<String, Value> {
    let mut o = Map::new();
    for f in fields {
        let Some(raw) = vals.get(f.name) else { continue };
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let path = format!("{prefix}.{}", f.name);
        let v = match f.ty {
            Ty::Int { .. } => match t.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) => {
                    errs.push((path, "editor-not-integer"));
                    continue;
                }
            },
            Ty::Num { .. } => match number(t) {
                Some(n) => json!(n),
                None => {
                    errs.push((path, "editor-not-number"));
                    continue;
                }
            },
            Ty::Bool => match t {
                "true" => json!(true),
                "false" => json!(false),
                _ => {
                    errs.push((path, "editor-bad-choice"));
                    continue;
                }
            },
            Ty::Padding => {
                let parts: Vec<Option<f64>> = t.split([',', ';', ' ']).filter(|p| !p.is_empty()).map(number).collect();
                match parts[..] {
                    [Some(a)] => json!(a),
                    [Some(a), Some(b)] => json!([a, b]),
                    _ => {
                        errs.push((path, "editor-bad-padding"));
                        continue;
                    }
                }
            }
            // Long text keeps its line breaks, in the document's form.
            Ty::Long => json!(raw.replace("\r\n", "\n")),
            Ty::Line => json!(raw),
            Ty::Choice(_) | Ty::Color | Ty::Picture | Ty::Video | Ty::When => json!(t),
        };
        o.insert(f.name.to_string(), v);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template read into the form and back is the same document.
    #[test]
    fn a_layout_survives_the_form() {
        let text = std::fs::read_to_string(bangtin_layouts::templates::path("commune-office-1920x1080")).unwrap();
        let raw = bangtin_layouts::parse_raw(&text, std::path::Path::new("t.toml")).unwrap();
        let d = Draft::from_layout(None, "05443", "x", &raw);
        let mut kv = vec![("name".to_string(), "x".to_string())];
        for (k, v) in &d.board {
            kv.push((format!("board.{k}"), v.clone()));
        }
        for (zi, z) in d.zones.iter().enumerate() {
            for (k, v) in &z.values {
                kv.push((format!("zone[{zi}].{k}"), v.clone()));
            }
            for (ii, it) in z.items.iter().enumerate() {
                kv.push((format!("zone[{zi}].item[{ii}].type"), it.kind.clone()));
                for (k, v) in &it.values {
                    kv.push((format!("zone[{zi}].item[{ii}].{k}"), v.clone()));
                }
            }
        }
        kv.reverse();
        let back = Draft::from_form(&kv).to_layout().unwrap();
        assert_eq!(back, raw);
    }

    #[test]
    fn bad_numbers_are_named_by_path() {
        let kv: Vec<(String, String)> = [
            ("board.width", "640"),
            ("board.height", "abc"),
            ("zone[0].id", "a"),
            ("zone[0].item[0].type", "ticker"),
            ("zone[0].item[0].speed", "nhanh"),
            ("zone[0].item[0].size", "12,5"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let e = Draft::from_form(&kv).to_layout().unwrap_err();
        assert_eq!(
            e,
            vec![
                ("board.height".to_string(), "editor-not-integer"),
                ("zone[0].item[0].speed".to_string(), "editor-not-number")
            ]
        );
    }
}
