"""vngate the way Python apps deploy it: a client used before fork() (gunicorn --preload,
multiprocessing, celery prefork), and signals during a blocking call (Ctrl-C, a SIGTERM handler
that raises, as gunicorn, celery and Kubernetes shutdowns do)."""

import json
import os
import signal
import threading
import time

import pytest

import vngate

S1 = dict(partner_id="10001", partner_key="sim-s1-partner-key")
CALLS = 50


def card(request_id):
    return dict(telco="VIETTEL", code="312821445892980", serial="10004783347874", amount=10_000, request_id=request_id)


def crossed_calls(client, who):
    """CALLS charges and CALLS checks with ids of our own; how many answers were not ours."""
    crossed = 0
    for i in range(CALLS):
        stored = card(f"{who}-{i}")
        for call in (client.charge, client.check):
            try:
                if call(**stored).request_id != stored["request_id"]:
                    crossed += 1
            except vngate.Error:
                crossed += 1
    return crossed


def test_clients_built_per_request_share_one_connection(sim):
    """A web handler that builds its client on every request (Flask, FastAPI) reuses the
    connection an earlier request's client left, as a client kept for the process would."""
    for _ in range(10):
        vngate.ChargingWs(base_url=sim.url, **S1).fees()
    stats = sim.control("stats")
    assert (stats["requests"], stats["connections"]) == (10, 1)


@pytest.mark.parametrize("reuse", [False, True], ids=["default", "money-pooled"])
def test_a_client_used_before_fork_never_reads_the_other_processs_replies(sim, reuse):
    client = vngate.ChargingWs(base_url=sim.url, reuse_connections_for_money=reuse, **S1)
    client.fees()  # the pool now holds a kept-alive connection
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        crossed = crossed_calls(client, "child")
        os.write(write, str(crossed).encode())
        os._exit(0)
    os.close(write)
    crossed_parent = crossed_calls(client, "parent")
    _, status = os.waitpid(pid, 0)
    crossed_child = int(os.read(read, 64) or b"-1")
    os.close(read)
    print(f"fork ({'money pooled' if reuse else 'default'}): parent {2 * CALLS} calls, {crossed_parent} crossed; "
          f"child {2 * CALLS} calls, {crossed_child} crossed")
    assert os.waitstatus_to_exitcode(status) == 0
    assert (crossed_parent, crossed_child) == (0, 0)


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own SIGINT handler (raise KeyboardInterrupt), as in a terminal: a shell that
    starts the tests in the background leaves SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class Shutdown(Exception):
    """What a SIGTERM handler raises."""


def hung_charge(sim, send_signal):
    """A charge to a server that answers only after 20 s (the client waits up to 30 s); the
    signal arrives 0.3 s in. Returns (the exception, seconds from the signal to it, the card)."""
    sim.control("faults", {"latency_ms": 20_000})
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    stored = card(vngate.new_request_id())
    sent = []

    def fire():
        sent.append(time.monotonic())
        send_signal()

    timer = threading.Timer(0.3, fire)
    timer.start()
    try:
        client.charge(**stored)
    except BaseException as e:  # noqa: BLE001 - the point is which exception comes
        return e, time.monotonic() - sent[0], stored
    finally:
        timer.cancel()
    pytest.fail("the hung charge returned")


def test_ctrl_c_during_a_hung_money_call_raises_at_once_with_the_reference(sim):
    error, seconds, stored = hung_charge(sim, lambda: os.kill(os.getpid(), signal.SIGINT))
    print(f"SIGINT: {type(error).__name__} after {seconds:.3f} s, cause {type(error.__cause__).__name__} "
          f"reference {getattr(error.__cause__, 'reference', None)}")
    assert isinstance(error, KeyboardInterrupt)
    assert seconds < 5, "the interrupt waited for the call's timeout"
    cause = error.__cause__
    assert isinstance(cause, vngate.OutcomeUnknown)
    assert (cause.reference_field, cause.reference) == ("request_id", stored["request_id"])
    assert "check" in cause.next_step


def test_a_raising_sigterm_handler_ends_a_hung_money_call(sim):
    def handler(signum, frame):
        raise Shutdown("SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        error, seconds, stored = hung_charge(sim, lambda: os.kill(os.getpid(), signal.SIGTERM))
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"SIGTERM: {type(error).__name__} after {seconds:.3f} s, cause {type(error.__cause__).__name__} "
          f"reference {getattr(error.__cause__, 'reference', None)}")
    assert isinstance(error, Shutdown)
    assert seconds < 5
    assert isinstance(error.__cause__, vngate.OutcomeUnknown)
    assert error.__cause__.reference == stored["request_id"]


