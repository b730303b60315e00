//! What the editor page shows, built from the draft and the field table:
//! each input with its name (the validator's path), id, label, value,
//! browser hints and the error at it.

use super::draft::Draft;
use super::kinds::{self, Field, Ty};
use crate::model::{Media, MediaKind};
use crate::state::AppState;
use crate::store::StoreExt;
use crate::web::page::Ctx;
use chrono::Utc;
use chrono_tz::Tz;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One input of the form.
#[derive(Debug, Clone)]
pub struct Input {
    /// The validator's path, e.g. `zone[1].item[0].speed`.
    pub name: String,
    pub id: String,
    /// For the browser tests: the field's own name (`x`, `speed`…).
    pub field: &'static str,
    pub label: String,
    /// "number", "text", "textarea" or "select".
    pub control: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub min: String,
    pub max: String,
    pub step: String,
    pub placeholder: String,
    pub required: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ItemView {
    pub zone: usize,
    pub index: usize,
    pub kind: String,
    pub title: String,
    pub own: Vec<Input>,
    pub shared: Vec<Input>,
    pub first: bool,
    pub last: bool,
    /// The shared fields' section starts open when one has an error.
    pub more_open: bool,
}

#[derive(Debug, Clone)]
pub struct ZoneView {
    pub index: usize,
    pub title: String,
    /// The rectangle on the drawing (board pixels).
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub fill: String,
    pub geometry: Vec<Input>,
    pub fields: Vec<Input>,
    pub items: Vec<ItemView>,
    pub more_open: bool,
}

#[derive(Debug, Clone)]
pub struct EditorView {
    pub id: Option<String>,
    pub unit: String,
    pub name: Input,
    pub board: Vec<Input>,
    pub bw: i64,
    pub bh: i64,
    /// Grid the zones snap to, board pixels.
    pub snap: i64,
    pub zones: Vec<ZoneView>,
    /// Errors at no input of the page.
    pub general: Vec<String>,
    pub any_error: bool,
    pub kinds: Vec<(&'static str, String)>,
    /// (current version, version shown).
    /// "Version 3 (the current one is 4; …)".
    pub version_title: Option<String>,
    pub saved_msg: Option<String>,
    pub can_write: bool,
    pub preview_at: String,
    pub preview_src: Option<String>,
}

/// The unit's library, for the picture and video choices.
pub fn library(s: &AppState, unit: &str) -> Vec<Media> {
    let mut m: Vec<Media> = s
        .store
        .scan_json::<Media>(&format!("media/{unit}/"))
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.unit == unit)
        .collect();
    m.sort_by(|a, b| a.name.cmp(&b.name));
    m
}

fn html_id(path: &str) -> String {
    let mut s = String::from("f-");
    for c in path.chars() {
        match c {
            '[' | '.' => s.push('-'),
            ']' => {}
            c => s.push(c),
        }
    }
    s
}

struct Builder<'a> {
    ctx: &'a Ctx,
    errors: &'a [(String, String)],
    used: Vec<String>,
    media: &'a [Media],
}

impl Builder<'_> {
    fn input(&mut self, f: &Field, path: String, vals: &BTreeMap<String, String>) -> Input {
        let value = vals.get(f.name).cloned().unwrap_or_default();
        let error = self
            .errors
            .iter()
            .filter(|(p, _)| *p == path)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>();
        self.used.push(path.clone());
        let error = (!error.is_empty()).then(|| error.join(" "));
        let (mut min, mut max, mut step) = (String::new(), String::new(), String::new());
        let mut options = Vec::new();
        let mut placeholder = String::new();
        let control = match f.ty {
            Ty::Int { min: lo, max: hi } => {
                (min, max, step) = (lo.to_string(), hi.to_string(), "1".into());
                "number"
            }
            Ty::Num {
                min: lo,
                max: hi,
                step: st,
            } => {
                (min, max, step) = (lo.to_string(), hi.to_string(), st.to_string());
                // `number` refuses a decimal comma in some browsers' locales;
                // the server reads both.
                "text"
            }
            Ty::Long => "textarea",
            Ty::Bool => {
                options = [("", "editor-default"), ("true", "editor-yes"), ("false", "editor-no")]
                    .iter()
                    .map(|(v, k)| Opt {
                        value: v.to_string(),
                        label: self.ctx.t(k),
                        selected: value == *v,
                    })
                    .collect();
                "select"
            }
            Ty::Choice(c) => {
                options.push(Opt {
                    value: String::new(),
                    label: self.ctx.t("editor-default"),
                    selected: value.is_empty(),
                });
                for o in c {
                    options.push(Opt {
                        value: o.to_string(),
                        label: self.ctx.t(&format!("editor-opt-{o}")),
                        selected: value == *o,
                    });
                }
                "select"
            }
            Ty::Picture | Ty::Video => {
                let want = if f.ty == Ty::Picture {
                    MediaKind::Image
                } else {
                    MediaKind::Video
                };
                options.push(Opt {
                    value: String::new(),
                    label: self.ctx.t("editor-pick-media"),
                    selected: value.is_empty(),
                });
                for m in self.media.iter().filter(|m| m.kind == want) {
                    let v = format!("sha256:{}", m.sha256);
                    options.push(Opt {
                        selected: value == v,
                        value: v,
                        label: m.name.clone(),
                    });
                }
                "select"
            }
            Ty::Color => {
                placeholder = "#rrggbb".into();
                "text"
            }
            Ty::When => {
                placeholder = "2026-11-23 07:00".into();
                "text"
            }
            Ty::Padding => {
                placeholder = "40, 56".into();
                "text"
            }
            Ty::Line => "text",
        };
        // A value the choices do not list (an alias such as "fade", a file
        // gone from the library) stays visible and is kept.
        if control == "select" && !value.is_empty() && !options.iter().any(|o| o.selected) {
            options.push(Opt {
                value: value.clone(),
                label: value.clone(),
                selected: true,
            });
        }
        Input {
            id: html_id(&path),
            name: path,
            field: f.name,
            label: self.ctx.t(f.label),
            control,
            value,
            options,
            min,
            max,
            step,
            placeholder,
            required: f.required,
            error,
        }
    }
}

