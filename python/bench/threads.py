"""Benchmark (not a test): 16 Python threads share one client against a simulator that
answers every request after 50 ms. With the GIL released during calls the threads wait in
parallel, so the ideal is 16 / 0.05 s = 320 calls/s; with the GIL held it would be 20 calls/s.

    python python/bench/threads.py [--calls N]     (needs the vngate wheel and target/debug/vngate-sim)
"""

import argparse
import json
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import vngate

LATENCY_S = 0.05
THREADS = 16


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=25, help="calls per thread")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[2]
    sim = subprocess.Popen([str(root / "target" / "debug" / "vngate-sim")], stdout=subprocess.PIPE, text=True)
    try:
        url = sim.stdout.readline().strip().rsplit(" ", 1)[-1]
        body = json.dumps({"latency_ms": int(LATENCY_S * 1000)}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{url}/__sim/faults", data=body), timeout=5).read()
        client = vngate.ChargingWs(base_url=url, partner_id="10001", partner_key="sim-s1-partner-key")

        started = time.perf_counter()
        for _ in range(args.calls):
            client.fees()
        one = args.calls / (time.perf_counter() - started)

        def work() -> None:
            for _ in range(args.calls):
                client.fees()

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        total = THREADS * args.calls
        ideal = THREADS / LATENCY_S
        print(f"1 thread:   {one:7.1f} calls/s (ideal {1 / LATENCY_S:.0f})")
        print(f"{THREADS} threads: {total / elapsed:7.1f} calls/s (ideal {ideal:.0f}, GIL held would be {1 / LATENCY_S:.0f}); "
              f"{total} calls in {elapsed:.2f} s = {100 * total / elapsed / ideal:.0f}% of ideal")
    finally:
        sim.kill()


if __name__ == "__main__":
    main()
