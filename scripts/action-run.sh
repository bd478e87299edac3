#!/usr/bin/env bash
# The GitHub Action's run step (action.yml): runs `pin` with the action's inputs, records its exit status
# and, when asked, a SARIF log for code scanning. It always exits 0 itself so that the SARIF upload runs;
# the action's last step exits with pin's status.
#
# Inputs come as INPUT_COMMAND, INPUT_ARGS, INPUT_FORMAT, INPUT_CHECK, INPUT_SARIF; outputs go to
# $GITHUB_OUTPUT (exit-code, sarif-file).
set -uo pipefail
# The args are split on whitespace and never globbed: `--exclude 'vendor/**'` reaches pin as written.
set -f

command=()
case ${INPUT_COMMAND:-} in
  "" | pin) ;;
  update | verify | list | unpin) command=("$INPUT_COMMAND") ;;
  *) echo "::error title=pin::unknown command input \"${INPUT_COMMAND}\" (pin, update, verify, list, unpin)"; echo "exit-code=2" >> "$GITHUB_OUTPUT"; exit 0 ;;
esac
flags=()
if [ "${INPUT_CHECK:-true}" = true ] && [ "${INPUT_COMMAND:-}" != verify ] && [ "${INPUT_COMMAND:-}" != list ]; then
  flags+=(--check)
fi
read -r -a args <<< "${INPUT_ARGS:-.}"

status=0
pin ${command[@]+"${command[@]}"} ${flags[@]+"${flags[@]}"} --format "${INPUT_FORMAT:-github}" ${args[@]+"${args[@]}"} || status=$?
echo "exit-code=$status" >> "$GITHUB_OUTPUT"

if [ "${INPUT_SARIF:-false}" = true ]; then
  sarif="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/pin.sarif"
  # A second run for the log; its status is the first run's (same files, same answers).
  pin ${command[@]+"${command[@]}"} ${flags[@]+"${flags[@]}"} --quiet --format sarif ${args[@]+"${args[@]}"} > "$sarif" || true
  echo "sarif-file=$sarif" >> "$GITHUB_OUTPUT"
fi
exit 0