def test_a_topup_without_an_id_still_names_the_reference_when_interrupted(sim):
    sim.control("faults", {"latency_ms": 20_000})
    client = vngate.Topup(base_url=f"{sim.url}/apipayment", username="simshop", private_key="sim-topup-key")
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt) as e:
        client.topup(phone="0912345671", amount=10_000)
    timer.cancel()
    cause = e.value.__cause__
    assert isinstance(cause, vngate.OutcomeUnknown)
    assert cause.reference_field == "client_trans_id" and len(cause.reference) >= 16
    assert "recheck" in cause.next_step


def test_ctrl_c_during_a_hung_connect_ends_it_at_once_as_not_sent():
    """A server whose accept queue is full leaves SYNs unanswered: the connect hangs (up to
    connect_timeout_ms, 10 s by default). Ctrl-C ends it at once; nothing was sent."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    queued = []
    for _ in range(64):
        s = socket.socket()
        s.settimeout(0.2)
        try:
            s.connect(listener.getsockname())
            queued.append(s)
        except OSError:
            s.close()
            break
    else:
        pytest.skip("the accept queue never filled")
    host, port = listener.getsockname()
    client = vngate.ChargingWs(base_url=f"http://{host}:{port}", **S1)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt) as e:
        client.charge(**card(vngate.new_request_id()))
    timer.cancel()
    waited = time.monotonic() - started
    print(f"hung connect: KeyboardInterrupt after {waited:.3f} s, cause {e.value.__cause__!r}")
    assert waited < 3
    assert isinstance(e.value.__cause__, vngate.TransportError)
    assert "not sent" in str(e.value.__cause__)
    for s in queued:
        s.close()
    listener.close()


def test_a_signal_during_a_read_only_call_propagates_without_a_cause(sim):
    sim.control("faults", {"latency_ms": 20_000})
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt) as e:
        client.fees()
    timer.cancel()
    assert e.value.__cause__ is None


def test_every_failure_is_a_vngate_error_built_without_python_code(sim):
    """The classes are cached when the module loads and instances are made without running
    their __init__: the attributes are all there."""
    sim.control("faults", {"mode": "html_502"})
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    with pytest.raises(vngate.OutcomeUnknown) as e:
        client.charge(**card("e-1"))
    assert isinstance(e.value, vngate.Error)
    assert e.value.reference == "e-1" and e.value.message == str(e.value)
    assert e.value.details["kind"] == "outcome_unknown"


def test_callback_bytes_are_verified_exactly_as_received(sim):
    """A body that is not UTF-8 is refused by the core; nothing decodes it with replacement
    characters first (which could make two different bodies verify alike)."""
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    stored = card("u-1")
    body = b'{"status":1,"code":"312821445892980\xff","serial":"10004783347874","callback_sign":"x","request_id":"u-1"}'
    with pytest.raises(vngate.BadReply):
        client.parse_callback(body, expected=stored)


def test_results_log_without_pins_while_to_dict_stays_complete(sim):
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    stored = card("log-1")
    result = client.charge(**stored)
    assert result.to_dict()["code"] == stored["code"] and result.to_dict()["raw"] == result.raw
    logged = json.dumps(result.to_log_dict())
    assert stored["code"] not in logged and stored["code"] not in repr(result) and stored["code"] not in str(result)
    assert result.to_log_dict()["code"] == "***80" and result.to_log_dict()["raw"].endswith(" bytes>")


def test_callbacks_that_read_two_ways_are_refused():
    client = vngate.ChargingWs(base_url="https://thesieure.com", partner_id="1", partner_key="partner_key_example")
    get = ("status=1&message=ok&request_id=989876&declared_value=50000&value=50000&amount=25000&code=314688440422676"
           "&serial=10003395125761&telco=VIETTEL&trans_id=1&callback_sign=3d0180dc59bc96342b39ea41006a1d40")
    assert client.parse_callback(get).status is vngate.CardStatus.SUCCESS
    for forged in (get + "&status=2", get.replace("status=1", "status[]=1&status=1"),
                   {"status": ["1", "3"]}, get.replace("request_id=", "request.id=7&request_id=")):
        with pytest.raises(vngate.Error):
            client.parse_callback(forged)
    hook = ('{"request_id":"385672323","trans_id":"10895648","telco":"VIETTEL","declared_value":10000,"status":3,'
            '"status":1,"message":"x","amount":0,"actual_amount":8600,"sign":"42c114fba679c95505709bb4856ba52f"}')
    with pytest.raises(vngate.BadReply, match="twice"):
        vngate.OpenCard(partner_id="1", partner_key="ockey").parse_webhook(hook)


def test_a_multidict_keeps_every_value_so_a_repeated_key_is_refused():
    class MultiDict(dict):
        """What Flask's request.args does: items() shows the first value only."""

        def __init__(self, pairs):
            super().__init__()
            self.pairs = pairs
            for key, value in pairs:
                self.setdefault(key, value)

        def getlist(self, key):
            return [v for k, v in self.pairs if k == key]

    client = vngate.ChargingWs(base_url="https://thesieure.com", partner_id="1", partner_key="partner_key_example")
    pairs = [("status", "1"), ("message", "ok"), ("request_id", "989876"), ("declared_value", "50000"), ("value", "50000"),
             ("amount", "25000"), ("code", "314688440422676"), ("serial", "10003395125761"), ("telco", "VIETTEL"),
             ("trans_id", "1"), ("callback_sign", "3d0180dc59bc96342b39ea41006a1d40")]
    assert client.parse_callback(MultiDict(pairs)).status is vngate.CardStatus.SUCCESS
    with pytest.raises(vngate.BadReply, match="repeats"):
        client.parse_callback(MultiDict(pairs + [("status", "3")]))


