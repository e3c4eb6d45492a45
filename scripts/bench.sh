#!/usr/bin/env bash
# `make bench`: the benchmark (not a test). A fixed-reply chargingws server on loopback, the
# keep-alive limit (`wrk -t1 -c1` posting the same request as the fronts), the floor under it
# (tests/src/bin/vngate-bench.rs: a client that does nothing but one write and one read per
# call), then every front and the peers, in interleaved rounds, everything pinned to one CPU;
# each is printed as a ratio to its round's limit and floor (medians over the rounds). Then
# callback verifications per second per front, syscalls per call, and micro-benchmarks.
# The Rust front is measured twice: built with the workspace's release profile (fat LTO), and
# as a Rust application builds it (cargo's default release profile: `rust-default`).
# Every ratio is printed with its range over the rounds, and the machine's load before and
# after, so that a reader can judge a run.
#   BENCH_ROUNDS (default 5), BENCH_SECS per measurement (default 1), BENCH_CPU (default 0),
#   BENCH_MEMORY_CALLS: calls and verifications per front for the memory run (default 1 000 000).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rounds=${BENCH_ROUNDS:-5}
secs=${BENCH_SECS:-1}
export BENCH_SECS=$secs
pin="taskset -c ${BENCH_CPU:-0}"
out=$root/target/bench
mkdir -p "$out"

cargo build --release --quiet -p vngate-ffi
cargo build --release --quiet -p vngate-tests --bin vngate-bench
cargo build --profile default-release --quiet -p vngate-tests --bin vngate-bench
bench=$root/target/release/vngate-bench
bench_default=$root/target/default-release/vngate-bench
# The SONAME is libvngate.so.0: what the linked program asks the loader for.
ln -sf libvngate.so target/release/libvngate.so.0
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -pthread tests/c/bench.c -I include \
    -L target/release -Wl,-rpath,"$root/target/release" -lvngate -o "$out/bench-c"

venv=$root/target/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check maturin requests
rm -rf "$out/wheel"
"$venv/bin/pip" wheel --quiet --disable-pip-version-check --no-deps ./python -w "$out/wheel"
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$out"/wheel/vngate-*.whl
# The Python floor (python/bench/floor): the least a front that returns the answer can do, built
# as the wheel's module is (the release profile, maturin's environment variable).
PYO3_BUILD_EXTENSION_MODULE=1 PYO3_PYTHON="$venv/bin/python" \
    cargo build --release --quiet -p vngate-python-floor
mkdir -p "$out/floor"
cp target/release/libfloor.so "$out/floor/floor.abi3.so"
if ! command -v wrk >/dev/null || ! command -v strace >/dev/null; then
    echo "installing wrk (the limit) and strace (syscalls per call)"
    apt-get install -y -qq wrk strace >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk strace >/dev/null)
fi
# wrk sends what the fronts send: a form POST of the size of vngate's `check`.
cat > "$out/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "telco=VIETTEL&code=312821445892980&serial=10004783347874&amount=10000&request_id=bench-1&partner_id=10001&sign=0123456789abcdef0123456789abcdef&command=check"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
# The same argument order as the other commands (URL then SECS), one number out.
cat > "$out/wrk.sh" <<'SH'
#!/usr/bin/env bash
secs=${2%.*}
[ "${secs:-0}" -ge 1 ] || secs=1
wrk -t1 -c1 -d"${secs}s" -s "$(dirname "$0")/post.lua" "$1/chargingws/v2" | awk '/Requests\/sec/ {print $2}'
SH
chmod +x "$out/wrk.sh"
if ! php -m | grep -qi '^curl$'; then
    echo "installing php-curl (the PHP peer)"
    apt-get install -y -qq php-curl >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq php-curl >/dev/null)
fi
export VNGATE_LIB=$root/target/release/libvngate.so

