"""``GET /api/v1/me``, answered from memory for a caller this process already knows.

The app asks for the caller's profile on every start and on each screen that shows their name:
it is the most frequent authenticated read. For a bearer token that the caller cache
(``backend.auth.caller_cache``) knows, `KnownCallerRoute` sends the body it kept from the last
time the route answered: no session, no query, no dependency solving. Every write that changes
what ``/me`` shows announces the user, which drops the entry and its body with it (here at once,
on other workers and hosts through the change channel).

Anything else (no token, a token not seen before, the cache bypassed while the change channel is
down) goes to the route's own handler, as before; its answer is kept for next time.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from backend.accounts import service
from backend.accounts.schemas import UserRead
from backend.auth import caller_cache
from backend.auth.dependencies import Reader, oauth2_scheme
from backend.edge import refuse_unstorable_input
from backend.errors import error_responses
from backend.reads import ReadsDep
from backend.responses import json_response, model_response


class KnownCallerRoute(APIRoute):
    """A route whose answer depends on nothing but its caller, kept in the caller cache."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        answer_normally = super().get_route_handler()

        async def answer(request: Request) -> Response:
            cache = caller_cache.for_engine(request.app.state.engine)
            token = await oauth2_scheme(request)
            # Taken before the normal path reads anything: its answer is kept only if no
            # change was announced meanwhile.
            generation = cache.generation
            known = cache.get(token) if token else None
            if known is not None and known.me_body is not None:
                # The app-wide guard, which dependency solving runs on the normal path.
                await refuse_unstorable_input(request)
                return json_response(known.me_body)
            response = await answer_normally(request)
            if token and response.status_code == 200:
                cache.keep_me_body(token, bytes(response.body), generation=generation)
            return response

        return answer


router = APIRouter(prefix="/api/v1", tags=["accounts"], route_class=KnownCallerRoute)


@router.get("/me", response_model=UserRead, responses=error_responses(401))
async def read_me(user: Reader, reads: ReadsDep) -> Response:
    return await reads.run(lambda session: model_response(service.to_read(session, user)))
