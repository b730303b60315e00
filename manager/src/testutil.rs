//! Helpers the library's own unit tests share. The integration tests
//! (`manager/tests/`) have the same in the shared harness
//! (`bangtin_tests::harness::files`); unit tests cannot use that crate
//! without building this library a second time behind it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Every file and directory under `dir`, with its size and mtime.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            // Links as links: a test may plant one, and its target is not
            // under `dir`.
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            out.insert(e.path(), (m.len(), m.modified().unwrap()));
            if m.is_dir() {
                todo.push(e.path());
            }
        }
    }
    out
}
