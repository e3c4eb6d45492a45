"""A first call from Python: submit a card and handle "outcome unknown" (never resend: check).
tests/python runs it against the simulator and type-checks it with mypy --strict.

    VNGATE_BASE_URL=https://thesieure.com VNGATE_PARTNER_ID=… VNGATE_PARTNER_KEY=… python quickstart.py
"""

import os

import vngate

client = vngate.ChargingWs(
    base_url=os.environ.get("VNGATE_BASE_URL", "https://thesieure.com"),
    partner_id=os.environ.get("VNGATE_PARTNER_ID", "1"),
    partner_key=os.environ.get("VNGATE_PARTNER_KEY", "KEY"),
)
request_id = vngate.new_request_id()  # store it, with the card, before sending
try:
    result = client.charge(telco="VIETTEL", code="312821445892981", serial="10004783347874",
                           amount=50_000, request_id=request_id)
    print("status", int(result.status), result.message)  # status 99 PENDING: wait for the callback
except vngate.OutcomeUnknown as e:
    print("outcome unknown, do not resend:", e.next_step)
except vngate.InvalidInput as e:
    print("fix", e.field)
