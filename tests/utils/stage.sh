#!/usr/bin/env bash
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# stage.sh NAME COMMAND [ARG...]    run one stage of `make test`, timed
# stage.sh --summary                print the table of stages run so far
#
# A stage that writes a line to $STAGE_SKIP_FILE and succeeds is shown as SKIPPED with that line.
# Each stage's result and wall time are appended to $STAGE_LOG (default .build/stage-times.txt) so that
# `make test` can end with one table, and a failing run still shows how far it got and where time went.
set -uo pipefail

log=${STAGE_LOG:-.build/stage-times.txt}

if [ "${1:-}" = "--summary" ]; then
    echo
    echo "==== stage summary ===="
    if [ -f "$log" ]; then
        column -t -s $'\t' "$log" 2>/dev/null || cat "$log"
        awk -F '\t' '{ total += $3 + 0 } END { printf "total: %ds (%dm%02ds)\n", total, total / 60, total % 60 }' "$log"
    fi
    exit 0
fi

name=$1
shift
mkdir -p "$(dirname "$log")"
echo
echo "==== stage $name: $* ===="
start=$(date +%s)
# A stage that cannot run here (the 2.21 leg without Python 3.12) writes its reason into this file and exits 0.
STAGE_SKIP_FILE=$(mktemp)
export STAGE_SKIP_FILE
"$@"
rc=$?
elapsed=$(( $(date +%s) - start ))
skipped=$(head -n 1 "$STAGE_SKIP_FILE")
rm -f "$STAGE_SKIP_FILE"
if [ "$rc" -eq 0 ] && [ -n "$skipped" ]; then
    status="SKIPPED ($skipped)"
elif [ "$rc" -eq 0 ]; then
    status=ok
else
    status="FAILED (rc=$rc)"
fi
printf '%s\t%s\t%ss\n' "$name" "$status" "$elapsed" >> "$log"
echo "==== stage $name: $status in ${elapsed}s ===="
exit "$rc"
