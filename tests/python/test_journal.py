"""The journal from Python: a ``journal`` option journals money-moving calls; ``settle`` credits
once; ``reconcile`` resolves; worker processes (as gunicorn forks them) share one SQLite file."""

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

import vngate
from test_vngate import Receiver

KEY = "9b" * 32


@pytest.fixture
def journal(tmp_path):
    os.environ["VNGATE_TEST_JOURNAL_KEY"] = KEY
    return {"path": str(tmp_path / "journal.db"), "key_env": "VNGATE_TEST_JOURNAL_KEY", "min_age_secs": 0, "retry_base_secs": 0}


def client(sim, journal):
    return vngate.ChargingWs(base_url=sim.url, partner_id="10001", partner_key="sim-s1-partner-key", journal=journal)


def card(request_id, last="1"):
    return dict(telco="VIETTEL", code="31282144589298" + last, serial="10004783347874", amount=50_000, request_id=request_id)


def charges(sim, reference):
    return sum(1 for line in sim.control("money_log")["requests"] if line == f"chargingws charge {reference}")


def test_a_journaled_charge_is_sent_once_and_credited_once(sim, journal):
    receiver = Receiver()
    sim.control("callbacks", {"chargingws_url": receiver.url, "delay_ms": 100})
    shop = client(sim, journal)
    stored = card("py-j-1")
    assert shop.charge(**stored).status is vngate.CardStatus.PENDING
    again = shop.charge(**stored)  # answered by check: never charged twice
    assert again.request_id == "py-j-1" and charges(sim, "py-j-1") == 1
    # Whichever settle first sees it final credits (a slow run may see check's final answer
    # before the callback): exactly one, ever.
    firsts = int(shop.settle("py-j-1").first)
    _, _, body = receiver.next()
    shop.parse_callback(body, expected=stored)
    credit = shop.settle("py-j-1")
    firsts += int(credit.first) + int(shop.settle("py-j-1").first)
    assert credit.state is vngate.JournalState.SUCCEEDED and firsts == 1
    assert credit.answer["request_id"] == "py-j-1"
    assert credit.settled_by == "resolve" and credit.amount == credit.answer["amount"]
    with pytest.raises(vngate.InvalidInput) as caught:
        shop.settle("never-1")
    assert caught.value.field == "reference"
    # Without a journal, settle says what is missing.
    plain = vngate.ChargingWs(base_url=sim.url, partner_id="10001", partner_key="sim-s1-partner-key")
    with pytest.raises(vngate.InvalidInput) as caught:
        plain.settle("py-j-1")
    assert caught.value.field == "journal"


def test_the_readme_credit_pattern_credits_what_the_final_answer_says(sim, journal):
    # README, "The journal": a card worth half its declared value. Its charge answers pending
    # with the amount of the declared value; its callback (status unsigned) is a hint, and
    # check's final answer says what the card was worth.
    receiver = Receiver()
    sim.control("callbacks", {"chargingws_url": receiver.url, "delay_ms": 100})
    shop = client(sim, journal)
    card = dict(telco="VIETTEL", code="312821445892982", serial="10004783347874", amount=50_000, request_id="py-j-half")
    pending = shop.charge(**card)
    credited = []

    def credit(amount):
        credited.append(amount)

    _, _, body = receiver.next()
    shop.parse_callback(body, expected=card)
    settlement = shop.settle(card["request_id"])
    if settlement.first and settlement.state is vngate.JournalState.SUCCEEDED:
        credit(settlement.amount)
    again = shop.settle(card["request_id"])
    if again.first and again.state is vngate.JournalState.SUCCEEDED:
        credit(again.amount)
    assert credited == [settlement.answer["amount"]], (credited, settlement)
    assert settlement.answer["status"] == 2 and credited[0] < pending.amount / 2


def _settle_then_die(url, journal, reference):
    # A shop process killed after settle() said first, before its credit was written.
    os.environ["VNGATE_TEST_JOURNAL_KEY"] = KEY
    shop = vngate.ChargingWs(base_url=url, partner_id="10001", partner_key="sim-s1-partner-key", journal=journal)
    assert shop.settle(reference).first
    os._exit(9)


