#!/usr/bin/env bash
# Quick start, command 2: set up, then every check and test — formatting,
# lints, unit, golden-image (lavapipe), CLI and kiosk-window (Xvfb) tests.
#   bash xtask/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source xtask/setup.sh
bangtin_setup
bangtin_fetch_axe
echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> docs: every link resolves (xtask/doclinks.py)"
python3 xtask/doclinks.py
echo "==> cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test (includes tests/tests/module_cycles.rs: no import cycle between modules)"
cargo test --workspace --locked --no-fail-fast
echo "==> mọi kiểm thử đều đạt (all tests passed)"
