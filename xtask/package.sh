#!/usr/bin/env bash
# Builds the Debian packages bangtin-player and bangtin-manager with
# cargo-deb (docs/packages.md): release binaries by default, into
# $CARGO_TARGET_DIR/debian/ (target/debian/).
#   bash xtask/package.sh [amd64|arm64] [--dev] [--no-build] [--deb-version V] [--out DIR] [-p PACKAGE]
#     -p             only this package (bangtin-manager or bangtin-player)
#     --dev          package the dev-profile binaries (what `cargo test` built)
#     --no-build     do not run cargo build; package the binaries already there
#     --deb-version  the packages' version, revision included (default: the
#                    workspace version, revision 1)
#     --out          where the .deb files go
# arm64 is not done yet: it exits with status 2.
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

if [ "$arch" = arm64 ]; then
  echo "arm64: chưa có (not yet): cross-building the arm64 packages is a later part of issue #15" >&2
  exit 2
fi
if [ "$(dpkg --print-architecture 2>/dev/null)" != amd64 ]; then
  echo "gói amd64 cần máy amd64 (amd64 packages are built on an amd64 Debian machine)" >&2
  exit 2
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
  echo "==> cargo build --profile $profile (bangtin-manager, bangtin-player, bangtin-video)"
  cargo build --locked --profile "$profile" -p bangtin-manager -p bangtin-player -p bangtin-video --bins --lib
fi

# Man pages from the programs' own --help (help2man), so they cannot drift
# from it; cargo-deb maps "target/release/man/…" in the metadata to here.
profile_dir="$profile"
[ "$profile" = dev ] && profile_dir=debug
man="$target/$profile_dir/man"
mkdir -p "$man"
manpage() { # program section name
  local bin="$target/$profile_dir/$1"
  [ -x "$bin" ] || { echo "thiếu $bin: chạy lại không có --no-build (not built)" >&2; exit 1; }
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
  [ -n "$deb_version" ] && args+=(--deb-version "$deb_version")
  # cargo-deb reads binaries from "target/release/…" in the metadata and
  # maps that to CARGO_TARGET_DIR and the profile's folder itself.
  CARGO_TARGET_DIR="$target" "$cargo_deb" "${args[@]}"
done
