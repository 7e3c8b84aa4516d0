"""Routers that turn away another router's request without trying their routes.

FastAPI tries the included routers in turn, and each router tries each of its routes against
the path (a regular expression and some bookkeeping per route). A request for a router near the
end of the list pays for every route before it: about 150 µs for the permits' list, several
times what its kept answer costs to send. A `PrefixRouter` knows the fixed start of each of its
paths (the text before the first ``{``) and answers "no match" at once for a path that starts
with none of them, which no route of it could have matched anyway.

Every router of the app is one, included without an extra prefix (its routes' paths are the
paths requested); `tests/backend/test_routing.py` holds both to account.
"""

from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path  # what Starlette's routes match against
from starlette.routing import Match
from starlette.types import Scope


def fixed_start(path: str) -> str:
    """The text every path a route pattern matches begins with: ``/api/v1/complaints/`` for
    ``/api/v1/complaints/{complaint_id}``, the whole pattern when it has no parameter."""
    return path.split("{", 1)[0]


class PrefixRouter(APIRouter):
    """An `APIRouter` that matches a request only if its path begins as one of its routes'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._starts: tuple[str, ...] = ()
        self._starts_of = -1  # how many routes `_starts` was worked out from

    def _route_starts(self) -> tuple[str, ...]:
        # Routes are added while the app is built; worked out again if their number changed.
        if self._starts_of != len(self.routes):
            starts = sorted({fixed_start(getattr(route, "path", "")) for route in self.routes})
            # A start that another one begins with covers it ("/a/" covers "/a/b").
            self._starts = tuple(
                start
                for index, start in enumerate(starts)
                if not any(start.startswith(shorter) for shorter in starts[:index])
            )
            self._starts_of = len(self.routes)
        return self._starts

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self._route_starts()):
            return Match.NONE, {}
        return super().matches(scope)
