#!/usr/bin/env bash
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# ensure_venv.sh PYTHON VENV_DIR REQUIREMENTS_FILE
#
# Makes VENV_DIR a virtual environment of PYTHON with exactly REQUIREMENTS_FILE installed, and leaves an
# existing one alone when it is still current. "Current" means: the stamp file records the same hash of
# the requirements file and the same interpreter version. A hash, not make's mtime comparison, because
# a fresh git clone gives every file a new mtime and CI would rebuild for nothing (or, worse, an edit
# with an old mtime would be missed). An interrupted install leaves no stamp, so the next run rebuilds.
set -euo pipefail

python=$1
venv=$2
requirements=$3
stamp="$venv/.msp-cipp-requirements.stamp"

if ! "$python" -c 'import sys, venv' >/dev/null 2>&1; then
    echo "ensure_venv: cannot run '$python' (set PYTHON/PYTHON312 to a working interpreter)" >&2
    exit 1
fi

wanted="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$venv/bin/python" ]; then
    exit 0
fi

echo "ensure_venv: building $venv from $requirements with $python"
rm -rf "$venv"
"$python" -m venv "$venv"
# Pip's "Location 'file:///...' is ignored" lines come from this machine's pip config; they are noise.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
    | { grep -v "is ignored" || true; }
"$venv/bin/python" -m pip check
echo "$wanted" > "$stamp"
