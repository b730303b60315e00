#!/usr/bin/env bash
# Quick start, command 1: set up, build, and run a board showing the commune
# office template — in a window where a display exists, otherwise headless,
# writing the live frame to out/frames/latest.png. Ctrl+C stops it.
#   bash xtask/demo.sh [LAYOUT.toml]
set -euo pipefail
cd "$(dirname "$0")/.."
source xtask/setup.sh
bangtin_setup
cargo build --release -p bangtin-player -p bangtin-manager
layout="${1:-layouts/templates/commune-office-1920x1080.toml}"
./target/release/bangtin-player check --layout "$layout"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "==> bảng tin trong cửa sổ 1280×720 (board in a window; the board itself runs fullscreen)"
  exec ./target/release/bangtin-player run --layout "$layout" --window 1280x720+40+40
else
  exec ./target/release/bangtin-player run --layout "$layout" --headless --out-dir out/frames --every 1
fi
