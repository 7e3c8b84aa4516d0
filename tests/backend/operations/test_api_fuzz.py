"""Property-based guard: no operation in the OpenAPI document answers 500, and every error is
``application/problem+json``.

Schemathesis generates a few valid and a few invalid requests per operation from the app's own
schema and sends them to the ASGI app in-process: first as a resident over every operation, then
on the resident's own complaint and permit application (random ids mostly stop at a 404), then as
the road agency's supervisor and as the admin over what the resident was refused. Derandomised,
so a CI failure reproduces locally; each failure names the operation, the status, the response
body and a curl command for the request.
"""

import re
from collections.abc import Callable, Iterable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup

from backend.edge import body_kind_of, body_limits
from backend.errors import PROBLEM_JSON
from tests.backend.complaints.complaint_helpers import file_complaint
from tests.backend.permits.conftest import PermitsDriver

# Generated cases on SQLite only: they are about request handling, not the engine, and this
# keeps them short. The hostile pass runs on PostgreSQL, where NUL characters once gave 500s.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ON_POSTGRESQL = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

SKIPPED = [
    ("GET", "/verify/{code}"),  # an HTML page for people scanning a certificate's QR code
    ("GET", "/api/v1/notifications/stream"),  # server-sent events: the response never ends
    ("POST", "/api/v1/auth/logout"),  # would end the session the remaining cases run in
]

FUZZ_SETTINGS = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,  # the same cases on every run, so CI failures reproduce
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


# Open311 answers its errors as the GeoReport v2 error list, as its specification requires.
OWN_ERROR_FORMAT = ("/open311/",)


@schemathesis.check
def problem_json_errors(ctx, response, case) -> None:
    """Every 4xx and 5xx body is RFC 9457 problem details."""
    if response.status_code >= 400 and not case.path.startswith(OWN_ERROR_FORMAT):
        content_type = (response.headers.get("content-type") or [""])[0]
        if content_type.split(";")[0].strip() != PROBLEM_JSON:
            raise AssertionError(
                f"{response.status_code} with content type {content_type!r}, not {PROBLEM_JSON}"
            )


CHECKS = [not_a_server_error, problem_json_errors]

# The hostile pass: one generated case per operation, sent again with a NUL character in every
# string, with each JSON field nested far too deep, and with a body over the route's limit.
HOSTILE_SETTINGS = settings(FUZZ_SETTINGS, max_examples=1, phases=[Phase.generate])
TOO_DEEP = 900  # deep enough to have broken serialisation, shallow enough to parse


def with_nul(value):
    """`value` with U+0000 inside every string it holds (keys stay: they name the fields)."""
    if isinstance(value, str):
        return value[:1] + "\x00" + value[1:]
    if isinstance(value, dict):
        return {key: with_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_nul(item) for item in value]
    return value


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def oversized(case, limit: int):
    """A body of the case's kind just over `limit` bytes: a file part for uploads."""
    if case.media_type == "multipart/form-data":
        file_field = next(iter(case.body))  # the upload routes take one field: the file(s)
        return {**case.body, file_field: b"\0" * (limit + 1)}
    return {"padding": "x" * (limit + 1)}


def hostile_variants(case, limit: int):
    """(what, case, expected status or None for "anything but a 500") for one generated case."""
    operation = case.operation

    def variant(**changes):
        fields = {
            "method": case.method,
            "path_parameters": case.path_parameters,
            "query": case.query,
            "media_type": case.media_type,
            **({"body": case.body} if case.body is not NOT_SET else {}),
        }
        return operation.Case(**{**fields, **changes})

    salted = {"path_parameters": with_nul(case.path_parameters), "query": with_nul(case.query)}
    if case.body is not NOT_SET:
        salted["body"] = with_nul(case.body)
    yield "NUL characters", variant(**salted), None
    if case.body is NOT_SET:
        return
    if isinstance(case.body, dict) and case.media_type == "application/json":
        for key in case.body:
            yield (
                f"{key!r} nested {TOO_DEEP} deep",
                variant(body={**case.body, key: nested(TOO_DEEP)}),
                None,
            )
    yield "a body over the limit", variant(body=oversized(case, limit)), 413


