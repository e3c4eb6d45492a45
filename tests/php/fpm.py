"""php-fpm, the way PHP shops run vngate, with the real server (Debian's php-fpm):

  (a) preload: a root-started master with opcache.preload_user, the library preloaded by
      ffi.preload from the scope header `php/bin/vngate-setup` writes, the classes by
      opcache.preload (ffi.enable=preload, PHP's default);
  (b) `php_admin_value[ffi.enable] = 1` in the pool, nothing preloaded.

For each, the simulator's real callback for a charged card reaches a callback page served by
php-fpm (through a small HTTP-to-FastCGI bridge driving `cgi-fcgi`), which verifies it against
the stored card and answers the provider; a forged callback is refused with 400.

Usage: python3 tests/php/fpm.py PHP_FPM_BINARY   (prints "N passed, M failed")
"""

import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "examples" / "php" / "callback.php"
passed = failed = 0


def check(condition, what):
    global passed, failed
    what = " ".join(what.split())  # one line per check, whatever a command printed
    if condition:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}")


def control(sim, path, body):
    request = urllib.request.Request(f"{sim}/__sim/{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def bridge(socket_path, script=PAGE):
    """An HTTP server that hands every request to `script` under php-fpm over FastCGI, as nginx
    would."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def handle_one(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            # Only the request's CGI parameters, as nginx sends: PHP's getenv() reads these
            # before the worker's environment, so nothing of this process may leak in.
            env = dict(PATH=os.environ.get("PATH", "/usr/bin:/bin"), SCRIPT_FILENAME=str(script), REQUEST_METHOD=self.command, QUERY_STRING=query,
                       REQUEST_URI=self.path, CONTENT_TYPE=self.headers.get("Content-Type", ""),
                       CONTENT_LENGTH=str(len(body)), SERVER_PROTOCOL="HTTP/1.1", GATEWAY_INTERFACE="CGI/1.1")
            out = subprocess.run(["cgi-fcgi", "-bind", "-connect", socket_path], input=body, env=env,
                                 capture_output=True, timeout=30).stdout
            head, _, content = out.partition(b"\r\n\r\n")
            status = 200
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"status:"):
                    status = int(line.split()[1])
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = handle_one

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_fpm(fpm, tmp, recipe, env):
    sock = f"{tmp}/fpm-{recipe}.sock"
    pool_extra = "php_admin_value[ffi.enable] = 1\n" if recipe == "pool" else ""
    conf = tmp / f"fpm-{recipe}.conf"
    conf.write_text(
        f"[global]\npid = {tmp}/fpm-{recipe}.pid\nerror_log = {tmp}/fpm-{recipe}.log\ndaemonize = no\n"
        f"[www]\nuser = nobody\ngroup = nogroup\nlisten = {sock}\nlisten.mode = 0666\npm = static\n"
        f"pm.max_children = 4\nclear_env = no\ncatch_workers_output = yes\n{pool_extra}"
    )
    args = [fpm, "-F", "-y", str(conf)]
    if recipe == "preload":
        # The ini lines vngate-setup prints, given as -d (global settings, as php.ini would).
        printed = subprocess.run(["php", str(ROOT / "php" / "bin" / "vngate-setup"), "--dir", str(tmp), "--user", "nobody"],
                                 env=env, capture_output=True, text=True, check=True).stdout
        for line in printed.splitlines():
            if line and not line.startswith(";"):
                args += ["-d", line]
    # Start-up messages (preloading's among them) go to stderr, before the error log opens.
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(f"{tmp}/fpm-{recipe}.stderr", "wb"))
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    return process, sock


def run(fpm, recipe, sim, tmp, env):
    store = tmp / f"stored-{recipe}.json"
    credited = pathlib.Path(f"{store}.credited")
    key = tmp / f"journal-{recipe}.key"
    key.write_text("7e" * 32)
    os.chmod(key, 0o644)  # the workers run as nobody
    env = dict(env, VNGATE_FPM_STORE=str(store), VNGATE_SIM_URL=sim,
               VNGATE_JOURNAL_PATH=str(tmp / f"journal-{recipe}.db"), VNGATE_JOURNAL_KEY_FILE=str(key))
    process, sock = start_fpm(fpm, tmp, recipe, env)
    server = bridge(sock)
    try:
        check(process.poll() is None, f"{recipe}: php-fpm starts")
        url = f"http://127.0.0.1:{server.server_address[1]}/callback"
        control(sim, "callbacks", {"chargingws_url": url, "chargingws_method": "post", "delay_ms": 200})
        card = {"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50000,
                "request_id": f"fpm-{recipe}-{int(time.time() * 1000)}"}
        store.write_text(json.dumps(card))
        os.chmod(tmp, 0o777)
        charged = subprocess.run(["php", "-d", "ffi.enable=1", "-r", (
            "spl_autoload_register(function ($c) { require getenv('VNGATE_SRC') . str_replace(['Vngate\\\\', '\\\\'], ['', '/'], $c) . '.php'; });"
            "$c = new Vngate\\ChargingWs(['base_url' => getenv('VNGATE_SIM_URL'), 'partner_id' => '10001', 'partner_key' => 'sim-s1-partner-key']);"
            "echo json_encode($c->charge(json_decode(file_get_contents(getenv('VNGATE_FPM_STORE')), true)));")],
            env=dict(env, VNGATE_SRC=str(ROOT / "php" / "src") + "/"), capture_output=True, text=True)
        check('"status":99' in charged.stdout, f"{recipe}: the card is charged" + ("" if charged.returncode == 0 else f" ({charged.stderr.strip()[:300]})"))
        for _ in range(100):
            if credited.exists():
                break
            time.sleep(0.05)
        result = json.loads(credited.read_text()) if credited.exists() else {}
        check(result.get("status") == 1 and result.get("amount") == 40000,
              f"{recipe}: php-fpm verified the simulator's callback and answered it ({result})")
        forged = json.dumps(dict(card, status=1, message="x", declared_value=50000, value=50000, amount=400000,
                                 trans_id=1, callback_sign="0" * 32)).encode()
        request = urllib.request.Request(url, data=forged, headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
            body = json.loads(e.read())
        check(status == 400 and body.get("kind") == "signature_mismatch", f"{recipe}: a forged callback is refused ({status})")
        laravel(sim, sock, store, recipe)
        journaled(sim, sock, recipe)
        per_request_clients(sim, sock, recipe, tmp)
    finally:
        server.shutdown()
        process.terminate()
        process.wait(timeout=10)
        log = pathlib.Path(f"{tmp}/fpm-{recipe}.log")
        text = "".join(p.read_text(errors="replace") for p in (log, pathlib.Path(f"{tmp}/fpm-{recipe}.stderr")) if p.exists())
        warnings = [line for line in text.splitlines() if "Warning" in line or "Can't preload" in line]
        check(not warnings, f"{recipe}: php-fpm started and stopped without a warning ({warnings[:2]})")
        if failed and log.exists():
            print(text[-2000:])


def laravel(sim, sock, store, recipe):
    """examples/php/CardController.php behind its front controller: the whole shop flow served
    by php-fpm (the charge too)."""
    server = bridge(sock, ROOT / "examples" / "php" / "laravel.php")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        control(sim, "callbacks", {"chargingws_url": f"{base}/charge/callback", "chargingws_method": "post", "delay_ms": 200})
        request = urllib.request.Request(f"{base}/charge", headers={"Content-Type": "application/json"}, data=json.dumps(
            {"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50000}).encode())
        try:
            sent = json.loads(urllib.request.urlopen(request, timeout=10).read())
        except urllib.error.HTTPError as e:
            sent = {"http_status": e.code, "body": e.read().decode(errors="replace")[:500]}
        credited = {}
        for _ in range(100):
            saved = pathlib.Path(f"{store}.laravel")
            credited = json.loads(saved.read_text()).get("credited", {}) if saved.exists() else {}
            if sent.get("request_id") in credited:
                break
            time.sleep(0.05)
        check(sent.get("status") == 99 and credited.get(sent.get("request_id")) == 40000,
              f"{recipe}: the Laravel-shaped controller charged, verified the callback and credited once ({sent}, {credited})")
    finally:
        server.shutdown()


def per_request_clients(sim, sock, recipe, tmp):
    """A page that builds its client on every request, as PHP pages do: a worker's next request
    finds the connection its last one left idle (a connection per worker, not per request)."""
    page = tmp / f"fees-{recipe}.php"
    page.write_text(
        "<?php if (!class_exists(Vngate\\ChargingWs::class, false)) { spl_autoload_register(function ($c) { require '"
        + str(ROOT / "php" / "src") + "/' . str_replace(['Vngate\\\\', '\\\\'], ['', '/'], $c) . '.php'; }); }"
        "$client = new Vngate\\ChargingWs(['base_url' => getenv('VNGATE_SIM_URL'), 'partner_id' => '10001', 'partner_key' => 'sim-s1-partner-key']);"
        "$client->fees(); echo json_encode(['pid' => getmypid()]);")
    server = bridge(sock, page)
    url = f"http://127.0.0.1:{server.server_address[1]}/fees"
    try:
        before = control(sim, "stats", {})["total"]
        pids = []
        for _ in range(12):
            try:
                pids.append(json.loads(urllib.request.urlopen(url, timeout=10).read())["pid"])
            except (urllib.error.URLError, ValueError, KeyError) as e:
                pids.append(f"error: {str(e)[:200]}")
        after = control(sim, "stats", {})["total"]
        requests, opened = after["requests"] - before["requests"], after["connections"] - before["connections"]
        workers = len(set(pids))
        check(requests == 12 and all(isinstance(p, int) for p in pids) and opened <= workers < 12,
              f"{recipe}: 12 requests, a client built in each, over {workers} php-fpm workers opened {opened} connection(s) "
              f"to the provider ({requests} requests{'' if all(isinstance(p, int) for p in pids) else ', ' + str(pids[:2])})")
    finally:
        server.shutdown()


def journaled(sim, sock, recipe):
    """examples/php/journal.php under php-fpm: concurrent requests for the same cards, spread
    over the pool's workers, sharing one SQLite journal: each card charged once and credited
    once."""
    server = bridge(sock, ROOT / "examples" / "php" / "journal.php")
    url = f"http://127.0.0.1:{server.server_address[1]}/shop"
    control(sim, "callbacks", {"delay_ms": 100})
    cards = [{"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50000,
              "request_id": f"fpm-j-{recipe}-{int(time.time() * 1000)}-{i}"} for i in range(8)]
    firsts, pids, errors, requests = {}, set(), [], [0]
    lock = threading.Lock()

    def shopper():
        done = set()
        for _ in range(60):
            for card in cards:
                if card["request_id"] in done:
                    continue
                request = urllib.request.Request(url, data=json.dumps(card).encode(), headers={"Content-Type": "application/json"})
                try:
                    answer = json.loads(urllib.request.urlopen(request, timeout=30).read())
                except (urllib.error.URLError, ValueError) as e:
                    with lock:
                        errors.append(str(e)[:200])
                    continue
                with lock:
                    requests[0] += 1
                    pids.add(answer.get("pid"))
                    if answer.get("first"):
                        firsts[card["request_id"]] = firsts.get(card["request_id"], 0) + 1
                if answer.get("state") in ("succeeded", "failed"):
                    done.add(card["request_id"])
            if len(done) == len(cards):
                return
            time.sleep(0.05)

    try:
        threads = [threading.Thread(target=shopper) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        log = control(sim, "money_log", {})["requests"]
        charges = {c["request_id"]: sum(1 for line in log if line == f"chargingws charge {c['request_id']}") for c in cards}
        once = all(firsts.get(c["request_id"]) == 1 and charges[c["request_id"]] == 1 for c in cards)
        check(once and not errors,
              f"{recipe}: {requests[0]} concurrent requests over {len(pids)} php-fpm workers sharing one SQLite journal: "
              f"each of {len(cards)} cards charged once and credited once (charges {sorted(set(charges.values()))}, "
              f"credits {sorted(set(firsts.values()))}, errors {errors[:2]})")
    finally:
        server.shutdown()


def builtin_server(tmp, env):
    """`php -S` (artisan serve): FFI only with -d ffi.enable=1, and the loader says so."""
    page = tmp / "server" / "index.php"
    page.parent.mkdir()
    page.write_text(
        "<?php spl_autoload_register(function ($c) { require getenv('VNGATE_SRC') . str_replace(['Vngate\\\\', '\\\\'], ['', '/'], $c) . '.php'; });"
        "try { echo Vngate\\Client::version(); } catch (Throwable $e) { echo $e->getMessage(); }"
    )
    env = dict(env, VNGATE_SRC=str(ROOT / "php" / "src") + "/")
    for flags, expect, what in (([], "ffi.enable=1", "php -S without ffi.enable=1: the loader names the setting"),
                                (["-d", "ffi.enable=1"], "0.1.", "php -S -d ffi.enable=1 loads the library")):
        port = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        number = port.server_address[1]
        port.server_close()
        server = subprocess.Popen(["php", *flags, "-S", f"127.0.0.1:{number}", "-t", str(page.parent)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            text = ""
            for _ in range(100):
                try:
                    text = urllib.request.urlopen(f"http://127.0.0.1:{number}/", timeout=5).read().decode()
                    break
                except OSError:
                    time.sleep(0.05)
            check(expect in text, f"{what} ({text[:80]})")
        finally:
            server.terminate()
            server.wait(timeout=10)


def setup_guards(tmp, env):
    """vngate-setup never points a root master at a library or header another user can replace:
    a package in a vendor/ owned by the pool user (nobody here) has its library copied into
    --dir when run as root, is refused when run as anyone else, and a --dir others can write is
    refused."""
    setup = [str(ROOT / "php" / "bin" / "vngate-setup")]
    vendor = tmp / "vendor-of-nobody"
    vendor.mkdir()
    library = vendor / "libvngate.so"
    shutil.copy(env["VNGATE_LIB"], library)
    for path in (vendor, library):
        os.chown(path, 65534, 65534)
    theirs = dict(env, VNGATE_LIB=str(library))
    root_dir = tmp / "etc-php-fpm"
    root_dir.mkdir(mode=0o755)
    done = subprocess.run(["php", *setup, "--dir", str(root_dir), "--user", "nobody"], env=theirs,
                          capture_output=True, text=True)
    header = (root_dir / "vngate_scope.h").read_text() if done.returncode == 0 else ""
    copy = root_dir / "libvngate.so"
    check(done.returncode == 0 and f'FFI_LIB "{copy}"' in header and str(library) not in header
          and copy.stat().st_uid == 0 and copy.stat().st_mode & 0o022 == 0 and "copied" in done.stderr,
          f"vngate-setup as root copies a library the pool user owns into --dir ({done.stderr.strip()})")
    refused = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "php", *setup,
                              "--dir", str(root_dir), "--user", "nobody"], env=theirs, capture_output=True, text=True)
    check(refused.returncode == 1 and "refused" in refused.stderr and "belongs to uid 65534" in refused.stderr,
          f"vngate-setup as another user refuses it ({refused.stderr.strip()})")
    open_dir = tmp / "open-dir"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    refused = subprocess.run(["php", *setup, "--dir", str(open_dir), "--user", "nobody"], env=env,
                             capture_output=True, text=True)
    check(refused.returncode == 1 and "not root's alone" in refused.stderr and not (open_dir / "vngate_scope.h").exists(),
          f"vngate-setup refuses a --dir others can write ({refused.stderr.strip()})")


def main():
    fpm = sys.argv[1]
    sim_bin = ROOT / "target" / "debug" / "vngate-sim"
    tmp = pathlib.Path(tempfile.mkdtemp())
    os.chmod(tmp, 0o755)
    env = dict(os.environ, VNGATE_LIB=str(ROOT / "target" / "debug" / "libvngate.so"))
    sim_process = subprocess.Popen([str(sim_bin)], stdout=subprocess.PIPE, text=True)
    sim = sim_process.stdout.readline().strip().rsplit(" ", 1)[-1]
    try:
        setup_guards(tmp, env)
        for recipe in ("preload", "pool"):
            run(fpm, recipe, sim, tmp, env)
        builtin_server(tmp, env)
    finally:
        sim_process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
