"""Filing a complaint is one unit of work: one thread-pool hop, one transaction, and only the
statements its rule needs, the shared Life Room tally rows written last, just before the commit
(issue 11, item 4). `bench/filing_cost.py` prints the same figures and times them."""

import uuid

from backend import microcache
from bench.filing_cost import counting
from tests.backend.complaints.complaint_helpers import complaint_body

# One filing with an Idempotency-Key, statement by statement (verb and first table named).
FILING = [
    "SELECT idempotency_record",  # a retry of an earlier filing is answered from here
    "SELECT rate_limit_counter",  # the filing limits' counters, account and address at once
    "INSERT complaint",
    "UPDATE complaint",  # its tracking number, made of its id
    "INSERT complaint_event",  # the audit trail
    # (the outbox's endpoints are kept: with none listening, no webhook statement at all)
    "INSERT notification",  # the reporter
    "INSERT notification",  # the agency's staff, however many: one INSERT ... SELECT
    # The answer, through the detail's two prebuilt statements: the complaint with its names
    # and counts (its first table named is the supporters' count) ...
    "SELECT complaint_supporter",
    "SELECT complaint_event",  # ... and its timeline
    "INSERT idempotency_record",  # the answer kept for a retry
    "INSERT rate_limit_counter",  # the limits charged: account ...
    "INSERT rate_limit_counter",  # ... and address
    "INSERT complaint_tally_filed",  # the Life Room, appended: last
    "INSERT complaint_tally_running",
    "INSERT complaint_tally_density",
]
# PostgreSQL: the change channel's notices, sent inside the transaction as it commits.
CHANGE_NOTICES = ["SELECT unnest"]


async def _file(client, headers) -> None:
    response = await client.post(
        "/api/v1/complaints",
        json=complaint_body(),
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


async def test_a_filing_is_one_hop_one_transaction_and_the_statements_it_needs(
    client, app, callers
):
    # The kept snapshots (region, categories, codes, calendar) must not expire mid-test on a
    # slow machine: a reload would add statements this test is not about.
    microcache.for_engine(app.state.engine).ttl = 3600
    await _file(client, callers.resident)  # snapshots kept, the counters' first sweep done

    with counting(app) as costs:
        await _file(client, callers.resident)

    assert costs.hops == 1
    assert costs.transactions == 1
    notices = CHANGE_NOTICES if app.state.engine.dialect.name == "postgresql" else []
    assert costs.shapes == FILING + notices
