"""The lists answered from plain rows (the officer queue, a resident's complaints, the inbox) say
exactly what their response models say: the same fields, in the same order and formats."""

from backend.complaints.views import SummaryPage
from backend.notifications.schemas import NotificationPage
from tests.backend.complaints.complaint_helpers import act, file_complaint
from tests.backend.helpers import assert_body_is


async def test_the_lists_answer_exactly_their_response_models(client, callers):
    paused = await file_complaint(client, callers.resident)
    await act(client, paused, "verify", callers.road_officer)
    await act(client, paused, "request-info", callers.road_officer, note="Foto lain?")
    answered = await file_complaint(client, callers.resident, title="Jalan retak di Jl. Melati")
    await act(client, answered, "verify", callers.road_officer)
    await act(client, answered, "request-info", callers.road_officer, note="Di mana?")
    await act(client, answered, "provide-info", callers.resident, note="Depan sekolah.")

    for path, headers in [
        ("/api/v1/complaints/queue", callers.road_officer),
        ("/api/v1/complaints/queue?status=waiting_reporter", callers.road_officer),
        ("/api/v1/complaints/mine", callers.resident),
        ("/api/v1/complaints/mine?limit=1", callers.resident),
    ]:
        assert_body_is(SummaryPage, await client.get(path, headers=headers))
    for headers in (callers.resident, callers.road_officer):
        for language in ("id", "en"):
            response = await client.get(
                "/api/v1/notifications", headers={**headers, "Accept-Language": language}
            )
            assert_body_is(NotificationPage, response)
