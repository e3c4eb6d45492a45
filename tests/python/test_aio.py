"""vngate.aio: every operation awaitable, the event loop free while a provider answers, and a
cancelled money call that still reports its outcome as unknown."""

import asyncio
import time

import pytest

import vngate
import vngate.aio
from conftest import APPOTA_PEM

S1 = dict(partner_id="10001", partner_key="sim-s1-partner-key")


def card(request_id, code="312821445892980"):
    return dict(telco="VIETTEL", code=code, serial="10004783347874", amount=10_000, request_id=request_id)


async def loop_lag_during(call):
    """The longest the loop was late for a 10 ms tick while `call()` ran."""
    lag = 0.0
    done = False

    async def ticker():
        nonlocal lag
        while not done:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            lag = max(lag, time.monotonic() - before - 0.01)

    tick = asyncio.ensure_future(ticker())
    await asyncio.sleep(0.02)
    try:
        await call()
    finally:
        done = True
        await tick
    return lag


def test_the_loop_keeps_serving_during_a_slow_provider_call(sim):
    sim.control("faults", {"latency_ms": 1_000})
    client = vngate.aio.ChargingWs(base_url=sim.url, **S1)

    async def blocking():
        client.sync.fees()  # what a sync client does inside async def

    async def awaited():
        await client.fees()

    sync_lag = asyncio.run(loop_lag_during(blocking))
    async_lag = asyncio.run(loop_lag_during(awaited))
    print(f"event-loop lag during a 1 s provider call: sync {sync_lag * 1000:.0f} ms, async {async_lag * 1000:.0f} ms")
    assert sync_lag > 0.8, "the measurement sees a blocked loop"
    assert async_lag < 0.3


def test_a_cancelled_money_call_still_reports_its_reference(sim):
    sim.control("faults", {"latency_ms": 1_500})
    client = vngate.aio.ChargingWs(base_url=sim.url, **S1)
    stored = card("aio-cancel-1")

    async def scenario():
        task = asyncio.ensure_future(client.charge(**stored))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(vngate.OutcomeUnknown) as unknown:
            await task
        return unknown.value

    cause = asyncio.run(scenario())
    assert isinstance(cause.__cause__, asyncio.CancelledError), repr(cause)
    assert (cause.reference_field, cause.reference) == ("request_id", "aio-cancel-1")
    assert "check" in cause.next_step
    # The call was not stopped: the card reached the provider and is found by check.
    sim.control("reset")
    time.sleep(1.5)
    assert client.sync.check(**stored).status is vngate.CardStatus.PENDING


@pytest.mark.parametrize("limit", ["wait_for", "timeout"])
def test_the_idiomatic_time_limit_raises_outcome_unknown_for_a_sent_money_call(sim, limit):
    """asyncio.wait_for and asyncio.timeout: a money call that was sent ends as the
    OutcomeUnknown itself (catchable as such, with the reference), never a TimeoutError."""
    if limit == "timeout" and not hasattr(asyncio, "timeout"):
        pytest.skip("asyncio.timeout is Python 3.11+")
    sim.control("faults", {"latency_ms": 1_500})
    client = vngate.aio.ChargingWs(base_url=sim.url, **S1)
    stored = card(f"aio-limit-{limit}")

    async def scenario():
        if limit == "wait_for":
            await asyncio.wait_for(client.charge(**stored), 0.3)
        else:
            async with asyncio.timeout(0.3):
                await client.charge(**stored)

    with pytest.raises(vngate.OutcomeUnknown) as unknown:
        asyncio.run(scenario())
    assert unknown.value.reference == stored["request_id"] and "check" in unknown.value.next_step


def test_a_call_cancelled_before_it_is_sent_leaves_no_noise(sim):
    """Cancelled before sending (the executor busy with other calls): asyncio's own
    TimeoutError, nothing sent, and no "exception was never retrieved" from the thread."""
    import concurrent.futures
    import gc
    import logging

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    sim.control("faults", {"latency_ms": 800})
    client = vngate.aio.ChargingWs(base_url=sim.url, **S1)
    asyncio_log = logging.getLogger("asyncio")
    handler = Keep()
    asyncio_log.addHandler(handler)

    async def scenario():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
        busy = asyncio.ensure_future(client.fees())  # holds the only worker for 800 ms
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.charge(**card("aio-never-sent")), 0.2)
        await busy
        await asyncio.sleep(0.2)  # the queued call ran and was refused by its guard
        gc.collect()

    try:
        asyncio.run(scenario())
        gc.collect()
    finally:
        asyncio_log.removeHandler(handler)
    sim.control("reset")
    assert not any("never retrieved" in r for r in records), records
    assert client.sync.check(**card("aio-never-sent")).status is not vngate.CardStatus.PENDING


def test_a_call_cancelled_before_it_is_sent_is_not_sent():
    guard = vngate.aio._Guard()
    assert guard.cancel() is False
    with pytest.raises(asyncio.CancelledError):
        guard.about_to_send(None)
    assert guard.sent is False


def test_every_operation_is_awaitable(sim):
    async def scenario():
        cws = vngate.aio.ChargingWs(base_url=sim.url, **S1)
        stored = card("aio-1", code="312821445892981")
        assert (await cws.charge(**stored)).status is vngate.CardStatus.PENDING
        assert (await cws.check(**stored)).request_id == "aio-1"
        assert (await cws.fees()).fees
        ap = vngate.aio.AppotaPay(base_url=sim.url, partner_code="VNGATE_OAEP", api_key="sim-appota-api-key",
                                  secret_key="sim-appota-secret-key", private_key_pem=APPOTA_PEM)
        bought = await ap.buy_cards(partner_ref_id="aio-buy-1", product_code="VT10", quantity=1)
        assert bought.status is vngate.PurchaseStatus.SUCCESS
        assert (await ap.transaction("aio-buy-1")).cards[0].code == bought.cards[0].code
        assert await ap.decrypt_code(bought.cards[0].serial, bought.cards[0].encrypted_code) == bought.cards[0].code
        assert (await ap.products()).products and (await ap.balance()).balance is not None
        es = vngate.aio.Esms(base_url=sim.url, email="shop@vngate.test", password="sim-esms-password", secret_key="sim-esms-secret-key")
        assert await es.generate_api_token(await es.login())
        payout = await es.disburse(amount=10_000, channel="momo", phone="0912345671", order_id="aio-pay-1", description="x")
        assert payout.code == 0 and (await es.query("aio-pay-1")).order_id == "aio-pay-1"
        assert (await es.verify_recipient(channel="momo", phone="0912345671")).code == 0
        tp = vngate.aio.Topup(base_url=f"{sim.url}/apipayment", username="simshop", private_key="sim-topup-key")
        done = await tp.topup(phone="0912345671", amount=50_000)
        assert done.status is vngate.TopupOutcome.SUCCESS
        assert (await tp.recheck(client_trans_id=done.client_trans_id)).code == 1
        assert (await tp.balance()).balance is not None
        oc = vngate.aio.OpenCard(base_url=sim.url, partner_id="20001", partner_key="sim-oc-ksort-key")
        assert (await oc.charge(telco="VIETTEL", code="123456789012341", serial="10000000000555", amount=10_000)).request_id

    asyncio.run(scenario())
