"""Answers kept per caller, so a repeated authenticated read costs no dependency solving, no
session and no query.

Residents' apps and officers' tablets ask the same few things over and over (the profile, my
complaints, the queue, the inbox and its badge, an open complaint or application) far more often
than what those answers show changes. A route of a `KeptAnswerRoute` router whose handler marks
its answer with `keep` has that answer kept, filed under the caller's verified token and the
exact request (path, query, ``Accept-Language``), and sent again as it is while all of these
hold:

* **the caller is the same.** The caller cache (``backend.auth.caller_cache``) still holds the
  token as the same verification (its `stamp`). A logout, password change, deactivation or any
  change to the user's row ends the verification: here at once, on other workers and hosts
  through the change channel; and while that channel is down the caller cache is bypassed,
  so nothing is sent from here either.
* **nothing it was read from was written.** The answer lives in the microcache
  (``backend.microcache``), which drops it when a commit writes one of its tables: at once in
  this process, through the change channel elsewhere (bypassed while the channel is down). By
  default that is every table but the bookkeeping ones (`BOOKKEEPING_TABLES`), so a table added
  later is covered without anyone remembering it here. An answer that shows only some rows of
  a table (an agency's queue, a user's inbox, one complaint's timeline) names them with
  `rows_of`, and stays kept through writes to that table's other rows.
* **the clock has not changed it.** The handler says until when its answer holds (`until`):
  deadlines move on at local midnight, a resolved complaint reads as closed when its reopen
  window ends. And it is never kept longer than `KEEP_SECONDS`, which bounds what a write that
  bypasses sessions (raw SQL from a script) could leave stale.

Only a 200 answer that its handler marked is kept, and only for a token the caller cache knows;
anything else (no token, an unknown token, an error, a miss) runs the route as usual. A kept
answer still passes the app-wide input guard, which dependency solving runs on the normal path.
"""

import datetime as dt
from collections.abc import Callable, Coroutine, Hashable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlmodel import SQLModel

from backend import microcache
from backend.auth import caller_cache
from backend.auth.caller_cache import VerifiedCaller
from backend.auth.dependencies import oauth2_scheme
from backend.db import utcnow
from backend.edge import refuse_unstorable_input

KEEP_SECONDS = 60.0

# Written by reads and by the machinery around requests, never shown by a kept answer: a login,
# a rate-limit charge or a webhook delivery must not drop everyone's kept answers.
BOOKKEEPING_TABLES = frozenset(
    {
        "auth_session",
        "refresh_token",
        "login_throttle",
        "rate_limit_counter",
        "idempotency_record",
        "api_client_usage",
        "api_client_audit",
        "webhook_message",
        "webhook_delivery",
        "webhook_attempt",
        "search_entry",
        "permit_verification",  # who checked a certificate: an audit trail a read appends to
        "complaint_tally_filed",
        "complaint_tally_resolution",
        "complaint_tally_resolved",
        "complaint_tally_running",
        "complaint_tally_density",
    }
)

_MARK = "warga_kept_answer"


@cache
def data_tables() -> frozenset[str]:
    """Every table an answer may show: all of them but the bookkeeping ones."""
    return frozenset(SQLModel.metadata.tables) - BOOKKEEPING_TABLES


def rows_of(*scopes: microcache.Scope, not_shown: tuple[str, ...] = ()) -> frozenset[str]:
    """The tables of an answer that shows, of each scope's table, only the rows in that scope,
    and nothing of the `not_shown` tables: every data table but those, with each scope's table
    narrowed to its scope (`backend.microcache`'s scopes). Such an answer stays kept through
    writes to those tables' other rows: a filing at one agency, another agency's queue."""
    narrowed = tuple(table for table, _, _ in scopes)
    tags = (microcache.rows_scoped(*scope) for scope in scopes)
    return _data_tables_but((*narrowed, *not_shown)).union(*tags)


@cache  # per answer shape, not per caller: a city's residents would each add an entry
def _data_tables_but(left_out: tuple[str, ...]) -> frozenset[str]:
    return data_tables() - set(left_out)


@dataclass(frozen=True, slots=True)
class _Keep:
    until: dt.datetime | None
    tables: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class _Kept:
    body: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...]  # the handler's own: content type, language

    def response(self) -> Response:
        response = Response(self.body)
        response.raw_headers = list(self.raw_headers)
        return response


def keep(
    response: Response, *, until: dt.datetime | None = None, tables: Iterable[str] | None = None
) -> Response:
    """Mark `response` to be kept for its caller, until `until` at the latest (None: no moment
    of its own), unless one of `tables` (default: `data_tables()`) is written meanwhile."""
    setattr(response, _MARK, _Keep(until, None if tables is None else frozenset(tables)))
    return response


def _key(caller: VerifiedCaller, request: Request) -> Hashable:
    scope = request.scope
    language = request.headers.get("accept-language")
    return (_MARK, caller.stamp, scope["path"], scope["query_string"], language)


class KeptAnswerRoute(APIRoute):
    """A route whose answers, once marked by its handler with `keep`, are sent again from
    memory to the same caller (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        answer_normally = super().get_route_handler()
        if "GET" not in (self.methods or ()):
            return answer_normally

        async def answer(request: Request) -> Response:
            engine = request.app.state.engine
            callers = caller_cache.for_engine(engine)
            answers = microcache.for_engine(engine)
            token = await oauth2_scheme(request)
            known = callers.get(token) if token else None
            if known is not None:
                kept = answers.get(_key(known, request))
                if kept is not None:
                    await refuse_unstorable_input(request)
                    return kept.response()
            # Taken before the normal path reads anything: its answer is kept only if neither
            # the caller nor any table changed meanwhile.
            tables_from, callers_from = answers.generation, callers.generation
            response = await answer_normally(request)
            mark: _Keep | None = getattr(response, _MARK, None)
            if mark is None or response.status_code != 200 or not token:
                return response
            known = callers.get(token)  # the normal path has verified it by now
            if known is None or callers.generation != callers_from:
                return response
            body = bytes(response.body)
            ttl = KEEP_SECONDS  # in the microcache's clock: it drops the answer when due
            if mark.until is not None:
                ttl = min(ttl, (mark.until - utcnow()).total_seconds())
            if ttl > 0:
                kept = _Kept(body, tuple(response.raw_headers))
                answers.put(
                    _key(known, request),
                    kept,
                    tables=data_tables() if mark.tables is None else mark.tables,
                    generation=tables_from,
                    size=len(body),
                    ttl=ttl,
                )
            return response

        return answer