@pytest.fixture
def settings(settings, tmp_path):
    """Uploads, certificates and the city's signing key stay in the test's own directory; small
    upload limits keep the oversized bodies of the hostile pass cheap."""
    return settings.model_copy(
        update={
            "media_dir": tmp_path / "media",
            "signing_key_file": tmp_path / "city-key.pem",
            "max_photo_mb": 1,
            "max_document_mb": 1,
        }
    )


def _answering_500s(app) -> Callable:
    """The app as a server runs it: Starlette re-raises an unhandled exception after sending its
    500, which in-process would surface as the exception instead of the response the checks
    judge and print. The traceback is still in the captured log ('unhandled error')."""

    async def asgi(scope, receive, send) -> None:
        started = False

        async def tracking_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, tracking_send)
        except Exception:
            if not started:
                raise

    return asgi


def _pinned_in(operation: APIOperation, pinned: dict[str, int] | None) -> dict[str, int]:
    """The pinned path parameters (ids of rows that exist) this operation's path takes."""
    return {
        name: value for name, value in (pinned or {}).items() if f"{{{name}}}" in operation.path
    }


class Fuzzer:
    """Runs operations of the app's schema through schemathesis, collecting what fails."""

    def __init__(self, app) -> None:
        self.app = app
        schema = schemathesis.openapi.from_asgi("/openapi.json", _answering_500s(app))
        for method, path in SKIPPED:
            schema = schema.exclude(method=method, path=path)
        self.operations = [result.ok() for result in schema.get_all_operations()]
        self.failures: list[str] = []
        self.cases = 0
        self.refused: set[str] = set()  # labels of operations that answered 403

    def run(
        self,
        operations: Iterable[APIOperation],
        headers: dict[str, str],
        pinned: dict[str, int] | None = None,
    ) -> None:
        for operation in operations:
            path_parameters = _pinned_in(operation, pinned)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                self._run(operation, mode, headers, path_parameters)

    def _run(self, operation, mode, headers, path_parameters) -> None:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @FUZZ_SETTINGS
        @given(case=strategy)
        def run(case) -> None:
            self.cases += 1
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            if response.status_code == 403:
                self.refused.add(operation.label)

        try:
            run()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (no parameters, no body).
            if mode is GenerationMode.POSITIVE:
                raise
        except (FailureGroup, AssertionError) as exc:
            self.failures.append(f"{operation.label} ({mode.value} cases):\n{exc}")

    def run_hostile(
        self,
        operations: Iterable[APIOperation],
        headers: dict[str, str],
        pinned: dict[str, int] | None = None,
    ) -> None:
        for operation in operations:
            self._run_hostile(operation, headers, _pinned_in(operation, pinned))

    def _run_hostile(self, operation, headers, path_parameters) -> None:
        strategy = operation.as_strategy(path_parameters=path_parameters)
        limit = self._body_limit(operation)

        @HOSTILE_SETTINGS
        @given(case=strategy)
        def run(case) -> None:
            for what, hostile, expected in hostile_variants(case, limit):
                self.cases += 1
                try:
                    response = hostile.call_and_validate(headers=headers, checks=CHECKS)
                except (FailureGroup, AssertionError) as exc:
                    self.failures.append(f"{operation.label} ({what}):\n{exc}")
                    continue
                if expected is not None and response.status_code != expected:
                    self.failures.append(
                        f"{operation.label} ({what}): {response.status_code}, "
                        f"not {expected}: {response.text[:300]}"
                    )

        run()

    def _body_limit(self, operation: APIOperation) -> int:
        limits = body_limits(self.app.state.settings)
        for route in _routes(self.app.routes):
            if route.path == operation.path and operation.method.upper() in route.methods:
                return limits[body_kind_of(route.endpoint)]
        raise LookupError(f"no route serves {operation.label}")


