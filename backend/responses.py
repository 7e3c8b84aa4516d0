"""Answering with a response model that is already right, without FastAPI checking it again.

A route that returns a model has FastAPI validate it against ``response_model`` once more and
then serialise it; for a model the route just built from its own typed rows that check costs
as much as building it. ``model_response`` serialises it once. Keep ``response_model`` on the
route for the OpenAPI document, and build exactly that model.
"""

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, *, status_code: int = 200) -> Response:
    return json_response(model.model_dump_json().encode(), status_code=status_code)


def json_response(body: bytes, *, status_code: int = 200) -> Response:
    """JSON already serialised (say, kept from an earlier answer), sent as it is."""
    return Response(body, status_code=status_code, media_type="application/json")
