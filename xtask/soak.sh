#!/usr/bin/env bash
# Soak benchmark of the board (issue #11): memory over long playback.
# Each scenario runs `bangtin-player soak` for SECONDS of board time
# (default 1800, 30 minutes), reading RSS and PSS every 30 s, and reports
# the growth after the 2-minute warm-up (target: < 2 %).
#
#   a  loop      the Chromium-peer board (1920×1080) with a looping 20 s
#                1280×720 H.264 clip in its picture zone, ticker and clock
#   b  playlist  three clips and two pictures in one zone, crossfades
#   c  sound     a clip with sound played to a paced ALSA device (real time)
#   d  alerts    board a, an emergency screen for 15 s every minute, each
#                one different (colours, text, sizes)
#   f  shows     show changes: the commune-office and peer templates and
#                boards a and b in turn, a new one every 20 s (new scenes,
#                pictures, text), an emergency every 80 s; sampled every
#                80 s, once per turn of the four, so each sample sees the
#                same screen
#   e  shm / surface   board a in the kiosk window on Xvfb, both present paths
#   g  rounds    issue #14's player soak, in real time: the peer board
#                (ticker, clock, text) whose picture zone is a looping
#                playlist with 800 ms crossfades — the 20 s clip looping
#                in a 30 s slot, two more clips, two pictures — and an
#                emergency screen for 15 s every 120 s; sampled every
#                120 s, once per round, so every sample sees the same
#                screens. Default 7200 s (2 hours); fails when the late-
#                frame rate of the last third exceeds the first third by
#                more than MAX_LATE_GROWTH percentage points (default 1)
#
# a, b, d and f run accelerated (--fast: board time advances one frame per
# frame drawn, every picture decoded: the same clip passes as 30 minutes of
# real time, in less); c (sound plays only live), e and g run in real time,
# and count late frames (the kiosk's dropped frames, see docs/soak.md).
#   bash xtask/soak.sh                 # a to f, ≈ 2 h on 2 cores
#   SCENARIOS="a d" SECONDS_=600 bash xtask/soak.sh
#   SCENARIOS=g bash xtask/soak.sh     # 2 hours, real time
set -euo pipefail
cd "$(dirname "$0")/.."
source xtask/setup.sh
bangtin_setup
command -v python3 >/dev/null || _bangtin_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3
peer="${BANGTIN_PEER_DIR:-../shared/bench/chromium-peer}"
secs="${SECONDS_:-1800}"
sample="${SAMPLE:-30}"
warmup="${WARMUP:-120}"
scenarios="${SCENARIOS:-a b c d f shm surface}"
max_late_growth="${MAX_LATE_GROWTH:-1}"
out="${OUT:-out/soak-$(date +%Y%m%d-%H%M%S)}"
bangtin_build_release
bin="$PWD/target/release/bangtin-player"
media="$out/media"
mkdir -p "$media"
out="$(cd "$out" && pwd)"; media="$out/media"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
if [ -x "$peer/measure.sh" ]; then
  "$peer/measure.sh" --gen-media "$media" >/dev/null
else
  ff -f lavfi -i testsrc2=size=1280x720:rate=30 -t 20 -c:v libx264 -pix_fmt yuv420p "$media/video.mp4"
  ff -f lavfi -i testsrc2=size=960x540 -frames:v 1 "$media/image.png"
fi
ff -f lavfi -i "testsrc=size=1280x720:rate=25" -t 6 -c:v libx264 -pix_fmt yuv420p "$media/clip1.mp4"
ff -f lavfi -i "smptehdbars=size=1920x1080:rate=30" -t 5 -c:v libx264 -pix_fmt yuv420p "$media/clip2.mp4"
ff -f lavfi -i "mandelbrot=size=854x480:rate=25" -t 4 -c:v libx264 -pix_fmt yuv420p "$media/clip3.mp4"
ff -f lavfi -i "testsrc2=size=1280x720:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=44100" \
  -t 10 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$media/sound.mp4"
