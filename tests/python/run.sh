#!/usr/bin/env bash
# The Python suite: builds the abi3 wheel the way users get it (pip from ./python) in a
# virtual environment, installs it, then runs pytest, stubtest and mypy --strict.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
venv=$root/target/venv

[ -x "$venv/bin/python" ] || python3 -m venv "$venv" || exit 1
"$venv/bin/pip" install --quiet --disable-pip-version-check maturin pytest mypy flask fastapi uvicorn || exit 1
cargo build --quiet -p vngate-tests --bin vngate-sim && cargo build --quiet -p vngate-cli || exit 1

rm -rf "$root/target/wheels"
started=$(date +%s)
# Built as a developer builds it (cargo's dev profile, reusing the test build's dependencies):
# the release wheel users install is `make dist`'s, and scripts/test-dist.sh runs this same
# suite on it. A release build here took three minutes of every `make test`.
MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" wheel --quiet --disable-pip-version-check --no-deps ./python -w "$root/target/wheels" || exit 1
echo "# the wheel from source (pip wheel ./python, dev profile): $(( $(date +%s) - started )) s"
wheel=$(ls "$root"/target/wheels/vngate-*.whl)
echo "# wheel: $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel" || exit 1

status=0
(cd tests/python && "$venv/bin/python" -m pytest -q -p no:cacheprovider) || status=1
# Outside the source tree, so that the installed package is what is checked.
(cd /tmp && "$venv/bin/python" -m mypy.stubtest vngate._vngate) || status=1
(cd python && "$venv/bin/python" -m mypy --strict --cache-dir "$root/target/mypy" vngate) || status=1
# An application's calls typed with the generated model, against the installed package.
(cd /tmp && "$venv/bin/python" -m mypy --strict --cache-dir "$root/target/mypy" "$root/tests/python/typed/usage.py") || status=1
# The money campaign, short (make campaign runs the long one): SQLite, and PostgreSQL when
# make test started one, and MariaDB likewise.
"$venv/bin/python" tests/campaign/campaign.py --schedules 2 --seed 1 || status=1
"$venv/bin/python" tests/campaign/campaign.py --schedules 1 --seed 3 --backend postgres || status=1
"$venv/bin/python" tests/campaign/campaign.py --schedules 1 --seed 4 --backend mariadb || status=1
exit $status
