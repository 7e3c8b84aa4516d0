"""Life Room benchmark: the dashboard (city and one agency), the density grid, the export.

    .venv/bin/python -m bench.dashboard                      # 100k complaints
    .venv/bin/python -m bench.dashboard --count 1000000      # the issue's million

Seeds the demo city with `warga complaints generate N` (filed over the last 90 days, the
dashboard's default period), starts the server as `make run` does and drives each endpoint with
wrk from the other core, beside a bare FastAPI endpoint (the ceiling). The export is timed as
one download of the whole period.
"""

import argparse
import os
import tempfile
import time

import httpx

from bench.complaints import generate, token
from bench.foundation import prepare_database
from bench.harness import print_table, serve, wrk

CITY = "GET /dashboard (admin, whole city)"
AGENCY = "GET /dashboard (supervisor, one agency)"
DENSITY = "GET /dashboard/density (city, zoom 13)"
CITY_VIEW = {"min_lat": -6.40, "min_lon": 106.60, "max_lat": -6.20, "max_lon": 106.80, "zoom": 13}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory)
        generate(url, args.count)
        with serve("bench.ceiling:app", factory=False) as bare:
            ceiling = wrk("bare FastAPI GET /hello (ceiling)", bare.url + "/hello")
        env = {"WARGA_DATABASE_URL": url, "WARGA_LOG_LEVEL": "WARNING"}
        with serve("backend.main:create_app", env=env) as server:
            api = server.url + "/api/v1"
            admin = token(api, "admin@harapanbaru.go.id", "admin-demo-2026")
            head = token(api, "kepala.dbmsda@harapanbaru.go.id", "kepala-demo-2026")
            as_admin = {"Authorization": f"Bearer {admin}"}
            density = (
                api + "/dashboard/density?" + "&".join(f"{k}={v}" for k, v in CITY_VIEW.items())
            )
            loads = [
                wrk(CITY, api + "/dashboard", connections=2, headers=as_admin),
                wrk(
                    AGENCY,
                    api + "/dashboard",
                    connections=2,
                    headers={"Authorization": f"Bearer {head}"},
                ),
                wrk(DENSITY, density, connections=2, headers=as_admin),
            ]
            started = time.perf_counter()
            size = 0
            with httpx.stream("GET", api + "/open-data/complaints.csv", timeout=600) as response:
                for chunk in response.iter_bytes():
                    size += len(chunk)
            export_seconds = time.perf_counter() - started
            peak = server.peak_rss_mb()

    print(
        f"\nWarga Life Room benchmark, {args.count} complaints "
        f"({os.cpu_count()} cores; server on core 0, wrk on core 1)"
    )
    print_table(ceiling, loads, targets={})
    print(
        f"export of 90 days as CSV: {size / 1e6:.1f} MB in {export_seconds:.1f} s; "
        f"server peak memory {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