def test_bad_reply_excerpts_read_as_the_bytes_that_came(sim):
    sim.control("faults", {"mode": "garbage"})
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    with pytest.raises(vngate.BadReply) as e:
        client.fees()
    assert e.value.excerpt == "\\x00\\xff\\xfegarbage{{\\x01]]", e.value.excerpt
    assert "\ufffd" not in str(e.value) and "\\u{" not in str(e.value)


def test_amounts_that_are_not_face_values_are_refused_before_sending(sim):
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    with pytest.raises(vngate.InvalidInput) as e:
        client.charge(**dict(card("fv-1"), amount=55_000))
    assert e.value.field == "amount" and sim.requests() == 0
    custom = vngate.ChargingWs(base_url=sim.url, face_values={"VIETTEL": [55_000]}, **S1)
    assert custom.charge(**dict(card("fv-2"), amount=55_000)).request_id == "fv-2"


def test_a_refused_appotapay_key_is_an_auth_error_on_every_operation(sim):
    client = vngate.AppotaPay(base_url=sim.url, partner_code="VNGATE_OAEP", api_key="sim-appota-api-key", secret_key="wrong")
    for call in (lambda: client.buy_cards(partner_ref_id="auth-1", product_code="VT10", quantity=1),
                 lambda: client.transaction("auth-1"), client.products, client.balance):
        with pytest.raises(vngate.AuthError, match="errorCode 14"):
            call()


def test_a_front_and_core_mismatch_is_an_internal_error_not_a_bad_reply(sim):
    with pytest.raises(vngate.InternalError) as e:
        vngate.Fees._from({"fees": [], "raw": ""})  # a field missing, as after a core change
    assert not isinstance(e.value, vngate.BadReply) and isinstance(e.value, vngate.Error)
    assert e.value.details["kind"] == "internal"

    # A call's record is checked too, also after the same result made a right record (the
    # native module remembers checked shapes per record class, not per result type).
    class Renamed(vngate.CardResult):
        _fields = tuple("trans_ref" if f == "trans_id" else f for f in vngate.CardResult._fields)

    client = vngate.ChargingWs(base_url=sim.url, **S1)
    request = dict(card("mismatch-1"))
    for _ in range(2):
        assert client._call("check", vngate.CardResult, **request).message == "CARD_NOT_EXISTED"
        with pytest.raises(vngate.InternalError, match="Renamed fields"):
            client._call("check", Renamed, **request)


