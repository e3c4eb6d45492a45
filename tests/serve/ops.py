#!/usr/bin/env python3
"""The ops page of `vngate serve`, in a real browser: headless Chromium driven over the DevTools
protocol (its `--remote-debugging-pipe`, so nothing but the standard library here), on a
phone-sized screen. It signs in with the token, reads every page against real traffic (charges
settled by callbacks, a failed card, a pending one, an unknown payout, a forged callback),
clicks the reconcile button, and keeps a screenshot of each page.

    python3 tests/serve/ops.py VNGATE_BINARY CHROMIUM SCREENSHOT_DIR
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

vngate, chromium, shots = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)
passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what} {detail}"[:2000])


def http(url, body=None, token=None, method=None):
    request = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# The gateway on the embedded simulator, its accounts, journal and token in a scratch dir.
work = tempfile.mkdtemp(prefix="vngate-ops-")
server_log = open(os.path.join(work, "serve.log"), "w")
server = subprocess.Popen(
    [vngate, "-vv", "serve", "--sim", "--dir", work, "--listen", "127.0.0.1:0"],
    stdout=subprocess.PIPE, stderr=server_log, text=True)
base = server.stdout.readline().strip().rsplit(" ", 1)[-1]
token = open(os.path.join(work, "serve-token.secret")).read().strip()
sim = re.search(r'base_url = "(http://[^"/]+)', open(os.path.join(work, "vngate.toml")).read()).group(1)

# Traffic: two cards that succeed by callback, one bad card, one pending forever, a top-up,
# a payout whose answer is lost (unknown), and a forged callback.
pins = []
for n, last in enumerate("1130"):
    pin = f"31234567890123{last}"
    pins.append(pin)
    card = {"telco": "VIETTEL", "code": pin, "serial": f"2000000000010{n}", "amount": 10000,
            "request_id": f"ops-card-{n}"}
    status, _ = http(f"{base}/v1/chargingws/charge?account=s1", json.dumps(card), token)
    check(f"charge {card['request_id']} answered", status == 200, status)
status, _ = http(f"{base}/v1/topup/topup", json.dumps(
    {"phone": "0912345671", "amount": 20000, "client_trans_id": "ops-topup-1"}), token)
check("a top-up answered", status == 200, status)
# Logged in first (eSMS's token is fetched once), so that the lost answer is the payout's.
http(f"{base}/v1/esms/verify_recipient", json.dumps({"channel": "momo", "phone": "0912345678"}), token)
http(f"{sim}/__sim/faults", json.dumps({"mode": "drop", "latency_ms": 0}))
status, body = http(f"{base}/v1/esms/disburse", json.dumps(
    {"channel": "momo", "phone": "0912345678", "amount": 50000, "order_id": "ops-payout-1",
     "description": "refund"}), token)
http(f"{sim}/__sim/faults", json.dumps({"mode": "none", "latency_ms": 0}))
check("a payout whose answer is lost: outcome unknown (504)", status == 504, (status, body))
status, _ = http(f"{base}/callbacks/chargingws/s1", json.dumps(
    {"status": 1, "request_id": "ops-card-3", "code": pins[3], "serial": "20000000000103",
     "telco": "VIETTEL", "declared_value": 10000, "value": 10000, "amount": 10000,
     "callback_sign": "00000000000000000000000000000000"}))
check("a forged callback is refused", status >= 400, status)
deadline = time.time() + 10
while time.time() < deadline:
    _, listed = http(f"{base}/v1/callbacks?verified=true", token=token)
    if len(json.loads(listed)) >= 3:
        break
    time.sleep(0.1)


class Browser:
    """Chromium over its DevTools pipe: fd 3 takes commands, fd 4 gives answers and events,
    each a JSON text ended by a NUL byte."""

    def __init__(self):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        profile = tempfile.mkdtemp(prefix="vngate-chromium-")
        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", "--remote-debugging-pipe", f"--user-data-dir={profile}",
             "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        self.send("Page.enable", session=True)
        self.send("Emulation.setDeviceMetricsOverride", session=True, width=390, height=844,
                  deviceScaleFactor=2, mobile=True)

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, session=False, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self.read()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait_load(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events):
                self.events.clear()
                return
            self.events.append(self.read())
        raise RuntimeError("the page did not load")

    def go(self, url):
        self.events.clear()
        self.send("Page.navigate", session=True, url=url)
        self.wait_load()

    def js(self, expression):
        result = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def act(self, expression):
        """Runs `expression` (a click, a submit) and waits for the page it leads to."""
        self.events.clear()
        self.js(expression)
        self.wait_load()

    def shot(self, name):
        metrics = self.send("Page.getLayoutMetrics", session=True)["cssContentSize"]
        data = self.send("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": 390, "height": min(metrics["height"], 4000), "scale": 1})
        path = os.path.join(shots, f"{name}.png")
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(data["data"]))
        print(f"screenshot {path}")

    def close(self):
        self.process.kill()
        self.process.wait()


def page_checks(b, name):
    """What every page must be: no PIN or token in it, and no sideways scrolling on a phone."""
    html = b.js("document.documentElement.outerHTML")
    check(f"{name}: no card PIN or token in the page", not any(p in html for p in pins) and token not in html)
    wide = b.js("document.documentElement.scrollWidth - window.innerWidth")
    check(f"{name}: fits a phone's width (390 px)", wide <= 0, f"{wide} px too wide")


browser = Browser()
try:
    browser.go(f"{base}/ops")
    check("signed out: the ops page asks for the token", browser.js("document.title") == "vngate · Sign in")
    browser.act("document.querySelector('#token').value = 'not-the-token-at-all';"
                "document.querySelector('form').submit()")
    check("a wrong token is refused", "not one this server takes" in browser.js("document.body.innerText"))
    browser.act(f"document.querySelector('#token').value = {json.dumps(token)};"
                "document.querySelector('form').submit()")
    text = browser.js("document.body.innerText")
    check("signed in: the overview", browser.js("document.title") == "vngate · Overview", text[:300])
    cards = browser.js("[...document.querySelectorAll('.card')].map(c => c.innerText.replace(/\\s+/g, ' '))")
    check("overview: one unknown payout", "1 Unknown" in cards, cards)
    check("overview: the pending card", "1 Pending" in cards, cards)
    check("overview: 3 succeeded (two cards, the top-up)", "3 Succeeded (14 days)" in cards, cards)
    check("overview: 1 failed card", "1 Failed (14 days)" in cards, cards)
    check("overview: 1 callback refused", "1 callbacks refused" in cards, cards)
    check("overview: totals per day and provider", "chargingws" in text and "topup" in text, text)
    page_checks(browser, "overview")
    browser.shot("1-overview")

    browser.act("[...document.querySelectorAll('.card')].find(c => c.innerText.includes('Unknown')).click()")
    text = browser.js("document.body.innerText")
    check("records by state: the unknown payout is listed", "ops-payout-1" in text, text)
    page_checks(browser, "records")
    browser.shot("2-records-unknown")
    browser.act("[...document.querySelectorAll('a')].find(a => a.innerText == 'ops-payout-1').click()")
    text = browser.js("document.body.innerText")
    check("a record's history: its events", "History" in text and "sent" in text, text)
    check("a record's history: the request, masked", '"order_id":"ops-payout-1"' in text, text)
    page_checks(browser, "record")
    browser.shot("3-record-history")

    browser.go(f"{base}/ops/record?provider=chargingws&account=s1&reference=ops-card-0")
    text = browser.js("document.body.innerText")
    check("a settled card: its callback and the event that told the app",
          "Callbacks" in text and "yes" in text and "Told to the application" in text, text)
    check("a settled card: its PIN masked", "***31" in text, text)
    page_checks(browser, "settled record")
    browser.shot("4-record-settled")

    browser.go(f"{base}/ops/events")
    text = browser.js("document.body.innerText")
    check("deliveries: money.settled and callback.verified events",
          "money.settled" in text and "callback.verified" in text, text)
    page_checks(browser, "deliveries")
    browser.shot("5-deliveries")
    browser.act("document.querySelector('td a').click()")
    text = browser.js("document.body.innerText")
    check("an event: its body and attempts", "Body" in text and "Attempts" in text, text)
    page_checks(browser, "event")

    browser.go(f"{base}/ops/callbacks?verified=false")
    text = browser.js("document.body.innerText")
    check("refused callbacks: kept, with why", "signature" in text.lower(), text)
    page_checks(browser, "callbacks")
    browser.shot("6-callbacks-refused")

    # The reconcile button: the unknown payout is resolved by its query (the simulator knows
    # it was paid). The journal reconciles records older than its min_age_secs (0 here).
    browser.go(f"{base}/ops")
    browser.act("document.querySelector('header form button').click()")
    text = browser.js("document.body.innerText")
    check("reconcile: its report", browser.js("document.title") == "vngate · Reconcile" and "Checked" in text, text)
    check("reconcile: the unknown payout resolved", "ops-payout-1" in text and "succeeded" in text, text)
    page_checks(browser, "reconcile")
    browser.shot("7-reconcile")
    browser.go(f"{base}/ops")
    cards = browser.js("[...document.querySelectorAll('.card')].map(c => c.innerText.replace(/\\s+/g, ' '))")
    check("after the reconcile: nothing unknown", "0 Unknown" in cards, cards)

    # Without a session: sent to sign in, nothing run.
    status, body = http(f"{base}/ops/reconcile", "csrf=forged", None, "POST")
    check("reconcile without a session or token: sent to sign in", "<title>vngate · Sign in" in body, (status, body[:200]))
finally:
    browser.close()
    server.terminate()
    server.wait()
    server_log.close()

log = open(os.path.join(work, "serve.log")).read()
check("the server's log (-vv) has a line per request", log.count("serve: ") >= 10, log[-500:])
check("the server's log has no card PIN, token or key",
      not any(p in log for p in pins) and token not in log and "sim-s1-partner-key" not in log, log[-2000:])

print(f"screenshots in {shots}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