def test_a_crash_between_settle_and_the_credit_loses_nothing_with_the_idempotent_credit(sim, journal, tmp_path):
    import sqlite3
    import re

    # docs/journal.md, "A crash between settle() and the credit": its code, as written there.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "journal.md").read_text()
    code = re.search(r"```python\n(def credit_once.*?)\n\nsettlement = ", doc, re.S).group(1)
    scope = {}
    exec(code, scope)
    credit_once = scope["credit_once"]
    shop_db = sqlite3.connect(tmp_path / "shop.db")
    shop_db.executescript("CREATE TABLE credits (reference TEXT PRIMARY KEY, amount INTEGER);"
                          "CREATE TABLE wallets (user_id INTEGER PRIMARY KEY, balance INTEGER);"
                          "INSERT INTO wallets VALUES (7, 0);")
    sim.control("callbacks", {"delay_ms": 0})
    shop = client(sim, journal)
    stored = card("py-crash-1")
    shop.charge(**stored)
    shop.charge(**stored)  # answered by check: final now
    worker = multiprocessing.get_context("fork").Process(target=_settle_then_die, args=(sim.url, journal, "py-crash-1"))
    worker.start()
    worker.join()
    assert worker.exitcode == 9
    # The next attempts (the callback handler, the cron): first is gone, the credit is not.
    for _ in range(3):
        settlement = shop.settle("py-crash-1")
        assert not settlement.first
        if settlement.state is vngate.JournalState.SUCCEEDED:
            credit_once(shop_db, "py-crash-1", 7, settlement.amount)
    (balance,) = shop_db.execute("SELECT balance FROM wallets WHERE user_id = 7").fetchone()
    assert balance == settlement.amount and balance > 0, (balance, settlement)


def test_reconcile_resolves_an_unknown_outcome(sim, journal):
    sim.control("callbacks", {"delay_ms": 0})
    sim.control("faults", {"mode": "none", "latency_ms": 1000})
    shop = vngate.ChargingWs(base_url=sim.url, partner_id="10001", partner_key="sim-s1-partner-key", journal=journal, timeout_ms=300)
    with pytest.raises(vngate.OutcomeUnknown):
        shop.charge(**card("py-u-1", "3"))
    sim.control("faults", {"mode": "none", "latency_ms": 0})
    report = shop.reconcile()
    assert isinstance(report, vngate.ReconcileReport) and report.resolved == 1, report
    line = report.lines[0]
    assert (line.reference, line.before, line.after) == ("py-u-1", vngate.JournalState.UNKNOWN, vngate.JournalState.FAILED)
    assert charges(sim, "py-u-1") == 1


def _worker(url, journal, references, queue):
    os.environ["VNGATE_TEST_JOURNAL_KEY"] = KEY
    shop = vngate.ChargingWs(base_url=url, partner_id="10001", partner_key="sim-s1-partner-key", journal=journal)
    credited, done, calls = [], set(), 0
    for _ in range(40):
        for i in range(references):
            reference = f"py-shared-{i}"
            if reference in done:
                continue
            try:
                shop.charge(**card(reference))
            except vngate.OutcomeUnknown:
                pass  # another worker is sending it right now
            calls += 1
            settlement = shop.settle(reference)
            if settlement.first:
                credited.append(reference)
            if settlement.state in (vngate.JournalState.SUCCEEDED, vngate.JournalState.FAILED):
                done.add(reference)
        if len(done) == references:
            break
        time.sleep(0.02)
    queue.put((credited, calls))


