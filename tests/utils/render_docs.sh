#!/usr/bin/env bash
# Render the collection's reference (modules, inventory plugin, filters, roles) as reStructuredText with
# antsibull-docs, from this work tree, offline.
#
#   tests/utils/render_docs.sh [DEST_DIR]      default DEST_DIR: docs/collection (committed)
#
# antsibull-docs reads the collection through ansible-doc, so msp.cipp must be importable from a collections
# path: .build/collections/ansible_collections/msp/cipp, the symlink to this tree that `make collection` makes
# (made here too when missing). --use-current documents that installed copy instead of fetching from Galaxy;
# --fail-on-error makes a doc that does not parse fail the run instead of becoming an error page.
# The output is written to a temporary directory first and moved into place at the end, so a failed render
# never leaves DEST_DIR half empty. VENV (default .venv) must have antsibull-docs (pinned in requirements-dev.txt).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
DEST=${1:-$ROOT/docs/collection}
COLLECTIONS=$ROOT/.build/collections
LINK=$COLLECTIONS/ansible_collections/msp/cipp

if [ ! -x "$VENV/bin/antsibull-docs" ]; then
    echo "render_docs: $VENV/bin/antsibull-docs not found; run 'make venv' first" >&2
    exit 1
fi
if [ ! -f "$LINK/galaxy.yml" ]; then
    mkdir -p "$(dirname "$LINK")"
    ln -sfn ../../../.. "$LINK"
fi

DEST=$(mkdir -p "$DEST" && cd "$DEST" && pwd)
# Outside the work tree, so a collection build running meanwhile never packs half-rendered pages.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/msp_cipp_render_docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# antsibull-docs insists that its output directory exists and is writable by its owner only.
mkdir -m 0755 "$WORK/out"

PATH=$VENV/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS ANSIBLE_HOME=$WORK/.ansible \
    "$VENV/bin/antsibull-docs" collection --use-current --fail-on-error --output-format simplified-rst \
    --dest-dir "$WORK/out" msp.cipp

rm -rf "$DEST"
mv "$WORK/out" "$DEST"
echo "render_docs: $(find "$DEST" -name '*.rst' | wc -l) pages in $DEST"
