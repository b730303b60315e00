#!/usr/bin/env bash
# Builds the Debian packages bangtin-player and bangtin-manager with
# cargo-deb (docs/packages.md): release binaries by default, into
# $CARGO_TARGET_DIR/debian/ (target/debian/). amd64 natively; arm64
# cross-built on an amd64 Debian machine (Debian's aarch64 cross gcc, the
# arm64 FFmpeg and ALSA libraries through multiarch, installed when
# missing; the binaries in target/aarch64-unknown-linux-gnu/), tested
# under qemu-user by xtask/package-arm64-test.sh.
#   bash xtask/package.sh [amd64|arm64] [--dev] [--no-build] [--deb-version V] [--out DIR] [-p PACKAGE]
#     -p             only this package (bangtin-manager or bangtin-player)
#     --dev          package the dev-profile binaries (what `cargo test` built)
#     --no-build     do not run cargo build; package the binaries already there
#     --deb-version  the packages' version, revision included (default: the
#                    workspace version, revision 1)
#     --out          where the .deb files go
set -euo pipefail
cd "$(dirname "$0")/.."

arch=amd64
profile=release
build=1
deb_version=""
target="${CARGO_TARGET_DIR:-$PWD/target}"
out=""
packages=(bangtin-manager bangtin-player)
while [ $# -gt 0 ]; do
  case "$1" in
    amd64 | arm64) arch="$1" ;;
    --dev) profile=dev ;;
    --no-build) build=0 ;;
    --deb-version) deb_version="$2"; shift ;;
    --out) out="$2"; shift ;;
    -p) packages=("$2"); shift ;;
    *) echo "cách dùng (usage): bash xtask/package.sh [amd64|arm64] [--dev] [--no-build] [--deb-version V] [--out DIR] [-p PACKAGE]" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-$target/debian}"

if [ "$(dpkg --print-architecture 2>/dev/null)" != amd64 ]; then
  echo "gói cần máy amd64 (the packages are built on an amd64 Debian machine; arm64 is cross-built there)" >&2
  exit 2
fi

# arm64: the Rust target, Debian's cross toolchain and the arm64 -dev
# libraries (multiarch, beside the amd64 ones), then cargo pointed at them.
# Only this script's environment is changed: a plain `cargo build` stays a
# host build.
triple=""
if [ "$arch" = arm64 ]; then
  triple=aarch64-unknown-linux-gnu
  source xtask/setup.sh
  bangtin_arm64_setup
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
  # FFmpeg's and ALSA's .pc files for arm64 (ffmpeg-sys-next, alsa-sys):
  # per-target variables, so build scripts that probe for the host still
  # find the host's.
  export PKG_CONFIG_ALLOW_CROSS_aarch64_unknown_linux_gnu=1
  export PKG_CONFIG_LIBDIR_aarch64_unknown_linux_gnu=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
fi

# cargo-deb, pinned, built once into a cache outside the source tree (a
# fresh clone in CI finds it there on the same machine).
BANGTIN_CARGO_DEB_VERSION=3.8.0
tools="${BANGTIN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bangtin-tools}/cargo-deb-$BANGTIN_CARGO_DEB_VERSION"
cargo_deb="$tools/bin/cargo-deb"
if ! "$cargo_deb" --version 2>/dev/null | grep -qx "cargo-deb $BANGTIN_CARGO_DEB_VERSION"; then
  echo "==> cài cargo-deb $BANGTIN_CARGO_DEB_VERSION (installing cargo-deb into $tools)"
  cargo install -q cargo-deb --version "$BANGTIN_CARGO_DEB_VERSION" --locked --root "$tools" \
    --target-dir "$tools/build"
  rm -rf "$tools/build"
fi

if [ "$build" = 1 ]; then
  # One build for both, so the two share every dependency's features.
  echo "==> cargo build --profile $profile ${triple:+--target $triple }(bangtin-manager, bangtin-player, bangtin-video)"
  cargo build --locked --profile "$profile" ${triple:+--target "$triple"} \
    -p bangtin-manager -p bangtin-player -p bangtin-video --bins --lib
fi

# Man pages from the programs' own --help (help2man), so they cannot drift
# from it; cargo-deb maps "target/release/man/…" in the metadata to here
# (target/<triple>/release/man/… with --target).
profile_dir="$profile"
[ "$profile" = dev ] && profile_dir=debug
bins="$target${triple:+/$triple}/$profile_dir"
man="$bins/man"
mkdir -p "$man"
manpage() { # program section name
  local bin="$bins/$1"
  [ -x "$bin" ] || { echo "thiếu $bin: chạy lại không có --no-build (not built)" >&2; exit 1; }
  if [ -n "$triple" ]; then
    # help2man runs the program: the arm64 one through qemu-user, with the
    # arm64 libraries multiarch put under / (a wrapper of the same name).
    mkdir -p "$bins/qemu-run"
    printf '#!/bin/sh\nexec qemu-aarch64 -L / %q "$@"\n' "$bin" >"$bins/qemu-run/$1"
    chmod 755 "$bins/qemu-run/$1"
    bin="$bins/qemu-run/$1"
  fi
  LC_ALL=C.UTF-8 help2man --locale=C.UTF-8 --no-info --section "$2" --name "$3" \
    --include <(printf '[SEE ALSO]\n%s COMMAND --help; /usr/share/doc/%s/ (docs/packages.md).\n' "$1" "$1") \
    --output "$man/$1.$2" "$bin"
  gzip -9nf "$man/$1.$2"
}
for pkg in "${packages[@]}"; do
  case "$pkg" in
    bangtin-manager) manpage bangtin-manager 8 "Bangtin manager: the boards' server, web UI and API" ;;
    bangtin-player) manpage bangtin-player 1 "Bangtin board player: kiosk, headless render, checks" ;;
    *) echo "không có gói $pkg (no such package)" >&2; exit 2 ;;
  esac
done

compress=()
# The test's packages (--dev) only need to be quick to make.
[ "$profile" = dev ] && compress=(--fast)
mkdir -p "$out"
for pkg in "${packages[@]}"; do
  args=(-p "$pkg" --no-build --locked --profile "$profile" --strip --no-dbgsym "${compress[@]}" -o "$out/")
  # --target: the binaries from target/<triple>/, the arm64 strip, and
  # dpkg-shlibdeps resolving against /usr/lib/aarch64-linux-gnu.
  [ -n "$triple" ] && args+=(--target "$triple")
  [ -n "$deb_version" ] && args+=(--deb-version "$deb_version")
  # cargo-deb reads binaries from "target/release/…" in the metadata and
  # maps that to CARGO_TARGET_DIR, the target and the profile's folder itself.
  CARGO_TARGET_DIR="$target" "$cargo_deb" "${args[@]}"
done
