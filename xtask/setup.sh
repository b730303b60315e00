#!/usr/bin/env bash
# Installs what building and testing Bangtin needs on Debian or Ubuntu, and
# only what is missing: apt packages (with sudo when not root) and a Rust
# toolchain (rustup) when `cargo` is absent. Sourced by demo.sh and test.sh.
set -euo pipefail

BANGTIN_APT_PACKAGES=(
  # build: a C toolchain for -sys crates, pkg-config, TLS roots for cargo
  gcc libc6-dev pkg-config ca-certificates curl
  # the demo drives the manager's API from the shell; the docs link check;
  # the API contract test's venv (xtask/contract.sh)
  jq python3 python3-venv
  # rendering without a GPU: Mesa's lavapipe (Vulkan) and llvmpipe (GL)
  mesa-vulkan-drivers libvulkan1 libegl1 libgl1-mesa-dri
  # the kiosk window under X11, and a virtual X server for tests
  xvfb xauth libx11-xcb1 libxcursor1 libxi6 libxrandr2 libxkbcommon-x11-0
  # screenshots in tests, test media; FFmpeg libraries for probing and
  # decoding media (ffmpeg-next), clang for their bindings
  ffmpeg clang libclang-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libswresample-dev libavfilter-dev libavdevice-dev
  # sound through ALSA (cpal)
  libasound2-dev
  # loudspeakers: Vietnamese text-to-speech and Snapcast (tests run both)
  espeak-ng snapserver snapclient
  # the web UI's end-to-end tests drive Debian's Chromium through ChromeDriver
  chromium chromium-driver
  # packaging (xtask/package.sh, package-test.sh): man pages from --help,
  # the Debian policy checker, the kiosk compositor the player unit runs,
  # dpkg-shlibdeps (dependencies from the links), systemd-analyze; xinit
  # for the X kiosk unit (package-test runs its command line on Xvfb)
  help2man lintian cage xinit dpkg-dev systemd
  # managers in a cluster (issue #16): the tests start their own PostgreSQL
  # (as the postgres user, a temporary data directory, loopback) and put
  # haproxy in front of two managers
  postgresql haproxy
)

_bangtin_sudo() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "cần quyền root để cài gói (need root to install packages): $*" >&2; return 1; fi
}

# Installs those of the given apt packages that are missing (names may
# carry an architecture: libasound2-dev:arm64), after one apt-get update.
bangtin_apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> cài gói còn thiếu (installing missing packages): ${missing[*]}"
    _bangtin_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    _bangtin_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

bangtin_setup() {
  if command -v dpkg-query >/dev/null; then
    bangtin_apt_install "${BANGTIN_APT_PACKAGES[@]}"
  else
    echo "không phải Debian/Ubuntu: hãy tự cài ${BANGTIN_APT_PACKAGES[*]} (not Debian/Ubuntu)" >&2
  fi
  if ! command -v cargo >/dev/null; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
      export PATH="$HOME/.cargo/bin:$PATH"
    else
      echo "==> cài Rust qua rustup (installing Rust with rustup)"
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
      export PATH="$HOME/.cargo/bin:$PATH"
    fi
  fi
  # Mesa and wgpu complain loudly without a runtime dir (containers, CI).
  if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "${XDG_RUNTIME_DIR}" ]; then
    XDG_RUNTIME_DIR="$(mktemp -d /tmp/bangtin-runtime.XXXXXX)"
    chmod 700 "$XDG_RUNTIME_DIR"
    export XDG_RUNTIME_DIR
  fi
}

# arm64 packages cross-built on an amd64 Debian machine (xtask/package.sh
# arm64, docs/packages.md): Debian's aarch64 cross gcc (linker, cc, strip),
# qemu-user (help2man and the qemu test run the arm64 programs), and the
# arm64 libraries the binaries link, from multiarch beside the amd64 ones —
# apt upgrades an amd64 library to the arm64 one's version when they
# differ, as multiarch requires.
BANGTIN_ARM64_APT_PACKAGES=(
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  libavcodec-dev:arm64 libavformat-dev:arm64 libavutil-dev:arm64
  libswscale-dev:arm64 libswresample-dev:arm64 libasound2-dev:arm64
)

bangtin_arm64_setup() {
  if ! [ -d "$(rustc --print target-libdir --target aarch64-unknown-linux-gnu 2>/dev/null)" ]; then
    echo "==> rustup target add aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu
  fi
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "==> dpkg --add-architecture arm64 (multiarch)"
    _bangtin_sudo dpkg --add-architecture arm64
  fi
  bangtin_apt_install "${BANGTIN_ARM64_APT_PACKAGES[@]}"
}

# The release build of the quick start (demo.sh). Scripts that run the
# release player build exactly this set: cargo unifies features across the
# packages of one build, so `-p bangtin-player` alone resolves chrono,
# tokio, digest… with fewer features than the pair does, and rebuilds them,
# the player and its link-time optimisation — and the next quick start
# rebuilds them back. bangtin-video is the player's FFmpeg library
# (libbangtin_video.so, opened when a video first plays): a cdylib, which
# nothing links, so it is named here.
bangtin_build_release() {
  cargo build --release -p bangtin-player -p bangtin-manager -p bangtin-video "$@"
}

# axe-core, for the web UI's accessibility checks in tests only (never
# shipped): the pinned npm tarball, checked against its sha512, into target/.
BANGTIN_AXE_VERSION=4.14.1
BANGTIN_AXE_SHA512=1477dafa598d8d065f273d6af302aa203c02e83131707b7fa648cd41bd3d6b734f8c22a0dab86ee6a6f64b8afbe804b214d36db85a2826965edfb3a0b9d546b5
bangtin_fetch_axe() {
  local root dest tgz
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dest="$root/target/axe-core"
  [ -f "$dest/axe.min.js" ] && [ "$(cat "$dest/version" 2>/dev/null)" = "$BANGTIN_AXE_VERSION" ] && return 0
  mkdir -p "$dest"
  tgz="$dest/axe-core.tgz"
  echo "==> tải axe-core $BANGTIN_AXE_VERSION cho kiểm thử (fetching axe-core for tests)"
  curl -sSfL -o "$tgz" "https://registry.npmjs.org/axe-core/-/axe-core-$BANGTIN_AXE_VERSION.tgz"
  if ! sha512sum "$tgz" | grep -q "^$BANGTIN_AXE_SHA512"; then
    echo "axe-core: sai mã băm (checksum mismatch)" >&2; return 1
  fi
  tar -xzf "$tgz" -C "$dest" --strip-components=1 package/axe.min.js package/LICENSE
  echo "$BANGTIN_AXE_VERSION" > "$dest/version"
}
