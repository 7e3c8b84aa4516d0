"""The request slots (`backend.admission.Slots`): first come, first served; a wait that ends
unserved gives its turn up; no slot is lost to a timeout or a cancelled request."""

import asyncio

from backend.admission import Slots


async def test_slots_go_to_waiters_in_the_order_they_came():
    slots = Slots(1)
    assert await slots.take(0)
    served = []

    async def wait(name: str) -> None:
        assert await slots.take(5)
        served.append(name)

    waiters = [asyncio.create_task(wait(name)) for name in "abc"]
    await asyncio.sleep(0)
    for _ in "abc":
        slots.give_back()
        await asyncio.sleep(0)
    await asyncio.gather(*waiters)
    assert served == ["a", "b", "c"]


async def test_a_wait_that_ends_unserved_is_refused_and_loses_no_slot():
    slots = Slots(1)
    assert await slots.take(0)
    assert not await slots.take(0.05)  # timed out: still queued, but its turn is over
    slots.give_back()  # passes over the timed-out wait
    assert await slots.take(0)
    assert not await slots.take(0)


async def test_a_request_cancelled_while_waiting_passes_its_slot_on():
    slots = Slots(1)
    assert await slots.take(0)
    cancelled = asyncio.create_task(slots.take(5))
    behind = asyncio.create_task(slots.take(5))
    await asyncio.sleep(0)
    cancelled.cancel()
    slots.give_back()
    assert await behind
    assert cancelled.cancelled()


async def test_a_slot_handed_to_a_request_cancelled_in_that_instant_is_given_back():
    slots = Slots(1)
    assert await slots.take(0)
    unlucky = asyncio.create_task(slots.take(5))
    await asyncio.sleep(0)
    slots.give_back()  # handed to `unlucky` ...
    unlucky.cancel()  # ... which is cancelled before it runs again
    await asyncio.gather(unlucky, return_exceptions=True)
    assert await slots.take(0)
