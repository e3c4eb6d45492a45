#!/usr/bin/env bash
# The ops page of `vngate serve` in a real browser (headless Chromium from Debian, installed if
# missing), on a phone-sized screen; screenshots in target/ops-screenshots.
set -euo pipefail
cd "$(dirname "$0")/../.."
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 ||
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
    chromium=$(command -v chromium)
fi
cargo build --quiet -p vngate-cli
python3 tests/serve/ops.py target/debug/vngate "$chromium" target/ops-screenshots
