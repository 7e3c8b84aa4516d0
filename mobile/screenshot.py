"""Screenshot mode: log in as a demo account, open one screen, wait for its data, save a PNG.

Used for README pictures and by tests. The demo accounts come from `backend.demo_accounts`, so
this mode runs only from a source checkout against a demo server (never in the Android package).
"""

import asyncio
import shutil
import tempfile
from pathlib import Path

from kivy.clock import Clock

from mobile.screens import SCREENS

SETTLE_FRAMES = 3  # frames to draw after the data arrived, so layout and textures are final


def demo_credentials(role: str, agency: str) -> tuple[str, str]:
    # The accounts' own module, not `backend.demo`: that one imports the whole backend
    # (SQLAlchemy, FastAPI, ...), ~60 MB that would stay in the app's process.
    from backend.demo_accounts import demo_accounts

    for account in demo_accounts([agency]):
        if account.role == role and account.agency in (None, agency):
            return account.username, account.password
    raise ValueError(f"no demo account for role {role!r}")


async def next_frames(count: int) -> None:
    for _ in range(count):
        drawn = asyncio.Event()
        Clock.schedule_once(lambda _dt, drawn=drawn: drawn.set(), 0)
        await drawn.wait()


async def save_png(out: Path) -> Path:
    from kivy.core.window import Window  # imported late: importing it opens the window

    await next_frames(SETTLE_FRAMES)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Window.screenshot adds a counter to the name ("shot0001.png"), so write into a fresh
    # folder and move the file where it was asked for.
    with tempfile.TemporaryDirectory() as folder:
        written = Window.screenshot(name=str(Path(folder) / "shot.png"))
        shutil.move(written, out)
    return out


async def _log_in_through_the_form(login, params: dict) -> None:
    login.ids.username.text = params.get("username", "")
    login.ids.password.text = params["password"]
    login.submit()
    while not login.notice:
        await next_frames(1)


def screenshot_script(screen: str, role: str, agency: str, params: dict, out: Path):
    if screen not in SCREENS:
        raise SystemExit(f"unknown screen {screen!r}; one of: {', '.join(SCREENS)}")

    async def script(app) -> None:
        if screen not in ("login", "register"):
            username, password = demo_credentials(role, agency)
            await app.api.login(username, password)
            app.session_active = True
        app.show(screen, root=True, **params)
        await app.screen(screen).ready.wait()
        if screen == "login" and "password" in params:  # a refused login, for the pictures
            await _log_in_through_the_form(app.screen(screen), params)
        await app.screen(screen).settled()
        print(await save_png(out))

    return script
