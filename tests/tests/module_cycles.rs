//! No import cycles between the modules of a crate: a module names
//! (`use crate::…`, `super::…`, or a path in code) only modules below it
//! in the design, never one that names it back. Cycles are how a domain
//! ends up knowing HTTP, or a kiosk the board it hosts (issue #12).
//!
//! Every `.rs` file under a crate's `src/` is parsed with syn; every path
//! that starts with `crate`, `self` or `super` (in `use` trees and in
//! code) is resolved to the longest module it names. A module's own
//! ancestors and descendants do not count (nesting is not a cycle), nor
//! does code under `#[cfg(test)]`. The strongly connected sets of two or
//! more modules are the cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Module path (`api::ingest`) → file.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
                continue;
            }
            // A binary's own modules (src/bin/…) are another crate.
            if parts.first().is_some_and(|f| f == "bin") {
                continue;
            }
            out.insert(parts.join("::"), p);
        }
    }
    out
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().trim() == "test")
    })
}

/// Collects the crate-relative paths a file names, made absolute.
struct Refs<'a> {
    /// The module the file is, as segments.
    here: &'a [String],
    found: BTreeSet<Vec<String>>,
}

impl Refs<'_> {
    /// `segs` as written; absolute segments if it starts at the crate.
    fn absolute(&self, segs: &[String]) -> Option<Vec<String>> {
        let first = segs.first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.here.to_vec(),
            "super" => self.here.to_vec(),
            _ => return None,
        };
        let mut rest = &segs[1..];
        if first == "super" {
            base.pop();
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn add(&mut self, segs: &[String]) {
        if let Some(abs) = self.absolute(segs) {
            self.found.insert(abs);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, t: &syn::UseTree) {
        match t {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut s = prefix.clone();
                if n.ident != "self" {
                    s.push(n.ident.to_string());
                }
                self.add(&s);
            }
            syn::UseTree::Rename(r) => {
                let mut s = prefix.clone();
                if r.ident != "self" {
                    s.push(r.ident.to_string());
                }
                self.add(&s);
            }
            syn::UseTree::Glob(_) => {
                let s = prefix.clone();
                self.add(&s);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Refs<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        let attrs = match i {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(x) => &x.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => {
                syn::visit::visit_item(self, i);
                return;
            }
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, i);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.add(&segs);
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Paths inside macro calls (`tracing::info!`, `format!` …) are
        // tokens; the common `crate::x::y` ones are read from them.
        let toks: Vec<String> = m.tokens.to_string().split_whitespace().map(str::to_string).collect();
        let mut i = 0;
        while i < toks.len() {
            if matches!(toks[i].as_str(), "crate" | "super" | "self") {
                let mut segs = vec![toks[i].clone()];
                let mut j = i + 1;
                while j + 1 < toks.len() && toks[j] == "::" {
                    let id = toks[j + 1].trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
                    if id.is_empty() {
                        break;
                    }
                    segs.push(id.to_string());
                    j += 2;
                }
                self.add(&segs);
                i = j;
            } else {
                i += 1;
            }
        }
        syn::visit::visit_macro(self, m);
    }
}

fn related(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
}

/// Module → the modules it names (not its ancestors or descendants).
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(src);
    let mut g = BTreeMap::new();
    for (m, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let here: Vec<String> = m.split("::").map(str::to_string).collect();
        let mut r = Refs {
            here: &here,
            found: BTreeSet::new(),
        };
        r.visit_file(&ast);
        let mut to = BTreeSet::new();
        for segs in r.found {
            let target = (1..=segs.len())
                .rev()
                .map(|k| segs[..k].join("::"))
                .find(|c| mods.contains_key(c));
            if let Some(t) = target
                && !related(m, &t)
            {
                to.insert(t);
            }
        }
        g.insert(m.clone(), to);
    }
    g
}

/// Strongly connected sets of two or more modules (Tarjan).
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> T<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

fn report(src: &Path) -> Vec<String> {
    let g = graph(src);
    cycles(&g)
        .into_iter()
        .map(|c| {
            let edges: Vec<String> = c
                .iter()
                .flat_map(|a| g[a].iter().filter(|b| c.contains(b)).map(move |b| format!("{a} → {b}")))
                .collect();
            format!("{}: cycle of {}: {}", src.display(), c.join(", "), edges.join("; "))
        })
        .collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn no_module_of_the_player_manager_or_layouts_names_one_that_names_it_back() {
    let mut bad = Vec::new();
    for krate in ["manager", "player", "layouts"] {
        let src = root().join(krate).join("src");
        assert!(graph(&src).len() > 5, "{krate}: modules found");
        bad.extend(report(&src));
    }
    assert!(bad.is_empty(), "import cycles:\n{}", bad.join("\n"));
}

/// The check finds what it is for: a cycle through `use`, `super::`, a
/// path in code and one in a macro call; nesting and test code do not count.
#[test]
fn the_check_finds_a_cycle_and_only_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |p: &str, t: &str| {
        let f = src.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, t).unwrap();
    };
    write("lib.rs", "pub mod a; pub mod b; pub mod c; pub mod api;");
    write("a.rs", "use crate::b::Thing; pub fn f() {}");
    write("b.rs", "pub struct Thing; pub fn g() { crate::c::h(); }");
    write("c.rs", "pub fn h() { tracing::info!(\"{}\", crate::a::f()); }");
    write("api/mod.rs", "pub mod ingest; use self::ingest::x; pub fn y() {}");
    write(
        "api/ingest.rs",
        "pub fn x() { super::y(); }\n#[cfg(test)] mod tests { use crate::a::f; }",
    );
    let found = cycles(&graph(src));
    assert_eq!(found, vec![vec!["a".to_string(), "b".into(), "c".into()]], "{found:?}");
    // A test module naming upward is no cycle; nor is a parent naming its child.
    write(
        "b.rs",
        "pub struct Thing; pub fn g() {}\n#[cfg(test)] mod tests { use crate::c::h; }",
    );
    assert!(cycles(&graph(src)).is_empty(), "{:?}", cycles(&graph(src)));
}
