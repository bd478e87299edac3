#!/bin/sh
# Helm's install hook for the pin plugin: a release binary of the plugin's version in $HELM_PLUGIN_DIR/bin
# (scripts/install.sh: checksum verified), unless a pin is on PATH already or PIN_SKIP_DOWNLOAD is set.
set -eu
if [ -n "${PIN_SKIP_DOWNLOAD:-}" ] || command -v pin >/dev/null 2>&1; then
  echo "pin plugin: using $(command -v pin || echo "\$PIN") (no download)" >&2
  exit 0
fi
version=$(sed -n 's/^version: *//p' "$HELM_PLUGIN_DIR/plugin.yaml")
exec sh "$HELM_PLUGIN_DIR/scripts/install.sh" --version "$version" --to "$HELM_PLUGIN_DIR/bin"
