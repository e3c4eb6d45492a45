"""vngate/laravel in a real Laravel app (Debian's php-laravel-framework, Laravel 8) under
php-fpm, installed with Composer as a shop would:

- `composer require vngate/laravel` (with vngate/vngate) from path repositories, Packagist off;
  the service provider and the `Vngate` alias come from package discovery;
- `php artisan vendor:publish --tag=vngate-config` writes config/vngate.php; accounts and the
  journal's key come from .env, the card account's partner key from a file;
- the journal lives in the app's own database connection (SQLite; MariaDB too when
  VNGATE_TEST_MYSQL names a server), beside the shop's `credits` table;
- php-fpm (clear_env on, as shipped: nothing passed in the environment) serves the app: a card charged
  through the facade is settled by the simulator's callback on `Route::vngateCallback`, which
  dispatches CardCharged once (the listener credits); a bad card dispatches CardFailed; a
  forged callback gets 400 and changes nothing; a dropped connection dispatches
  OutcomeUnknown; a payout is settled by `php artisan schedule:run` (vngate:reconcile,
  scheduled by the package), which dispatches PayoutSettled once;
- vngate's lines reach the `vngate` log channel without a card PIN or a key; php-fpm's log
  and Laravel's own have no warning or error.

Usage: python3 tests/php/laravel.py PHP_FPM_BINARY   (prints "N passed, M failed")
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fpm as suite  # noqa: E402  (the HTTP-to-FastCGI bridge and the counted checks)
from fpm import bridge, check, control  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def version():
    return re.search(r'^version = "(.*)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


def laravel_version():
    text = pathlib.Path("/usr/share/php/Illuminate/Foundation/Application.php").read_text()
    return re.search(r"const VERSION = '([^']+)'", text).group(1)


def install(tmp):
    """The app with vngate/laravel and vngate/vngate required from path repositories."""
    app = tmp / "app"
    shutil.copytree(ROOT / "tests" / "laravel", app)
    packages = tmp / "packages"
    for source, name in ((ROOT / "php", "vngate"), (ROOT / "laravel", "laravel")):
        shutil.copytree(source, packages / name, ignore=shutil.ignore_patterns("tests"))
        manifest = json.loads((packages / name / "composer.json").read_text())
        manifest["version"] = version()
        (packages / name / "composer.json").write_text(json.dumps(manifest, indent=4))
    # vngate/vngate as it ships (scripts/dist.sh): the header and the library inside it.
    (packages / "vngate" / "include").mkdir()
    (packages / "vngate" / "lib").mkdir()
    shutil.copy(ROOT / "include" / "vngate_php.h", packages / "vngate" / "include")
    shutil.copy(os.environ["VNGATE_LIB"], packages / "vngate" / "lib" / "libvngate.so")
    # What the package requires of Laravel, read from its composer.json.
    illuminate = [name for name in json.loads((ROOT / "laravel" / "composer.json").read_text())["require"] if name.startswith("illuminate/")]
    (app / "composer.json").write_text(json.dumps({
        "name": "shop/app", "type": "project", "require": {},
        "repositories": [{"type": "path", "url": str(packages / name), "options": {"symlink": False}} for name in ("vngate", "laravel")]
        + [{"packagist.org": False}],
        # Laravel is Debian's (bootstrap/framework.php), not a Composer package here.
        "provide": {name: laravel_version() for name in illuminate},
        "autoload": {"psr-4": {"App\\": "app/"}, "files": ["bootstrap/framework.php"]},
        "minimum-stability": "stable"}, indent=4))
    env = dict(os.environ, COMPOSER_HOME=str(tmp / "composer-home"), COMPOSER_NO_INTERACTION="1", COMPOSER_ALLOW_SUPERUSER="1")
    done = subprocess.run(["composer", "require", "--no-progress", f"vngate/laravel:{version()}"], cwd=app, env=env,
                          capture_output=True, text=True)
    transcript = done.stdout + done.stderr
    installed = [line.strip(" -") for line in transcript.splitlines() if "Installing vngate/" in line]
    check(done.returncode == 0 and len(installed) == 2,
          f"composer require vngate/laravel:{version()} installs both packages ({installed or transcript[-400:]})")
    return app


def artisan(app, env, *args, timeout=60):
    """`php artisan …` as the pool's user (nobody), as `sudo -u www-data php artisan` would."""
    return subprocess.run([*NOBODY, "php", "-d", "ffi.enable=1", "artisan", *args], cwd=app, env=env,
                          capture_output=True, text=True, timeout=timeout)


