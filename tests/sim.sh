# Sourced by tests/c/run.sh and tests/php/run.sh: `with_sim COMMAND…` runs COMMAND against a
# fresh simulator on a free port (its first line says where), exported as VNGATE_SIM_URL, so
# that every run starts from the same state. Needs $root and a built target/debug/vngate-sim.
sim_log=$(mktemp)
sim_pid=
trap '[ -n "$sim_pid" ] && kill $sim_pid 2>/dev/null; rm -f "$sim_log"' EXIT

with_sim() {
    "$root/target/debug/vngate-sim" > "$sim_log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 200); do
        grep -q "listening on" "$sim_log" 2>/dev/null && break
        sleep 0.05
    done
    VNGATE_SIM_URL=$(sed -n 's/.*listening on //p' "$sim_log" | head -n1)
    export VNGATE_SIM_URL
    [ -n "$VNGATE_SIM_URL" ] || { echo "the simulator did not start"; return 1; }
    "$@"
    local rc=$?
    # How many connections carried the provider requests: fewer than requests when the
    # client's pool is used (the simulator keeps connections alive).
    python3 - "$VNGATE_SIM_URL" <<'PY' 2>/dev/null
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(sys.argv[1] + "/__sim/stats", timeout=5))
print(f"# simulator: {stats['total']['requests']} provider requests over {stats['total']['connections']} connections")
PY
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null
    sim_pid=
    return $rc
}