def test_forked_workers_share_one_journal_and_credit_each_reference_once(sim, journal):
    sim.control("callbacks", {"delay_ms": 50})
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers, references = 4, 15
    processes = [context.Process(target=_worker, args=(sim.url, journal, references, queue)) for _ in range(workers)]
    for p in processes:
        p.start()
    results = [queue.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0
    credits = [r for credited, _ in results for r in credited]
    calls = sum(c for _, c in results)
    assert sorted(credits) == sorted(f"py-shared-{i}" for i in range(references)), credits
    for i in range(references):
        assert charges(sim, f"py-shared-{i}") == 1
    print(f"# journal: {workers} forked Python workers, {calls} calls, {len(credits)} credits, 0 anomalies")


# A client made before the fork, as a preloaded app (gunicorn --preload) or Celery's prefork
# pool gives it to its workers: set in the parent, used in each child.
_BEFORE_FORK = {}


def _inherited_worker(prefix, count, queue):
    shop = _BEFORE_FORK["shop"]
    problems = []
    for i in range(count):
        reference = f"{prefix}-{i}"
        try:
            assert shop.charge(**card(reference)).request_id == reference
            settlement = shop.settle(reference)
            assert settlement.reference == reference and settlement.state in OPEN_OR_SUCCEEDED, settlement
        except Exception as e:  # reported to the parent, which says which
            problems.append(f"{reference}: {e!r}")
    queue.put(problems)


OPEN_OR_SUCCEEDED = (vngate.JournalState.PENDING, vngate.JournalState.SUCCEEDED)


def fresh_database(backend):
    """A new database on the test server of `backend` (`make test` starts one), as a URL: the
    server's own is other suites' (the money campaign's journal, sealed with its own key)."""
    admin = os.environ.get({"postgres": "VNGATE_TEST_POSTGRES", "mariadb": "VNGATE_TEST_MYSQL"}[backend])
    if not admin:
        pytest.skip(f"no {backend} server (make test starts one)")
    name = f"vngate_py_{os.getpid()}_{time.time_ns()}"
    parts = urllib.parse.urlsplit(admin)
    if backend == "postgres":
        command = ["psql", "-q", admin, "-c", f"CREATE DATABASE {name}"]
    else:
        command = ["mariadb", "--no-defaults", "-h", parts.hostname, "-P", str(parts.port), "-u", parts.username,
                   f"-p{parts.password}", "-e", f"CREATE DATABASE {name}"]
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed: it makes the test's database")
    subprocess.run(command, check=True, capture_output=True)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


# Holds a SQLite file's write lock until its standard input closes.
_HOLD_WRITE_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
db.execute("COMMIT")
"""


def test_a_fork_while_another_thread_writes_to_the_journal_leaves_the_child_its_own_store(sim, journal):
    """A thread of the parent has the journal's store (here: waiting for SQLite's write lock,
    which another connection holds) when the main thread forks. That thread does not exist in
    the child, and the child must not wait for it to give the store back: it opens its own.
    Before, the child waited for ever."""
    sim.control("callbacks", {"delay_ms": 0})
    shop = client(sim, journal)
    prefix = f"py-fork-busy-{time.time_ns()}"
    assert shop.charge(**card(f"{prefix}-before")).status is vngate.CardStatus.PENDING
    # Another process: file locks are a process's own, so one taken in this process (by
    # Python's sqlite3) would not keep vngate's SQLite out.
    blocker = subprocess.Popen(
        [sys.executable, "-c", _HOLD_WRITE_LOCK, journal["path"]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert blocker.stdout.readline().strip() == "locked"
    parent = threading.Thread(target=lambda: shop.charge(**card(f"{prefix}-parent")))
    parent.start()
    time.sleep(0.5)  # the thread holds the store, waiting for the lock
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            blocker.stdin.close()  # the parent's: the lock is let go when the parent closes it
            signal.alarm(20)  # not caught: the child ends if it still waits then
            result = shop.charge(**card(f"{prefix}-child"))
            code = 0 if result.status is vngate.CardStatus.PENDING else 2
        finally:
            os._exit(code)
    time.sleep(0.5)
    blocker.communicate(timeout=30)  # stdin closed: it commits and ends
    parent.join(timeout=30)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    for who in ["parent", "child"]:
        assert charges(sim, f"{prefix}-{who}") == 1, who
        assert shop.settle(f"{prefix}-{who}").reference == f"{prefix}-{who}"


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mariadb"])
def test_a_client_made_before_a_fork_journals_on_connections_of_each_process(sim, journal, backend):
    if backend != "sqlite":
        journal = dict(journal, path=fresh_database(backend))
    sim.control("callbacks", {"delay_ms": 0})
    shop = client(sim, journal)
    prefix = f"py-fork-{backend}-{time.time_ns()}"
    # The parent's journal holds an open connection (or file) when it forks.
    assert shop.charge(**card(f"{prefix}-parent")).status is vngate.CardStatus.PENDING
    _BEFORE_FORK["shop"] = shop
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers, count = 4, 10
    processes = [context.Process(target=_inherited_worker, args=(f"{prefix}-w{w}", count, queue)) for w in range(workers)]
    for p in processes:
        p.start()
    # The parent goes on using it meanwhile.
    _inherited_worker(f"{prefix}-p", count, queue)
    problems = [problem for _ in range(workers + 1) for problem in queue.get(timeout=60)]
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert problems == [], problems
    for reference in [f"{prefix}-{w}-{i}" for w in ["p", *(f"w{w}" for w in range(workers))] for i in range(count)]:
        assert charges(sim, reference) == 1, reference
        assert shop.settle(reference).reference == reference
