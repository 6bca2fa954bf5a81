#!/usr/bin/env bash
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# find_python312.sh    print the path of a working Python 3.12 (for the ansible-core 2.21 leg), or nothing
#
# Looks, in order, at $PYTHON312, python3.12 on PATH, pyenv's versions (newest 3.12 first) and the usual system
# places. Each candidate is run: pyenv's shims exist on PATH even when the version behind them is not installed
# (or not the global one) and then fail, so a name that merely exists proves nothing.
set -uo pipefail

works() {
    [ -n "$1" ] && "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' >/dev/null 2>&1
}

candidates=()
[ -n "${PYTHON312:-}" ] && candidates+=("$PYTHON312")
candidates+=("$(command -v python3.12 2>/dev/null || true)")
pyenv_root=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}
if [ -d "$pyenv_root/versions" ]; then
    while IFS= read -r version; do
        candidates+=("$pyenv_root/versions/$version/bin/python3.12")
    done < <(for dir in "$pyenv_root"/versions/3.12*; do [ -d "$dir" ] && echo "${dir##*/}"; done | sort -t. -k3,3nr)
fi
candidates+=(/usr/bin/python3.12 /usr/local/bin/python3.12 /opt/python/3.12/bin/python3.12)

for candidate in "${candidates[@]}"; do
    if works "$candidate"; then
        echo "$candidate"
        exit 0
    fi
done
exit 1
