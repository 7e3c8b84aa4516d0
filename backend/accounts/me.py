"""``GET /api/v1/me``: the caller's profile, kept for them between changes.

The app asks for the caller's profile on every start and on each screen that shows their name:
it is the most frequent authenticated read. Its answer is kept for the caller
(``backend.kept_answers``) until their user row changes (which ends their verification) or a
NIK claim or an agency is written; writes that change what ``/me`` shows without touching the
user's row (a NIK claim opened, withdrawn or decided) also announce the user.
"""

from fastapi import Response

from backend.accounts import service
from backend.accounts.models import NikClaim
from backend.accounts.schemas import UserRead
from backend.auth.dependencies import Reader
from backend.db import table_of
from backend.errors import error_responses
from backend.kept_answers import KeptAnswerRoute, keep
from backend.reads import ReadsDep
from backend.region.models import Agency
from backend.responses import model_response
from backend.routing import PrefixRouter

router = PrefixRouter(prefix="/api/v1", tags=["accounts"], route_class=KeptAnswerRoute)

# What `/me` shows besides the user's own row (which ends the caller's verification).
SHOWN_TABLES = frozenset({table_of(NikClaim).name, table_of(Agency).name})


@router.get("/me", response_model=UserRead, responses=error_responses(401))
async def read_me(user: Reader, reads: ReadsDep) -> Response:
    answer = await reads.run(lambda session: model_response(service.to_read(session, user)))
    return keep(answer, tables=SHOWN_TABLES)