def configure(app, sim, tmp, database):
    """.env, the published config/vngate.php with the payouts account on, the shop's table."""
    key_file = tmp / "partner_key"
    key_file.write_text("sim-s1-partner-key\n")
    os.chmod(key_file, 0o644)
    lines = [
        "APP_ENV=local", "APP_DEBUG=false", "LOG_CHANNEL=single",
        f"VNGATE_CHARGINGWS_URL={sim}", "VNGATE_CHARGINGWS_PARTNER_ID=10001",
        f"VNGATE_CHARGINGWS_PARTNER_KEY_FILE={key_file}",
        f"VNGATE_ESMS_URL={sim}", "VNGATE_ESMS_API_TOKEN=sim-esms-api-token", "VNGATE_ESMS_SECRET_KEY=sim-esms-secret-key",
        "VNGATE_JOURNAL_KEY=" + "5c" * 32, "VNGATE_RECONCILE_SCHEDULE=everyMinute",
    ] + [f"{k}={v}" for k, v in database.items()]
    (app / ".env").write_text("\n".join(lines) + "\n")
    if database.get("DB_CONNECTION") == "sqlite":
        pathlib.Path(database["DB_DATABASE"]).touch()
    subprocess.run(["chmod", "-R", "a+rwX", str(app)], check=True)


def publish(app, env):
    done = artisan(app, env, "vendor:publish", "--tag=vngate-config")
    manifest = app / "bootstrap" / "cache" / "packages.php"
    check(manifest.exists() and "Vngate\\\\Laravel\\\\VngateServiceProvider" in manifest.read_text() and "'Vngate' =>" in manifest.read_text(),
          "Laravel's package discovery found the service provider and the Vngate alias (bootstrap/cache/packages.php)")
    published = app / "config" / "vngate.php"
    check(done.returncode == 0 and published.exists()
          and published.read_text() == (ROOT / "laravel" / "config" / "vngate.php").read_text(),
          f"php artisan vendor:publish --tag=vngate-config writes config/vngate.php ({(done.stdout + done.stderr).strip()[-200:]})")
    # The shop turns on the payouts account the published file shows, and tells the
    # reconciler not to wait (the tests' payouts settle in a fraction of a second).
    text = published.read_text()
    text = re.sub(r"// ('payouts' => \[)\n(.*?)// \],", lambda m: m.group(1) + "\n" + re.sub(r"^(\s*)// ", r"\1", m.group(2), flags=re.M)
                  + "    'base_url' => env('VNGATE_ESMS_URL'),\n        ],", text, flags=re.S)
    text = text.replace("'options' => [],", "'options' => ['min_age_secs' => 0, 'retry_base_secs' => 0],")
    published.write_text(text)
    listed = artisan(app, env, "list")
    check("vngate:reconcile" in listed.stdout, "artisan lists vngate:reconcile")


def post(url, body, timeout=30):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def events(app):
    path = app / "storage" / "events.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def of(app, reference):
    return [e["event"] for e in events(app) if e.get("reference") == reference]


