"""Reading a permit asks the database for the permit's own rows only: the region's time zone and
working-day calendar come from the shared region snapshot, and the permit types and agency codes
from the permit catalogue, not from a query per read. The lists and the detail say exactly what
their response model says; the detail costs three statements and no thread-pool hop."""

import re
from contextlib import ExitStack

from sqlmodel import Session, select

from backend import microcache
from backend.pagination import Page
from backend.permits.schemas import ApplicationDetail, ApplicationSummary
from backend.region.models import PermitType
from bench.filing_cost import counting
from tests.backend.auth.test_caller_cache import statements_on
from tests.backend.helpers import assert_body_is, engines_of

REGION_TABLES = re.compile(r"\bFROM (region|holiday_override)\b")
PERMIT_TYPES = re.compile(r"\bFROM permit_type\b")


def _as_if_an_application_changed(app) -> None:
    """Drops the answers kept for their callers (`backend.kept_answers`), as a write to an
    application would, and nothing else: the region and catalogue snapshots stay."""
    table = "permit_application"
    microcache.for_engine(app.state.engine).invalidate([table, microcache.unscoped_tag(table)])


def _read_engines(app) -> list:
    """Hot reads may run on the read engine (psycopg's async driver on PostgreSQL)."""
    engines = [app.state.engine]
    if app.state.read_engine is not None:
        engines.append(app.state.read_engine.sync_engine)
    return engines


async def test_reading_a_permit_does_not_read_the_region_again(permits, app):
    issued = await permits.issued("sip-nakes")
    engines = _read_engines(app)
    paths = (f"/api/v1/permits/applications/{issued['id']}", "/api/v1/permits/applications")
    for path in paths:  # the first read on an engine may fill its snapshot
        await permits.call("GET", path, permits.demo.resident)
    _as_if_an_application_changed(app)
    for path in paths:
        with ExitStack() as stack:
            seen = [stack.enter_context(statements_on(engine)) for engine in engines]
            await permits.call("GET", path, permits.demo.resident)
        sent = [statement for statements in seen for statement in statements]
        assert sent, "the read sent no statement at all: the listener is not on its engine"
        assert not [s for s in sent if REGION_TABLES.search(s)], sent


async def _list_reading(permits, app) -> tuple[dict, list[str]]:
    """The resident's first page of applications, read afresh, and the statements it sent."""
    _as_if_an_application_changed(app)
    with ExitStack() as stack:
        seen = [stack.enter_context(statements_on(engine)) for engine in _read_engines(app)]
        page = await permits.call("GET", "/api/v1/permits/applications", permits.demo.resident)
    return page.json(), [statement for statements in seen for statement in statements]


async def test_a_permit_list_reads_the_permit_types_again_only_once_they_change(
    permits, app, engine
):
    await permits.submitted("pbg")
    await _list_reading(permits, app)  # may fill the catalogue
    _, sent = await _list_reading(permits, app)
    assert sent and not [s for s in sent if PERMIT_TYPES.search(s)], sent

    with Session(engine) as session:
        pbg = session.exec(select(PermitType).where(PermitType.code == "pbg")).one()
        pbg.name_en = "Building Approval"
        session.add(pbg)
        session.commit()
    page, sent = await _list_reading(permits, app)
    assert [s for s in sent if PERMIT_TYPES.search(s)], sent
    assert page["items"][0]["permit_type"]["name"]["en"] == "Building Approval"


async def test_the_permit_lists_answer_exactly_their_response_model(permits):
    await permits.issued("pbg")
    await permits.submitted("pbg")
    await permits.draft("pbg")
    officer = permits.staff_for("pbg", "officer")
    for path, account in [
        ("/api/v1/permits/applications", permits.demo.resident),
        ("/api/v1/permits/applications?limit=1", permits.demo.resident),
        ("/api/v1/permits/applications", officer),
        ("/api/v1/permits/queue", officer),
    ]:
        assert_body_is(Page[ApplicationSummary], await permits.call("GET", path, account))


async def test_a_permit_detail_is_its_model_in_three_statements_without_a_hop(permits, app):
    # Documents, a timeline with internal notes, a payment and a permit: every part shown.
    issued = await permits.issued("pbg")
    path = f"/api/v1/permits/applications/{issued['id']}"
    # The kept snapshots must not expire mid-test on a slow machine.
    microcache.for_engine(app.state.engine).ttl = 3600
    for account in (permits.demo.resident, permits.staff_for("pbg", "officer")):
        await permits.call("GET", path, account)  # the caller, region and catalogue kept
        with counting(app) as costs:
            kept = await permits.call("GET", path, account)
        assert costs.shapes == [] and costs.hops == 0  # the caller's answer, kept
        _as_if_an_application_changed(app)
        with counting(app) as costs:
            response = await permits.call("GET", path, account)
        assert response.content == kept.content
        shown = ApplicationDetail.model_validate_json(response.content)
        assert shown.model_dump_json() == response.text
        assert shown.documents and shown.timeline and shown.payment and shown.permit
        assert costs.hops == 0
        # No region, holiday, permit type or agency row: those come from the snapshots.
        assert costs.shapes == [
            "SELECT permit_application",  # with the applicant's name, if the caller may read it
            "SELECT permit_event",  # with the actors' names
            "SELECT permit_document",
        ]


LIST = "/api/v1/permits/applications"


async def _kept(permits, app, account) -> dict:
    """`account`'s list, as read now, after checking that it came from memory."""
    with statements_on(*engines_of(app)) as sent:
        page = await permits.call("GET", LIST, account)
    assert sent == [], sent
    return page.json()


async def test_a_permit_list_stays_kept_through_other_applicants_and_agencies(permits, app):
    """A resident's list shows their applications only, an officer's their agency's: another
    resident's application at another agency changes neither, and shows where it belongs."""
    demo = permits.demo
    mine = await permits.submitted("pbg")  # at dbpr
    building, health = (
        permits.staff_for("pbg", "officer"),
        permits.staff_for("sip-nakes", "officer"),
    )
    for account in (demo.resident, building, health):
        await permits.call("GET", LIST, account)
    theirs = await permits.submitted("izin-reklame", account=demo.other_resident)  # dpmptsp
    assert [a["id"] for a in (await _kept(permits, app, demo.resident))["items"]] == [mine["id"]]
    assert [a["id"] for a in (await _kept(permits, app, building))["items"]] == [mine["id"]]
    assert (await _kept(permits, app, health))["items"] == []
    advertising = permits.staff_for("izin-reklame", "officer")
    shown = (await permits.call("GET", LIST, advertising)).json()["items"]
    assert [a["id"] for a in shown] == [theirs["id"]]


async def test_a_change_to_an_application_reaches_its_kept_lists_at_once(permits, app):
    demo = permits.demo
    application = await permits.submitted("pbg")
    officer = permits.staff_for("pbg", "officer")
    for account in (demo.resident, officer):
        await permits.call("GET", LIST, account)
        await _kept(permits, app, account)
    claimed = await permits.act(officer, application, "claim")
    for account in (demo.resident, officer):
        [line] = (await permits.call("GET", LIST, account)).json()["items"]
        assert line["version"] == claimed["version"] != application["version"]
