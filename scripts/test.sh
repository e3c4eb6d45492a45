#!/usr/bin/env bash
# The README's test command (`make test`): every suite, then one closing line that adds up what
# the runners themselves reported.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d)
status=0

run() { # name, command...
    local name=$1
    shift
    echo "==> $name: $*"
    local started=$SECONDS
    "$@" 2>&1 | tee "$logs/$name.log"
    local rc=${PIPESTATUS[0]}
    echo "==> $name took $((SECONDS - started)) s"
    if [ "$rc" -ne 0 ]; then
        echo "==> $name FAILED (exit $rc)"
        status=1
    fi
}

# Throwaway database servers for the journal's PostgreSQL and MySQL backends (each installed
# from Debian's package if missing): `server LABEL SCRIPT DIR NAME` starts one with
# scripts/SCRIPT and exports its URL as VNGATE_TEST_NAME; where none can start, its tests say
# why (VNGATE_NAME_SKIPPED) and skip.
server() {
    local label=$1 script=$2 dir=$3 name=$4 url
    chmod 755 "$dir"
    if url=$(bash "scripts/$script" start "$dir" 2>"$logs/$script.err"); then
        export "VNGATE_TEST_$name=$url"
        echo "==> $label for the journal's tests: $url"
    else
        export "VNGATE_${name}_SKIPPED=$(cat "$logs/$script.err")"
        echo "==> $label tests skipped: $(cat "$logs/$script.err")"
    fi
}
pgdir=$(mktemp -d /tmp/vngate-pg.XXXXXX)
mydir=$(mktemp -d /tmp/vngate-mariadb.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pgdir"; bash scripts/mariadb.sh stop "$mydir"; rm -rf "$logs" "$pgdir" "$mydir"' EXIT
server PostgreSQL postgres.sh "$pgdir" POSTGRES
server MariaDB mariadb.sh "$mydir" MYSQL

# The leak sweep (last): every temporary file the suites leave (journals, logs) stays under
# $sweep until then, and the simulators note each secret they know, receive or hand out.
sweep=$(mktemp -d /tmp/vngate-sweep.XXXXXX)
chmod 755 "$sweep"
mkdir -m 755 "$sweep/tmp"
trap 'bash scripts/postgres.sh stop "$pgdir"; bash scripts/mariadb.sh stop "$mydir"; rm -rf "$logs" "$pgdir" "$mydir" "$sweep"' EXIT
export TMPDIR="$sweep/tmp" VNGATE_SWEEP_SECRETS="$sweep/secrets.txt"

# curl: the README's `vngate serve` session is run as written by the command's tests.
command -v curl >/dev/null || apt-get install -y -qq curl >/dev/null 2>&1 ||
    (apt-get update -qq && apt-get install -y -qq curl >/dev/null)
# The front without the journal (a build made small on purpose) refuses a journal's config.
run rust bash -c "cargo test --workspace && cargo test -p vngate-front --no-default-features"
run demo cargo run --quiet -p vngate-tests --bin vngate-demo
run soak bash -c "cargo build --quiet -p vngate-tests --bins && target/debug/vngate-soak 16 400"
run c bash tests/c/run.sh
run php bash tests/php/run.sh
run python bash tests/python/run.sh
run ops bash tests/serve/run.sh
# The artefacts users install (dist/), built for glibc >= 2.17, then tested as shipped.
run dist bash -c "bash scripts/dist.sh && bash scripts/test-dist.sh"
run sweep bash scripts/sweep.sh "$VNGATE_SWEEP_SECRETS" "$logs" "$sweep" "$pgdir" "$mydir"

# cargo: "test result: ok. 34 passed; 0 failed; …"
passed=$(grep -ho 'test result: [a-zA-Z]*\. [0-9]* passed; [0-9]* failed' "$logs"/rust.log | awk '{s+=$4} END {print s+0}')
failed=$(grep -ho 'test result: [a-zA-Z]*\. [0-9]* passed; [0-9]* failed' "$logs"/rust.log | awk '{s+=$6} END {print s+0}')
# the demo: "4 flows passed, 0 failed"
demo=$(grep -ho '^[0-9]* flows passed, [0-9]* failed' "$logs"/demo.log | tail -n1)
passed=$((passed + $(echo "$demo" | awk '{print $1+0}')))
failed=$((failed + $(echo "$demo" | awk '{print $4+0}')))
# the C and PHP programs: "31 passed, 0 failed", one line per program run (checks, not tests)
for suite in c php ops dist sweep; do
    passed=$((passed + $(grep -hE '^[0-9]+ passed, [0-9]+ failed$' "$logs/$suite.log" | awk '{s+=$1} END {print s+0}')))
    failed=$((failed + $(grep -hE '^[0-9]+ passed, [0-9]+ failed$' "$logs/$suite.log" | awk '{s+=$3} END {print s+0}')))
done
# pytest: "15 passed in 1.26s" or "14 passed, 1 failed in 2.0s"
pytest_line=$(grep -hE '^(=+ )?[0-9]+ (passed|failed)' "$logs/python.log" | tail -n1)
passed=$((passed + $(echo "$pytest_line" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')))
failed=$((failed + $(echo "$pytest_line" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # a suite died without reporting its failures
fi
echo
echo "vngate: $passed passed, $failed failed"
exit "$status"
