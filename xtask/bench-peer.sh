#!/usr/bin/env bash
# Side by side with the peer most signage players are built on: a Chromium
# kiosk showing ../shared/bench/chromium-peer/page.html, and bangtin-player
# showing the same board (layouts/templates/chromium-peer-1920x1080.toml,
# with the page's own picture), each measured by that folder's measure.sh
# in the same run: CPU of the program and of the X server, PSS, and time to
# visually complete. PAGE=video measures page-video.html instead: the same
# board with a looping 720p H.264 video (muted) in the picture zone. Beside
# them, the floor: bangtin-floor (player/floor), a bare wgpu program that
# draws one quad headless on the same driver, measured the same way.
#   bash xtask/bench-peer.sh            # 3 runs each, 30 s windows
#   RUNS=1 WINDOW=10 bash xtask/bench-peer.sh
#   PAGE=video bash xtask/bench-peer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source xtask/setup.sh
bangtin_setup
peer="${BANGTIN_PEER_DIR:-../shared/bench/chromium-peer}"
[ -x "$peer/measure.sh" ] || { echo "không thấy $peer/measure.sh (peer folder missing)" >&2; exit 1; }
if ! command -v chromium >/dev/null; then
  echo "==> cài chromium (installing chromium)"
  _bangtin_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium python3
fi
bangtin_build_release -p bangtin-floor
runs="${RUNS:-3}"; window="${WINDOW:-30}"
site="$(mktemp -d /tmp/bangtin-peer.XXXXXX)"
out="${OUT:-out/bench-peer-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
"$peer/measure.sh" --gen-media "$site"
html=page.html
if [ "${PAGE:-image}" = video ]; then
  html=page-video.html
  python3 - "$site" <<'PY'
import sys
site = sys.argv[1]
t = open("layouts/templates/chromium-peer-1920x1080.toml").read()
old = 'type = "image"\nsrc = "media/ruong-bac-thang.jpg"\nfit = "fill"\n'
assert old in t
t = t.replace(old, f'type = "video"\nsrc = "{site}/video.mp4"\nfit = "fill"\nloop = true\nmute = true\n')
open(f"{site}/peer.toml", "w").write(t)
PY
else
  sed "s|src = \"media/ruong-bac-thang.jpg\"|src = \"$site/image.png\"|" \
    layouts/templates/chromium-peer-1920x1080.toml > "$site/peer.toml"
fi
B="--no-first-run --noerrdialogs --disable-background-networking --disable-component-update --disable-sync \
--disable-quic --no-sandbox --user-data-dir={tmp}/profile --window-size=1920,1080 --enable-logging=stderr --v=0"
# shellcheck disable=SC2086
"$peer/measure.sh" --runs "$runs" --window "$window" --label chromium --out "$out/chromium" --shot "$out/chromium.png" \
  -- chromium --kiosk $B --window-position=0,0 --disable-gpu "file://$site/$html"
"$peer/measure.sh" --runs "$runs" --window "$window" --label bangtin --out "$out/bangtin" --shot "$out/bangtin.png" \
  -- "$PWD/target/release/bangtin-player" run --layout "$site/peer.toml"
"$peer/measure.sh" --runs "$runs" --window "$window" --label floor --out "$out/floor" --no-grab \
  -- "$PWD/target/release/bangtin-floor" --hold
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
s = {k: json.load(open(f"{out}/{k}/summary.json"))["stats"] for k in ("chromium", "bangtin", "floor")}
def med(k, m): return s[k][m]["median"] if m in s[k] else float("nan")
rows = []
for k in ("chromium", "bangtin"):
    rows.append((k, med(k, "cpu_pct_one_core"), med(k, "xvfb_cpu_pct_one_core"),
                 med(k, "cpu_pct_one_core") + med(k, "xvfb_cpu_pct_one_core"),
                 med(k, "pss_mib_mean"), med(k, "visual_complete_ms")))
print("\n| program | CPU % | X server % | whole machine % | PSS MiB | visually complete ms |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| %s | %.1f | %.1f | %.1f | %.0f | %.0f |" % r)
c, b = rows
print("| bangtin ÷ chromium | | | %.2f× | %.2f× | %.2f× |" % (b[3] / c[3], b[4] / c[4], b[5] / c[5]))
print("| floor: bare wgpu, one quad, headless | | | | %.0f | |" % med("floor", "pss_mib_mean"))
PY
echo "kết quả (results): $out"
