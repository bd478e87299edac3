#!/bin/sh
# A Helm post-renderer: the rendered manifests on stdin, the same bytes with every image pinned on stdout
# (pin -). On any error pin exits non-zero and writes nothing on stdout, so Helm applies nothing.
#
# Helm 4 runs it as the postrenderer/v1 plugin `pin` (../plugin.yaml): `--post-renderer pin`, each
# `--post-renderer-args` value an argument here. Helm 3 runs it as an executable:
#   helm install web ./chart --post-renderer ./helm-plugin/pin-postrenderer.sh
# Arguments go to pin after `-` (e.g. --lock pin.lock --offline, --keep-tag, --insecure-registry HOST).
#
# The pin it runs: $PIN when set, else the plugin's own bin/pin (put there by the install hook), else pin
# on PATH.
set -eu
if [ -n "${PIN:-}" ]; then
  pin=$PIN
elif [ -n "${HELM_PLUGIN_DIR:-}" ] && [ -x "$HELM_PLUGIN_DIR/bin/pin" ]; then
  pin=$HELM_PLUGIN_DIR/bin/pin
elif command -v pin >/dev/null 2>&1; then
  pin=pin
else
  echo "pin post-renderer: pin is not installed (pipx install imagepin, or a release binary on PATH), or set PIN" >&2
  exit 127
fi
exec "$pin" - "$@"
