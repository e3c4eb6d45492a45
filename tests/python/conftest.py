"""A fresh simulator per test: the vngate-sim binary on a free loopback port."""

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# Provider requests and the connections that carried them, over the whole run.
TOTALS = {"requests": 0, "connections": 0}


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(
        f"# simulator: {TOTALS['requests']} provider requests over {TOTALS['connections']} connections"
    )


class Sim:
    def __init__(self) -> None:
        binary = os.environ.get("VNGATE_SIM_BIN", str(ROOT / "target" / "debug" / "vngate-sim"))
        self.process = subprocess.Popen([binary], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        self.url = line.strip().rsplit(" ", 1)[-1]
        assert self.url.startswith("http://127.0.0.1:"), line

    def control(self, path: str, body: dict = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/__sim/{path}", data=json.dumps(body or {}).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    def requests(self) -> int:
        return self.control("stats")["requests"]

    def close(self) -> None:
        try:
            stats = self.control("stats")["total"]
            TOTALS["requests"] += stats["requests"]
            TOTALS["connections"] += stats["connections"]
        except OSError:
            pass
        self.process.kill()
        self.process.wait()


@pytest.fixture
def sim():
    s = Sim()
    yield s
    s.close()


APPOTA_PEM = (ROOT / "tests" / "data" / "appotapay-partner-key.pem").read_text()
