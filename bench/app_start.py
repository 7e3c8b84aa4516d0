"""Cold start of the Warga app to its first interactive screen, headless, and its peak memory.

Each run is a fresh process (interpreter start included) with an empty data directory, so the
app opens on the login screen; the clock stops when that screen's first frame has been drawn.
The ceiling beside it is a bare Kivy App showing one label, measured the same way in the same
run and with the same off-screen settings (`mobile.headless`, which Warga's `run` applies), so
the ratio says what Warga itself adds. Targets: under 1.5 s and under 150 MB.

The memory is the process's peak resident set (ru_maxrss). For information, "libs MB" is the
part of the resident set that is mapped files when the screen is up: shared libraries, most of
it Mesa's libLLVM, which the software renderer loads whatever the app draws.

Two more rows, for information (no target): a resident logs in through the login screen against
a real API server (`tests.live_server`: the demo city on a temporary SQLite database) and the
clock and the peak stop when the home screen's first frame with its data has been drawn; and
the same, then the reports map (kivy-garden's MapView, without tiles) opened from home.

    .venv/bin/python bench/app_start.py [--runs 5]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.5
TARGET_MB = 150


def child(kind: str, started: float) -> None:
    """Runs in the measured process: start the app, report when the first frame is drawn."""
    import asyncio

    def report() -> None:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        status = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        libs_mb = int(status["RssFile"].split()[0]) / 1024
        result = {"seconds": time.time() - started, "peak_mb": peak_mb, "libs_mb": libs_mb}
        print(json.dumps(result), flush=True)

    if kind == "bare":
        from mobile import headless  # imports no Kivy and nothing else of the app

        headless.configure()  # the same off-screen settings as Warga's `run` applies
        from kivy.app import App
        from kivy.clock import Clock
        from kivy.core.window import Window
        from kivy.uix.label import Label

        headless.finish_each_frame(Window)

        class Bare(App):
            def build(self):
                return Label(text="Warga")

            def on_start(self):
                # The next clock tick after start comes before the first frame is drawn, so
                # wait for the first buffer swap and report at the tick after it (as Warga's
                # `next_frames(1)` does), when that frame has been drawn completely.
                Window.fbind("on_flip", self._drawn)

            def _drawn(self, *_args):
                Window.funbind("on_flip", self._drawn)
                Clock.schedule_once(lambda _dt: (report(), self.stop()), 0)

        asyncio.run(Bare().async_run(async_lib="asyncio"))
        return

    from mobile.__main__ import run
    from mobile.screenshot import next_frames

    async def first_frame(app) -> None:
        await app.screen("login").ready.wait()
        await next_frames(1)
        if kind in ("home", "map"):
            await log_in(app)
            await next_frames(1)
        if kind == "map":
            app.show("reports_map")
            await app.screen("reports_map").ready.wait()
            await next_frames(1)
        report()

    async def log_in(app) -> None:
        """As a resident does: fill in the login form and send it; wait for home's data."""
        login = app.screen("login")
        login.ids.username.text = os.environ["BENCH_USERNAME"]
        login.ids.password.text = os.environ["BENCH_PASSWORD"]
        login.submit()
        while app.manager.current != "home":
            await next_frames(1)
        await app.screen("home").ready.wait()

    with tempfile.TemporaryDirectory() as data_dir:
        api_url = os.environ.get("BENCH_API_URL")
        run(size=(412, 860), api_url=api_url, data_dir=Path(data_dir), script=first_frame)


def measure(kind: str, server: dict[str, str] | None = None) -> dict:
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "offscreen",
        "KIVY_NO_ARGS": "1",
        "KIVY_LOG_LEVEL": "warning",
        "PYTHONPATH": str(REPO_ROOT),
        **(server or {}),
    }
    started = time.time()
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--started", repr(started)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def sample(kind: str, runs: int, server: dict[str, str] | None = None) -> dict:
    measure(kind, server)  # warm the file system cache: "cold" means a new process, not a new disk
    samples = [measure(kind, server) for _ in range(runs)]
    return {
        "median_s": statistics.median(s["seconds"] for s in samples),
        "max_s": max(s["seconds"] for s in samples),
        "peak_mb": max(s["peak_mb"] for s in samples),
        "libs_mb": max(s["libs_mb"] for s in samples),
    }


def sample_logged_in(runs: int) -> dict[str, dict]:
    """The home and map rows: each run logs a demo resident in against one real API server."""
    sys.path.insert(0, str(REPO_ROOT))
    from shared.roles import Role
    from tests.live_server import live_server

    with tempfile.TemporaryDirectory() as directory, live_server(Path(directory)) as server:
        resident = server.account(Role.RESIDENT)
        environment = {
            "BENCH_API_URL": server.base_url,
            "BENCH_USERNAME": resident.username,
            "BENCH_PASSWORD": resident.password,
        }
        return {kind: sample(kind, runs, environment) for kind in ("home", "map")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=("bare", "warga", "home", "map"))
    parser.add_argument("--started", type=float)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.started)
        return

    rows = {}
    for kind in ("bare", "warga"):
        rows[kind] = sample(kind, args.runs)
    rows.update(sample_logged_in(args.runs))
    bare, warga = rows["bare"], rows["warga"]
    print(f"App cold start to the first interactive screen, headless, {args.runs} runs each")
    print(f"{'':34} {'median s':>9} {'max s':>7} {'peak MB':>8} {'libs MB':>8}")
    for label, row in (
        ("ceiling: bare Kivy App + label", bare),
        ("Warga, login screen", warga),
        ("Warga, home after login (info)", rows["home"]),
        ("Warga, then the reports map (info)", rows["map"]),
    ):
        print(
            f"{label:34} {row['median_s']:9.2f} {row['max_s']:7.2f} {row['peak_mb']:8.0f}"
            f" {row['libs_mb']:8.0f}"
        )
    print(
        f"{'ratio to ceiling':34} {warga['median_s'] / bare['median_s']:9.2f} {'':7}"
        f" {warga['peak_mb'] / bare['peak_mb']:8.2f}"
    )
    # Headless, the window's memory is Mesa's software renderer; show what Warga adds to it.
    print(
        f"{'Warga over the ceiling':34} {warga['median_s'] - bare['median_s']:9.2f} {'':7}"
        f" {warga['peak_mb'] - bare['peak_mb']:8.0f}"
    )
    for what, value, target, unit in (
        ("start (max)", warga["max_s"], TARGET_SECONDS, "s"),
        ("peak memory", warga["peak_mb"], TARGET_MB, "MB"),
    ):
        verdict = "met" if value < target else "MISSED"
        print(f"target {what} < {target} {unit}: {verdict} ({value:.2f} {unit})")


if __name__ == "__main__":
    main()
