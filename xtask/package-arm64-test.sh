#!/usr/bin/env bash
# The arm64 packages, built and run on this amd64 machine (docs/packages.md,
# "arm64"): cross-builds them with `xtask/package.sh arm64`, checks their
# control fields (Depends from the arm64 libraries the binaries really
# link) and lintian, unpacks them into a throwaway root and runs the arm64
# programs there under qemu-user: --version, `check` and a headless
# `render` of the packaged LED template on arm64 lavapipe (compared with its
# golden image), a video through the packaged arm64 libbangtin_video.so
# (compared with FFmpeg's own decoding), and the manager serving on
# 127.0.0.1 from its packaged config. Too slow for every CI run (a cross
# release build is tens of minutes): not in xtask/test.sh or .ci/run.
#   bash xtask/package-arm64-test.sh [--no-build]
#     --no-build  package the arm64 release binaries already built
# BANGTIN_AMD64_PLAYER=path/to/bangtin-player also renders the same frames
# with an amd64 player and compares them with the arm64 ones.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  case "$a" in
    --no-build) ;;
    *) echo "cách dùng (usage): bash xtask/package-arm64-test.sh [--no-build]" >&2; exit 2 ;;
  esac
done

source xtask/setup.sh
source xtask/manager-lib.sh
bangtin_arm64_setup
# What the arm64 player opens with dlopen to draw: the Vulkan loader and
# Mesa's lavapipe.
bangtin_apt_install libvulkan1:arm64 mesa-vulkan-drivers:arm64
bangtin_scratch bangtin-arm64-test
fail() {
  echo "LỖI gói arm64 (arm64 package test failed): $*" >&2
  exit 1
}
ok() { echo "  ok: $*"; }

echo "==> gói arm64 (xtask/package.sh arm64${*:+ $*})"
t0=$SECONDS
bash xtask/package.sh arm64 --out "$work/debs" "$@"
t_package=$((SECONDS - t0))
deb_m="$(ls "$work"/debs/bangtin-manager_*_arm64.deb)"
deb_p="$(ls "$work"/debs/bangtin-player_*_arm64.deb)"
root="$work/root"

