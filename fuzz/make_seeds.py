"""Writes the fuzz seeds from the simulator's real replies and callbacks.

    target/venv/bin/python fuzz/make_seeds.py     (needs the vngate wheel and target/debug/vngate-sim)
"""

import hashlib
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
import vngate  # noqa: E402
from conftest import APPOTA_PEM, Sim  # noqa: E402

OUT = Path(__file__).resolve().parent / "seeds"


def seed(target: str, data: bytes) -> None:
    (OUT / target / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def shop_and_services(cws, ap) -> list:
    """The replies of the chargingws card shop and top-up service and of AppotaPay's signed
    services, in the `replies` target's order after the first fifteen."""
    order = cws.buy_cards(service_code="VIETTEL", value=10_000, qty=1, request_id="seed-2")
    topup = cws.topup_order(service_code="vinatt", amount=10_000, phone="0912345671", request_id="seed-3")
    mobile = ap.mobile_topup(partner_ref_id="seed-4", phone_number="0912345678", product_code="viettel_10")
    transfer = ap.bank_transfer(
        partner_ref_id="seed-5", bank_code="TPBANK", account_no="0123456789", account_name="NGUYEN VAN A",
        amount=10_000, fee_type="payer", message="seed",
    )
    return [
        order.raw, cws.redownload("seed-2").raw, cws.wallet_balance().raw,
        cws.stock(service_code="VIETTEL", value=10_000, qty=1).raw, cws.card_products().raw,
        topup.raw, cws.topup_status("seed-3", topup.order_code).raw, cws.topup_products().raw,
        mobile.raw, ap.topup_transaction("seed-4").raw, ap.data_packages("0912345678").raw,
        transfer.raw, ap.transfer_transaction("seed-5").raw, ap.bank_account_info("TPBANK", "132100132400000").raw,
        mobile.raw, transfer.raw,
    ]


def transfer_ipn(sim, ap) -> bytes:
    """A signed transfer IPN, as the simulator POSTs it for a pending transfer."""
    import http.server
    import threading

    got = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    sim.control("callbacks", {"appotapay_ipn_url": f"http://127.0.0.1:{server.server_port}/ipn", "delay_ms": 50})
    ap.bank_transfer(
        partner_ref_id="seed-6-pending", bank_code="TPBANK", account_no="0123456789", account_name="NGUYEN VAN A",
        amount=10_000, fee_type="receiver", message="seed",
    )
    import time
    for _ in range(100):
        if got:
            break
        time.sleep(0.05)
    server.server_close()
    return got[0]


def main() -> None:
    sim = Sim()
    try:
        url = sim.url
        cws = vngate.ChargingWs(base_url=url, partner_id="10001", partner_key="sim-s1-partner-key")
        card = dict(telco="VIETTEL", code="312821445892981", serial="10004783347874", amount=10_000, request_id="seed-1")
        ap = vngate.AppotaPay(base_url=url, partner_code="VNGATE_OAEP", api_key="sim-appota-api-key", secret_key="sim-appota-secret-key", private_key_pem=APPOTA_PEM)
        es = vngate.Esms(base_url=url, email="shop@vngate.test", password="sim-esms-password", secret_key="sim-esms-secret-key")
        tp = vngate.Topup(base_url=url + "/apipayment", username="simshop", private_key="sim-topup-key")
        oc = vngate.OpenCard(base_url=url, partner_id="20001", partner_key="sim-oc-ksort-key")
        bought = ap.buy_cards(partner_ref_id="seed-1", product_code="VT10", quantity=2)
        es.login()
        payout = es.disburse(amount=10_000, channel="momo", phone="0912345671", order_id="seed-1", description="d")
        top = tp.topup(phone="0912345671", amount=10_000)
        # The order of the `replies` target's operations.
        replies = [
            cws.charge(**card).raw, cws.check(**card).raw, cws.fees().raw,
            oc.charge(telco="VIETTEL", code="123456789012341", serial="10000000000001", amount=10_000).raw,
            bought.raw, ap.transaction("seed-1").raw, ap.products().raw, ap.balance().raw,
            payout.raw, es.verify_recipient(channel="momo", phone="0912345671").raw, es.query("seed-1").raw,
            '{"data":{"accessToken":"x","isExpired":false},"success":true,"message":"Success"}',
            top.raw, tp.recheck(client_trans_id=top.client_trans_id).raw, tp.balance().raw,
            *shop_and_services(cws, ap),
        ]
        for index, raw in enumerate(replies):
            seed("replies", bytes([index, 0]) + raw.encode())
        callbacks = [
            (0, b'{"status":1,"message":"Th\\u00e0nh c\\u00f4ng","request_id":"989876","declared_value":50000,"value":50000,"amount":25000,'
                b'"code":"314688440422676","serial":"10003395125761","telco":"VIETTEL","trans_id":54180,"callback_sign":"3d0180dc59bc96342b39ea41006a1d40"}'),
            (0, b"status=1&message=Th%C3%A0nh+c%C3%B4ng&request_id=989876&declared_value=50000&card_value=50000&value=50000&amount=25000"
                b"&code=314688440422676&serial=10003395125761&telco=VIETTEL&trans_id=343424&callback_sign=3d0180dc59bc96342b39ea41006a1d40"),
            (1, b'{"request_id":"385672323","trans_id":"10895648","telco":"VIETTEL","declared_value":10000,"status":3,"message":"CARD_INVALID",'
                b'"amount":0,"actual_amount":8600,"notified_at":"2025-11-16 06:02:35","sign":"42c114fba679c95505709bb4856ba52f"}'),
            (2, b'{"orderId":"m-1","status":-1,"timestamp":1724290351,"transactionId":"5146","channelId":1,"method":1,"amount":10000000,"resultCode":"1007","message":"x"}'),
        ]
        callbacks.append((3, transfer_ipn(sim, ap)))
        for which, body in callbacks:
            seed("callbacks", bytes([which]) + body)
        for op, request in [("charge", card), ("fees", {}), ("parse_callback", {"data": callbacks[1][1].decode()})]:
            import json
            seed("ffi", b"chargingws\0" + b'{"base_url":"http://127.0.0.1:9","partner_id":"1","partner_key":"k"}\0'
                 + op.encode() + b"\0" + json.dumps(request).encode() + b"\0" + callbacks[0][1])
    finally:
        sim.close()


if __name__ == "__main__":
    main()
