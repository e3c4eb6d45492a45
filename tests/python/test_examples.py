"""The examples in examples/, run as a shop runs them, against the simulator: charge a card,
the site's callback arrives over HTTP, is verified, confirmed with check and credited once; a
forged callback is refused. docs/python.md's handler must be the Flask example's, word for word."""

import importlib.util
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT

EXAMPLES = ROOT / "examples"


def load(name, sim, monkeypatch):
    monkeypatch.setenv("VNGATE_BASE_URL", sim.url)
    monkeypatch.setenv("VNGATE_PARTNER_ID", "10001")
    monkeypatch.setenv("VNGATE_PARTNER_KEY", "sim-s1-partner-key")
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def shop_flow(sim, base, credited):
    # Every encoding a site may use for its callback: POST JSON, GET, POST form.
    for method in ("post", "get", "form"):
        sim.control("callbacks", {"chargingws_url": f"{base}/charge/callback", "chargingws_method": method, "delay_ms": 100})
        status, sent = post(f"{base}/charge", {"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50_000})
        assert status == 200 and sent["status"] == 99, sent
        for _ in range(100):
            if sent["request_id"] in credited:
                break
            time.sleep(0.05)
        assert credited.get(sent["request_id"]) == 40_000, (method, credited)
    forged = {"status": 1, "message": "x", "request_id": sent["request_id"], "declared_value": 50_000, "value": 50_000,
              "amount": 500_000, "code": "312821445892981", "serial": "10004783347874", "telco": "VIETTEL",
              "trans_id": 1, "callback_sign": "0" * 32}
    status, _ = post(f"{base}/charge/callback", forged)
    assert status == 400
    assert credited[sent["request_id"]] == 40_000


def test_the_flask_example(sim, monkeypatch):
    from werkzeug.serving import make_server

    shop = load("flask_app", sim, monkeypatch)
    server = make_server("127.0.0.1", 0, shop.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        shop_flow(sim, f"http://127.0.0.1:{server.server_port}", shop.CREDITED)
    finally:
        server.shutdown()


def test_the_fastapi_example(sim, monkeypatch):
    import uvicorn

    shop = load("fastapi_app", sim, monkeypatch)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(shop.app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        shop_flow(sim, f"http://127.0.0.1:{sock.getsockname()[1]}", shop.CREDITED)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_readme_handler_is_the_flask_example():
    readme = (ROOT / "docs" / "python.md").read_text()
    start = readme.index('@app.route("/charge/callback"')
    block = readme[start:readme.index("```", start)]
    assert block in (EXAMPLES / "flask_app.py").read_text()


def test_readme_snippets_marked_from_an_example_are_that_example():
    """Every snippet of the README and docs/ marked `<!-- from PATH -->` is that file's text,
    and the file runs in CI (examples/, each run by a suite)."""
    readme = "".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])
    marker = "<!-- from "
    found = 0
    for part in readme.split(marker)[1:]:
        path, _, rest = part.partition(" -->\n")
        fence = rest.index("\n") + 1
        block = rest[fence:rest.index("```\n", fence)]
        assert block in (ROOT / path).read_text(), path
        found += 1
    assert found >= 2


def test_the_quickstart_charges_a_card_and_type_checks(sim):
    """examples/quickstart.py, the README's first Python call, as a user runs it."""
    import os
    import subprocess

    env = dict(os.environ, VNGATE_BASE_URL=sim.url, VNGATE_PARTNER_ID="10001",
               VNGATE_PARTNER_KEY="sim-s1-partner-key")
    out = subprocess.run([sys.executable, str(EXAMPLES / "quickstart.py")], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("status 99 PENDING"), out.stdout
    mypy = pytest.importorskip("mypy.api")
    report, errors, status = mypy.run(["--strict", "--no-incremental", str(EXAMPLES / "quickstart.py")])
    assert status == 0, report + errors


PRELUDE = """\
# The reader's own names that the docs' snippets use, typed.
import asyncio
import os
import sqlite3
from typing import Any, Optional

import vngate
import vngate.aio
from flask import request
"""
STAND_INS = {
    "card": 'card: vngate.CardRequest = {"telco": "VIETTEL", "code": "312821445892981", '
            '"serial": "10004783347874", "amount": 50_000, "request_id": "r-1"}\n',
    "client": 'client = vngate.ChargingWs(base_url="https://thesieure.com", partner_id="1", partner_key="KEY")\n',
    "shop": 'shop = vngate.ChargingWs(base_url="https://thesieure.com", partner_id="1", partner_key="KEY")\n',
    "shop_db": 'shop_db = sqlite3.connect(":memory:")\n',
    "reference": 'reference = "r-1"\n',
    "user_id": "user_id = 1\n",
    "load_card": "def load_card(request_id: Any) -> Optional[vngate.CardRequest]: ...\n",
    "credit": "def credit(amount: int) -> None: ...\n",
    "credit_once": "def credit_once(*args: Any) -> None: ...\n",
}


def test_every_python_snippet_of_the_docs_type_checks(tmp_path):
    """Every ```python block of the README and docs/, with typed stand-ins for the reader's own
    names (a database, a credit function), passes `mypy --strict`; a snippet's own functions
    may leave their parameters untyped (they are the reader's code), vngate's calls may not."""
    mypy = pytest.importorskip("mypy.api")
    import re

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    files = []
    for page in pages:
        for n, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S)):
            # A stand-in only for a name the snippet does not define itself.
            stand_ins = "".join(code for name, code in STAND_INS.items()
                                if not re.search(rf"^(def {name}\(|{name}\s*[:=])", block, re.M))
            if "await " in block:
                block = "async def _snippet() -> None:\n" + "".join(f"    {line}\n" for line in block.splitlines())
            path = tmp_path / f"snippet_{page.stem.replace('-', '_').lower()}_{n}.py"
            path.write_text(PRELUDE + stand_ins + block)
            files.append(str(path))
    assert len(files) >= 5, files
    report, errors, status = mypy.run(["--strict", "--allow-untyped-defs", "--allow-untyped-calls",
                                       "--no-incremental",
                                       "--cache-dir", str(tmp_path / "cache"), *files])
    assert status == 0, report + errors
