//! Compiles the web UI's static files (our own in `web/static/`, the
//! vendored ones in `web/vendor/`) into the binary under content-hashed
//! names, so browsers may cache them for a year and never see a stale one.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut out = String::from(
        "/// (logical name, hashed name, content type, bytes)\npub static FILES: &[(&str, &str, &str, &[u8])] = &[\n",
    );
    for dir in ["static", "vendor"] {
        let d = root.join(dir);
        println!("cargo:rerun-if-changed={}", d.display());
        let mut names: Vec<_> = std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        names.sort();
        for p in names {
            let name = p.file_name().and_then(|n| n.to_str()).expect("utf-8 name").to_string();
            let Some((stem, ext)) = name.rsplit_once('.') else {
                continue;
            };
            let ctype = match ext {
                "js" => "text/javascript; charset=utf-8",
                "css" => "text/css; charset=utf-8",
                "svg" => "image/svg+xml",
                "png" => "image/png",
                "ico" => "image/x-icon",
                _ => continue,
            };
            println!("cargo:rerun-if-changed={}", p.display());
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let hash = hex8(&Sha256::digest(&bytes));
            let hashed = format!("{stem}.{hash}.{ext}");
            writeln!(
                out,
                "    ({name:?}, {hashed:?}, {ctype:?}, include_bytes!({:?})),",
                p.display().to_string()
            )
            .expect("write to string");
        }
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("assets.rs");
    std::fs::write(dest, out).expect("write assets.rs");
}

fn hex8(d: &[u8]) -> String {
    d.iter().take(5).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
