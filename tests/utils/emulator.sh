#!/usr/bin/env bash
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# emulator.sh demo                 start the CIPP emulator on a free port, run playbooks/demo.yml against it, stop it
# emulator.sh sandbox [PORT]       run the emulator until Ctrl-C (default port 8787) and print the CIPP_* exports
#
# Used by `make demo` and `make sandbox`, which build .venv and .build/collections first.
# Environment: VENV (default .venv), EMULATOR_SEED (default "default"), DEMO_ARGS (extra ansible-playbook args).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${VENV:-$root/.venv}
python=$venv/bin/python
seed=${EMULATOR_SEED:-default}
emulator_pid=

stop_emulator() {
    # Only the process this script started, by its PID.
    if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
}

# start_emulator WORKDIR PORT: start it in the background; sets emulator_url once it listens.
start_emulator() {
    local workdir=$1 port=$2
    local port_file=$workdir/emulator.port log=$workdir/emulator.log
    mkdir -p "$workdir"
    rm -f "$port_file"
    PYTHONPATH=$root/tests/emulator "$python" -m cipp_emulator --host 127.0.0.1 --port "$port" \
        --port-file "$port_file" --seed "$seed" >"$log" 2>&1 &
    emulator_pid=$!
    trap stop_emulator EXIT
    trap 'exit 130' INT TERM

    # The port file appears once the server listens; give a slow machine 30 s.
    local waited=0 content=
    while :; do
        if [ -s "$port_file" ]; then
            content=$(tr -d '[:space:]' < "$port_file")
            [ -n "$content" ] && break
        fi
        if ! kill -0 "$emulator_pid" 2>/dev/null; then
            echo "emulator.sh: the emulator exited before it listened; its log ($log):" >&2
            cat "$log" >&2
            exit 1
        fi
        if [ "$waited" -ge 300 ]; then
            echo "emulator.sh: the emulator did not write $port_file within 30 s; its log ($log):" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    # The port file holds the port; accept a full URL too.
    case "$content" in
        http://* | https://*) emulator_url=${content%/} ;;
        *) emulator_url=http://127.0.0.1:${content##*:} ;;
    esac
}

run_demo() {
    local workdir=$root/.build/demo
    start_emulator "$workdir" 0
    echo "emulator.sh: CIPP emulator (seed $seed) at $emulator_url, log in $workdir/emulator.log"

    local exports
    # Assigned first so that a failure stops the script (inside eval "$(...)" it would be ignored).
    exports=$("$python" "$root/tests/utils/emulator_env.py" "$emulator_url" "$workdir/tokens" editor)
    eval "$exports"
    export ANSIBLE_COLLECTIONS_PATH=$root/.build/collections
    # Module temp files would otherwise follow the passwd home; keep the demo's files under .build.
    export ANSIBLE_LOCAL_TEMP=$workdir/local_tmp ANSIBLE_REMOTE_TMP=$workdir/remote_tmp
    cd "$root"
    # "-i localhost," names the one host explicitly (no "empty inventory" warning); the play connects locally.
    # shellcheck disable=SC2086  # DEMO_ARGS is a list of arguments on purpose
    "$venv/bin/ansible-playbook" -i localhost, playbooks/demo.yml ${DEMO_ARGS:-}
}

run_sandbox() {
    local port=${1:-8787} workdir=$root/.build/sandbox exports
    start_emulator "$workdir" "$port"
    exports=$("$python" "$root/tests/utils/emulator_env.py" "$emulator_url" "$workdir/tokens" editor)
    cat <<EOF

CIPP emulator (seed $seed) listening at $emulator_url (log: $workdir/emulator.log).
Nothing here touches a real tenant. In another shell, export:

$exports
export ANSIBLE_COLLECTIONS_PATH=$root/.build/collections

then for example: ansible-playbook playbooks/demo.yml
Press Ctrl-C to stop the emulator.
EOF
    wait "$emulator_pid"
}

case "${1:-}" in
    demo) run_demo ;;
    sandbox) shift; run_sandbox "$@" ;;
    *) echo "usage: $0 demo | sandbox [PORT]" >&2; exit 2 ;;
esac
