"""Answering with a response model that is already right, without FastAPI checking it again.

A route that returns a model has FastAPI validate it against ``response_model`` once more and
then serialise it; for a model the route just built from its own typed rows that check costs
as much as building it. ``model_response`` serialises it once. Keep ``response_model`` on the
route for the OpenAPI document, and build exactly that model.
"""

from collections.abc import Sequence
from typing import Any

from fastapi import Response
from pydantic import BaseModel
from pydantic_core import to_json


def model_response(model: BaseModel, *, status_code: int = 200) -> Response:
    return json_response(model.model_dump_json().encode(), status_code=status_code)


def json_response(body: bytes, *, status_code: int = 200) -> Response:
    """JSON already serialised (say, kept from an earlier answer), sent as it is."""
    return Response(body, status_code=status_code, media_type="application/json")


def rows_response(items: Sequence[Any], next_cursor: str | None) -> Response:
    """A page (``Page[...]``: ``items`` and ``next_cursor``) of plain rows, serialised once.

    A list built as one model per row (and one per nested reference) costs more than its
    queries. Each item here is a plain dict with the item model's fields in its order, holding
    values already of their field's type (a `datetime`, a `StrEnum`, a shared immutable model
    such as a category reference), so pydantic-core's `to_json` writes exactly what the model
    would. The route keeps ``response_model`` for the OpenAPI document; the tests check each
    list's body against it.
    """
    return json_response(to_json({"items": items, "next_cursor": next_cursor}))
