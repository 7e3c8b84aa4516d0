"""Rate limits on writes (finding 7 of issue 14): per account and per address, 429 problem+json
with Retry-After and the IETF RateLimit fields, counters shared by every worker, in the database
or in Redis."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
from sqlalchemy import func
from sqlmodel import select

from backend.complaints.models import Complaint
from backend.main import create_app
from backend.notifications.models import Notification
from backend.ratelimit import WriteLimits
from backend.stats.models import FiledTally
from tests.backend.complaints.complaint_helpers import complaint_body, jpeg_bytes
from tests.backend.helpers import login

REDIS_URL = "redis://127.0.0.1:6379/0"
HOUR = 3600


@pytest.fixture(params=["database", "redis"])
def counters(request) -> dict:
    """Where the counters live: the test database, or Redis under a prefix of this test's own."""
    if request.param == "database":
        yield {"redis_url": None}
        return
    prefix = f"warga-test-{uuid.uuid4().hex}"
    yield {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def limited(settings, engine, counters, tmp_path):
    """`limited(**settings)` -> an app (a "worker") with those limits; all share the counters."""
    apps = []

    def make(**limits):
        changes = {"media_dir": tmp_path / "media", **counters, **limits}
        apps.append(create_app(settings.model_copy(update=changes)))
        return apps[-1]

    yield make
    for app in apps:
        app.state.engine.dispose()


def client_for(app, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def registration(number: int) -> dict:
    return {
        "full_name": "Warga Baru",
        "email": f"warga{number}-{uuid.uuid4().hex[:8]}@example.com",
        "password": "kopi-susu-di-serpong",
    }


def assert_limited(response: httpx.Response, policy: str, quota: int, window: int = HOUR) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window
    assert response.headers["RateLimit-Policy"] == f'"{policy}";q={quota};w={window}'
    assert response.headers["RateLimit"] == f'"{policy}";r=0;t={retry_after}'


async def test_registration_is_limited_per_address(limited, demo):
    app = limited(rate_limit_registration="3/hour")
    async with client_for(app) as client, client_for(app, "198.51.100.20") as elsewhere:
        remaining = []
        for number in range(3):
            response = await client.post("/api/v1/accounts", json=registration(number))
            assert response.status_code == 201, response.text
            remaining.append(response.headers["RateLimit"])
        assert [r.split(";")[:2] for r in remaining] == [
            ['"registration-address"', f"r={r}"] for r in (2, 1, 0)
        ]
        assert_limited(
            await client.post("/api/v1/accounts", json=registration(4)), "registration-address", 3
        )
        # Another address is counted on its own.
        assert (await elsewhere.post("/api/v1/accounts", json=registration(5))).status_code == 201


async def test_each_kind_of_write_is_limited_per_account(limited, demo):
    app = limited(
        rate_limit_filing="1/hour",
        rate_limit_uploads="1/hour",
        rate_limit_comments="1/hour",
        rate_limit_support="1/hour",
        rate_limit_address_factor=10,
    )
    async with client_for(app) as client:
        siti = await login(client, demo.resident.username, demo.resident.password)
        budi = await login(client, demo.other_resident.username, demo.other_resident.password)

        filed = await client.post("/api/v1/complaints", json=complaint_body(), headers=siti)
        assert filed.status_code == 201, filed.text
        assert filed.headers["RateLimit"].startswith('"filing-account";r=0;')
        again = await client.post("/api/v1/complaints", json=complaint_body(), headers=siti)
        assert_limited(again, "filing-account", 1)
        # Filing a permit application counts as filing too.
        draft = {"permit_type": "pbg", "answers": {}}
        assert_limited(
            await client.post("/api/v1/permits/applications", json=draft, headers=siti),
            "filing-account",
            1,
        )
        # Another account has its own allowance.
        other = await client.post("/api/v1/complaints", json=complaint_body(), headers=budi)
        assert other.status_code == 201

        complaint = filed.json()["id"]
        photos = f"/api/v1/complaints/{complaint}/photos"

        async def upload():
            files = [("files", ("a.jpg", jpeg_bytes(), "image/jpeg"))]
            return await client.post(photos, files=files, headers=siti)

        assert (await upload()).status_code == 201
        assert_limited(await upload(), "uploads-account", 1)

        comments = f"/api/v1/complaints/{complaint}/comments"
        comment = {"text": "Lubangnya makin besar."}
        assert (await client.post(comments, json=comment, headers=siti)).status_code == 201
        assert_limited(
            await client.post(comments, json=comment, headers=siti), "comments-account", 1
        )

        support = f"/api/v1/complaints/{other.json()['id']}/support"
        assert (await client.put(support, headers=siti)).status_code == 200
        assert_limited(await client.put(support, headers=siti), "support-account", 1)


async def test_one_address_may_write_a_multiple_of_an_accounts_limit(limited, demo):
    app = limited(rate_limit_filing="1/hour", rate_limit_address_factor=2)
    async with client_for(app) as client:
        for number in range(2):
            new = registration(number)
            assert (await client.post("/api/v1/accounts", json=new)).status_code == 201
            headers = await login(client, new["email"], new["password"])
            filed = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
            assert filed.status_code == 201, filed.text
        # A third account behind the same address: its own allowance is untouched, the
        # address's (1 x 2) is spent.
        siti = await login(client, demo.resident.username, demo.resident.password)
        third = await client.post("/api/v1/complaints", json=complaint_body(), headers=siti)
        assert_limited(third, "filing-address", 2)
    async with client_for(app, "198.51.100.20") as elsewhere:
        filed = await elsewhere.post("/api/v1/complaints", json=complaint_body(), headers=siti)
        assert filed.status_code == 201


async def test_workers_share_the_counters(limited, demo):
    """Two app instances (two workers, or two hosts) on the same counters count together."""
    first, second = (limited(rate_limit_registration="2/hour") for _ in range(2))
    async with client_for(first) as one, client_for(second) as other:
        assert (await one.post("/api/v1/accounts", json=registration(1))).status_code == 201
        assert (await other.post("/api/v1/accounts", json=registration(2))).status_code == 201
        assert_limited(
            await one.post("/api/v1/accounts", json=registration(3)), "registration-address", 2
        )


async def test_a_window_ends_and_writes_go_on(limited, demo):
    app = limited(rate_limit_registration="1/second")
    async with client_for(app) as client:
        assert (await client.post("/api/v1/accounts", json=registration(1))).status_code == 201
        refused = await client.post("/api/v1/accounts", json=registration(2))
        assert_limited(refused, "registration-address", 1, window=1)
        await asyncio.sleep(1.2)
        assert (await client.post("/api/v1/accounts", json=registration(3))).status_code == 201


async def test_unreachable_redis_does_not_stop_writes(settings, engine, demo, capsys):
    app = create_app(
        settings.model_copy(
            update={"redis_url": "redis://127.0.0.1:1/0", "rate_limit_registration": "1/hour"}
        )
    )
    async with client_for(app) as client:
        for number in range(2):
            response = await client.post("/api/v1/accounts", json=registration(number))
            assert response.status_code == 201, response.text
            assert "RateLimit" not in response.headers
    assert "rate-limit counters unreachable; registration not counted" in capsys.readouterr().err
    app.state.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_concurrent_flood_of_sign_ups_gets_exactly_the_limit(limited, demo):
    app = limited(rate_limit_registration="5/hour")

    def register(number: int) -> int:
        async def send() -> int:
            async with client_for(app) as client:
                response = await client.post("/api/v1/accounts", json=registration(number))
                return response.status_code

        return asyncio.run(send())

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(register, range(12)))
    assert sorted(statuses) == [201] * 5 + [429] * 7, statuses


async def test_only_filings_that_succeed_are_counted(limited, demo):
    """Filing counts in its own transaction (`RouteLimits`): a filing refused by its rule, or a
    retry answered from its Idempotency-Key, uses none of the allowance and says nothing of it."""
    app = limited(rate_limit_filing="1/hour", rate_limit_address_factor=10)
    async with client_for(app) as client:
        siti = await login(client, demo.resident.username, demo.resident.password)
        unknown = complaint_body(category="tidak-ada")
        refused = await client.post("/api/v1/complaints", json=unknown, headers=siti)
        assert refused.status_code == 422, refused.text
        assert "RateLimit" not in refused.headers

        once = {**siti, "Idempotency-Key": f"filing-{uuid.uuid4().hex}"}
        filed = await client.post("/api/v1/complaints", json=complaint_body(), headers=once)
        assert filed.status_code == 201, filed.text
        assert filed.headers["RateLimit"].startswith('"filing-account";r=0;')
        replayed = await client.post("/api/v1/complaints", json=complaint_body(), headers=once)
        assert replayed.status_code == 201
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert replayed.json() == filed.json()
        assert "RateLimit" not in replayed.headers

        assert_limited(
            await client.post("/api/v1/complaints", json=complaint_body(), headers=siti),
            "filing-account",
            1,
        )


async def test_a_filing_refused_when_charged_leaves_nothing_behind(
    limited, demo, session, monkeypatch
):
    """A concurrent filing may take the last of the allowance between this one's check and its
    charge: then this one answers 429 and its whole transaction is rolled back."""
    app = limited(rate_limit_filing="1/hour", rate_limit_address_factor=10)

    def rows() -> tuple[int, int, int]:
        """Complaints, inbox entries, and complaints the Life Room counts as filed."""
        return (
            session.exec(select(func.count()).select_from(Complaint)).one(),
            session.exec(select(func.count()).select_from(Notification)).one(),
            session.exec(select(func.coalesce(func.sum(FiledTally.complaints), 0))).one(),
        )

    async with client_for(app) as client:
        siti = await login(client, demo.resident.username, demo.resident.password)
        filed = await client.post("/api/v1/complaints", json=complaint_body(), headers=siti)
        assert filed.status_code == 201, filed.text
        before = rows()
        # The check finds allowance left, as if the other filing had not committed yet.
        monkeypatch.setattr(WriteLimits, "refusal", lambda *_args: None)
        late = await client.post("/api/v1/complaints", json=complaint_body(), headers=siti)
        assert_limited(late, "filing-account", 1)
    assert rows() == before