ff -f lavfi -i "color=c=0x1565c0:size=1280x720,drawgrid=w=80:h=80:t=4:c=white" -frames:v 1 "$media/pic1.jpg"

# The peer board with its picture zone replaced by the given items.
board() {
  python3 - "$1" "$2" <<'PY'
import sys
out, items = sys.argv[1], sys.argv[2]
t = open("layouts/templates/chromium-peer-1920x1080.toml").read()
old = 'type = "image"\nsrc = "media/ruong-bac-thang.jpg"\nfit = "fill"\n'
assert old in t
t = t.replace('[[zone.item]]\n' + old, items)
open(out, "w").write(t)
PY
}
video() { printf '[[zone.item]]\ntype = "video"\nsrc = "%s"\nfit = "fill"\n%s\n' "$1" "$2"; }
board "$media/a.toml" "$(video "$media/video.mp4" $'loop = true\nmute = true')"
board "$media/b.toml" "$(video "$media/clip1.mp4" 'mute = true'; video "$media/clip2.mp4" 'mute = true'
  printf '[[zone.item]]\ntype = "image"\nsrc = "%s"\nfit = "fill"\nduration = 5\n\n' "$media/image.png"
  video "$media/clip3.mp4" 'mute = true'
  printf '[[zone.item]]\ntype = "image"\nsrc = "%s"\nfit = "fit"\nduration = 5\n\n' "$media/pic1.jpg")"
board "$media/c.toml" "$(video "$media/sound.mp4" $'loop = true\nmute = false')"
# g: b's playlist with the peer's 20 s clip first, looping in a 30 s slot.
board "$media/g.toml" "$(video "$media/video.mp4" $'loop = true\nmute = true\nduration = 30'
  video "$media/clip1.mp4" 'mute = true'
  printf '[[zone.item]]\ntype = "image"\nsrc = "%s"\nfit = "fill"\nduration = 5\n\n' "$media/image.png"
  video "$media/clip2.mp4" 'mute = true'; video "$media/clip3.mp4" 'mute = true'
  printf '[[zone.item]]\ntype = "image"\nsrc = "%s"\nfit = "fit"\nduration = 5\n\n' "$media/pic1.jpg")"
# Crossfades in the playlist zones (the template's picture zone is "media").
for l in b g; do
python3 - "$media/$l.toml" <<'PY'
import re, sys
p = sys.argv[1]
t = open(p).read()
t, n = re.subn(r'(\[\[zone\]\]\nid = "media"\n)', r'\1transition = "crossfade"\ntransition_ms = 800\nloop = true\n', t)
assert n == 1, "picture zone not found"
open(p, "w").write(t)
PY
done
for l in a b c g; do "$bin" check --layout "$media/$l.toml"; done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# A private Xvfb for the window scenarios, stopped by PID.
xvfb() {
  for n in $(seq 140 199); do
    [ -e "/tmp/.X$n-lock" ] && continue
    Xvfb ":$n" -screen 0 1920x1080x24 -nolisten tcp -noreset -br >/dev/null 2>&1 &
    local p=$!
    for _ in $(seq 1 100); do
      [ -S "/tmp/.X11-unix/X$n" ] && { pids+=("$p"); display=":$n"; xpid=$p; return 0; }
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
  done
  echo "không khởi động được Xvfb (cannot start Xvfb)" >&2; return 1
}

# A stand-in sound card: ALSA's file plugin into a FIFO, read at the
# rate a DAC would take it (48 kHz, f32 stereo). Sets $home.
paced_home() {
  home="$out/sound-home"
  mkdir -p "$home"; rm -f "$home/pcm.fifo"; mkfifo "$home/pcm.fifo"
  printf 'pcm.!default {\n    type file\n    slave.pcm "null"\n    file "%s"\n    format "raw"\n}\n' \
    "$home/pcm.fifo" > "$home/.asoundrc"
  python3 - "$home/pcm.fifo" "$out/sound-bytes.txt" >/dev/null <<'PY' &
import sys, time
f = open(sys.argv[1], "rb", buffering=0)
rate, n, t0 = 48000 * 2 * 4, 0, time.monotonic()
while True:
    b = f.read(16384)
    if not b:
        break
    n += len(b)
    ahead = n / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
open(sys.argv[2], "w").write(f"{n} bytes of sound in {time.monotonic() - t0:.0f} s\n")
PY
  pids+=("$!")
}