# The machine: what else runs on it shows in the load average (1, 5, 15 minutes).
{
    echo "cpus $(nproc) ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1))"
    echo "load-before $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/machine.txt"

$pin "$bench" server > "$out/server.txt" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$out/server.txt" ] && break; sleep 0.1; done
url=$(head -n1 "$out/server.txt")
# A second server that answers after 20 ms, for 16 threads sharing one client (not pinned: the
# threads wait in parallel; ideal = 16 / 0.02 s = 800 calls/s).
"$bench" server 20 > "$out/slow.txt" &
slow_server=$!
trap 'kill $server $slow_server 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$out/slow.txt" ] && break; sleep 0.1; done
slow=$(head -n1 "$out/slow.txt")
"$bench" callback > "$out/callback.json"
callback=$out/callback.json
php=(php -d ffi.enable=1 "$root/php/tests/bench.php")
py=("$venv/bin/python" "$root/python/bench/bench.py")

# name, then the command (URL/FILE and SECS appended)
declare -A cmd=(
    [limit]="$out/wrk.sh $url"
    [floor]="$bench limit $url"
    [rust]="$bench rust $url"
    [rust-default]="$bench_default rust $url"
    [c]="$out/bench-c call $url"
    [php]="${php[*]} call $url"
    [python]="${py[*]} call $url"
    [python-thread]="${py[*]} call-thread $url"
    [python-floor]="env PYTHONPATH=$out/floor ${py[*]} floor $url"
    [php-curl]="${php[*]} curl $url"
    [python-requests]="${py[*]} requests $url"
    [limit-fresh]="$bench limit-fresh $url"
    [rust-money]="$bench rust-money $url"
    [rust-money-default]="$bench_default rust-money $url"
    [c-money]="$out/bench-c money $url"
    [php-money]="${php[*]} money $url"
    [python-money]="${py[*]} money $url"
    [php-curl-money]="${php[*]} curl-money $url"
    [rust-verify]="$bench verify"
    [rust-verify-default]="$bench_default verify"
    [c-verify]="$out/bench-c verify $callback"
    [php-verify]="${php[*]} verify $callback"
    [python-verify]="${py[*]} verify $callback"
)
order=(limit floor rust rust-default c php python python-thread python-floor php-curl python-requests limit-fresh rust-money rust-money-default c-money php-money python-money php-curl-money rust-verify rust-verify-default c-verify php-verify python-verify)
: > "$out/rounds.txt"
: > "$out/threads.txt"
for round in $(seq "$rounds"); do
    for name in "${order[@]}"; do
        rate=$($pin ${cmd[$name]} "$secs" | tail -n1)
        echo "$round $name $rate" >> "$out/rounds.txt"
    done
    echo "# round $round of $rounds done"
done
echo "load-after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

# HTTPS, as providers serve: the same calls over TLS to a local server (rustls, TLS 1.3, the
# test CA's certificate, which every client trusts through its CA option), against curl
# (libcurl with OpenSSL, through PHP's curl) with its handle reused, and for money calls (a
# connection of their own) against curl with a new handle per call sharing its TLS sessions.
# The server counts handshakes, full and resumed.
$pin "$bench" tls-server > "$out/tls.txt" &
tls_server=$!
trap 'kill $server $slow_server $tls_server 2>/dev/null' EXIT
for _ in $(seq 50); do [ "$(wc -l < "$out/tls.txt")" -ge 2 ] && break; sleep 0.1; done
tls_url=$(sed -n 1p "$out/tls.txt")
tls_control=$(sed -n 2p "$out/tls.txt")
# The same commands with the TLS server's URL, and wrk over TLS for the limit.
declare -A tls=([limit]="$out/wrk.sh $tls_url")
tls_order=(limit rust rust-default c php php-curl rust-money c-money php-money php-curl-money)
for name in "${tls_order[@]:1}"; do tls[$name]=${cmd[$name]/%$url/$tls_url}; done
: > "$out/tls-rounds.txt"
for round in $(seq "$rounds"); do
    for name in "${tls_order[@]}"; do
        before=$(curl -s "$tls_control")
        rate=$(VNGATE_BENCH_CA=$root/tests/data/test-ca.pem $pin ${tls[$name]} "$secs" | tail -n1)
        after=$(curl -s "$tls_control")
        echo "$round $name $rate $before $after" >> "$out/tls-rounds.txt"
    done
    echo "# HTTPS round $round of $rounds done"
done

for name in rust c python; do
    case $name in
        rust) rate=$("$bench" rust-threads "$slow" 2 | tail -n1) ;;
        c) rate=$("$out/bench-c" threads "$slow" 2 | tail -n1) ;;
        python) rate=$("${py[@]}" threads "$slow" 2 | tail -n1) ;;
    esac
    echo "threads $name $rate" >> "$out/threads.txt"
done