def wait_for(condition, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start_fpm(fpm, tmp, app, name):
    sock = tmp / f"fpm-{name}.sock"
    conf = tmp / f"fpm-{name}.conf"
    # clear_env stays on (php-fpm's default): the app reads .env, the package finds its library.
    conf.write_text(
        f"[global]\npid = {tmp}/fpm-{name}.pid\nerror_log = {tmp}/fpm-{name}.log\ndaemonize = no\n"
        f"[www]\nuser = nobody\ngroup = nogroup\nlisten = {sock}\nlisten.mode = 0666\npm = static\n"
        f"pm.max_children = 3\ncatch_workers_output = yes\nphp_admin_value[ffi.enable] = 1\n")
    process = subprocess.Popen([fpm, "-F", "-y", str(conf)], stdout=subprocess.DEVNULL, stderr=open(tmp / f"fpm-{name}.stderr", "wb"))
    wait_for(sock.exists, 5)
    return process, str(sock)


def run(fpm, sim, tmp, name, database):
    check_before = suite.failed
    app = install(tmp / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VNGATE_")}
    configure(app, sim, tmp / name, database)
    publish(app, env)
    done = artisan(app, env, "shop:install")
    check(done.returncode == 0, f"{name}: the shop's credits table, in the app's database ({(done.stdout + done.stderr).strip()[-300:]})")
    process, sock = start_fpm(fpm, tmp / name, app, name)
    server = bridge(sock, app / "public" / "index.php")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        check(process.poll() is None, f"{name}: php-fpm serves the app")
        control(sim, "callbacks", {"chargingws_url": f"{base}/vngate/callback/cards", "chargingws_method": "post", "delay_ms": 300})
        card = {"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50000}
        status, body = post(f"{base}/charge", card)
        sent = json.loads(body) if status == 200 else {}
        reference = sent.get("request_id", "")
        check(status == 200 and sent.get("status") == 99, f"{name}: POST /charge charges the card through the facade ({status} {body[:300]})")
        wait_for(lambda: of(app, reference), 10)
        check(of(app, reference) == ["CardCharged"] and [e["amount"] for e in events(app) if e.get("reference") == reference] == [40000],
              f"{name}: the simulator's callback on Route::vngateCallback dispatched CardCharged with the settled amount ({of(app, reference)})")
        # The same card again (answered from the journal by check) and a reconcile: no second event.
        status, body = post(f"{base}/charge", dict(card, request_id=reference))
        done = artisan(app, env, "vngate:reconcile")
        check(status == 200 and done.returncode == 0 and of(app, reference) == ["CardCharged"],
              f"{name}: charging it again and vngate:reconcile dispatch nothing more ({status}, {done.stdout.strip()[:200]})")
        bad = dict(card, code="312821445892983")
        status, body = post(f"{base}/charge", bad)
        bad_reference = json.loads(body).get("request_id", "") if status == 200 else ""
        wait_for(lambda: of(app, bad_reference), 10)
        check(of(app, bad_reference) == ["CardFailed"], f"{name}: a bad card dispatches CardFailed once ({of(app, bad_reference)})")
        forged = dict(card, request_id=bad_reference, status=1, message="x", declared_value=50000, value=50000, amount=400000,
                      trans_id=1, callback_sign="0" * 32)
        status, body = post(f"{base}/vngate/callback/cards", forged)
        check(status == 400 and json.loads(body).get("kind") == "signature_mismatch" and of(app, bad_reference) == ["CardFailed"],
              f"{name}: a forged callback gets 400 and changes nothing ({status} {body[:120]})")
        # A connection dropped after the site took the card: OutcomeUnknown, then settled.
        control(sim, "faults", {"mode": "drop"})
        status, body = post(f"{base}/charge", dict(card, code="312821445892986"))
        control(sim, "faults", {"mode": "none"})
        unknown = json.loads(body).get("request_id", "") if status == 202 else ""
        check(status == 202 and of(app, unknown)[:1] == ["OutcomeUnknown"],
              f"{name}: a dropped reply answers 202 and dispatches OutcomeUnknown ({status} {body[:200]}, {of(app, unknown)})")
        wait_for(lambda: len(of(app, unknown)) > 1, 10)
        check(of(app, unknown) == ["OutcomeUnknown", "CardCharged"], f"{name}: its callback settles it later, once ({of(app, unknown)})")
        # A payout: pending when sent, settled by the scheduler's vngate:reconcile.
        payout = {"amount": 10000, "channel": "momo", "phone": "0912345671", "order_id": f"payout-{name}-{int(time.time() * 1000)}",
                  "description": "refund"}
        status, body = post(f"{base}/payout", payout)
        check(status == 200, f"{name}: POST /payout pays out through the \\Vngate alias ({status} {body[:200]})")
        time.sleep(0.6)
        done = artisan(app, env, "schedule:run")
        check(done.returncode == 0 and "Resolve vngate's pending" in done.stdout and of(app, payout["order_id"]) == ["PayoutSettled"],
              f"{name}: schedule:run runs vngate:reconcile, which dispatches PayoutSettled ({done.stdout.strip()[-200:]}, {of(app, payout['order_id'])})")
        done = artisan(app, env, "schedule:run")
        check(of(app, payout["order_id"]) == ["PayoutSettled"], f"{name}: the next scheduled run dispatches nothing more")
        done = artisan(app, env, "shop:credits")
        ours = {reference, bad_reference, unknown, payout["order_id"]}  # (a database kept from an earlier run has others)
        credits = {k: v for k, v in json.loads(done.stdout).items() if k in ours} if done.returncode == 0 else done.stderr[-300:]
        check(credits == {reference: 40000, unknown: 40000, payout["order_id"]: 10000},
              f"{name}: the listener credited each success once, in the app's database ({credits})")
        log = (app / "storage" / "logs" / "vngate.log")
        text = log.read_text() if log.exists() else ""
        check("chargingws charge" in text and "312821445892981" not in text and "sim-s1-partner-key" not in text
              and "sim-esms-secret-key" not in text and "5c5c5c5c" not in text,
              f"{name}: vngate's lines reach the vngate log channel, without a PIN or a key ({len(text.splitlines())} lines)")
    finally:
        server.shutdown()
        process.terminate()
        process.wait(timeout=10)
    text = "".join(p.read_text(errors="replace") for p in (tmp / name / f"fpm-{name}.log", tmp / name / f"fpm-{name}.stderr",
                                                           app / "storage" / "logs" / "laravel.log") if p.exists())
    noise = [line for line in text.splitlines() if re.search(r"warning|error|exception", line, re.I)]
    check(not noise, f"{name}: php-fpm's and Laravel's logs have no warning or error ({noise[:2]})")
    if suite.failed > check_before:
        print(text[-3000:])


def journal_paths():
    """JournalPath: the app's connections as the journal's paths (a password with URL
    characters encoded, TLS and sockets carried over, what the journal cannot use refused)."""
    script = """
    require 'laravel/src/JournalPath.php';
    $cases = [
        ['sqlite', ['driver' => 'sqlite', 'database' => '/srv/shop/database.sqlite']],
        ['sqlite', ['driver' => 'sqlite', 'database' => ':memory:']],
        ['mysql', ['driver' => 'mysql', 'host' => 'db', 'port' => '3307', 'database' => 'shop', 'username' => 'shop', 'password' => 'p@ss:w/rd?#']],
        ['mysql', ['driver' => 'mysql', 'host' => 'localhost', 'database' => 'shop', 'username' => 'shop', 'password' => '',
                   'unix_socket' => '/run/mysqld/mysqld.sock', 'options' => [PDO::MYSQL_ATTR_SSL_CA => '/etc/ssl/db-ca.pem']]],
        ['pgsql', ['driver' => 'pgsql', 'host' => 'pg', 'port' => 5432, 'database' => 'shop', 'username' => 'shop', 'password' => 'x', 'sslmode' => 'require']],
        ['mysql', ['driver' => 'mysql', 'url' => 'mariadb://u:p@h:3306/shop']],
        ['sqlsrv', ['driver' => 'sqlsrv', 'host' => 'x']],
    ];
    foreach ($cases as [$name, $db]) {
        try { echo Vngate\\Laravel\\JournalPath::of($name, $db), "\\n"; } catch (InvalidArgumentException $e) { echo 'refused: ', $e->getMessage(), "\\n"; }
    }
    """
    done = subprocess.run(["php", "-r", script], cwd=ROOT, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    expected = [
        "/srv/shop/database.sqlite",
        "refused: vngate: the journal's connection 'sqlite' is an in-memory SQLite: it needs a file",
        "mysql://shop:p%40ss%3Aw%2Frd%3F%23@db:3307/shop",
        "mysql://shop:@localhost:3306/shop?socket=%2Frun%2Fmysqld%2Fmysqld.sock&ssl-mode=VERIFY_CA&ssl-ca=%2Fetc%2Fssl%2Fdb-ca.pem",
        "postgresql://shop:x@pg:5432/shop?sslmode=require",
        "mysql://u:p@h:3306/shop",
        "refused: vngate: the journal keeps to sqlite, mysql (MariaDB) and pgsql; connection 'sqlsrv' is sqlsrv (set vngate.journal.url)",
    ]
    for got, want in zip(lines + [""] * len(expected), expected):
        check(got == want, f"JournalPath: {want[:90]}" + ("" if got == want else f" (got {got!r}; {done.stderr.strip()[:200]})"))


def main():
    fpm = sys.argv[1]
    journal_paths()
    print(f"# Laravel {laravel_version()} (Debian's php-laravel-framework)")
    sim_process = subprocess.Popen([str(ROOT / "target" / "debug" / "vngate-sim")], stdout=subprocess.PIPE, text=True)
    sim = sim_process.stdout.readline().strip().rsplit(" ", 1)[-1]
    tmp = pathlib.Path(tempfile.mkdtemp())
    os.chmod(tmp, 0o755)
    try:
        (tmp / "sqlite").mkdir()
        run(fpm, sim, tmp, "sqlite", {"DB_CONNECTION": "sqlite", "DB_DATABASE": str(tmp / "sqlite" / "app" / "database" / "shop.sqlite")})
        mysql = os.environ.get("VNGATE_TEST_MYSQL", "")
        if mysql:
            m = re.match(r"mysql://([^:]+):([^@]+)@([^:/]+):(\d+)/", mysql)
            (tmp / "mariadb").mkdir()
            # The shop's own user, its password full of URL characters (the journal's URL
            # must carry it encoded).
            password = "p@ss:w/rd?#%"
            made = subprocess.run(["php", "-r", (
                "$db = new PDO('mysql:host=' . $argv[1] . ';port=' . $argv[2], $argv[3], $argv[4]);"
                "$db->exec(\"CREATE USER IF NOT EXISTS 'shop'@'127.0.0.1' IDENTIFIED BY \" . $db->quote($argv[5]));"
                "$db->exec(\"GRANT ALL ON vngate_laravel.* TO 'shop'@'127.0.0.1'\");"), m[3], m[4], m[1], m[2], password],
                capture_output=True, text=True)
            check(made.returncode == 0, f"a MariaDB user for the shop ({made.stderr.strip()[:200]})")
            run(fpm, sim, tmp, "mariadb", {"DB_CONNECTION": "mysql", "DB_HOST": m[3], "DB_PORT": m[4], "DB_DATABASE": "vngate_laravel",
                                          "DB_USERNAME": "shop", "DB_PASSWORD": f'"{password}"'})
        else:
            print("# VNGATE_TEST_MYSQL is not set: the app on MariaDB skipped")
    finally:
        sim_process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{suite.passed} passed, {suite.failed} failed")
    sys.exit(0 if suite.failed == 0 else 1)


if __name__ == "__main__":
    main()
