#!/usr/bin/env bash
# The Debian packages, tested as installed (docs/packages.md, "The test"):
# packages the binaries `cargo test` already built (dev profile; --build to
# build them first), unpacks them into a throwaway root and checks files,
# permissions, conffiles and dependencies, the units (systemd-analyze
# verify and security), that the installed programs start — the manager
# from its packaged config on 127.0.0.1, the player rendering a packaged
# template headless —, an upgrade from version N to N+1 over the same data
# directory, and lintian. Called by xtask/test.sh.
#   bash xtask/package-test.sh [--build]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
if [ "${1:-}" = --build ]; then
  cargo build --locked -p bangtin-manager -p bangtin-player -p bangtin-video --bins --lib
fi

source xtask/manager-lib.sh
bangtin_scratch bangtin-package-test
fail() {
  echo "LỖI gói (package test failed): $*" >&2
  exit 1
}
ok() { echo "  ok: $*"; }

echo "==> gói .deb từ bản dựng dev (packages from the dev binaries)"
bash xtask/package.sh --dev --no-build --out "$work/n"
# Version N+1 of the manager, for the upgrade below.
bash xtask/package.sh --dev --no-build --out "$work/n1" -p bangtin-manager --deb-version 0.1.0-2
deb_m="$(ls "$work"/n/bangtin-manager_*_amd64.deb)"
deb_p="$(ls "$work"/n/bangtin-player_*_amd64.deb)"
deb_m1="$(ls "$work"/n1/bangtin-manager_0.1.0-2_amd64.deb)"