echo "==> siêu dữ liệu: Depends từ các liên kết thật (control fields from the real links)"
# Depends as one package name a line (versions and alternatives dropped).
dep_names() { dpkg-deb -f "$1" Depends | tr ',|' '\n' | sed 's/(.*//; s/[[:space:]]//g'; }
for deb in "$deb_m" "$deb_p"; do
  pkg="$(dpkg-deb -f "$deb" Package)"
  [ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || fail "$pkg: Architecture $(dpkg-deb -f "$deb" Architecture)"
  if dep_names "$deb" | grep -q -- '-dev$'; then fail "$pkg depends on a -dev package"; fi
  dep_names "$deb" | grep -qx adduser || fail "$pkg: adduser missing from Depends"
  dpkg-deb -x "$deb" "$root"
  echo "  $pkg: $(dpkg-deb -f "$deb" Depends)"
done
elf_checked=0
for f in usr/bin/bangtin-manager usr/bin/bangtin-player usr/lib/bangtin/libbangtin_video.so; do
  case "$f" in *manager) deb="$deb_m" ;; *) deb="$deb_p" ;; esac
  LC_ALL=C readelf -h "$root/$f" | grep -q 'Machine:.*AArch64' || fail "$f is not an AArch64 ELF file"
  # Every library it links (DT_NEEDED) is an installed arm64 package's,
  # and that package is in Depends — except libgcc-s1, which cargo-deb
  # leaves out (always present).
  for so in $(LC_ALL=C readelf -d "$root/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    owner="$(dpkg -S "/usr/lib/aarch64-linux-gnu/$so" "/lib/aarch64-linux-gnu/$so" 2>/dev/null | grep -m1 ':arm64: ' || true)"
    [ -n "$owner" ] || fail "$f links $so, which no installed arm64 package has"
    owner="${owner%%:*}"
    [ "$owner" = libgcc-s1 ] && continue
    dep_names "$deb" | grep -qx "$owner" || fail "$f links $so ($owner), not in $(dpkg-deb -f "$deb" Package)'s Depends"
    elf_checked=$((elf_checked + 1))
  done
done
[ "$elf_checked" -ge 8 ] || fail "only $elf_checked linked libraries checked: the binaries' links were not read"
for lib in libc6 libasound2 libavcodec59 libavformat59 libvulkan1 mesa-vulkan-drivers; do
  dep_names "$deb_p" | grep -qx "$lib" || fail "player: $lib missing from Depends"
done
ok "Architecture arm64, AArch64 binaries; $elf_checked linked libraries each from an arm64 package in Depends"

echo "==> lintian"
bangtin_lintian "$deb_m" "$deb_p"

echo "==> chạy bản arm64 dưới qemu-user (the arm64 programs under qemu-aarch64)"
t1=$SECONDS
# The arm64 dynamic loader and libraries are where multiarch put them
# (/lib/ld-linux-aarch64.so.1, /usr/lib/aarch64-linux-gnu/): prefix /.
export QEMU_LD_PREFIX=/
# Only arm64 lavapipe: a frame drawn proves Mesa's software Vulkan ran
# under emulation (no fall-back to another backend or driver).
export WGPU_BACKEND=vulkan VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.aarch64.json
m="$root/usr/bin/bangtin-manager"
p="$root/usr/bin/bangtin-player"
version="$(dpkg-deb -f "$deb_p" Version | cut -d- -f1)"
[ "$(qemu-aarch64 "$m" --version)" = "bangtin-manager $version" ] || fail "manager --version: $(qemu-aarch64 "$m" --version)"
[ "$(qemu-aarch64 "$p" --version)" = "bangtin-player $version" ] || fail "player --version"
ok "--version of both: $version"

tpl="$root/usr/share/bangtin/templates/led-384x192.toml"
qemu-aarch64 "$p" check --layout "$tpl" >"$work/check.txt" || fail "player check: $(cat "$work/check.txt")"
ok "player check of the packaged LED template"

# rgb24 raw pixels of a PNG (FFmpeg), and a comparison of two with the
# golden tests' tolerance (tests/src/lib.rs: a channel off by more than 24
# on at most 0.2 % of pixels) or, for video, a mean difference.
# The raw files go to the scratch folder, never beside the golden image.
rgb() { echo "$work/$(basename "$1").rgb"; }
raw() { ffmpeg -nostdin -hide_banner -loglevel error -y -i "$1" -f rawvideo -pix_fmt rgb24 "$(rgb "$1")"; }
compare() { # a.png b.png mode(golden|mean) what
  raw "$1"
  raw "$2"
  python3 - "$(rgb "$1")" "$(rgb "$2")" "$3" "$4" <<'EOF'
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
mode, what = sys.argv[3], sys.argv[4]
assert len(a) == len(b), f"{what}: sizes differ ({len(a)} and {len(b)} bytes)"
n = len(a) // 3
d = [abs(x - y) for x, y in zip(a, b)]
off = sum(1 for i in range(0, len(d), 3) if max(d[i:i + 3]) > 24)
mean = sum(d) / len(d)
print(f"  {what}: {off} of {n} pixels off by > 24 ({100 * off / n:.3f} %), mean difference {mean:.2f}")
if mode == "golden":
    assert off <= 0.002 * n, f"{what}: {off} pixels differ"
else:
    assert mean <= 8, f"{what}: mean difference {mean:.2f} > 8"
EOF
}
# Not blank: at least 5 % of the pixels differ from the first one.
not_blank() {
  raw "$1"
  python3 - "$(rgb "$1")" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
first, n = b[:3], len(b) // 3
other = sum(1 for i in range(0, len(b), 3) if b[i:i + 3] != first)
assert other >= 0.05 * n, f"{sys.argv[1]}: blank ({other} of {n} pixels differ from the first)"
EOF
}
png_size() {
  python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print("%dx%d" % struct.unpack(">II", b[16:24]))
EOF
}

# The golden tests' instant (tests/tests/golden.rs), so the clock matches.
when=2026-11-23T14:05:09+07:00
t=$SECONDS
qemu-aarch64 "$p" render --layout "$tpl" --at "$when" --out "$work/led.png" >/dev/null 2>"$work/led.log" \
  || { cat "$work/led.log" >&2; fail "player render under qemu"; }
t_render=$((SECONDS - t))
[ "$(png_size "$work/led.png")" = 384x192 ] || fail "render: $(png_size "$work/led.png"), not 384x192"
compare "$work/led.png" tests/golden/template-led-384x192.png golden "arm64 render vs golden (amd64 lavapipe)" \
  || fail "the arm64 render differs from tests/golden/template-led-384x192.png"
not_blank "$work/led.png" || fail "the arm64 render is blank"
ok "headless render on arm64 lavapipe (${t_render} s): 384x192, matches the golden image"

# A video through the packaged arm64 FFmpeg library, found from the
# program's own place (/usr/lib/bangtin/).
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x180:rate=25 -t 2 \
  -c:v libx264 -pix_fmt yuv420p "$work/clip.mp4"
ffmpeg -nostdin -hide_banner -loglevel error -y -ss 1 -i "$work/clip.mp4" -frames:v 1 "$work/clip-ffmpeg.png"
t=$SECONDS
RUST_LOG=info qemu-aarch64 "$p" render --media "$work/clip.mp4" --at +1 --size 320x180 --out "$work/clip.png" \
  >/dev/null 2>"$work/clip.log" || { cat "$work/clip.log" >&2; fail "player render of a video under qemu"; }
t_video=$((SECONDS - t))
grep -qF "đã nạp thư viện video $root/usr/lib/bangtin/libbangtin_video.so" "$work/clip.log" \
  || { cat "$work/clip.log" >&2; fail "the packaged arm64 video library was not the one opened"; }
[ "$(png_size "$work/clip.png")" = 320x180 ] || fail "video render: $(png_size "$work/clip.png")"
compare "$work/clip.png" "$work/clip-ffmpeg.png" mean "arm64 video frame at 1 s vs FFmpeg's decoding" \
  || fail "the arm64 video frame is not the clip's frame at 1 s"
not_blank "$work/clip.png" || fail "the arm64 video frame is blank"
ok "video through the packaged libbangtin_video.so (${t_video} s): the clip's frame at 1 s"

if [ -n "${BANGTIN_AMD64_PLAYER:-}" ]; then
  # The host's own Vulkan drivers for the amd64 player.
  amd64() { env -u VK_ICD_FILENAMES -u QEMU_LD_PREFIX "$BANGTIN_AMD64_PLAYER" "$@" >/dev/null 2>"$work/amd64.log" \
    || { cat "$work/amd64.log" >&2; fail "amd64 player: $*"; }; }
  amd64 render --layout "$tpl" --at "$when" --out "$work/led-amd64.png"
  compare "$work/led.png" "$work/led-amd64.png" golden "arm64 vs amd64 ($BANGTIN_AMD64_PLAYER), LED template" \
    || fail "arm64 and amd64 renders differ"
  amd64 render --media "$work/clip.mp4" --at +1 --size 320x180 --out "$work/clip-amd64.png"
  compare "$work/clip.png" "$work/clip-amd64.png" golden "arm64 vs amd64, video frame" \
    || fail "arm64 and amd64 video frames differ"
  ok "the same frames as the amd64 player"
fi

# The manager from its packaged config (data directory from the
# environment, as `systemctl edit` would set it): an administrator made by
# the CLI signs in; SIGTERM (to qemu, which passes it on) stops it
# gracefully.
data="$work/var-lib-bangtin-manager"
conf="$root/etc/bangtin/manager.toml"
pw="mat-khau-arm64-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
RUST_LOG=warn qemu-aarch64 "$m" --config "$conf" --data "$data" admin create-unit --code 05443 --name "Xã Định Hóa" >/dev/null \
  || fail "manager admin create-unit"
printf '%s\n' "$pw" | RUST_LOG=warn qemu-aarch64 "$m" --config "$conf" --data "$data" \
  admin create-user --username quantri --role admin --unit 05443 >/dev/null || fail "manager admin create-user"
t=$SECONDS
bangtin_serve "$work/serve.out" "$work/serve.log" env BANGTIN_DATA_DIR="$data" RUST_LOG=info \
  qemu-aarch64 "$m" --config "$conf" serve --listen 127.0.0.1:0 || fail "manager did not start under qemu"
t_serve=$((SECONDS - t))
code="$(curl -s -o /dev/null -w '%{http_code}' "$base/login")"
[ "$code" = 200 ] || fail "GET /login: HTTP $code"
code="$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d "$(jq -n --arg p "$pw" '{username: "quantri", password: $p}')" "$base/api/v1/auth/login")"
[ "$code" = 200 ] || fail "sign-in: HTTP $code"
code="$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"username": "quantri", "password": "sai-mat-khau"}' "$base/api/v1/auth/login")"
[ "$code" = 401 ] || fail "sign-in with a wrong password: HTTP $code, expected 401"
kill -TERM "$manager_pid"
rc=0
wait "$manager_pid" || rc=$?
manager_pid=""
[ "$rc" = 0 ] || fail "manager exited $rc on SIGTERM"
grep -q 'shutting down gracefully' "$work/serve.log" || fail "no graceful shutdown in the manager's log"
ok "manager served on $base from the packaged config (up in ${t_serve} s): /login, sign-in, a wrong password refused, graceful stop"

t_qemu=$((SECONDS - t1))
echo "==> gói arm64 đạt (arm64 packages passed): packaging ${t_package} s, under qemu ${t_qemu} s;" \
  "$(du -k "$deb_m" | cut -f1) KiB $(basename "$deb_m"), $(du -k "$deb_p" | cut -f1) KiB $(basename "$deb_p")"