fn int(v: Option<&String>, d: i64) -> i64 {
    v.and_then(|v| v.trim().parse().ok()).unwrap_or(d)
}

/// A fill for the drawing: the zone's colour when it is one.
fn fill(v: Option<&String>) -> String {
    match v.map(|s| s.trim()) {
        Some(c) if c.parse::<bangtin_layouts::Color>().is_ok() && c.len() <= 9 => c.to_string(),
        _ => "#dfe6ee".into(),
    }
}

impl EditorView {
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        ctx: &Ctx,
        d: &Draft,
        errors: &[(String, String)],
        media: &[Media],
        versions: Option<(u32, u32)>,
        saved: Option<u32>,
        can_write: bool,
        tz: Tz,
    ) -> EditorView {
        let mut b = Builder {
            ctx,
            errors,
            used: Vec::new(),
            media,
        };
        let mut top = BTreeMap::new();
        top.insert("name".to_string(), d.name.clone());
        let name_field = Field {
            name: "name",
            ty: Ty::Line,
            required: true,
            label: "editor-f-name",
        };
        let name = b.input(&name_field, "name".into(), &top);
        let board: Vec<Input> = kinds::BOARD
            .iter()
            .chain(kinds::BOARD_MEDIA)
            .map(|f| b.input(f, format!("board.{}", f.name), &d.board))
            .collect();
        let (bw, bh) = d.board_size();
        let zones = d
            .zones
            .iter()
            .enumerate()
            .map(|(zi, z)| {
                let p = format!("zone[{zi}]");
                let geometry = kinds::ZONE_GEOMETRY
                    .iter()
                    .map(|f| b.input(f, format!("{p}.{}", f.name), &z.values))
                    .collect();
                let fields: Vec<Input> = kinds::ZONE
                    .iter()
                    .map(|f| b.input(f, format!("{p}.{}", f.name), &z.values))
                    .collect();
                let n = z.items.len();
                let items = z
                    .items
                    .iter()
                    .enumerate()
                    .map(|(ii, it)| {
                        let ip = format!("{p}.item[{ii}]");
                        let k = kinds::kind(it.kind.trim());
                        let own = k.map_or(Vec::new(), |k| {
                            k.fields
                                .iter()
                                .map(|f| b.input(f, format!("{ip}.{}", f.name), &it.values))
                                .collect()
                        });
                        let shared: Vec<Input> = kinds::SHARED
                            .iter()
                            .map(|f| b.input(f, format!("{ip}.{}", f.name), &it.values))
                            .collect();
                        let more_open = shared.iter().any(|i| i.error.is_some());
                        ItemView {
                            more_open,
                            zone: zi,
                            index: ii,
                            kind: it.kind.clone(),
                            title: format!("{}. {}", ii + 1, k.map_or(it.kind.clone(), |k| ctx.t(k.label))),
                            own,
                            shared,
                            first: ii == 0,
                            last: ii + 1 == n,
                        }
                    })
                    .collect();
                ZoneView {
                    index: zi,
                    title: ctx.ta("editor-zone-title", "id", z.values.get("id").map_or("", |s| s.as_str())),
                    x: int(z.values.get("x"), 0),
                    y: int(z.values.get("y"), 0),
                    w: int(z.values.get("width"), 1).max(1),
                    h: int(z.values.get("height"), 1).max(1),
                    fill: fill(z.values.get("background")),
                    geometry,
                    more_open: fields.iter().any(|i| i.error.is_some()),
                    fields,
                    items,
                }
            })
            .collect();
        let general: Vec<String> = errors
            .iter()
            .filter(|(p, _)| !b.used.contains(p))
            .map(|(p, m)| if p.is_empty() { m.clone() } else { format!("{p}: {m}") })
            .collect();
        let preview_at = Utc::now().with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
        let preview_src = match (&d.id, versions) {
            (Some(id), Some((_, shown))) => Some(format!("/layouts/{id}/versions/{shown}/preview.png?at={preview_at}")),
            _ => None,
        };
        EditorView {
            id: d.id.clone(),
            unit: d.unit.clone(),
            name,
            board,
            bw,
            bh,
            snap: (bw.max(bh) / 96).clamp(1, 40),
            zones,
            any_error: !errors.is_empty(),
            general,
            kinds: kinds::KINDS.iter().map(|k| (k.kind, ctx.t(k.label))).collect(),
            version_title: versions.map(|(current, shown)| {
                let t = ctx.tn("editor-version-n", i64::from(shown));
                if shown == current {
                    t
                } else {
                    format!("{t} ({})", ctx.tn("editor-editing-old", i64::from(current)))
                }
            }),
            saved_msg: saved.map(|n| ctx.tn("editor-saved", i64::from(n))),
            can_write,
            preview_at,
            preview_src,
        }
    }
}
