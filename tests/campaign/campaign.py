"""The money campaign: seeded, randomized schedules of money-moving calls through several
processes against the simulator, with provider faults, SIGKILLs, tampered, duplicated and
late callbacks and concurrent reconcilers, then every schedule checked against the simulator's
truth. Run by `make campaign` (long) and inside `make test` (short); see docs/journal.md.

    python campaign.py [--schedules N] [--seed S] [--ops K] [--workers W] [--backend sqlite|postgres|mariadb]

Each schedule:
- plans K money calls over chargingws (cards good, worth half, bad; card-shop orders
  delivered at once, later or after an exception; top-up orders completed or canceled),
  OpenCard (cards, settled by its webhook), the top-up service, AppotaPay (card codes bought
  at once or later; top-ups and bank transfers, settled at once, later, or failing) and eSMS
  payouts;
- runs them from W worker processes (the last one makes its calls with the `vngate`
  command) that journal every call, settle it and credit it the documented way
  (idempotently, in a shop database of their own); workers are SIGKILLed at random moments
  and started again, and then call the same references again;
- meanwhile sets random provider faults (latency past the timeout, drops, 5xx, garbage,
  truncation, resets, stray and late replies, all after processing; and a 503 before it);
- takes the callbacks in a process of its own (SIGKILLed at random too, and started again on
  the same port: callbacks that arrive meanwhile are lost) that journals, settles and credits
  them; some arrive tampered with, some twice, some late;
- runs reconcilers concurrently: Python workers and the `vngate` command (some SIGKILLed); a
  second site shares the journal and its account, with calls of its own and its own
  reconciling command;
- ends with the faults off and reconciles until nothing is left open, credits what succeeded,
  and compares: nothing sent twice; every reference the provider kept is in the journal and
  final as the provider says (or open while the provider has not settled); nothing it never
  kept is marked succeeded; every success credited once with the provider's amount, nothing
  else credited; what nothing can settle (an OpenCard charge whose reply was lost) is in
  attention; neither site received a request (money or check) for the other's references.
Prints one line of figures per schedule and the totals; exits 1 on any violation.
"""

import argparse
import http.server
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import vngate

ROOT = Path(__file__).resolve().parents[2]
SIM_BIN = os.environ.get("VNGATE_SIM_BIN", str(ROOT / "target" / "debug" / "vngate-sim"))
CLI_BIN = os.environ.get("VNGATE_CLI_BIN", str(ROOT / "target" / "debug" / "vngate"))
KEY = "6c" * 32
TIMEOUT_MS = 400
# After processing (the reply is lost or spoilt), except `unprocessed`: a 503 before it.
FAULTS = ["status_500", "html_502", "garbage", "empty", "drop", "truncated", "reset", "wrong_shape",
          "stray_reply", "late_reply", "latency", "unprocessed"]
# Credited twice cannot happen by construction here (the shop's credits are keyed on the
# reference, as docs/journal.md says to key them); credited wrongly (state or amount) can.
INVARIANTS = ["sent twice", "received but not journaled", "final but not as the provider says",
              "succeeded but never executed", "credited wrongly", "success not credited",
              "left open", "sent to another site", "nothing sent"]


