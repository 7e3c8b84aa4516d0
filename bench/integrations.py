"""Integrations benchmark: client-credentials tokens, a client's authenticated read beside an
officer's, Open311 reads, and how soon a webhook follows the change it tells of.

    .venv/bin/python -m bench.integrations

Prints requests/s and p50/p99 latency beside a bare FastAPI endpoint's (the ceiling) measured in
the same run; then the time from a filing's answer to its webhook's arrival at a receiver on
loopback (the commit wakes the delivery workers through the change channel).
"""

import os
import statistics
import tempfile
import time

import httpx

from bench.foundation import prepare_database
from bench.harness import print_table, serve, wrk
from tests.backend.complaints.complaint_helpers import complaint_body
from tests.backend.integrations.webhook_receiver import webhook_receiver

ADMIN = {"username": "admin@harapanbaru.go.id", "password": "admin-demo-2026"}
OFFICER = {"username": "petugas.dbmsda@harapanbaru.go.id", "password": "petugas-demo-2026"}
DELIVERIES = 20
TIMEOUT = 30  # a busy build machine can be slow to answer a setup call


def _bearer(api: str, form: dict) -> dict[str, str]:
    token = httpx.post(api + "/auth/token", data=form, timeout=TIMEOUT).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _client(api: str, admin: dict, scopes: list[str], **fields) -> dict:
    body = {"name": "Bench", "scopes": scopes, "rate_limit_per_minute": 100_000, **fields}
    return httpx.post(api + "/admin/clients", json=body, headers=admin, timeout=TIMEOUT).json()


def _delivery_latencies(api: str, admin: dict) -> list[float]:
    with webhook_receiver() as receiver:
        hook = {"url": receiver.url + "/bench", "events": ["complaint.filed"]}
        httpx.post(api + "/webhooks", json=hook, headers=admin, timeout=TIMEOUT).raise_for_status()
        resident = _bearer(api, {"username": "siti@example.com", "password": "warga-demo-2026"})
        latencies = []
        for _ in range(DELIVERIES):
            seen = len(receiver.at("/bench"))
            filed = httpx.post(
                api + "/complaints", json=complaint_body(), headers=resident, timeout=TIMEOUT
            )
            filed.raise_for_status()
            answered = time.monotonic()
            while len(receiver.at("/bench")) == seen:
                time.sleep(0.01)
            latencies.append(time.monotonic() - answered)
        return latencies


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory)
        with serve("bench.ceiling:app", factory=False) as bare:
            ceiling = wrk("bare FastAPI GET /hello (ceiling)", bare.url + "/hello")
        env = {
            "WARGA_DATABASE_URL": url,
            "WARGA_LOG_LEVEL": "WARNING",
            "WARGA_WEBHOOKS_ALLOW_PRIVATE_URLS": "true",  # the receiver is on loopback
        }
        with serve("backend.main:create_app", env=env) as server:
            api = server.url + "/api/v1"
            admin = _bearer(api, ADMIN)
            reader = _client(api, admin, ["complaints:read"], agency="dbmsda")
            client = _bearer(
                api,
                {
                    "grant_type": "client_credentials",
                    "client_id": reader["client_id"],
                    "client_secret": reader["client_secret"],
                },
            )
            grant = (
                f"grant_type=client_credentials&client_id={reader['client_id']}"
                f"&client_secret={reader['client_secret']}"
            )
            loads = [
                wrk(
                    "POST /auth/token (client credentials)",
                    api + "/auth/token",
                    method="POST",
                    body=grant,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ),
                wrk(
                    "GET /complaints/queue (officer)",
                    api + "/complaints/queue",
                    headers=_bearer(api, OFFICER),
                ),  # fmt: skip
                wrk(
                    "GET /complaints/queue (API client)", api + "/complaints/queue", headers=client
                ),  # fmt: skip
                wrk("GET /open311/v2/services.xml", server.url + "/open311/v2/services.xml"),
                wrk("GET /open311/v2/requests.json", server.url + "/open311/v2/requests.json"),
            ]
            latencies = _delivery_latencies(api, admin)
    print(f"\nWarga integrations benchmark ({os.cpu_count()} cores; server on core 0, wrk on 1)")
    print_table(ceiling, loads, targets={})
    latencies.sort()
    print(
        f"webhook after the filing's answer ({DELIVERIES} filings; woken by the commit): "
        f"p50 {statistics.median(latencies):.2f} s, max {latencies[-1]:.2f} s (promise: 15 s)"
    )


if __name__ == "__main__":
    main()
