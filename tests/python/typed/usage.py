"""How an application types its calls with the generated model: run.sh checks this file with
``mypy --strict`` against the installed package (test_vngate.py checks that a wrong key fails)."""

from typing import List, Optional

import vngate


def charge(client: vngate.ChargingWs, card: vngate.CardRequest) -> bool:
    result = client.charge(**card)
    return result.status == vngate.CardStatus.SUCCESS and result.amount is not None


def buy(client: vngate.AppotaPay, purchase: vngate.BuyRequest) -> List[str]:
    result = client.buy_cards(**purchase)
    if result.status is not vngate.PurchaseStatus.SUCCESS:
        return []
    return [card.serial for card in result.cards]


def pay(client: vngate.Esms, payout: vngate.DisburseRequest) -> Optional[int]:
    status = client.disburse(**payout).status
    return None if status is None else int(status)


def top_up(client: vngate.Topup, request: vngate.TopupRequest) -> bool:
    return client.topup(**request).status == vngate.TopupOutcome.SUCCESS


CARD: vngate.CardRequest = {
    "telco": "VIETTEL",
    "code": "312821445892981",
    "serial": "10004783347874",
    "amount": 10000,
    "request_id": "r-1",
}
CONFIG: vngate.ChargingWsConfig = {
    "base_url": "https://example.com",
    "partner_id": "1",
    "partner_key": "k",
    "transport": "json",
    "timeout_ms": 5000,
}
