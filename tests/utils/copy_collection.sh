#!/usr/bin/env bash
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# copy_collection.sh DEST
#
# Writes a fresh copy of the collection to DEST (a path ending in ansible_collections/msp/cipp) for
# ansible-test, which must run from a real directory with that layout (it does not follow a symlinked
# collection root). The copy holds what git would hold: tracked files plus untracked files that are not
# ignored, so new work is tested before it is committed, while venvs, build output and caches are not.
# Python caches are dropped even if someone committed them: ansible-test would lint them as content.
set -euo pipefail

dest=$1
case "$dest" in
    */ansible_collections/msp/cipp) ;;
    *) echo "copy_collection: DEST must end in ansible_collections/msp/cipp, got '$dest'" >&2; exit 2 ;;
esac

root=$(git rev-parse --show-toplevel)
rm -rf "$dest"
mkdir -p "$dest"

cd "$root"
# -z keeps odd file names intact; files deleted in the work tree but still tracked are skipped.
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do
        case "$file" in
            */__pycache__/* | *.pyc) continue ;;
        esac
        if [ -e "$file" ] || [ -L "$file" ]; then
            printf '%s\0' "$file"
        fi
    done \
    | tar --null --files-from=- --create --file=- \
    | tar --extract --file=- --directory="$dest"

# ansible-test lists content with git when it finds a repository. DEST sits under .build/, which the work
# tree's .gitignore ignores, so git would report no files and every sanity test would be skipped. Making
# the copy its own (empty) repository fixes the listing: its files are "untracked, not ignored".
git -C "$dest" init --quiet
