"""Card charging in a Flask shop: submit a card, receive the site's callback (POST JSON or GET),
verify it against the stored card, confirm it with `check`, credit it once.

    VNGATE_BASE_URL=https://thesieure.com VNGATE_PARTNER_ID=… VNGATE_PARTNER_KEY=… flask --app examples/flask_app run

`tests/python/test_examples.py` runs it against the simulator; the README's handler is this
file's.
"""

import os
import threading

from flask import Flask, request

import vngate

client = vngate.ChargingWs(
    base_url=os.environ.get("VNGATE_BASE_URL", "https://thesieure.com"),
    partner_id=os.environ.get("VNGATE_PARTNER_ID", "1"),
    partner_key=os.environ.get("VNGATE_PARTNER_KEY", "KEY"),
)

# Your database: the cards sent, by request_id, and what was credited.
CARDS: dict = {}
CREDITED: dict = {}
_credit_lock = threading.Lock()


def load_card(request_id):
    return CARDS.get(request_id)


def credit_once(request_id, status, amount):
    with _credit_lock:
        if request_id not in CREDITED and status in (vngate.CardStatus.SUCCESS, vngate.CardStatus.WRONG_VALUE):
            CREDITED[request_id] = amount


app = Flask(__name__)


@app.post("/charge")
def charge():
    card = dict(request.get_json(), request_id=vngate.new_request_id())
    CARDS[card["request_id"]] = card  # stored before sending
    try:
        result = client.charge(**card)
    except vngate.OutcomeUnknown as e:  # do not resend: check later
        return {"request_id": card["request_id"], "outcome": "unknown", "next_step": e.next_step}, 202
    except vngate.InvalidInput as e:
        return {"error": f"invalid {e.field}"}, 400
    return {"request_id": card["request_id"], "status": int(result.status), "message": result.message}


@app.route("/charge/callback", methods=["GET", "POST"])
def charge_callback():
    # POST callbacks are JSON or form bodies, GET ones query strings: the request_id from any.
    fields = request.get_json(silent=True, force=True) or request.form or request.args
    stored = load_card(fields.get("request_id"))               # your database
    if stored is None:
        return "unknown request", 404
    try:
        # the raw bytes, as signed: the POST body, or the query string of a GET
        data = request.get_data() if request.method == "POST" else request.query_string
        callback = client.parse_callback(data, expected=stored)  # signature + stored request
    except (vngate.SignatureMismatch, vngate.CallbackMismatch, vngate.BadReply):
        return "rejected", 400
    confirmed = client.check(**stored)     # callback_sign does not cover status or amounts
    credit_once(stored["request_id"], confirmed.status, confirmed.amount)
    return {"success": True}
