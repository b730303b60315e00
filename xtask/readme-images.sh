#!/usr/bin/env bash
# Render the frames shown in the README into images/ (the same frames the
# golden-image tests render: Monday 23/11/2026 14:05:09, Asia/Ho_Chi_Minh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p bangtin-player -p bangtin-video
bin=./target/debug/bangtin-player
at=2026-11-23T14:05:09+07:00
for t in commune-office-1920x1080 portrait-1080x1920 chromium-peer-1920x1080 led-384x192; do
  $bin render --layout "layouts/templates/$t.toml" --at "$at" --out "images/$t.png"
done
# The LED board shown with each LED as a 2×2 block, as it looks from the square.
ffmpeg -nostdin -loglevel error -y -i images/led-384x192.png -vf scale=768:384:flags=neighbor images/led-384x192-2x.png
rm images/led-384x192.png