common=(--seconds "$secs" --sample "$sample" --warmup "$warmup")
failed=()
for s in $scenarios; do
  echo "==> soak $s"
  case "$s" in
    a) "$bin" soak --layout "$media/a.toml" --fast "${common[@]}" --csv "$out/a.csv" | tee "$out/a.log" ;;
    b) "$bin" soak --layout "$media/b.toml" --fast "${common[@]}" --csv "$out/b.csv" | tee "$out/b.log" ;;
    c) paced_home
       HOME="$home" "$bin" soak --layout "$media/c.toml" "${common[@]}" --csv "$out/c.csv" | tee "$out/c.log" ;;
    d) "$bin" soak --layout "$media/a.toml" --fast "${common[@]}" --alert-every 60 --alert-for 15 \
         --csv "$out/d.csv" | tee "$out/d.log" ;;
    f) "$bin" soak --layout layouts/templates/commune-office-1920x1080.toml \
         --then layouts/templates/chromium-peer-1920x1080.toml --then "$media/a.toml" --then "$media/b.toml" \
         --switch-every 20 --alert-every 80 --alert-for 10 --fast --seconds "$secs" --sample 80 --warmup "$warmup" \
         --csv "$out/f.csv" | tee "$out/f.log" ;;
    g) "$bin" soak --layout "$media/g.toml" --seconds "${SECONDS_:-7200}" --sample 120 --warmup "$warmup" \
         --alert-every 120 --alert-for 15 --max-late-growth "$max_late_growth" \
         --csv "$out/g.csv" | tee "$out/g.log" || failed+=(g) ;;
    shm|surface)
       xvfb
       DISPLAY="$display" "$bin" soak --layout "$media/a.toml" --window --present "$s" "${common[@]}" \
         --csv "$out/e-$s.csv" | tee "$out/e-$s.log"
       kill "$xpid" 2>/dev/null || true; wait "$xpid" 2>/dev/null || true ;;
    *) echo "không rõ kịch bản $s (unknown scenario)" >&2; exit 2 ;;
  esac
done

python3 - "$out" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
print("\n| scenario | board time s | wall s | RSS MiB (after warm-up → end) | growth | PSS MiB | growth | slope MiB/h (RSS) "
      "| late frames (of due) | late % first → last third | worst frame ms |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
pct = lambda x: "–" if x is None else f"{x:.2f}"
for log in sorted(glob.glob(f"{out}/*.log")):
    name = os.path.basename(log)[:-4]
    s = next((json.loads(l[8:]) for l in open(log) if l.startswith("summary ")), None)
    if s is None:
        print(f"| {name} | failed | | | | | | | | | |"); continue
    late = "– (accelerated)" if s.get("late_frames") is None else f"{s['late_frames']} ({s['frames_due']})"
    print(f"| {name} | {s['board_seconds']:.0f} | {s['wall_seconds']:.0f} | {s['rss_warm_mib']:.1f} → {s['rss_end_mib']:.1f} "
          f"| {s['rss_growth_pct']:+.2f} % | {s['pss_warm_mib']:.1f} → {s['pss_end_mib']:.1f} | {s['pss_growth_pct']:+.2f} % "
          f"| {s['rss_slope_mib_per_hour']:+.1f} | {late} | {pct(s.get('late_first_pct'))} → {pct(s.get('late_last_pct'))} "
          f"| {'–' if s.get('worst_frame_ms') is None else round(s['worst_frame_ms'])} |")
PY
echo "kết quả (results): $out"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "khung trễ tăng quá $max_late_growth điểm % (late frames grow): ${failed[*]}" >&2
  exit 1
fi
