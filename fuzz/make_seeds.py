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