echo "==> siêu dữ liệu và tệp (control fields, files, permissions)"
for deb in "$deb_m" "$deb_p"; do
  pkg="$(dpkg-deb -f "$deb" Package)"
  depends="$(dpkg-deb -f "$deb" Depends)"
  [ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "$pkg: Architecture"
  # Runtime dependencies only: no -dev package, and the libraries the
  # binary links (dpkg-shlibdeps) are there.
  if tr ',|' '\n\n' <<<"$depends" | grep -q -- '-dev\b'; then fail "$pkg depends on a -dev package: $depends"; fi
  for lib in libc6 libavcodec59 libavformat59 adduser; do
    grep -q "\b$lib\b" <<<"$depends" || fail "$pkg: $lib missing from Depends: $depends"
  done
  dpkg-deb -e "$deb" "$work/control-$pkg"
  for s in postinst prerm postrm; do
    [ -x "$work/control-$pkg/$s" ] || fail "$pkg: no executable $s"
    sh -n "$work/control-$pkg/$s" || fail "$pkg: $s is not valid sh"
  done
  # Purging never deletes the state directory (it is only mentioned).
  if grep -E 'rm .*(/var/lib/bangtin|\$data)' "$work/control-$pkg/postrm"; then fail "$pkg: postrm removes state"; fi
  # "mode owner path" for every file; nothing under /var (state is made by
  # postinst, never shipped), everything root-owned.
  dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' >"$work/files-$pkg"
  if grep -q ' \./var/' "$work/files-$pkg"; then fail "$pkg ships files under /var"; fi
  if grep -v ' 0/0 ' "$work/files-$pkg" | grep -q .; then fail "$pkg: files not owned by root (0/0)"; fi
  dpkg-deb -x "$deb" "$work/root"
done
grep -qx /etc/bangtin/manager.toml "$work/control-bangtin-manager/conffiles" || fail "manager.toml is not a conffile"
grep -qx /etc/bangtin/player.env "$work/control-bangtin-player/conffiles" || fail "player.env is not a conffile"
grep -qx /etc/bangtin/player.toml "$work/control-bangtin-player/conffiles" || fail "player.toml is not a conffile"
grep -q 'libasound2\b' <<<"$(dpkg-deb -f "$deb_p" Depends)" || fail "player: libasound2 missing"
grep -q 'libvulkan1' <<<"$(dpkg-deb -f "$deb_p" Depends)" || fail "player: libvulkan1 (dlopen) missing"
grep -q 'libavcodec' <<<"$(dpkg-deb -f "$deb_p" Depends)" || fail "player: FFmpeg (libbangtin_video.so's links) missing"
grep -q 'adduser --system' "$work/control-bangtin-manager/postinst" || fail "manager: no system user"
# manager.toml may hold metrics_token: 0640 root:bangtin-manager once installed.
grep -q 'dpkg-statoverride --update --add root bangtin-manager 0640 /etc/bangtin/manager.toml' \
  "$work/control-bangtin-manager/postinst" || fail "manager: manager.toml not restricted"
grep -q 'adduser --system' "$work/control-bangtin-player/postinst" || fail "player: no system user"
# The kiosk is never enabled or started by installing the package (a
# manager server may have the player for previews); the manager is.
for u in bangtin-player-kiosk bangtin-player-x11; do
  grep -q "debian-installed $u.service" "$work/control-bangtin-player/postinst" \
    || fail "player: postinst may enable $u"
  if grep -qE "deb-systemd-invoke (start|restart) $u" "$work/control-bangtin-player/postinst"; then
    fail "player: postinst starts $u"
  fi
done
grep -q 'deb-systemd-helper enable bangtin-manager.service' "$work/control-bangtin-manager/postinst" \
  || fail "manager: postinst does not enable its unit"
# The daily backup: the timer is enabled (and started); its service has
# no [Install] section, so it is static and no maintainer script ever
# starts it (deb-systemd-invoke skips static units) — no backup in dpkg.
grep -q 'deb-systemd-helper enable bangtin-manager-backup.timer' "$work/control-bangtin-manager/postinst" \
  || fail "manager: postinst does not enable the backup timer"
if grep -q 'deb-systemd-helper enable bangtin-manager-backup.service' "$work/control-bangtin-manager/postinst"; then
  fail "manager: postinst enables the backup service itself"
fi
expect_file() { # pkg mode path
  grep -qx -- "$2 0/0 ./${3#/}" "$work/files-$1" || fail "$1: $3 missing or not $2: $(grep -- "${3#/}\$" "$work/files-$1" || true)"
}
expect_file bangtin-manager -rwxr-xr-x /usr/bin/bangtin-manager
expect_file bangtin-manager -rw-r--r-- /etc/bangtin/manager.toml
expect_file bangtin-manager -rw-r--r-- /usr/lib/systemd/system/bangtin-manager.service
expect_file bangtin-manager -rw-r--r-- /usr/lib/systemd/system/bangtin-manager-backup.service
expect_file bangtin-manager -rw-r--r-- /usr/lib/systemd/system/bangtin-manager-backup.timer
expect_file bangtin-manager -rw-r--r-- /usr/share/man/man8/bangtin-manager.8.gz
expect_file bangtin-manager -rw-r--r-- /usr/share/doc/bangtin-manager/copyright
expect_file bangtin-player -rwxr-xr-x /usr/bin/bangtin-player
expect_file bangtin-player -rw-r--r-- /usr/lib/bangtin/libbangtin_video.so
expect_file bangtin-player -rw-r--r-- /etc/bangtin/player.env
expect_file bangtin-player -rw-r--r-- /usr/lib/systemd/system/bangtin-player-kiosk.service
expect_file bangtin-player -rw-r--r-- /usr/lib/systemd/system/bangtin-player-x11.service
expect_file bangtin-player -rw-r--r-- /etc/bangtin/player.toml
expect_file bangtin-player -rw-r--r-- /usr/share/bangtin/alsa/asound-shared.conf
expect_file bangtin-player -rw-r--r-- /usr/share/man/man1/bangtin-player.1.gz
expect_file bangtin-player -rw-r--r-- /usr/share/doc/bangtin-player/copyright
expect_file bangtin-player -rw-r--r-- /usr/share/doc/bangtin-player/fonts/OFL.txt
expect_file bangtin-player -rw-r--r-- /usr/share/bangtin/templates/led-384x192.toml
grep -q '^License: OFL-1.1' "$work/root/usr/share/doc/bangtin-player/copyright" || fail "player: fonts' licence not in copyright"
for v in htmx interact Sortable; do
  grep -q "^Files: manager/web/vendor/$v" "$work/root/usr/share/doc/bangtin-manager/copyright" || fail "manager: $v licence"
done
ok "fields, conffiles, files and modes"

echo "==> systemd-analyze verify, security"
root="$work/root"
mkdir -p "$work/units"
# The units as installed, but the programs they run taken from the
# unpacked root (cage from this machine: setup.sh installs it).
for u in "$root"/usr/lib/systemd/system/*.service "$root"/usr/lib/systemd/system/*.timer; do
  sed "s#=/usr/bin/bangtin-#=$root/usr/bin/bangtin-#" "$u" >"$work/units/$(basename "$u")"
done
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$work"/units/*.service "$work"/units/*.timer \
  || fail "systemd-analyze verify"
backup_unit="$work/units/bangtin-manager-backup.service"
if grep -q '^\[Install\]' "$backup_unit"; then fail "bangtin-manager-backup.service has [Install]: it would be started by dpkg"; fi
for k in 'OnCalendar=' 'RandomizedDelaySec=' 'Persistent=true' 'WantedBy=timers.target'; do
  grep -q "^$k" "$work/units/bangtin-manager-backup.timer" || fail "backup timer: no $k"
done
# `security --offline` needs systemd ≥ 252 (Debian 12); older ones only verify.
if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
  security="$(systemd-analyze security --offline=true "$work/units/bangtin-manager.service" | tail -1)"
  echo "  $security"
  score="$(grep -oE 'level for [^:]*: [0-9.]+' <<<"$security" | grep -oE '[0-9.]+$')"
  # docs/packages.md records 1.2; fail if the hardening is loosened.
  awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || fail "bangtin-manager.service exposure $score > 1.5"
  security="$(systemd-analyze security --offline=true "$backup_unit" | tail -1)"
  echo "  $security"
  bscore="$(grep -oE 'level for [^:]*: [0-9.]+' <<<"$security" | grep -oE '[0-9.]+$')"
  # docs/packages.md records 0.3: it only talks to a Unix socket.
  awk -v s="$bscore" 'BEGIN { exit !(s <= 0.5) }' || fail "bangtin-manager-backup.service exposure $bscore > 0.5"
  score="$score, backup $bscore"
else
  score="not measured (systemd-analyze security --offline needs systemd 252)"
fi
ok "units verify; manager exposure $score"

echo "==> các chương trình đã cài chạy được (the installed programs start)"
m="$root/usr/bin/bangtin-manager"
p="$root/usr/bin/bangtin-player"
[ "$("$m" --version)" = "bangtin-manager $(dpkg-deb -f "$deb_m" Version | cut -d- -f1)" ] || fail "manager --version: $("$m" --version)"
[ "$("$p" --version)" = "bangtin-player $(dpkg-deb -f "$deb_p" Version | cut -d- -f1)" ] || fail "player --version"
zcat "$root/usr/share/man/man8/bangtin-manager.8.gz" | grep -q 'check\\-layout' || fail "manager man page lacks its commands"
# Every commented default in the packaged config is a field the manager
# knows (unknown fields are refused).
sed -E 's/^#([a-z_]+ = )/\1/' "$root/etc/bangtin/manager.toml" >"$work/all-fields.toml"
[ "$(grep -cE '^[a-z_]+ = ' "$work/all-fields.toml")" -ge 20 ] || fail "manager.toml: too few documented fields"
RUST_LOG=warn BANGTIN_DATA_DIR="$work/fields-data" "$m" --config "$work/all-fields.toml" admin list-users >/dev/null \
  || fail "manager.toml's commented defaults are not all valid fields"
# The player draws a packaged template headless (lavapipe without a GPU).
"$p" check --layout "$root/usr/share/bangtin/templates/led-384x192.toml" >/dev/null || fail "player check"
"$p" render --layout "$root/usr/share/bangtin/templates/led-384x192.toml" --at +5 --out "$work/led.png" >/dev/null \
  || fail "player render"
python3 - "$work/led.png" <<'EOF' || fail "player render: not a 384x192 PNG"
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24]) == (384, 192), b[:24]
EOF
# A video through the packaged FFmpeg library (/usr/lib/bangtin/, found
# from the program's own place): opened, and the frame drawn.
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x180:rate=25 -t 2 \
  -c:v libx264 -pix_fmt yuv420p "$work/clip.mp4"
RUST_LOG=info "$p" render --media "$work/clip.mp4" --at +1 --size 320x180 --out "$work/clip.png" \
  >/dev/null 2>"$work/clip.log" || { cat "$work/clip.log" >&2; fail "player render of a video"; }
grep -qF "đã nạp thư viện video $root/usr/lib/bangtin/libbangtin_video.so" "$work/clip.log" \
  || { cat "$work/clip.log" >&2; fail "player: the packaged video library was not the one opened"; }
ok "--version, man page, config fields, player check, headless render of a template and of a video"

echo "==> player.toml, bảng trên X trần (the settings file; the X kiosk's command line)"
# The packaged settings file is valid (its examples are checked by the
# player's unit tests), and a mistake is named with its line and key.
"$p" check --config "$root/etc/bangtin/player.toml" >/dev/null || fail "player check --config player.toml"
printf '[screen]\nrotation = 45\n' >"$work/bad-player.toml"
rc=0
"$p" check --config "$work/bad-player.toml" 2>"$work/bad-player.err" >/dev/null || rc=$?
[ "$rc" = 2 ] && grep -q 'bad-player.toml:2: screen.rotation: 45' "$work/bad-player.err" \
  || fail "player check --config: a wrong rotation is not named (exit $rc: $(cat "$work/bad-player.err"))"
# bangtin-player-x11.service's ExecStart as installed, run by xinit with
# Xvfb standing in for Xorg (no VT and no GPU here: the Xorg-only options
# vt1 -keeptty -novtswitch are dropped, the others kept), and a settings
# file that puts an LED board at a fixed region of the output.
line="$(sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/bangtin-player-x11.service")"
client="${line%% -- *}"
server="${line#* -- }"
read -r -a cw <<<"$client"
read -r -a sw <<<"$server"
[ "${cw[0]}" = /usr/bin/xinit ] && [ "${cw[1]}" = /usr/bin/bangtin-player ] && [ "${cw[2]}" = run ] \
  && [ "${cw[3]}" = --config ] && [ "${cw[4]}" = /etc/bangtin/player.toml ] || fail "x11 unit: unexpected client: $client"
[ "${sw[0]}" = /usr/lib/xorg/Xorg ] && [ "${sw[1]}" = :0 ] || fail "x11 unit: unexpected server: $server"
n=420
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
xargs=()
for a in "${sw[@]:2}"; do case "$a" in vt* | -keeptty | -novtswitch) ;; *) xargs+=("$a") ;; esac; done
printf '[screen]\nwindow = "384x192+100+50"\n' >"$work/x11-player.toml"
xinit "$p" run --config "$work/x11-player.toml" --layout "$root/usr/share/bangtin/templates/led-384x192.toml" --for 20 \
  -- /usr/bin/Xvfb ":$n" -screen 0 800x600x24 -br "${xargs[@]}" >"$work/x11.log" 2>&1 &
xinit_pid=$!
cat >"$work/x11-check.py" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
px = lambda x, y: tuple(b[(y * 800 + x) * 3:(y * 800 + x) * 3 + 3])
# The LED template's clock bar (#0b3d91) at the region's top, its ticker
# (#b71c1c) at the bottom, and the black root window around it.
top, bottom = px(102, 52), px(102, 240)
outside = [px(99, 49), px(484, 242), px(10, 10)]
ok = top == (0x0B, 0x3D, 0x91) and bottom[:2] == (0xB7, 0x1C) and all(o == (0, 0, 0) for o in outside)
sys.exit(0 if ok else 1)
EOF
ok_x11=0
for _ in $(seq 1 60); do
  sleep 0.5
  if ffmpeg -nostdin -loglevel quiet -y -f x11grab -video_size 800x600 -i ":$n" -frames:v 1 \
    -f rawvideo -pix_fmt rgb24 "$work/x11.rgb" 2>/dev/null && python3 "$work/x11-check.py" "$work/x11.rgb"; then
    ok_x11=1
    break
  fi
done
kill "$xinit_pid" 2>/dev/null || true
wait "$xinit_pid" 2>/dev/null || true
[ "$ok_x11" = 1 ] || { cat "$work/x11.log" >&2; fail "x11 unit's command line: the board is not at 384x192+100+50"; }
ok "player.toml checks; the X kiosk's command line shows the board at the settings file's region"

# Serve from the packaged config (data_dir overridden by the environment,
# as `systemctl edit` would), until the URL is printed.
serve() { # manager-binary data-dir log
  bangtin_serve "$3.out" "$3" env BANGTIN_DATA_DIR="$2" RUST_LOG=info \
    "$1" --config "$root/etc/bangtin/manager.toml" serve --listen 127.0.0.1:0 || fail "manager did not start"
}
# Stop with SIGTERM as systemd does; a graceful stop exits 0.
stop() {
  kill -TERM "$manager_pid"
  local rc=0
  wait "$manager_pid" || rc=$?
  manager_pid=""
  [ "$rc" = 0 ] || fail "manager exited $rc on SIGTERM"
  grep -q 'shutting down gracefully' "$1" || fail "no graceful shutdown in $1"
}
login() { # expect-status
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d "$(jq -n --arg p "$pw" '{username: "quantri", password: $p}')" "$base/api/v1/auth/login")"
  [ "$code" = "$1" ] || fail "login: HTTP $code, expected $1"
}
show_key() { sed -n 's/.*(show key): \([A-Za-z0-9+/=]*\).*/\1/p' "$1" | head -1; }

echo "==> nâng cấp N → N+1 trên cùng thư mục dữ liệu (upgrade keeps the store)"
data="$work/var-lib-bangtin-manager"
pw="mat-khau-goi-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export RUST_LOG=warn
"$m" --config "$root/etc/bangtin/manager.toml" --data "$data" admin create-unit --code 05443 --name "Xã Định Hóa" >/dev/null
printf '%s\n' "$pw" | "$m" --config "$root/etc/bangtin/manager.toml" --data "$data" \
  admin create-user --username quantri --role admin --unit 05443 >/dev/null
serve "$m" "$data" "$work/n.log"
code="$(curl -s -o /dev/null -w '%{http_code}' "$base/login")"
[ "$code" = 200 ] || fail "GET /login: HTTP $code"
login 200
key_n="$(show_key "$work/n.log")"
[ -n "$key_n" ] || fail "no show key in the log"
# The daily backup's own command, as the timer's service runs it (from
# the packaged unit and config; the data directory overridden as for
# the server): the running manager writes a backup, asked over its
# control socket with no token.
backup_cmd="$(sed -n "/^ExecStart=/{s#^ExecStart=##; s# /etc/bangtin/# $root/etc/bangtin/#g; p}" "$backup_unit")"
[ -n "$backup_cmd" ] || fail "backup unit: no ExecStart"
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
BANGTIN_DATA_DIR="$data" $backup_cmd >"$work/backup.out" 2>&1 || { cat "$work/backup.out" >&2; fail "the backup unit's command"; }
grep -q '(backup written)' "$work/backup.out" || fail "the backup unit's command wrote no backup: $(cat "$work/backup.out")"
ls -d "$data"/backups/bangtin-*/manifest.json >/dev/null 2>&1 || fail "no backup in $data/backups"
stop "$work/n.log"
[ ! -e "$data/manager.sock" ] || fail "the control socket is left after a graceful stop"
ok "version N serves on $base from the packaged config, the backup unit's command backs it up, stops gracefully"

# N+1 unpacked over the same root, as dpkg replaces the files.
dpkg-deb -x "$deb_m1" "$root"
serve "$m" "$data" "$work/n1.log"
login 200
[ "$(show_key "$work/n1.log")" = "$key_n" ] || fail "the show-signing key changed across the upgrade"
stop "$work/n1.log"
"$m" --config "$root/etc/bangtin/manager.toml" --data "$data" admin list-users | grep -q quantri \
  || fail "the account made by N is gone"
ok "N+1 reads N's store: same account, same show key the boards pinned"

echo "==> lintian"
bangtin_lintian "$deb_m" "$deb_p"
echo "==> gói đạt (packages passed)"
