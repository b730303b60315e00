#!/usr/bin/env bash
# Quick start, command 2: set up, then every check and test — formatting,
# lints, unit, golden-image (lavapipe), CLI and kiosk-window (Xvfb) tests,
# then the API contract (Schemathesis, xtask/contract.sh) and the Debian
# packages as installed (xtask/package-test.sh).
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
echo "==> cargo build -p bangtin-video (the player's FFmpeg library, which cargo test does not build: no test links it)"
cargo build --locked -p bangtin-video
echo "==> cargo test (includes tests/tests/module_cycles.rs: no import cycle between modules)"
cargo test --workspace --locked --no-fail-fast
echo "==> hợp đồng OpenAPI: Schemathesis against a real manager (xtask/contract.sh)"
# The manager cargo test has just built for its integration tests.
BANGTIN_MANAGER="${CARGO_TARGET_DIR:-target}/debug/bangtin-manager" bash xtask/contract.sh
echo "==> gói Debian (xtask/package-test.sh: the packages of the binaries cargo test built)"
bash xtask/package-test.sh
echo "==> mọi kiểm thử đều đạt (all tests passed)"
