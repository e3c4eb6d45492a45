"""vngate from Python, against the simulator: every provider and operation, callbacks, bad
input, exceptions and their attributes, secrets out of repr, threads and the GIL."""

import enum
import http.server
import json
import queue
import re
import threading
import time
import urllib.parse

import pytest

import vngate
from conftest import APPOTA_PEM, ROOT

S1 = dict(partner_id="10001", partner_key="sim-s1-partner-key")


class Kind(str, enum.Enum):
    """A str enum, as an application passes one: plain JSON, its value."""

    MOMO = "momo"


class Level(enum.IntEnum):
    """An int enum: plain JSON, its int."""

    TWO = 2


def card(code="312821445892981"):
    return dict(telco="VIETTEL", code=code, serial="10004783347874", amount=50_000, request_id=vngate.new_request_id())


class Receiver:
    """A shop's callback URL: records what arrives."""

    def __init__(self):
        self.received = queue.Queue()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _take(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = urllib.parse.urlsplit(self.path).query
                outer.received.put((self.command, query, body))
                self.send_response(200)
                self.end_headers()

            do_GET = do_POST = _take

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/callback"

    def next(self, timeout=5):
        # A queue: two callbacks that arrive before the first is taken are both kept.
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no callback arrived") from None


def test_version_and_ids():
    with open(__file__.replace("tests/python/test_vngate.py", "Cargo.toml")) as f:
        cargo = re.search(r'^version = "(.*)"', f.read(), re.M).group(1)
    assert vngate.__version__ == cargo
    assert re.fullmatch(r"[0-9a-f]{21,}", vngate.new_request_id())


@pytest.mark.parametrize("method", ["post", "get"])
@pytest.mark.parametrize("scheme,account", [("s1", S1), ("s2", dict(partner_id="10002", partner_key="sim-s2-partner-key"))])
def test_chargingws_flow_with_each_callback_form(sim, method, scheme, account):
    receiver = Receiver()
    sim.control("callbacks", {"chargingws_url": receiver.url, "chargingws_method": method, "delay_ms": 100})
    client = vngate.ChargingWs(base_url=sim.url, sign_scheme=scheme, transport="json", **account)
    # A serial with a leading zero, and a lower-case telco: both must survive signing.
    stored = dict(telco="mobifone", code="664196324421", serial="089801001443088", amount=50_000, request_id=vngate.new_request_id())
    result = client.charge(**stored)
    assert result.status is vngate.CardStatus.PENDING and result.value is None
    verb, query, body = receiver.next()
    assert verb == method.upper()
    data = query if verb == "GET" else body
    # bytes, str and the parameters as a framework hands them over all work.
    forms = [data, data.decode() if isinstance(data, bytes) else data]
    if verb == "GET":
        forms.append(dict(urllib.parse.parse_qsl(query)))
        forms.append(urllib.parse.parse_qs(query))
    for form in forms:
        callback = client.parse_callback(form, expected=stored)
        assert callback.status == vngate.CardStatus.SUCCESS and callback.message == "Thành công"
        assert callback.amount == 40_000
    assert client.check(**stored).status is vngate.CardStatus.SUCCESS
    # The stored request as a database row hands it back: its other columns are ignored, a
    # malformed field of the request is still refused by name.
    row = dict(stored, id=42, created_at="2026-12-06 10:00:00", status=None)
    assert client.parse_callback(data, expected=row).amount == 40_000
    with pytest.raises(vngate.InvalidInput) as malformed:
        client.parse_callback(data, expected=dict(row, amount="fifty thousand"))
    assert malformed.value.field == "expected.amount"
    with pytest.raises(vngate.CallbackMismatch) as mismatch:
        client.parse_callback(data, expected=dict(stored, amount=100_000))
    assert mismatch.value.field == "declared_value"
    tampered = (data if isinstance(data, str) else data.decode()).replace("089801001443088", "089801001443089")
    with pytest.raises(vngate.SignatureMismatch) as bad:
        client.parse_callback(tampered)
    assert bad.value.field == "callback_sign"


def test_results_are_frozen_typed_and_keep_unknown_codes(sim):
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    stored = card()
    result = client.charge(**stored)
    with pytest.raises(AttributeError):
        result.status = 1
    assert result.to_dict()["status"] == 99 and json.loads(result.raw)["status"] == 99
    duplicate = client.charge(**stored)
    assert duplicate.status == 102 and not isinstance(duplicate.status, vngate.CardStatus)
    assert duplicate.message == "REQUEST_ID_EXISTED"
    assert client.charge(**card("312821445892985")).status is vngate.CardStatus.REJECTED
    fees = client.fees()
    assert len(fees.fees) == 36 and isinstance(fees.fees[0], vngate.Fee)
    # Keyed by telco (an S2 site): in the site's order, not sorted.
    keyed = vngate.ChargingWs(base_url=sim.url, partner_id="10002", partner_key="sim-s2-partner-key", sign_scheme="s2").fees()
    assert list(dict.fromkeys(f.telco for f in keyed.fees)) == ["VIETTEL", "VINAPHONE", "MOBIFONE", "VNMOBI", "ZING", "GATE"]


def test_bad_input_names_the_field_and_sends_nothing(sim):
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    cases = {
        "telco": dict(card(), telco="NOKIA"),
        "code": dict(card(), code="31282\x00144"),
        "amount": dict(card(), amount=-1),
        "request_id": dict(card(), request_id="x" * 65),
        "serial": dict(card(), serial="1" * 10_000),
    }
    for field, request in cases.items():
        with pytest.raises(vngate.InvalidInput) as e:
            client.charge(**request)
        assert e.value.field == field and isinstance(e.value, ValueError)
        assert "312821445892981" not in str(e.value)
    with pytest.raises(vngate.InvalidInput) as e:
        client.charge(**dict(card(), amount="50000"))
    assert e.value.field == "amount"
    with pytest.raises(TypeError):
        client.charge(telco="VIETTEL")  # a missing keyword is Python's own error
    with pytest.raises(vngate.InvalidInput) as e:
        vngate.ChargingWs(base_url=sim.url, sign_schme="s2", **S1)
    assert e.value.field == "sign_schme"
    with pytest.raises(vngate.InvalidInput) as e:
        client.parse_callback({"status": ["1", "3"]})
    assert e.value.field == "status"
    assert sim.requests() == 0


def test_outcome_unknown_carries_the_callers_id(sim):
    sim.control("faults", {"latency_ms": 1000})
    client = vngate.ChargingWs(base_url=sim.url, timeout_ms=300, **S1)
    stored = card("312821445892980")
    with pytest.raises(vngate.OutcomeUnknown) as e:
        client.charge(**stored)
    assert (e.value.reference_field, e.value.reference, e.value.request_id) == ("request_id", stored["request_id"], stored["request_id"])
    assert "check" in e.value.next_step and e.value.operation == "charge"
    sim.control("reset")
    assert client.check(**stored).status is vngate.CardStatus.PENDING
    sim.control("faults", {"mode": "html_502"})
    with pytest.raises(vngate.BadReply) as bad:
        client.fees()
    assert bad.value.http_status == 502 and "502 Bad Gateway" in bad.value.excerpt
    dead = vngate.ChargingWs(base_url="http://127.0.0.1:9", **S1)
    with pytest.raises(vngate.TransportError):
        dead.charge(**card())
    # A host name that does not resolve (a bad base_url, DNS down, offline): nothing was sent.
    nowhere = vngate.ChargingWs(base_url="https://vngate-no-such-host.invalid", **S1)
    with pytest.raises(vngate.TransportError) as caught:
        nowhere.charge(**card())
    assert not isinstance(caught.value, vngate.OutcomeUnknown) and "not sent" in str(caught.value)


def test_opencard(sim):
    receiver = Receiver()
    sim.control("callbacks", {"opencard_url": receiver.url, "delay_ms": 100})
    client = vngate.OpenCard(base_url=sim.url, partner_id="20001", partner_key="sim-oc-ksort-key")
    result = client.charge(telco="VIETTEL", code="123456789012342", serial="10000000000011", amount=20_000)
    assert result.status is vngate.CardStatus.PENDING
    body = receiver.next()[2]
    hook = client.parse_callback(body, expected=dict(request_id=result.request_id, amount=20_000, telco="VIETTEL"))
    assert (hook.request_id, hook.status, hook.amount) == (result.request_id, vngate.CardStatus.WRONG_VALUE, 10_000)
    assert hook.unverified.declared_value == 20_000 and isinstance(hook.unverified, vngate.OpenCardUnverified)
    row = dict(id=7, request_id=result.request_id, amount=20_000, telco="VIETTEL", credited_at=None)
    assert client.parse_callback(body, expected=row).amount == 10_000
    with pytest.raises(vngate.CallbackMismatch) as mismatch:
        client.parse_webhook(body, expected=dict(request_id="1" + str(result.request_id)))
    assert mismatch.value.field == "request_id"
    prose = vngate.OpenCard(base_url=sim.url, partner_id="20002", partner_key="sim-oc-prose-key", sign_order="prose", webhook_sign_order="prose")
    assert prose.charge(telco="ZING", code="ABCDE1231", serial="ABCDEF123456", amount=20_000).status is vngate.CardStatus.PENDING


def test_appotapay(sim):
    client = vngate.AppotaPay(
        base_url=sim.url, partner_code="VNGATE_OAEP", api_key="sim-appota-api-key", secret_key="sim-appota-secret-key", private_key_pem=APPOTA_PEM
    )
    ref = vngate.new_request_id()
    bought = client.buy_cards(partner_ref_id=ref, product_code="VT50", quantity=2)
    assert bought.status is vngate.PurchaseStatus.SUCCESS and len(bought.cards) == 2
    first = bought.cards[0]
    assert len(first.code) == 13 and first.code_error is None
    assert first.code not in repr(bought) and "***" in repr(bought)
    assert client.decrypt_code(first.serial, first.encrypted_code) == first.code
    assert client.transaction(ref).cards[0].code == first.code
    assert client.transaction("never").status is vngate.PurchaseStatus.NOT_FOUND
    assert client.buy_cards(partner_ref_id=ref, product_code="VT50", quantity=2).status is vngate.PurchaseStatus.DUPLICATE
    sms = client.buy_cards(partner_ref_id=vngate.new_request_id(), product_code="VT10", quantity=1, type="sms", customer_phone="0912345678")
    assert sms.status is vngate.PurchaseStatus.SUCCESS and sms.cards == []
    assert len(client.products().products) == 5 and isinstance(client.balance().balance, int)
    wrong = vngate.AppotaPay(
        base_url=sim.url, partner_code="VNGATE_OAEP", api_key="sim-appota-api-key", secret_key="sim-appota-secret-key",
        private_key_pem=APPOTA_PEM, padding="pkcs1v15",
    )
    kept = wrong.buy_cards(partner_ref_id=vngate.new_request_id(), product_code="AC10", quantity=1)
    assert kept.cards[0].code is None and kept.cards[0].code_error.serial == kept.cards[0].serial


def test_esms(sim):
    receiver = Receiver()
    sim.control("callbacks", {"delay_ms": 100})
    client = vngate.Esms(base_url=sim.url, email="shop@vngate.test", password="sim-esms-password", secret_key="sim-esms-secret-key")
    assert client.login().startswith("sim-access-")
    order = vngate.new_request_id()
    payout = client.disburse(amount=20_000, channel="momo", phone="0912345671", order_id=order, description="Hoàn tiền", callback_url=receiver.url)
    assert payout.code == 0 and payout.status is vngate.DisbursementStatus.INITIAL
    body = receiver.next()[2]
    hint = client.parse_callback(body)
    assert hint.confirmed is False and hint.status is vngate.DisbursementStatus.SUCCESS
    assert client.confirm_callback(body).status is vngate.DisbursementStatus.SUCCESS
    with pytest.raises(vngate.CallbackMismatch) as e:
        client.confirm_callback(body.replace(b'"amount":20000', b'"amount":2000000'))
    assert e.value.field == "amount"
    assert client.query(order).order_id == order
    assert client.verify_recipient(channel="zalopay", phone="0912345673").result_code == "1007"
    with pytest.raises(vngate.AuthError):
        vngate.Esms(base_url=sim.url, email="shop@vngate.test", password="wrong", secret_key="k").login()
    with pytest.raises(vngate.InvalidInput) as bad:
        client.disburse(amount=10_500, channel="momo", phone="0912345671", order_id="o", description="d")
    assert bad.value.field == "amount"


def test_topup(sim):
    # The doubtful top-up settles after this delay: a recheck before it is still unknown, one
    # after it a success.
    sim.control("callbacks", {"delay_ms": 1000})
    for user, key, digest in [("simshop", "sim-topup-key", "sha256"), ("simshop1", "sim-topup-key-1", "sha1")]:
        client = vngate.Topup(base_url=sim.url + "/apipayment", username=user, private_key=key, digest=digest)
        done = client.topup(phone="0912345671", amount=50_000)
        assert done.status is vngate.TopupOutcome.SUCCESS and done.client_trans_id
        doubtful = client.topup(phone="0912345678", amount=50_000, gateway="VTL")
        assert doubtful.status is vngate.TopupOutcome.UNKNOWN
        assert client.recheck(client_trans_id=doubtful.client_trans_id).status is vngate.TopupOutcome.UNKNOWN
        time.sleep(1.1)
        assert client.recheck(client_trans_id=doubtful.client_trans_id).status is vngate.TopupOutcome.SUCCESS
        assert client.balance().balance == 1_500_000


def test_secrets_stay_out_of_repr_and_errors(sim):
    secrets = ["sim-s1-partner-key-SECRET", "PRIVKEY-SECRET", "appota-SECRET"]
    clients = [
        vngate.ChargingWs(base_url=sim.url, partner_id="1", partner_key=secrets[0]),
        vngate.Topup(base_url=sim.url, username="u", private_key=secrets[1], timeout_ms=300),
        vngate.AppotaPay(base_url=sim.url, partner_code="P", api_key="a", secret_key=secrets[2]),
    ]
    sim.control("faults", {"mode": "garbage"})
    texts = [repr(c) for c in clients]
    for call in (lambda: clients[0].charge(**card()), lambda: clients[1].topup(phone="0912345671", amount=10_000),
                 lambda: clients[2].balance()):
        with pytest.raises(vngate.Error) as e:
            call()
        texts += [str(e.value), repr(e.value), json.dumps(e.value.details)]
    for text in texts:
        for secret in secrets + ["312821445892981"]:
            assert secret not in text, text


def test_one_client_shared_by_16_threads(sim):
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    errors = []

    def work(n):
        for i in range(20):
            stored = dict(card(), request_id=f"t{n}-{i}")
            try:
                assert client.charge(**stored).status is vngate.CardStatus.PENDING
                assert client.check(**stored).request_id == stored["request_id"]
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sim.requests() == 16 * 20 * 2


def test_the_gil_is_released_during_calls(sim):
    """The simulator holds the next request until released, or fails it after 5 s. The
    release comes from this (main) Python thread, which can only run while the calling thread
    has released the GIL."""
    client = vngate.ChargingWs(base_url=sim.url, **S1)
    sim.control("hold", {"timeout_ms": 5000})
    outcome = {}

    def call():
        try:
            outcome["fees"] = client.fees()
        except vngate.Error as e:
            outcome["error"] = e

    caller = threading.Thread(target=call)
    caller.start()
    while sim.control("stats")["held"] != 1:
        assert caller.is_alive()
    sim.control("release")
    caller.join()
    assert "error" not in outcome, outcome.get("error")
    assert len(outcome["fees"].fees) == 36



def test_the_generated_typeddicts_catch_a_wrong_request(tmp_path):
    """The other half of run.sh's mypy check of typed/usage.py: the same call with a key
    misspelt does not type-check, so that check can fail. (Skipped where mypy is not installed:
    the run against the shipped wheel.)"""
    import subprocess
    import sys

    pytest.importorskip("mypy")

    bad = tmp_path / "bad.py"
    bad.write_text(
        "import vngate\n"
        "card: vngate.CardRequest = {'telco': 'VIETTEL', 'code': '1', 'serial': '2', 'amount': 10000, 'request': 'r'}\n"
        "def charge(client: vngate.ChargingWs) -> None:\n"
        "    client.charge(**card)\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout
    assert 'Missing key "request_id"' in run.stdout, run.stdout
    assert 'Extra key "request"' in run.stdout, run.stdout


def test_records_match_the_schema_the_core_was_built_from():
    """Every generated record lists the fields of its type in schema/vngate.json (the record's
    field set is what `_from` checks against the native module's output at run time)."""
    import pathlib

    schema = json.loads((pathlib.Path(__file__).parents[2] / "schema" / "vngate.json").read_text())
    records = 0
    for name, definition in schema["$defs"].items():
        record = getattr(vngate, name, None)
        if isinstance(record, type) and issubclass(record, vngate.Record):
            assert list(record._fields) == definition["required"], name
            records += 1
    assert records >= 20


def test_requests_are_written_natively_as_json_dumps_reads_them_and_odd_values_go_to_json_dumps():
    import decimal
    from vngate import _vngate

    plain = {"a": "Thành công \"q\" \x00 \U0001f600", "b": 10_000, "c": -3, "d": True, "e": 1.5,
             "f": [1, "x", None, {"g": False}], "h": (1, 2), "i": Kind.MOMO, "j": Level.TWO, "k": None,
             "l": 2**63 - 1, "m": {"n": None}, "o": 2**63, "p": 2**64 - 1, "q": -2**63}
    native = _vngate._dumps(plain)
    assert native is not None
    # The very text json.dumps writes (compact, UTF-8 kept): `True` is not `1`, nor `1.0`.
    kept = {k: v for k, v in plain.items() if v is not None}
    assert native == json.dumps(kept, separators=(",", ":"), ensure_ascii=False)
    for odd in [float("nan"), float("inf"), 2**64, decimal.Decimal("1.5"), b"x", {1: "a"}, "\ud800", object()]:
        assert _vngate._dumps({"a": odd}) is None, odd
    client = vngate.ChargingWs(base_url="http://127.0.0.1:9", partner_id="10001", partner_key="sim-s1-partner-key")
    with pytest.raises(TypeError, match="not JSON serializable"):
        client.charge(telco="VIETTEL", code="312821445892980", serial="10004783347874",
                      amount=decimal.Decimal(10_000), request_id="r-1")  # type: ignore[arg-type]


def _example_value(defs, prop):
    """A value of a schema property's type (an enum's first member)."""
    while True:
        if "$ref" in prop:
            prop = defs[prop["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in prop or "oneOf" in prop:
            prop = next(p for p in prop.get("anyOf", prop.get("oneOf")) if p.get("type") != "null")
        elif "allOf" in prop:
            prop = prop["allOf"][0]
        else:
            break
    if "enum" in prop:
        return prop["enum"][0]
    if "const" in prop:
        return prop["const"]
    kind = prop.get("type")
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    return {"string": "x1", "integer": 10000, "number": 1.5, "boolean": True, "array": [], "object": {}}.get(kind, "x1")


def test_requests_read_from_python_values_are_what_their_json_reads():
    """A method's request is read straight from its values (`Client.run`), not from JSON:
    whatever that makes of any value (a request sent, or an error naming the field) is what
    the JSON of the same values makes (`Client.call` with a dict), for every operation, every
    field and odd values; plain values are read straight, the rest again from their JSON."""
    import decimal
    from vngate import _vngate
    from vngate._record import _plan

    schema = json.loads((ROOT / "schema" / "vngate.json").read_text())
    defs = schema["$defs"]
    dead = "http://127.0.0.1:9"
    clients = {
        "chargingws": vngate.ChargingWs(base_url=dead, partner_id="1", partner_key="k"),
        "opencard": vngate.OpenCard(base_url=dead, partner_id="1", partner_key="k"),
        "appotapay": vngate.AppotaPay(base_url=dead, partner_code="P", api_key="a", secret_key="s", private_key_pem=APPOTA_PEM),
        "esms": vngate.Esms(base_url=dead, api_token="t", secret_key="s"),
        "topup": vngate.Topup(base_url=dead, username="u", private_key="k"),
    }
    odd = ["", "0", " 10000 ", "Thành công \"q\" \x00", "\ud800", 0, -1, 10000, 2**63, 2**64, -(2**63) - 1, 1.0, 1.5,
           float("nan"), True, False, [], ["x"], (1,), {}, {"a": None}, {1: "a"}, b"x", decimal.Decimal("1"),
           Kind.MOMO, Level.TWO, object()]

    def outcome(call):
        try:
            made = call()
            return ("made", type(made).__name__, re.sub(r"[0-9a-f]{16,}", "<id>", repr(made.to_dict())))
        except (vngate.Error, TypeError, ValueError) as error:
            details = getattr(error, "details", None)
            return ("raised", type(error).__name__, re.sub(r"[0-9a-f]{16,}", "<id>", f"{error} {details}"))

    compared = straight = 0
    for provider, client in clients.items():
        native = client._client
        for name, op in schema["providers"][provider]["operations"].items():
            record = getattr(vngate, op["result"]["$ref"].rsplit("/", 1)[-1])
            request = defs[op["request"]["$ref"].rsplit("/", 1)[-1]]
            base = {field: _example_value(defs, prop) for field, prop in request.get("properties", {}).items()}
            variants = [dict(base), dict(base, zz=1)]
            variants += [{k: v for k, v in base.items() if k != field} for field in base]
            variants += [dict(base, **{field: value}) for field in base for value in odd]
            for values in variants:
                names = tuple(values)
                before = _vngate._read_again()
                read = outcome(lambda: native.run(name, record, names, *values.values()))
                if _vngate._read_again() == before:
                    straight += 1
                written = outcome(lambda: native.call(name, dict(values), _plan(record)))
                assert read == written, (provider, name, values)
                compared += 1
            # The example request itself (plain values) is read straight; a callback's stored
            # request is kept as JSON text by the core (`expected`), so it is read from JSON.
            before = _vngate._read_again()
            outcome(lambda: native.run(name, record, tuple(base), *base.values()))
            assert _vngate._read_again() == before + (name == "parse_callback"), (provider, name, base)
    assert compared > 2000 and straight > 300, (compared, straight)


def test_codes_become_enum_members_and_unknown_codes_are_kept_as_sent():
    """What the native module hands over (plain values) becomes the record: a documented
    code its enum member, nested records and their enums too, any other code the int sent."""
    fields = dict(message="", request_id="r-1", trans_id=None, telco=None, code=None, serial=None,
                  declared_value=None, value=None, amount=None, raw="{}")
    assert vngate.CardResult._from(dict(fields, status=99)).status is vngate.CardStatus.PENDING
    assert vngate.CardResult._from(dict(fields, status=1)).status is vngate.CardStatus.SUCCESS
    unknown = vngate.CardResult._from(dict(fields, status=777)).status
    assert unknown == 777 and not isinstance(unknown, vngate.CardStatus)
    with pytest.raises(vngate.InternalError):
        vngate.CardResult._from(dict(fields))  # a field missing: the package and module disagree


def test_chargingws_card_shop(sim):
    client = vngate.ChargingWs(base_url=sim.url, partner_id="10001", partner_key="sim-s1-partner-key")
    request_id = vngate.new_request_id()
    order = client.buy_cards(service_code="VIETTEL", value=10_000, qty=2, request_id=request_id)
    assert order.status is vngate.OrderStatus.DELIVERED and len(order.cards) == 2
    assert order.cards[0].code not in repr(order)  # masked
    again = client.redownload(request_id, order.order_code)
    assert [c.code for c in again.cards] == [c.code for c in order.cards]
    assert client.redownload("never-bought-1").status is vngate.OrderStatus.UNRESOLVED
    assert isinstance(client.wallet_balance().balance, int)
    for transport in ("form", "query"):
        other = vngate.ChargingWs(base_url=sim.url, partner_id="10001", partner_key="sim-s1-partner-key", shop_transport=transport)
        bought = other.buy_cards(service_code="VIETTEL", value=10_000, qty=1, request_id=vngate.new_request_id())
        assert bought.status is vngate.OrderStatus.DELIVERED, transport
    topup_wallet = client.wallet_balance("topup")
    assert (topup_wallet.currency, topup_wallet.site_status) == ("VND", "success") and topup_wallet.balance > 0
    assert client.stock(service_code="OUTOFSTOCK", value=10_000, qty=1).site_status == "118"
    assert client.stock(service_code="VIETTEL", value=10_000, qty=1).in_stock is True
    assert client.card_products().products[0].values[0].value == 10_000
    order = client.topup_order(service_code="vinatt", amount=50_000, phone="0912345671", request_id=vngate.new_request_id())
    assert order.status is vngate.TopupOrderStatus.PENDING and order.order_code
    assert client.topup_status(order.request_id or "", order.order_code).status in (
        vngate.TopupOrderStatus.PENDING, vngate.TopupOrderStatus.COMPLETED)
    assert client.topup_products().products[0].service_code == "vinatt"


def test_appotapay_top_up_transfer_account_check_and_ipn(sim):
    receiver = Receiver()
    sim.control("callbacks", {"appotapay_ipn_url": receiver.url, "delay_ms": 100})
    client = vngate.AppotaPay(
        base_url=sim.url, partner_code="VNGATE_OAEP", api_key="sim-appota-api-key", secret_key="sim-appota-secret-key"
    )
    done = client.mobile_topup(partner_ref_id=vngate.new_request_id(), phone_number="0912345678", product_code="viettel_20")
    assert done.status is vngate.TransactionStatus.SUCCESS and done.signature_verified
    assert done.topup_amount == 20_000 and isinstance(done.time_unix, int)
    assert client.topup_transaction(done.partner_ref_id).status is vngate.TransactionStatus.SUCCESS
    assert client.topup_transaction("never-1").status is vngate.TransactionStatus.NOT_FOUND
    # A success whose reply signature fails is an unknown outcome naming the resolving call.
    with pytest.raises(vngate.OutcomeUnknown) as caught:
        client.mobile_topup(partner_ref_id="py-badsig", phone_number="0912345678", product_code="viettel_10")
    assert caught.value.reference == "py-badsig" and "topup_transaction" in caught.value.next_step
    assert [p.product_code for p in client.data_packages("0912345678", value=20_000).packages] == ["D24"]
    account = client.bank_account_info("TPBANK", "132100132400000")
    assert account.account_name == "NGUYEN VAN A" and account.signature_verified
    # 22 digits sent as a JSON number: its digits, never "1.2345678901234568e+21".
    long = client.bank_account_info("TPBANK", "1234567890123456789012")
    assert long.account_no == "1234567890123456789012" and long.signature_verified
    pending = client.bank_transfer(
        partner_ref_id="py-t-pending", bank_code="TPBANK", account_no="132100132400000",
        account_name="NGUYEN VAN A", amount=100_000, fee_type="receiver", message="Hoan tien",
    )
    assert pending.status is vngate.TransactionStatus.UNKNOWN and pending.error_code == 35
    verb, _, body = receiver.next()
    ipn = client.parse_callback(body)
    assert verb == "POST" and ipn.status is vngate.TransactionStatus.SUCCESS
    assert ipn.partner_ref_id == "py-t-pending" and ipn.reply_body == '{"status":"ok"}'
    assert client.parse_transfer_ipn(body) == ipn
    with pytest.raises(vngate.SignatureMismatch):
        client.parse_callback(body.replace(b'"success"', b'"error"'))
    assert client.transfer_transaction("py-t-pending").status is vngate.TransactionStatus.SUCCESS
    with pytest.raises(vngate.InvalidInput) as caught:
        client.bank_transfer(
            partner_ref_id="py-t-2", bank_code="TPBANK", account_no="1321", account_name="A",
            amount=1, fee_type="payer", message="Chuyển tiền",
        )
    assert caught.value.field == "message"


def same(made, loaded):
    """Equal, and of the same types all the way down (1 and 1.0 and True differ here)."""
    if type(made) is not type(loaded):
        return False
    if isinstance(made, dict):
        return list(made) == list(loaded) and all(same(made[k], loaded[k]) for k in made)
    if isinstance(made, list):
        return len(made) == len(loaded) and all(same(a, b) for a, b in zip(made, loaded))
    return made == loaded


def test_results_made_straight_from_the_core_equal_json_loads_of_its_json(sim, tmp_path, monkeypatch):
    """Without a journal the native module builds a result's objects straight from the core's
    type; with one, from the core's JSON text. Read-only calls and callbacks through both, and
    json.loads of that text, must agree to the type of every value (floats, None, nesting)."""
    monkeypatch.setenv("VNGATE_TEST_JOURNAL_KEY", "9b" * 32)
    journal = {"path": str(tmp_path / "journal.db"), "key_env": "VNGATE_TEST_JOURNAL_KEY"}
    receiver = Receiver()
    sim.control("callbacks", {"chargingws_url": receiver.url, "opencard_url": receiver.url, "delay_ms": 50})
    appota = dict(partner_code="VNGATE_OAEP", api_key="sim-appota-api-key", secret_key="sim-appota-secret-key")
    esms = dict(email="shop@vngate.test", password="sim-esms-password", secret_key="sim-esms-secret-key")
    clients = [
        (vngate.ChargingWs, dict(S1), [("fees", {}), ("check", card()), ("wallet_balance", {}), ("card_products", {}),
                                       ("topup_products", {}), ("stock", dict(service_code="VIETTEL", value=10_000, qty=1))]),
        (vngate.AppotaPay, appota, [("products", {}), ("balance", {}), ("transaction", dict(partner_ref_id="never-1")),
                                    ("data_packages", dict(phone_number="0912345678", value=20_000)),
                                    ("bank_account_info", dict(bank_code="TPBANK", account_no="132100132400000", partner_ref_id="py-same-1"))]),
        (vngate.Esms, esms, [("verify_recipient", dict(channel="zalopay", phone="0912345673"))]),
        (vngate.Topup, dict(username="simshop", private_key="sim-topup-key"), [("balance", {})]),
    ]
    checked = 0
    for kind, config, calls in clients:
        base = sim.url + "/apipayment" if kind is vngate.Topup else sim.url
        plain = kind(base_url=base, **config)._client
        journaled = kind(base_url=base, journal=journal, **config)._client
        for operation, request in calls:
            made = plain.call(operation, json.dumps(request))
            loaded = journaled.call(operation, json.dumps(request))
            assert same(made, loaded), (operation, made, loaded)
            checked += 1
    # Callbacks: a chargingws one and an OpenCard webhook (a nested record), both ways.
    shop = vngate.ChargingWs(base_url=sim.url, **S1)
    shop.charge(**card())
    opencard = vngate.OpenCard(base_url=sim.url, partner_id="20001", partner_key="sim-oc-ksort-key")
    opencard.charge(telco="VIETTEL", code="123456789012342", serial="10000000000011", amount=20_000)
    for _ in range(2):
        path, _, body = receiver.next()
        for client in (shop, opencard):
            config = dict(S1) if client is shop else dict(partner_id="20001", partner_key="sim-oc-ksort-key")
            try:
                made = client._client.parse_callback(body)
            except vngate.Error:
                continue  # the other provider's callback
            loaded = type(client)(base_url=sim.url, journal=journal, **config)._client.parse_callback(body)
            assert same(made, loaded), (made, loaded)
            checked += 1
    assert checked == len(sum((calls for _, _, calls in clients), [])) + 2
