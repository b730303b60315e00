//! The manager validates layouts with the player's rules (shared crate).

use std::process::Command;

#[test]
fn check_layout_accepts_templates_and_names_errors() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let ok = Command::new(env!("CARGO_BIN_EXE_bangtin-manager"))
        .arg("check-layout")
        .arg(root.join("layouts/templates/led-384x192.toml"))
        .output()
        .unwrap();
    assert!(ok.status.success());
    let dir = std::env::temp_dir().join(format!("bangtin-mgr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[board]\nwidth = 10\nheight = 96\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_bangtin-manager"))
        .arg("check-layout")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("bad.toml:2:1: trường `board.width`"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
