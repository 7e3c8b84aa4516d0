"""Reading a permit asks the database for the permit's own rows only: the region's time zone and
working-day calendar come from the shared region snapshot, not from a query per read."""

import re
from contextlib import ExitStack

from tests.backend.auth.test_caller_cache import statements_on

REGION_TABLES = re.compile(r"\bFROM (region|holiday_override)\b")


async def test_reading_a_permit_does_not_read_the_region_again(permits, app):
    issued = await permits.issued("sip-nakes")
    # Hot reads may run on the read engine (psycopg's async driver on PostgreSQL).
    engines = [app.state.engine]
    if app.state.read_engine is not None:
        engines.append(app.state.read_engine.sync_engine)
    paths = (f"/api/v1/permits/applications/{issued['id']}", "/api/v1/permits/applications")
    for path in paths:  # the first read on an engine may fill its snapshot
        await permits.call("GET", path, permits.demo.resident)
    for path in paths:
        with ExitStack() as stack:
            seen = [stack.enter_context(statements_on(engine)) for engine in engines]
            await permits.call("GET", path, permits.demo.resident)
        sent = [statement for statements in seen for statement in statements]
        assert sent, "the read sent no statement at all: the listener is not on its engine"
        assert not [s for s in sent if REGION_TABLES.search(s)], sent
