#!/usr/bin/env bash
# The money campaign, long (`make campaign`): CAMPAIGN_SCHEDULES seeded schedules (default 100)
# on SQLite, then as many on a throwaway PostgreSQL and on a throwaway MariaDB, each checked against the simulator's
# truth (tests/campaign/campaign.py says what a schedule does and checks). `make test` runs a
# short one inside the Python suite. Uses the Python suite's virtual environment and wheel
# (built here when missing). CAMPAIGN_SEED picks the first seed (default 1000).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/target/venv
schedules=${CAMPAIGN_SCHEDULES:-100}
seed=${CAMPAIGN_SEED:-1000}

cargo build --quiet -p vngate-tests --bin vngate-sim && cargo build --quiet -p vngate-cli || exit 1
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" || exit 1
# The package as users install it, from these sources.
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python || exit 1

pgdir=$(mktemp -d /tmp/vngate-pg.XXXXXX)
mydir=$(mktemp -d /tmp/vngate-mariadb.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pgdir"; bash scripts/mariadb.sh stop "$mydir"; rm -rf "$pgdir" "$mydir"' EXIT
chmod 755 "$pgdir" "$mydir"
status=0
started=$(date +%s)
"$venv/bin/python" tests/campaign/campaign.py --schedules "$schedules" --seed "$seed" || status=1
if url=$(bash scripts/postgres.sh start "$pgdir" 2>/dev/null); then
    VNGATE_TEST_POSTGRES=$url "$venv/bin/python" tests/campaign/campaign.py --backend postgres \
        --schedules "$schedules" --seed "$((seed + schedules))" || status=1
else
    echo "campaign: PostgreSQL skipped (no server could start)"
fi
if url=$(bash scripts/mariadb.sh start "$mydir" 2>/dev/null); then
    VNGATE_TEST_MYSQL=$url "$venv/bin/python" tests/campaign/campaign.py --backend mariadb \
        --schedules "$schedules" --seed "$((seed + 2 * schedules))" || status=1
else
    echo "campaign: MariaDB skipped (no server could start)"
fi
echo "campaign: $(( $(date +%s) - started )) s"
exit $status