class Sim:
    def __init__(self):
        self.process = subprocess.Popen([SIM_BIN], stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip().rsplit(" ", 1)[-1]

    def control(self, path, body=None):
        request = urllib.request.Request(f"{self.url}/__sim/{path}", data=json.dumps(body or {}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    def close(self):
        self.process.kill()
        self.process.wait()


# --- the shop: its clients, its credit (docs/journal.md, "A crash between settle() and the credit")

def clients(config):
    journal = config["journal"]
    url, options = config["url"], {"timeout_ms": TIMEOUT_MS, "journal": journal}
    return {
        "chargingws": vngate.ChargingWs(base_url=url, partner_id="10001", partner_key="sim-s1-partner-key", **options),
        "opencard": vngate.OpenCard(base_url=url, partner_id="20001", partner_key="sim-oc-ksort-key", **options),
        "appotapay": vngate.AppotaPay(base_url=url, partner_code="VNGATE_OAEP", api_key="sim-appota-api-key",
                                      secret_key="sim-appota-secret-key", **options),
        "esms": vngate.Esms(base_url=url, api_token="sim-esms-api-token", secret_key="sim-esms-secret-key", **options),
        "topup": vngate.Topup(base_url=url + "/apipayment", username="simshop", private_key="sim-topup-key", **options),
    }


def credit_once(shop_db, reference, amount):
    with shop_db:
        shop_db.execute("INSERT INTO credits (reference, amount) VALUES (?, ?) ON CONFLICT (reference) DO NOTHING",
                        (reference, amount))


def settle_and_credit(client, shop_db, reference):
    settlement = client.settle(reference)
    if settlement.state is vngate.JournalState.SUCCEEDED:
        credit_once(shop_db, reference, settlement.amount)
    return settlement


def open_shop(path):
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS credits (reference TEXT PRIMARY KEY, amount INTEGER)")
    db.isolation_level = ""
    return db


# --- a worker process: its share of the plan, in order, from the start each time it is started

def worker(config_path, index):
    config = json.loads(Path(config_path).read_text())
    by_provider = clients(config)
    shop_db = open_shop(config["shop_db"])
    # The last worker makes its money calls with the command (JSON on stdin), the others from
    # Python; every one settles and credits from Python.
    with_command = config.get("cli_config") and index == config["workers"] - 1
    for op in config["plan"][index::config["workers"]]:
        client = by_provider[op["provider"]]
        if with_command:
            subprocess.run([CLI_BIN, "--config", config["cli_config"], op["provider"], op["operation"]],
                           input=json.dumps(op["request"]), text=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        else:
            try:
                getattr(client, op["operation"])(**op["request"])
            except (vngate.OutcomeUnknown, vngate.TransportError, vngate.BadReply):
                pass  # the journal knows; a later call, the callback or the reconciler resolves it
            except vngate.Error as e:
                print(f"worker {index}: {op['request']}: {type(e).__name__}: {e}", file=sys.stderr)
        try:
            settle_and_credit(client, shop_db, op["reference"])
        except vngate.Error:
            pass
    if config.get("reconcile_after"):
        for client in by_provider.values():
            try:
                client.reconcile()
            except vngate.Error:
                pass


# --- the orchestrator

def plan_for(rng, seed, count, site="s"):
    plan = []
    for i in range(count):
        kind = rng.choice(["card", "card", "opencard", "shop_cards", "shop_topup", "topup", "appota_cards",
                           "appota_transfer", "appota_topup", "payout"])
        ref = f"{site}{seed}-{i}"
        if kind == "card":
            pin_last = rng.choice("1123")
            request = dict(telco="VIETTEL", code="31282144589298" + pin_last, serial=f"1000478334{i:04d}",
                           amount=50_000, request_id=ref)
            plan.append(dict(provider="chargingws", operation="charge", reference=ref, request=request))
        elif kind == "opencard":
            # OpenCard's reference is the serial; it has no status call: its webhook settles.
            ref = f"{int(site != 's')}{seed % 1_000:03d}{i:06d}{rng.randrange(10_000):04d}"
            request = dict(telco="VIETTEL", code="12345678901234" + rng.choice("1123"), serial=ref, amount=10_000)
            plan.append(dict(provider="opencard", operation="charge", reference=ref, request=request))
        elif kind == "shop_cards":
            ref += rng.choice(["", "-pending", "-exception"])
            request = dict(service_code="VIETTEL", value=10_000, qty=rng.choice([1, 2]), request_id=ref)
            plan.append(dict(provider="chargingws", operation="buy_cards", reference=ref, request=request))
        elif kind == "shop_topup":
            request = dict(service_code="viettel", amount=20_000, phone="091234567" + rng.choice("118"), request_id=ref)
            plan.append(dict(provider="chargingws", operation="topup_order", reference=ref, request=request))
        elif kind == "topup":
            request = dict(phone="091234567" + rng.choice("16789"), amount=10_000, client_trans_id=ref)
            plan.append(dict(provider="topup", operation="topup", reference=ref, request=request))
        elif kind == "appota_cards":
            # Codes arrive encrypted (no private key here: the journal seals them as they come).
            ref += rng.choice(["", "-pending"])
            request = dict(partner_ref_id=ref, product_code="VT50", quantity=1)
            plan.append(dict(provider="appotapay", operation="buy_cards", reference=ref, request=request))
        elif kind == "appota_transfer":
            ref += rng.choice(["", "-pending", "-fails"])
            request = dict(partner_ref_id=ref, bank_code="TPBANK", account_no="0123456789", account_name="NGUYEN VAN A",
                           amount=rng.choice([10_000, 20_000]), fee_type="payer", message="campaign")
            plan.append(dict(provider="appotapay", operation="bank_transfer", reference=ref, request=request))
        elif kind == "appota_topup":
            ref += rng.choice(["", "-pending", "-fails"])
            request = dict(partner_ref_id=ref, phone_number="0912345678", product_code="viettel_10")
            plan.append(dict(provider="appotapay", operation="mobile_topup", reference=ref, request=request))
        else:
            request = dict(amount=20_000, channel="momo", phone="091234567" + rng.choice("113"), order_id=ref,
                           description="campaign")
            plan.append(dict(provider="esms", operation="disburse", reference=ref, request=request))
    return plan


def cli_config(directory, url, journal, name):
    def secret(label, value):
        path = directory / f"{name}-{label}.secret"
        path.write_text(value)
        path.chmod(0o600)
        return path
    toml = f"""
[chargingws.default]
base_url = "{url}"
partner_id = "10001"
partner_key_file = "{secret('chargingws', 'sim-s1-partner-key')}"

[opencard.default]
base_url = "{url}"
partner_id = "20001"
partner_key_file = "{secret('opencard', 'sim-oc-ksort-key')}"

[appotapay.default]
base_url = "{url}"
partner_code = "VNGATE_OAEP"
api_key_file = "{secret('appota-api', 'sim-appota-api-key')}"
secret_key_file = "{secret('appota-secret', 'sim-appota-secret-key')}"

[esms.default]
base_url = "{url}"
api_token_file = "{secret('esms-token', 'sim-esms-api-token')}"
secret_key_file = "{secret('esms-secret', 'sim-esms-secret-key')}"

[topup.default]
base_url = "{url}/apipayment"
username = "simshop"
private_key_file = "{secret('topup', 'sim-topup-key')}"

[journal]
path = "{journal['path']}"
key_file = "{journal['key_file']}"
min_age_secs = 0
retry_base_secs = 0
not_found_after_secs = {journal['not_found_after_secs']}
attention_after_secs = {journal['attention_after_secs']}
"""
    path = directory / f"{name}.toml"
    path.write_text(toml)
    path.chmod(0o600)
    return path


def callback_server(config_path, port, seed):
    """The shop's callback URL, a process of its own (the orchestrator SIGKILLs it at random and
    starts it again on the same port: what arrives meanwhile is lost, as on a real outage):
    verifies, journals, settles and credits each callback; some tampered with (a chargingws
    status flipped, which its signature does not cover), some taken twice, some late."""
    config = json.loads(Path(config_path).read_text())
    rng, lock = random.Random(seed), threading.Lock()
    by_provider, shop_db = clients(config), open_shop(config["shop_db"])
    figures_file = open(config["callback_figures"], "a")

    def count(name):
        with lock:
            figures_file.write(name + "\n")
            figures_file.flush()

    def take(path, body):
        provider = path.strip("/")
        client = by_provider[provider]
        with lock:
            draw = rng.random()
        if provider == "chargingws" and draw < 0.15:
            data = json.loads(body)
            data["status"] = 1 if data.get("status") != 1 else 3  # unsigned: a hint at most
            data["amount"] = 999_999
            body = json.dumps(data).encode()
            count("tampered")
        times = 2 if draw > 0.85 else 1
        if times == 2:
            count("duplicated")
        if 0.5 < draw < 0.6:
            time.sleep(0.3)
            count("late")
        for _ in range(times):
            count("received")
            try:
                callback = client.parse_callback(body)
            except vngate.Error as e:
                count("refused")
                if os.environ.get("VNGATE_CAMPAIGN_VERBOSE"):
                    print(f"refused {provider}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
                continue
            count("verified")
            # OpenCard's webhook names its own id, not the serial: the final pass credits it.
            reference = None if provider == "opencard" else getattr(callback, "request_id", None) or callback.partner_ref_id
            if reference is None:
                continue
            with lock:
                try:
                    settle_and_credit(client, shop_db, reference)
                except vngate.Error:
                    pass

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"status":"ok"}')
            take(self.path, body)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port):
    import socket
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)


def run_schedule(seed, args, totals):
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix=f"vngate-campaign-{seed}-"))
    sim, other_site = Sim(), Sim()
    children = []
    try:
        (tmp / "key").write_text(KEY)
        (tmp / "key").chmod(0o600)
        journal_path = {"sqlite": str(tmp / "journal.db"), "postgres": os.environ.get("VNGATE_TEST_POSTGRES"),
                        "mariadb": os.environ.get("VNGATE_TEST_MYSQL")}[args.backend]
        # attention after 2 s: at the end, what nothing can settle (an OpenCard charge whose reply
        # was lost: its webhook names only OpenCard's id) must be in attention, not silent.
        journal = {"path": journal_path, "key_file": str(tmp / "key"), "account": "default", "min_age_secs": 0,
                   "retry_base_secs": 0, "not_found_after_secs": 2, "attention_after_secs": 2}
        plan = plan_for(rng, seed, args.ops)
        config = {"url": sim.url, "journal": journal, "plan": plan, "workers": args.workers,
                  "shop_db": str(tmp / "shop.db"), "callback_figures": str(tmp / "callbacks.txt")}
        open_shop(config["shop_db"]).close()
        Path(config["callback_figures"]).touch()
        config_path = tmp / "config.json"
        config_path.write_text(json.dumps(config))
        port = free_port()

        def start_callbacks(run):
            process = subprocess.Popen([sys.executable, __file__, "callbacks", str(config_path), str(port),
                                        str(seed * 1000 + run)], stdout=subprocess.DEVNULL,
                                       stderr=None if os.environ.get("VNGATE_CAMPAIGN_VERBOSE") else subprocess.DEVNULL)
            listening(port)
            return process

        callbacks = start_callbacks(0)
        children.append(lambda: callbacks)
        url = f"http://127.0.0.1:{port}"
        sim.control("callbacks", {"chargingws_url": url + "/chargingws", "appotapay_ipn_url": url + "/appotapay",
                                  "opencard_url": url + "/opencard",
                                  "delay_ms": rng.choice([50, 200, 600])})
        cli_a = cli_config(tmp, sim.url, journal, "site-a")
        cli_b = cli_config(tmp, other_site.url, journal, "site-b")
        config["cli_config"] = str(cli_a)
        config_path.write_text(json.dumps(config))
        # The second site: the same journal and account, its own calls (one worker, no callbacks).
        config_b = dict(config, url=other_site.url, plan=plan_for(rng, seed, max(args.ops // 4, 1), "b"), workers=1,
                        shop_db=str(tmp / "shop-b.db"), cli_config=None)
        open_shop(config_b["shop_db"]).close()
        config_b_path = tmp / "config-b.json"
        config_b_path.write_text(json.dumps(config_b))
        figures = Counter(schedules=1, planned=len(plan) + len(config_b["plan"]))

        def start(index, path=config_path):
            return subprocess.Popen([sys.executable, __file__, "worker", str(path), str(index)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        workers = {i: start(i) for i in range(args.workers)}
        site_b = start(0, config_b_path)
        children.append(lambda: site_b)
        reconcilers = []
        deadline = time.monotonic() + args.seconds
        figures["worker runs"] = args.workers
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.005, 0.05))
            for index, process in workers.items():
                if process.poll() is not None and rng.random() < 0.2:
                    # A shop retrying: the same references again (the journal answers them).
                    workers[index] = start(index)
                    figures["worker runs"] += 1
            draw = rng.random()
            if draw < 0.35:
                mode = rng.choice(FAULTS + ["none"] * 4)
                faults = {"mode": "none", "latency_ms": TIMEOUT_MS + 200} if mode == "latency" else {"mode": mode, "latency_ms": 0}
                if mode == "late_reply":
                    faults["latency_ms"] = TIMEOUT_MS + 200
                sim.control("faults", faults)
                figures["faults"] += mode != "none"
            elif draw < 0.5:
                index = rng.choice(list(workers))
                if workers[index].poll() is None:
                    workers[index].send_signal(signal.SIGKILL)
                    workers[index].wait()
                    figures["kills"] += 1
                workers[index] = start(index)
                figures["worker runs"] += 1
            elif draw < 0.6:
                site = rng.choice([cli_a, cli_a, cli_b])
                reconcilers.append(subprocess.Popen([CLI_BIN, "--config", str(site), "reconcile"],
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                figures["reconciles"] += 1
            elif draw < 0.65 and reconcilers:
                victim = rng.choice(reconcilers)
                if victim.poll() is None:
                    victim.send_signal(signal.SIGKILL)
                    figures["kills"] += 1
            elif draw < 0.67:
                # The callback endpoint dies (mid-callback, maybe mid-settle) and comes back.
                callbacks.send_signal(signal.SIGKILL)
                callbacks.wait()
                figures["kills"] += 1
                figures["callback endpoint kills"] += 1
                callbacks = start_callbacks(figures["callback endpoint kills"])
        for process in list(workers.values()) + reconcilers:
            if process.poll() is None:
                process.kill()
            process.wait()
        # The end: no faults; everything the providers hold settles; reconcile until stable.
        sim.control("faults", {"mode": "none", "latency_ms": 0})
        time.sleep(0.7)
        site_b.wait()
        config["reconcile_after"] = config_b["reconcile_after"] = True
        config_path.write_text(json.dumps(config))
        config_b_path.write_text(json.dumps(config_b))
        for round_ in range(6):
            # Every worker's share once more (what a killed worker never reached is called now),
            # then the reconcilers.
            finishers = [start(index) for index in range(args.workers)] + [start(0, config_b_path)]
            for finisher in finishers:
                finisher.wait()
            subprocess.run([CLI_BIN, "--config", str(cli_a), "reconcile"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            subprocess.run([CLI_BIN, "--config", str(cli_b), "reconcile"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            time.sleep(0.3 * (round_ + 1))
        time.sleep(0.5)  # late callbacks
        callbacks.kill()
        callbacks.wait()
        violations = check(sim, config, figures)
        figures_b = Counter()
        violations.update(check(other_site, config_b, figures_b))
        figures.update({k: v for k, v in figures_b.items() if k in ("money requests", "final") or "attention" in k})
        violations["sent to another site"] += crossed(sim, config, other_site, config_b)
        if not figures["money requests"]:
            # A schedule in which no money call reached a site proves nothing (a journal that
            # would not open, a broken worker): it fails rather than passes empty.
            violations["nothing sent"] += 1
            print("  nothing sent: no planned money call reached either site")
        totals.update(figures)
        totals.update({f"violation: {k}": v for k, v in violations.items()})
        for name, value in Counter(Path(config["callback_figures"]).read_text().split()).items():
            totals[f"callbacks {name}"] += value
        shown = ", ".join(f"{k} {v}" for k, v in sorted(figures.items()))
        bad = ", ".join(f"{k}: {v}" for k, v in violations.items() if v) or "no violation"
        print(f"schedule seed {seed}: {shown}; {bad}", flush=True)
        if sum(violations.values()) or os.environ.get("VNGATE_CAMPAIGN_KEEP"):
            print(f"  kept for inspection: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        return sum(violations.values())
    finally:
        for child in children:
            if child().poll() is None:
                child().kill()
                child().wait()
        sim.close()
        other_site.close()


def crossed(site_a, config_a, site_b, config_b):
    """Requests a site received for the other site's references: money requests, and checks
    (which carry a card's PIN)."""
    count = 0
    for site, others in ((site_a, config_b), (site_b, config_a)):
        theirs = {op["reference"] for op in others["plan"]}
        seen = [line.rsplit(" ", 1)[-1] for line in site.control("money_log")["requests"]]
        seen += site.control("checks")["request_ids"]
        for reference in seen:
            if reference in theirs:
                count += 1
                print(f"  {reference} went to the other site")
    return count


def check(sim, config, figures):
    violations = Counter({name: 0 for name in INVARIANTS})
    ours = {op["reference"]: op for op in config["plan"]}
    money_log = [line for line in sim.control("money_log")["requests"] if line.rsplit(" ", 1)[-1] in ours]
    figures["money requests"] = len(money_log)
    for line, count in Counter(money_log).items():
        if count > 1:
            violations["sent twice"] += 1
            print(f"  sent twice: {line} x{count}")
    truth = {r["reference"]: r for r in sim.control("truth")["records"] if r["reference"] in ours}
    by_provider = clients(config)
    shop_db = open_shop(config["shop_db"])
    states = {}
    for reference, op in ours.items():
        try:
            states[reference] = settle_and_credit(by_provider[op["provider"]], shop_db, reference)
        except vngate.InvalidInput:
            states[reference] = None  # never journaled: must never have been sent
    credits = dict(shop_db.execute("SELECT reference, amount FROM credits").fetchall())
    for reference, op in ours.items():
        settlement, said = states[reference], truth.get(reference)
        state = settlement.state.value if settlement else None
        if state == "attention":
            # Open past its deadline: a person must look. Which provider, and whether the
            # provider kept it at all (a status call that cannot say "never received").
            kept = "kept" if said else "never kept"
            figures[f"attention: {op['provider']} {op['operation']}, {kept}"] += 1
            if os.environ.get("VNGATE_CAMPAIGN_VERBOSE"):
                print(f"  attention: {op['provider']} {reference}, the provider says {said and said['state']}")
        if said is None:
            if state == "succeeded":
                violations["succeeded but never executed"] += 1
                print(f"  succeeded but never executed: {reference}")
            if reference in credits:
                violations["credited wrongly"] += 1
                print(f"  credited, never executed: {reference}")
            continue
        if settlement is None:
            violations["received but not journaled"] += 1
            print(f"  received but not journaled: {reference}")
            continue
        if said["state"] in ("succeeded", "failed"):
            if state in ("succeeded", "failed") and state != said["state"]:
                violations["final but not as the provider says"] += 1
                print(f"  {reference}: journal {state}, provider {said['state']}")
            elif state not in ("succeeded", "failed", "attention"):
                violations["left open"] += 1
                print(f"  left open: {reference} ({state}, provider {said['state']})")
        if said["state"] == "succeeded" and state == "succeeded":
            if reference not in credits:
                violations["success not credited"] += 1
            elif said["amount"] is not None and credits[reference] != said["amount"]:
                violations["credited wrongly"] += 1
                print(f"  credited {credits[reference]} for {reference}, provider says {said['amount']}")
        elif reference in credits:
            violations["credited wrongly"] += 1
            print(f"  credited {reference} ({state}), provider {said['state']}")
    figures["final"] = sum(1 for s in states.values() if s and s.state.value in ("succeeded", "failed"))
    figures["attention"] = sum(1 for s in states.values() if s and s.state.value == "attention")
    return violations


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], int(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "callbacks":
        callback_server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=3)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("VNGATE_CAMPAIGN_SEED", "1")))
    parser.add_argument("--ops", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "mariadb"], default="sqlite")
    args = parser.parse_args()
    server = {"postgres": "VNGATE_TEST_POSTGRES", "mariadb": "VNGATE_TEST_MYSQL"}.get(args.backend)
    if server and not os.environ.get(server):
        print(f"campaign: {args.backend} skipped ({server} is not set)")
        return 0
    totals = Counter()
    failed = 0
    for seed in range(args.seed, args.seed + args.schedules):
        failed += run_schedule(seed, args, totals)
    print(f"campaign ({args.backend}): " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
    print(f"campaign ({args.backend}): {'FAILED' if failed else 'passed'}: {failed} violations")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
