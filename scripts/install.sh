#!/bin/sh
# Installs a release binary of pin for this machine, after checking its SHA-256 against the release's
# SHA256SUMS. Used by the GitHub Action (action.yml) and the Helm plugin's install hook; usable on its own:
#
#   sh install.sh [--version VERSION] [--to DIR]
#
# Environment (the flags win):
#   PIN_VERSION      a release version (0.1.0 or v0.1.0), or `latest` (the default)
#   PIN_INSTALL_DIR  where `pin` goes (default: $HOME/.local/bin)
#   PIN_RELEASE_URL  the releases page the archives are downloaded from, laid out as GitHub's
#                    (BASE/download/vX.Y.Z/FILE, BASE/latest/download/FILE); https, or http on the loopback
#   PIN_TARGET       the Rust target triple to install, instead of the one this machine is
#
# Exit status: 0 installed; 1 anything else (nothing is installed unless the checksum matched).
set -eu

version=${PIN_VERSION:-latest}
dir=${PIN_INSTALL_DIR:-${HOME:-}/.local/bin}
base=${PIN_RELEASE_URL:-https://github.com/imagepin/pin/releases}
target=${PIN_TARGET:-}

die() {
  echo "pin install: error: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case $1 in
    --version) [ $# -ge 2 ] || die "--version needs a value"; version=$2; shift 2 ;;
    --to) [ $# -ge 2 ] || die "--to needs a value"; dir=$2; shift 2 ;;
    -h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done

# The archive of each target, as the release workflow names it.
if [ -z "$target" ]; then
  os=$(uname -s)
  arch=$(uname -m)
  case $arch in
    x86_64|amd64) arch=x86_64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) die "no release binary for the $arch architecture; build from source: cargo install --locked imagepin" ;;
  esac
  case $os in
    Linux) target=$arch-unknown-linux-musl ;;
    Darwin) target=$arch-apple-darwin ;;
    MINGW*|MSYS*|CYGWIN*|Windows_NT) target=x86_64-pc-windows-msvc ;;
    *) die "no release binary for $os; build from source: cargo install --locked imagepin" ;;
  esac
fi
case $target in
  *-windows-*) archive=pin-$target.zip; exe=pin.exe ;;
  *) archive=pin-$target.tar.gz; exe=pin ;;
esac

# Integrity rests on the transport: the sums come from the same place as the archive.
case $base in
  https://*) ;;
  http://127.0.0.1:*|http://127.0.0.1/*|http://localhost:*|http://localhost/*|http://\[::1\]:*|http://\[::1\]/*) ;;
  *) die "PIN_RELEASE_URL must be an https:// URL (or http:// on the loopback): $base" ;;
esac
base=${base%/}
case $version in
  latest) url=$base/latest/download ;;
  v*) url=$base/download/$version ;;
  *) url=$base/download/v$version ;;
esac

if command -v curl >/dev/null 2>&1; then
  fetch() { curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget --quiet --tries=3 --output-document="$2" "$1"; }
else
  die "neither curl nor wget is installed"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is installed: cannot check the download"
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t pin-install)
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch "$url/$archive" "$tmp/$archive" || die "cannot download $url/$archive"
fetch "$url/SHA256SUMS" "$tmp/SHA256SUMS" || die "cannot download $url/SHA256SUMS"

# A line of `sha256sum` output: the hash, a space, a space or `*`, the file name.
want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || die "SHA256SUMS has no line for $archive"
[ "$(printf '%s\n' "$want" | wc -l | tr -d ' ')" = 1 ] || die "SHA256SUMS has more than one line for $archive"
got=$(sha256 "$tmp/$archive")
[ "$got" = "$want" ] || die "checksum mismatch for $archive: SHA256SUMS says $want, the download is $got; nothing was installed"

mkdir "$tmp/x"
case $archive in
  *.zip)
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$tmp/$archive" -d "$tmp/x"
    else
      powershell.exe -NoProfile -Command "Expand-Archive -LiteralPath '$tmp/$archive' -DestinationPath '$tmp/x'"
    fi ;;
  *) tar -xzf "$tmp/$archive" -C "$tmp/x" ;;
esac
bin=$tmp/x/pin-$target/$exe
[ -f "$bin" ] || die "$archive holds no pin-$target/$exe"

mkdir -p "$dir"
# Staged beside the target and renamed, so a running `pin` is never overwritten in place.
cp "$bin" "$dir/.$exe.install-$$"
chmod 755 "$dir/.$exe.install-$$"
mv -f "$dir/.$exe.install-$$" "$dir/$exe"
echo "pin install: $("$dir/$exe" --version) installed in $dir/$exe (checksum verified)" >&2
