"""The offline outbox: kept while offline, kept across restarts, sent once with its key."""

from pathlib import Path

from mobile.core.outbox import Outbox, OutboxStatus


def registration(email: str, password: str = "kopi-susu-di-serpong") -> dict:
    return {"full_name": "Dewi Lestari", "email": email, "password": password, "language": "id"}


async def test_kept_offline_and_across_restarts_then_sent_exactly_once(
    api_server, unreachable_url, tmp_path, make_client
):
    folder = tmp_path / "outbox"
    outbox = Outbox(folder)
    queued = outbox.add("POST", "/accounts", registration("dewi@example.com"))

    offline = await outbox.flush(make_client(unreachable_url))
    assert (offline.sent, offline.waiting) == (0, 1)
    outbox.close()  # the app is closed while offline

    restarted = Outbox(folder)
    [waiting] = restarted.items(OutboxStatus.WAITING)
    assert (waiting.idempotency_key, waiting.attempts) == (queued.idempotency_key, 1)

    online = make_client(api_server.base_url)
    result = await restarted.flush(online)
    assert (result.sent, result.failed, result.waiting) == (1, 0, 0)
    [request] = online.transport.requests
    assert request.headers["Idempotency-Key"] == queued.idempotency_key
    sent = restarted.get(queued.id)
    assert sent.status is OutboxStatus.SENT and sent.response["email"] == "dewi@example.com"
    restarted.close()

    again = make_client(api_server.base_url)
    assert (await Outbox(folder).flush(again)).sent == 0
    assert again.transport.requests == []
    session = await again.login("dewi@example.com", "kopi-susu-di-serpong")
    assert session.role == "resident"


async def test_a_refused_submission_is_marked_failed_with_the_problem(
    api_server, tmp_path, make_client
):
    outbox = Outbox(tmp_path / "outbox")
    bad = outbox.add("POST", "/accounts", registration("eko@example.com", password="short"))
    good = outbox.add("POST", "/accounts", registration("fitri@example.com"))
    api = make_client(api_server.base_url)

    result = await outbox.flush(api)

    assert (result.sent, result.failed, result.waiting) == (1, 1, 0)
    failed = outbox.get(bad.id)
    assert failed.status is OutboxStatus.FAILED
    assert failed.problem["status"] == 422 and failed.problem["code"] == "weak_password"
    assert failed.problem["errors"][0]["field"] == "password"
    assert outbox.get(good.id).status is OutboxStatus.SENT  # one refusal does not block the rest


def test_attachments_are_copied_and_discarded_with_their_item(tmp_path):
    photo = tmp_path / "pothole.jpg"
    photo.write_bytes(b"\xff\xd8 not really a jpeg")
    outbox = Outbox(tmp_path / "outbox")

    item = outbox.add("POST", "/complaints", {"category": "jalan-rusak"}, files=[photo])
    photo.unlink()  # the user deletes the original; the outbox keeps its own copy

    [copy] = item.files
    assert Path(copy).read_bytes() == b"\xff\xd8 not really a jpeg"
    outbox.discard(item.id)
    assert outbox.items() == []
    assert not (tmp_path / "outbox" / "files" / item.idempotency_key).exists()


def test_items_belong_to_the_account_that_queued_them_and_old_ones_are_adopted(tmp_path):
    folder = tmp_path / "outbox"
    before_owners = Outbox(folder)  # an outbox written before items had an owner
    old = before_owners.add("POST", "/complaints", {"title": "dari versi lama"})
    before_owners.close()

    siti = Outbox(folder, account="7")
    assert siti.items() == []
    siti.adopt()  # the account signed in when the app was updated wrote them
    assert [item.id for item in siti.items()] == [old.id]
    mine = siti.add("POST", "/complaints", {"title": "milik Siti"})

    siti.account = "8"  # Budi signs in on the same phone
    assert siti.items() == []
    siti.adopt()  # nothing unowned left: Siti's stay hers
    assert siti.items() == []
    siti.account = "7"
    assert [item.id for item in siti.items()] == [old.id, mine.id]
