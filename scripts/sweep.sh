#!/usr/bin/env bash
# The leak sweep of a full test run (`make test` runs it last). Every secret the simulators
# knew, received or handed out during the run (keys, passwords, tokens they issued, card PINs
# they were sent, codes they sold: `VNGATE_SWEEP_SECRETS`, one per line), and the secrets the
# tests configure themselves (below), are searched for in everything the run left that a
# deployment keeps: each suite's output, every log file, every SQLite journal (and its WAL) and
# the PostgreSQL and MariaDB servers' data files, byte for byte. Sealed journal columns are ciphertext;
# the masked request, errors and notes are text, and must hold none of them.
#
#   scripts/sweep.sh SECRETS_FILE DIR...      exits 1 when a secret is found, naming the file
set -uo pipefail
secrets_file=${1:?the secrets file}
shift

patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
{
    cat "$secrets_file" 2>/dev/null
    # Configured by the tests themselves, never sent to a simulator.
    printf '%s\n' hunter2-partner-key hunter2-proxy sk-live-hunter3 hunter2-in-clear \
        sim-s1-partner-key-SECRET PRIVKEY-SECRET appota-SECRET
} | awk 'length($0) >= 8' | sort -u >"$patterns"

if ! [ -s "$secrets_file" ]; then
    echo "sweep: no simulator noted a secret ($secrets_file is empty): nothing was searched for"
    echo "0 passed, 1 failed"
    exit 1
fi

files=()
for dir in "$@"; do
    while IFS= read -r -d '' file; do
        files+=("$file")
    done < <(find "$dir" -type f \( -name '*.log' -o -name '*.db' -o -name '*.db-wal' \
        -o -path '*/pg_wal/*' -o -path '*/data/base/*' -o -name '*.ibd' -o -name 'ib_logfile*' \
        -o -name 'ibdata*' \) ! -name 'sweep.log' -print0 2>/dev/null)
done
bytes=$(cat "${files[@]}" 2>/dev/null | wc -c)
hits=$(grep -a -l -F -f "$patterns" "${files[@]}" 2>/dev/null)
echo "sweep: $(wc -l <"$patterns") secrets (PINs, sold codes, keys, tokens) searched in ${#files[@]} files ($((bytes / 1024)) KiB): logs, suite outputs, journals"
if [ -n "$hits" ]; then
    echo "sweep: secrets found in:"
    for file in $hits; do
        # Which ones, masked: the file and the secret's first and last two characters.
        grep -a -o -F -f "$patterns" "$file" | sort -u | sed -E "s|^(..).*(..)$|  $file: \1…\2|"
    done
    echo "0 passed, 1 failed"
    exit 1
fi
echo "1 passed, 0 failed"
