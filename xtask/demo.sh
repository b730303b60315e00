#!/usr/bin/env bash
# Quick start, command 1: set up, build, and run the main job — the manager
# on its embedded store (out/demo/manager, created on first run with an
# administrator whose random password is printed and kept beside it) and a
# managed board: on first run it shows a pairing code, the script claims it
# like an officer would, uploads the layout's pictures, schedules the
# commune-office template and publishes; the board downloads, verifies and
# plays the signed show — in a window where a display exists, otherwise
# headless, writing the live frame to out/demo/frames/latest.png. Later
# runs play the cached show at once. Ctrl+C stops both.
#   bash xtask/demo.sh [LAYOUT.toml]
set -euo pipefail
cd "$(dirname "$0")/.."
source xtask/setup.sh
bangtin_setup
bangtin_build_release
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
board=out/demo/board
api="http://$listen/api/v1"
run_args=(run --manager "http://$listen" --config-dir "$board/config" --data-dir "$board/data" --size 1920x1080)
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "==> bảng tin trong cửa sổ 1280×720 (board in a window; the board itself runs fullscreen)"
  run_args+=(--window 1280x720+40+40)
else
  run_args+=(--headless --out-dir out/demo/frames --every 1)
fi
mkdir -p "$board"
if grep -qs '^credential' "$board/config/board.toml"; then
  # Paired before: the board plays its cached show at once, online or not.
  "$player" "${run_args[@]}"
  exit
fi
# First run: the board shows a pairing code; the demo plays the commune
# officer — claims it, uploads the layout's pictures, schedules the layout
# and publishes the signed show.
: > "$board/player.log"
"$player" "${run_args[@]}" > >(tee "$board/player.log") 2>&1 &
player_pid=$!
trap 'kill "$player_pid" "$manager_pid" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
code=""
for _ in $(seq 1 100); do
  code="$(sed -n 's/^Mã ghép nối (pairing code): //p' "$board/player.log" | tail -n1 || true)"
  [ -n "$code" ] && break
  sleep 0.2
done
[ -n "$code" ] || { echo "bảng tin không hiện mã ghép nối (no pairing code)" >&2; exit 1; }
pw="$(sed -n 's/^password: //p' "$data/admin-credentials.txt")"
jar="$(mktemp)"
csrf="$(curl -sf -c "$jar" -H 'content-type: application/json' \
  -d "$(jq -n --arg p "$pw" '{username: "quantri", password: $p}')" "$api/auth/login" | jq -r .csrf)"
token="$(curl -sf -b "$jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
  -d '{"name": "demo"}' "$api/tokens" | jq -r .token)"
rm -f "$jar"
call() { curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' "$@"; }
toml="$(cat "$layout")"
layout_dir="$(dirname "$layout")"
# Pictures named by the layout go into the commune's media library.
while read -r src; do
  [ -z "$src" ] && continue
  case "$src" in sha256:*) continue ;; esac
  sha="$(curl -sf -H "authorization: Bearer $token" -H 'content-type: application/octet-stream' \
    --data-binary "@$layout_dir/$src" "$api/units/05443/media?name=$(basename "$src")" | jq -r .sha256)"
  toml="${toml//\"$src\"/\"sha256:$sha\"}"
done < <(grep -oE '^(src|background_image) *= *"[^"]+"' "$layout" | sed -E 's/.*"([^"]+)"/\1/' | sort -u)
layout_id="$(call -d "$(jq -n --arg t "$toml" '{name: "Bảng tin trụ sở UBND xã", toml: $t}')" \
  "$api/units/05443/layouts" | jq -r .id)"
call -d "$(jq -n --arg l "$layout_id" '{name: "Lịch mặc định", target: {unit: "05443"}, schedule: {default_layout: $l}}')" \
  "$api/units/05443/schedules" > /dev/null
board_id="$(call -d "$(jq -n --arg c "$code" '{code: $c, name: "Bảng tin trụ sở UBND xã Định Hóa"}')" \
  "$api/units/05443/boards/claim" | jq -r .id)"
call -X POST "$api/boards/$board_id/publish" > /dev/null
echo "==> đã nhận bảng $board_id và phát hành chương trình (board claimed, show published)"
echo "==> trạng thái (status): curl -H 'authorization: Bearer $token' $api/boards/$board_id/status"
wait "$player_pid"
