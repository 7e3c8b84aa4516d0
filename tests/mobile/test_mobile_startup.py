"""What the app loads at start: the login screen's memory (bench/app_start.py) depends on it.

Each check runs in a fresh interpreter, as the app starts in one.
"""

import os
import subprocess
import sys
import textwrap

from tests.live_server import REPO_ROOT


def run_python(code: str, **env: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, "KIVY_NO_ARGS": "1", "PYTHONPATH": str(REPO_ROOT), **env},
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_the_api_client_loads_httpx_at_its_first_request(tmp_path, unreachable_url):
    out = run_python(f"""
        import asyncio, sys
        from pathlib import Path
        from mobile.core import live, outbox  # noqa: F401 (they use httpx too)
        from mobile.core.api import ApiClient, Offline
        from mobile.core.tokens import TokenStore

        api = ApiClient({unreachable_url!r}, tokens=TokenStore(Path({str(tmp_path)!r})))
        print("httpx" in sys.modules)

        async def first_request():
            try:
                await api.get("/agencies")
            except Offline:
                print("offline")
            await api.aclose()

        asyncio.run(first_request())
        print("httpx" in sys.modules)
    """)
    assert out.splitlines() == ["False", "offline", "True"]


def test_headless_settings_apply_only_off_screen():
    check = """
        from mobile import headless
        headless.configure()
        from kivy.config import Config
        print(Config.getint("graphics", "multisamples"))
    """
    assert run_python(check, SDL_VIDEODRIVER="offscreen").endswith("0")
    assert run_python(check, SDL_VIDEODRIVER="dummy").endswith("2")  # Kivy's default stays
    chosen = run_python(check, SDL_VIDEODRIVER="offscreen", KCFG_GRAPHICS_MULTISAMPLES="4")
    assert chosen.endswith("4")  # an explicit choice wins
