#!/usr/bin/env bash
# Quick start, command 1: set up, build, and run the main job — the manager
# on its embedded store (out/demo/manager, created on first run with an
# administrator whose random password is printed and kept beside it) and a
# board showing the commune-office template: in a window where a display
# exists, otherwise headless, writing the live frame to
# out/demo/frames/latest.png. Ctrl+C stops both.
#   bash xtask/demo.sh [LAYOUT.toml]
set -euo pipefail
cd "$(dirname "$0")/.."
source xtask/setup.sh
bangtin_setup
cargo build --release -p bangtin-player -p bangtin-manager
layout="${1:-layouts/templates/commune-office-1920x1080.toml}"
player=./target/release/bangtin-player
manager=./target/release/bangtin-manager
data=out/demo/manager
listen="${BANGTIN_DEMO_LISTEN:-127.0.0.1:8080}"

"$player" check --layout "$layout"
if [ ! -d "$data/db" ]; then
  mkdir -p "$data"
  "$manager" --data "$data" admin create-unit --code 19 --name "Tỉnh Thái Nguyên"
  "$manager" --data "$data" admin create-unit --code 05443 --name "Xã Định Hóa" --parent 19
  # No default passwords: a random one, shown once and kept (0600) beside the data.
  pw="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
  printf '%s\n' "$pw" | "$manager" --data "$data" admin create-user --username quantri --role admin
  (umask 077; printf 'username: quantri\npassword: %s\n' "$pw" > "$data/admin-credentials.txt")
  echo "==> tài khoản quản trị (administrator): quantri / $pw  — lưu tại $data/admin-credentials.txt"
fi
"$manager" --data "$data" serve --listen "$listen" &
manager_pid=$!
trap 'kill "$manager_pid" 2>/dev/null || true; wait "$manager_pid" 2>/dev/null || true' EXIT
sleep 1
kill -0 "$manager_pid" 2>/dev/null || { echo "máy chủ quản lý không chạy được trên $listen (set BANGTIN_DEMO_LISTEN)" >&2; exit 1; }
echo "==> API: http://$listen/api/v1 — tài liệu OpenAPI: http://$listen/api/openapi.json"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "==> bảng tin trong cửa sổ 1280×720 (board in a window; the board itself runs fullscreen)"
  "$player" run --layout "$layout" --window 1280x720+40+40
else
  "$player" run --layout "$layout" --headless --out-dir out/demo/frames --every 1
fi