def _routes(routes) -> Iterable:
    """The app's routes, included routers opened up."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "endpoint") and getattr(route, "methods", None):
            yield route


def _on_ids(operations: Iterable[APIOperation]) -> list[APIOperation]:
    """The operations on one complaint or application; deleting it comes last."""
    chosen = [o for o in operations if re.search(r"\{(complaint_id|application_id)\}", o.path)]
    return sorted(chosen, key=lambda operation: operation.method.upper() == "DELETE")


@ON_SQLITE
async def test_no_operation_answers_500_and_every_error_is_problem_json(app, client, demo):
    permits = PermitsDriver(client=client, demo=demo)
    resident = await permits.auth(demo.resident)
    complaint = await file_complaint(client, resident)  # routed to the road agency, dbmsda
    draft = await permits.draft("pbg", {"nama_pemilik": "Siti Rahmawati"})
    fuzzer = Fuzzer(app)
    on_ids = _on_ids(fuzzer.operations)

    fuzzer.run(fuzzer.operations, resident)
    # A schema that lost its operations, or cases that stopped being generated, pass vacuously.
    assert len(fuzzer.operations) > 50 and fuzzer.cases > 2 * len(fuzzer.operations)
    fuzzer.run(on_ids, resident, {"complaint_id": complaint["id"], "application_id": draft["id"]})
    # The run really was logged in all along, not 401s from some point on.
    assert (await client.get("/api/v1/me", headers=resident)).status_code == 200
    assert fuzzer.refused, "the resident was refused nothing: are the staff passes still needed?"
    refused = [o for o in fuzzer.operations if o.label in fuzzer.refused and o not in on_ids]

    # Supervisors, on a complaint in their agency's queue and on an application in review.
    complaint = await file_complaint(client, resident)
    application = await permits.submitted("izin-reklame")
    pinned = {"complaint_id": complaint["id"], "application_id": application["id"]}
    road = await permits.auth(demo.supervisor("dbmsda"))
    fuzzer.run(refused + [o for o in on_ids if "{complaint_id}" in o.path], road, pinned)
    licensing = await permits.auth(permits.staff_for("izin-reklame", "supervisor"))
    fuzzer.run([o for o in on_ids if "{application_id}" in o.path], licensing, pinned)
    # Last: the admin's fuzzed calls may deactivate the demo accounts.
    admin = await permits.auth(demo.admin)
    fuzzer.run(refused, admin)

    if fuzzer.failures:
        report = "\n\n".join(fuzzer.failures)
        pytest.fail(f"{len(fuzzer.failures)} operations failed:\n\n{report}", pytrace=False)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_no_operation_answers_500_to_nul_characters_deep_nesting_or_oversized_bodies(
    app, client, demo
):
    permits = PermitsDriver(client=client, demo=demo)
    resident = await permits.auth(demo.resident)
    complaint = await file_complaint(client, resident)
    draft = await permits.draft("pbg", {"nama_pemilik": "Siti Rahmawati"})
    fuzzer = Fuzzer(app)
    on_ids = _on_ids(fuzzer.operations)
    pinned = {"complaint_id": complaint["id"], "application_id": draft["id"]}
    others = [o for o in fuzzer.operations if o not in on_ids]
    fuzzer.run_hostile(others, resident)
    fuzzer.run_hostile(on_ids, resident, pinned)
    assert fuzzer.cases > 2 * len(fuzzer.operations)
    # The admin reaches what a resident is refused (announcements, services, staff accounts).
    admin = await permits.auth(demo.admin)
    fuzzer.run_hostile([o for o in others if o.method.upper() != "GET"], admin)

    if fuzzer.failures:
        report = "\n\n".join(fuzzer.failures)
        pytest.fail(f"{len(fuzzer.failures)} hostile cases failed:\n\n{report}", pytrace=False)
