"""Card charging in a FastAPI shop, async: the event loop keeps serving while the site answers.

    VNGATE_BASE_URL=https://thesieure.com VNGATE_PARTNER_ID=… VNGATE_PARTNER_KEY=… uvicorn examples.fastapi_app:app

`tests/python/test_examples.py` runs it against the simulator.
"""

import asyncio
import json
import os
import urllib.parse

from fastapi import FastAPI, Request, Response

import vngate
import vngate.aio

client = vngate.aio.ChargingWs(
    base_url=os.environ.get("VNGATE_BASE_URL", "https://thesieure.com"),
    partner_id=os.environ.get("VNGATE_PARTNER_ID", "1"),
    partner_key=os.environ.get("VNGATE_PARTNER_KEY", "KEY"),
)

# Your database: the cards sent, by request_id, and what was credited.
CARDS: dict = {}
CREDITED: dict = {}
_credit_lock = asyncio.Lock()

app = FastAPI()


@app.post("/charge")
async def charge(request: Request):
    card = dict(await request.json(), request_id=vngate.new_request_id())
    CARDS[card["request_id"]] = card  # stored before sending
    try:
        result = await client.charge(**card)
    except vngate.OutcomeUnknown as e:  # do not resend: check later
        return {"request_id": card["request_id"], "outcome": "unknown", "next_step": e.next_step}
    return {"request_id": card["request_id"], "status": int(result.status)}


@app.api_route("/charge/callback", methods=["GET", "POST"])
async def charge_callback(request: Request):
    body = await request.body()
    data = body if request.method == "POST" else request.url.query.encode()
    # POST callbacks are JSON or form bodies, GET ones query strings: the request_id from any.
    if request.method != "POST":
        fields = request.query_params
    else:
        try:
            fields = json.loads(body)
        except ValueError:
            fields = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    stored = CARDS.get(fields.get("request_id"))
    if stored is None:
        return Response("unknown request", status_code=404)
    try:
        await client.parse_callback(data, expected=stored)  # signature + stored request
    except (vngate.SignatureMismatch, vngate.CallbackMismatch, vngate.BadReply):
        return Response("rejected", status_code=400)
    confirmed = await client.check(**stored)  # the signature does not cover status or amounts
    async with _credit_lock:
        if stored["request_id"] not in CREDITED and confirmed.status in (vngate.CardStatus.SUCCESS, vngate.CardStatus.WRONG_VALUE):
            CREDITED[stored["request_id"]] = confirmed.amount
    return {"success": True}