def test_only_vngates_own_lines_reach_python_logging(sim):
    """The crates underneath (ureq, rustls, the database clients) log too; their lines are not
    vetted for secrets as vngate's are, and are not forwarded, whatever the root level."""
    import logging

    names = []

    class Keep(logging.Handler):
        def emit(self, record):
            names.append(record.name)

    root = logging.getLogger()
    handler, level = Keep(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    vngate.reset_logging()
    try:
        client = vngate.ChargingWs(base_url=sim.url, **S1)
        client.charge(**card("log-own-1"))
        client.check(**card("log-own-1"))
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        vngate.reset_logging()
    assert "vngate" in names, names
    assert set(names) == {"vngate"}, names


def test_logging_is_imported_at_vngates_first_line_not_at_import(sim):
    """`import vngate` does not import `logging` (a quarter of the import's time, for a program
    that may never log); logging configured after the import still gets vngate's first line."""
    import subprocess
    import sys

    script = (
        "import sys, vngate\n"
        "print('logging' in sys.modules)\n"
        "import logging\n"
        "lines = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record): lines.append(record.getMessage())\n"
        "logger = logging.getLogger('vngate')\n"
        "logger.addHandler(Keep()); logger.setLevel(logging.INFO)\n"
        "client = vngate.ChargingWs(base_url=sys.argv[1], partner_id=sys.argv[2], partner_key=sys.argv[3])\n"
        "client.check(telco='VIETTEL', code='312821445892980', serial='10004783347874', amount=10000, request_id='lazy-log-1')\n"
        "print(any(line.startswith('chargingws check') for line in lines))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, sim.url, S1["partner_id"], S1["partner_key"]],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "True"], run.stdout + run.stderr


def test_vngate_logs_each_call_to_python_logging_without_secrets(sim):
    import logging

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger = logging.getLogger("vngate")
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    vngate.reset_logging()
    try:
        client = vngate.ChargingWs(base_url=sim.url, **S1)
        stored = card("log-2")
        client.charge(**stored)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        vngate.reset_logging()
    assert any(r.startswith("chargingws charge request_id=log-2: HTTP 200") for r in records), records
    assert any("request:" in r and "code=***80" in r for r in records), records
    assert not any(stored["code"] in r or S1["partner_key"] in r for r in records), records


def test_codes_bought_under_another_name_stay_out_of_errors_and_logs(sim):
    """A card shop that names the codes it sells `card_code`: the order cannot be read (outcome
    unknown, resolve with redownload), and neither the exception nor vngate's log lines show a
    code."""
    import logging
    import traceback

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger = logging.getLogger("vngate")
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    vngate.reset_logging()
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    request_id = vngate.new_request_id()
    sim.control("faults", {"mode": "renamed_codes"})
    try:
        with pytest.raises(vngate.OutcomeUnknown) as raised:
            client.buy_cards(service_code="VIETTEL", value=10_000, qty=2, request_id=request_id)
    finally:
        sim.control("faults", {"mode": "none"})
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        vngate.reset_logging()
    error = raised.value
    shown = [str(error), repr(error), json.dumps(error.details), "".join(traceback.format_exception(error))] + records
    assert any("buy_cards reply:" in r and "card_code" in r for r in records), records
    codes = [c.code for c in client.redownload(request_id).cards]
    assert len(codes) == 2
    for text in shown:
        for code in codes:
            assert code not in text, text


@pytest.mark.parametrize("shape", ["list", "dict"])
def test_a_request_nested_100_000_deep_is_a_typed_error_not_a_crash(shape):
    """The native request writer followed nesting down the stack and killed the interpreter
    (SIGSEGV); it stops at 128 levels, the most the core reads, with InvalidInput."""
    client = vngate.ChargingWs(base_url="http://127.0.0.1:9", partner_id="1", partner_key="k", allow_insecure_http=True)
    deep = [] if shape == "list" else {}
    for _ in range(100_000):
        deep = [deep] if shape == "list" else {"a": deep}
    with pytest.raises(vngate.InvalidInput) as refused:
        client.check(telco="VIETTEL", code=deep, serial="1", amount=10_000, request_id="deep-1")
    assert refused.value.field == "request" and "deeper than 128" in str(refused.value)
    shallow = [[["fine"]]]
    with pytest.raises(vngate.InvalidInput) as refused:  # refused for its type, by the core
        client.check(telco="VIETTEL", code=shallow, serial="1", amount=10_000, request_id="deep-2")
    assert refused.value.field == "code"
