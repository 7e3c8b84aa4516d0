"""Reading a permit asks the database for the permit's own rows only: the region's time zone and
working-day calendar come from the shared region snapshot, not from a query per read."""

import re

from tests.backend.auth.test_caller_cache import statements_on

REGION_TABLES = re.compile(r"\bFROM (region|holiday_override)\b")


async def test_reading_a_permit_does_not_read_the_region_again(permits, app):
    issued = await permits.issued("sip-nakes")
    await permits.get(issued)  # the first read of the process may fill the snapshot
    url = f"/api/v1/permits/applications/{issued['id']}"
    for path in (url, "/api/v1/permits/applications"):
        with statements_on(app.state.engine) as sent:
            await permits.call("GET", path, permits.demo.resident)
        assert sent, "the read sent no statement at all: the listener is not on its engine"
        assert not [s for s in sent if REGION_TABLES.search(s)], sent
