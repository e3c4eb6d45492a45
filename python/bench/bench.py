"""The Python front of `make bench` (scripts/bench.sh): prints calls (or verifications) per second.

    python bench.py call URL SECS       chargingws check through vngate, from the main thread
    python bench.py call-thread URL SECS    the same from another thread (a web app's worker
                                        thread; the main thread hands each call to a helper
                                        thread so that signals are handled during it)
    python bench.py floor URL SECS      the same through python/bench/floor (module `floor` on the
                                        path): the least a front returning the answer can do
    python bench.py money URL SECS      chargingws charge (a connection of its own per call)
    python bench.py verify FILE SECS    the signed callback in FILE, verified
    python bench.py requests URL SECS   the peer: the same request with requests.Session
    python bench.py threads URL SECS    16 threads sharing one client (against a slow server)
    python bench.py memory URL FILE N   RSS over N pooled checks, then N verifications of FILE
"""

import hashlib
import sys
import threading
import time

import vngate

CARD = dict(telco="VIETTEL", code="312821445892980", serial="10004783347874", amount=10000, request_id="bench-1")


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4


def memory(call, n: int) -> str:
    """RSS after 10 000 warm-up calls, halfway through n and after them, as a/b/c."""
    for _ in range(10_000):
        call()
    before, halfway = rss_kib(), 0
    for i in range(n):
        if i == n // 2:
            halfway = rss_kib()
        call()
    return f"{before}/{halfway}/{rss_kib()}"


def main() -> None:
    if sys.argv[1] == "memory":
        url, path, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
        client = vngate.ChargingWs(base_url=url, partner_id="10001", partner_key="sim-s1-partner-key")
        body = open(path, "rb").read()
        print(memory(lambda: client.check(**CARD), n), memory(lambda: client.parse_callback(body), n))
        return
    mode, target, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if mode == "threads":
        client = vngate.ChargingWs(base_url=target, partner_id="10001", partner_key="sim-s1-partner-key")
        counts = []
        deadline = time.perf_counter() + secs

        def work() -> None:
            n = 0
            while time.perf_counter() < deadline:
                client.check(**CARD)
                n += 1
            counts.append(n)

        started = time.perf_counter()
        threads = [threading.Thread(target=work) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"{sum(counts) / (time.perf_counter() - started):.0f}")
        return
    if mode == "floor":
        import floor

        floor_client = floor.Client(target, "10001", "sim-s1-partner-key")
        card = tuple(CARD.values())

        def call() -> None:
            floor_client.check(*card)
    elif mode == "requests":
        import requests

        session = requests.Session()
        form = dict(CARD, partner_id="10001", command="check",
                    sign=hashlib.md5(b"sim-s1-partner-key31282144589298010004783347874").hexdigest())

        def call() -> None:
            reply = session.post(target + "/chargingws/v2", data=form, timeout=(10, 30)).json()
            assert reply["request_id"] == "bench-1"
    else:
        base_url = "http://127.0.0.1:9" if mode == "verify" else target
        client = vngate.ChargingWs(base_url=base_url, partner_id="10001", partner_key="sim-s1-partner-key")
        if mode == "verify":
            body = open(target, "rb").read()

            def call() -> None:
                client.parse_callback(body)
        elif mode == "money":
            def call() -> None:
                client.charge(**CARD)
        else:
            def call() -> None:
                client.check(**CARD)

    if mode == "call-thread":
        rates = []
        worker = threading.Thread(target=lambda: rates.append(rate(call, secs)))
        worker.start()
        worker.join()
        print(f"{rates[0]:.0f}")
    else:
        print(f"{rate(call, secs):.0f}")


def rate(call, secs: float) -> float:
    n = 0
    started = time.perf_counter()
    deadline = started + secs
    while time.perf_counter() < deadline:
        for _ in range(16):
            call()
        n += 16
    return n / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