# Memory: RSS after a warm-up, halfway and at the end of N pooled calls, then of N
# verifications, per front.
export BENCH_MEMORY_CALLS=${BENCH_MEMORY_CALLS:-1000000}
n=$BENCH_MEMORY_CALLS
{
    echo "rust $($pin "$bench" memory "$url" "$n")"
    echo "c $($pin "$out/bench-c" memory "$url" "$callback" "$n")"
    echo "php $($pin "${php[@]}" memory "$url" "$callback" "$n")"
    echo "python $($pin "${py[@]}" memory "$url" "$callback" "$n")"
} > "$out/memory.txt"

# Syscalls per call: two runs under strace, 1 s and 2 s; the difference in syscalls over the
# difference in calls (what starting the interpreter costs cancels out).
: > "$out/syscalls.txt"
for name in rust c php python; do
    counts=()
    for s in 1 2; do
        rate=$(strace -f -c -o "$out/strace.txt" $pin ${cmd[$name]} "$s" | tail -n1)
        total=$(awk '/ total$/ {print $4}' "$out/strace.txt")
        counts+=("$rate" "$total")
    done
    echo "$name ${counts[*]}" >> "$out/syscalls.txt"
done

"$venv/bin/python" - "$out/rounds.txt" <<'PY'
import os, statistics, sys
from collections import defaultdict
rates = defaultdict(dict)
for line in open(sys.argv[1]):
    r, name, rate = line.split()
    rates[name][int(r)] = float(rate)
def ratios(name, base):
    return [rates[name][r] / rates[base][r] for r in rates[base]]
def row(name, base, note="", floor=None):
    med = statistics.median(rates[name].values())
    r = ratios(name, base)
    ratio = f"{statistics.median(r):.2f} ({min(r):.2f}-{max(r):.2f})"
    under = f"{statistics.median(ratios(name, floor)):.2f}" if floor else ""
    print(f"| {name} | {med:,.0f} | {ratio} | {under} | {note} |")
machine = dict(line.rstrip("\n").split(" ", 1) for line in open(sys.argv[1].replace("rounds", "machine")))
print(f"\n{len(next(iter(rates.values())))} rounds; {machine['cpus']} CPUs; load average "
      f"(1, 5, 15 min) before: {machine['load-before']}, after the rounds: {machine['load-after']}")
print("\n| client | calls/s (median) | ratio to its round's limit: median (min-max over the rounds) | ratio to its round's floor | |")
print("|---|---|---|---|---|")
row("limit", "limit", "wrk -t1 -c1, keep-alive, one connection", "floor")
row("floor", "limit", "one write and one read per call, nothing else", "floor")
notes = {
    "rust-default": "cargo's default release profile, as a Rust application builds it",
    "python-floor": "the least a Python front returning the answer does: python/bench/floor",
}
for name in ["rust", "rust-default", "c", "php", "python", "python-thread", "python-floor", "php-curl", "python-requests"]:
    row(name, "limit", notes.get(name, ""), "floor")
row("limit-fresh", "limit-fresh", "a new connection per request (the floor's client)")
for name in ["rust-money", "rust-money-default", "c-money", "php-money", "python-money"]:
    row(name, "limit-fresh", "charge: a connection of its own" + (", cargo's default profile" if "default" in name else ""))
row("php-curl-money", "limit-fresh", "curl through PHP, a new handle (connection) per call")
print("\n| callback verification | per second (median) | ratio to Rust: median (min-max) | | |")
print("|---|---|---|---|---|")
for name in ["rust-verify", "rust-verify-default", "c-verify", "php-verify", "python-verify"]:
    row(name, "rust-verify", "cargo's default profile" if "default" in name else "")
def spread(name, base):
    """The median ratio and its range over the rounds: how much a round's noise moves it."""
    r = ratios(name, base)
    return f"{statistics.median(r):.2f} (rounds {min(r):.2f}-{max(r):.2f})"
print(f"\nPHP FFI / PHP curl: {spread('php', 'php-curl')}; Python / Rust: "
      f"{spread('python', 'rust')} (main thread), {spread('python-thread', 'rust')} (a worker "
      f"thread), the Python floor {spread('python-floor', 'rust')}; Python / requests.Session: "
      f"{statistics.median(ratios('python', 'python-requests')):.1f}")
tls = defaultdict(dict)
shakes = defaultdict(lambda: [0, 0, 0.0])
for line in open(sys.argv[1].replace("rounds", "tls-rounds")):
    r, name, rate, full0, resumed0, full1, resumed1 = line.split()
    tls[name][int(r)] = float(rate)
    counts = shakes[name]
    counts[0] += int(full1) - int(full0)
    counts[1] += int(resumed1) - int(resumed0)
    counts[2] += float(rate) * float(os.environ.get("BENCH_SECS", "1"))
def tls_row(name, base, note=""):
    r = [tls[name][k] / tls[base][k] for k in tls[base]]
    full, resumed, calls = shakes[name]
    print(f"| {name} | {statistics.median(tls[name].values()):,.0f} | {statistics.median(r):.2f} "
          f"({min(r):.2f}-{max(r):.2f}) | {full / calls:.3f} / {resumed / calls:.3f} | {note} |")
print("\n| HTTPS (TLS 1.3, loopback) | calls/s (median) | ratio: median (min-max over the rounds) | handshakes per call: full / resumed | |")
print("|---|---|---|---|---|")
tls_row("limit", "limit", "wrk -t1 -c1 over TLS (OpenSSL), keep-alive: the ratio is to itself")
for name in ["rust", "rust-default", "c", "php"]:
    tls_row(name, "php-curl", "keep-alive `check`, as a ratio to curl" + (" (cargo's default profile)" if "default" in name else ""))
tls_row("php-curl", "php-curl", "curl (OpenSSL) through PHP, its handle reused")
for name in ["rust", "c", "php"]:
    r = [tls[name][k] / tls["limit"][k] for k in tls["limit"]]
    print(f"| {name} ÷ the TLS limit | | {statistics.median(r):.2f} ({min(r):.2f}-{max(r):.2f}) | | |")
for name in ["rust-money", "c-money", "php-money"]:
    tls_row(name, "php-curl-money", "`charge`, a connection of its own, its TLS session resumed; ratio to curl")
tls_row("php-curl-money", "php-curl-money", "curl: a new handle per call, TLS sessions shared (CURLSH)")
print("\n| 16 threads, one client, 20 ms replies | calls/s | of ideal (800/s) |")
print("|---|---|---|")
for line in open(sys.argv[1].replace("rounds", "threads")):
    _, name, rate = line.split()
    print(f"| {name} | {float(rate):.0f} | {float(rate) / 800:.2f} |")
calls = int(os.environ["BENCH_MEMORY_CALLS"])
print(f"\n| memory, RSS KiB after warm-up / halfway / end | {calls:,} pooled calls | as many verifications |")
print("|---|---|---|")
for line in open(sys.argv[1].replace("rounds", "memory")):
    name, over_calls, over_verifications = line.split()
    print(f"| {name} | {over_calls} | {over_verifications} |")
print("\n| syscalls per pooled call | |")
print("|---|---|")
for line in open(sys.argv[1].replace("rounds", "syscalls")):
    name, r1, t1, r2, t2 = line.split()
    calls = 2 * float(r2) - float(r1)
    print(f"| {name} | {(int(t2) - int(t1)) / calls:.1f} |")
PY
echo
echo "micro-benchmarks (per second):"
"$bench" micro
echo
echo "the journal's cost per money-moving call (SQLite, and throwaway PostgreSQL and MariaDB servers"
echo "that sync every commit, as production servers do):"
pgdir=$(mktemp -d /tmp/vngate-pg.XXXXXX)
mydir=$(mktemp -d /tmp/vngate-my.XXXXXX)
chmod 755 "$pgdir" "$mydir"
servers=()
if url=$(DURABLE=1 bash scripts/postgres.sh start "$pgdir"); then servers+=("VNGATE_TEST_POSTGRES=$url"); fi
if url=$(DURABLE=1 bash scripts/mariadb.sh start "$mydir"); then servers+=("VNGATE_TEST_MYSQL=$url"); fi
env -u VNGATE_TEST_POSTGRES -u VNGATE_TEST_MYSQL "${servers[@]}" cargo bench --quiet -p vngate-journal --bench overhead
bash scripts/postgres.sh stop "$pgdir"
bash scripts/mariadb.sh stop "$mydir"
rm -rf "$pgdir" "$mydir"
echo
echo "criterion micro-benchmarks (signing, callback verification, AppotaPay's reply signature):"
cargo bench --quiet -p vngate-tests --bench micro -- --warm-up-time 1 --measurement-time 3 2>&1 | grep -E "^(sign|verify)/|time:"
