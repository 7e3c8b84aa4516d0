"""Runs the real app with one scripted scenario and prints what the user would have seen.

Kivy's App can run only once per process, so every UI test starts this file in a subprocess:

    python tests/mobile/ui_driver.py SCENARIO --api URL --data-dir DIR [--size WxH]

The last line of output is `RESULT <json>`. Scenarios drive the app as a user would (typing
into fields, pressing buttons and the Back key) and read back widget texts.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from mobile.__main__ import _size, run  # noqa: E402

KEY_BACK = 27
SCENARIOS = {}
result: dict = {}


def scenario(function):
    SCENARIOS[function.__name__] = function
    return function


async def until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {predicate.__doc__ or predicate}")
        await asyncio.sleep(0.02)


async def frames(count: int = 2) -> None:
    from mobile.screenshot import next_frames

    await next_frames(count)


def visible_texts(widget) -> list[str]:
    """Every non-empty label text under `widget`, in the order Kivy walks the tree."""
    from kivy.uix.label import Label

    return [w.text for w in widget.walk(restrict=True) if isinstance(w, Label) and w.text]


def press_back() -> None:
    from kivy.core.window import Window

    Window.dispatch("on_keyboard", KEY_BACK, 0, None, [])


async def open_screen(app, name: str, **params):
    app.show(name, **params)
    screen = app.screen(name)
    await screen.ready.wait()
    await frames()
    return screen


async def login_as(app, account: dict) -> None:
    session = await app.api.login(account["username"], account["password"])
    app.signed_in(session)
    await app.screen("home").ready.wait()
    await frames()


@scenario
async def login_screen(app, accounts):
    """Start signed out, log in through the form, land on the resident's home."""
    login = app.screen("login")
    result["first_screen"] = app.manager.current
    login.ids.username.text = accounts["resident"]["username"]
    login.ids.password.text = accounts["resident"]["password"]
    login.ids.submit.dispatch("on_release")
    await until(lambda: app.manager.current == "home")
    home = app.screen("home")
    await home.ready.wait()
    await frames()
    result.update(
        screen=app.manager.current,
        greeting=home.ids.greeting.text,
        tiles=[tile.title for tile in reversed(home.ids.tiles.children)],
    )


@scenario
async def switch_language(app, accounts):
    await login_as(app, accounts["resident"])
    home = app.screen("home")
    result["before"] = visible_texts(home)
    settings = await open_screen(app, "settings")
    settings.ids.lang_en.dispatch("on_release")
    await frames()
    result["settings"] = visible_texts(settings)
    press_back()
    await frames()
    result["after"] = visible_texts(home)
    result["saved"] = json.loads((app.data_dir / "preferences.json").read_text())


@scenario
async def register_errors(app, accounts):
    register = await open_screen(app, "register")
    form = register.form
    typed = {
        "full_name": "Rina Wati",
        "email": accounts["resident"]["username"],
        "password": "kopi-susu-di-serpong",
        "phone": "12345",
    }
    for code, text in typed.items():
        form.inputs[code].input.text = text
    register.ids.submit.dispatch("on_release")
    await frames()
    result["client_side"] = {code: w.error for code, w in form.inputs.items() if w.error}

    form.inputs["phone"].input.text = ""
    register.ids.submit.dispatch("on_release")
    await until(lambda: form.inputs["email"].error)
    result["server_side"] = {code: w.error for code, w in form.inputs.items() if w.error}
    result["notice"] = register.notice
    app.set_language("en")
    await frames()
    result["server_side_en"] = {code: w.error for code, w in form.inputs.items() if w.error}


@scenario
async def agency_panes(app, accounts):
    """An officer on a tablet: home with their agency, the directory in two panes, then narrow."""
    from kivy.core.window import Window

    await login_as(app, accounts["officer"])
    result["home"] = visible_texts(app.screen("home"))
    directory = await open_screen(app, "agencies")
    panes = directory.ids.panes
    result["wide"] = {
        "wide": panes.wide,
        "detail_width": panes.detail_side.width,
        "list_width": panes.list_side.width,
        "detail": visible_texts(directory.ids.detail)[:1],
    }
    second = directory.agencies[1]
    directory.choose(second)
    await frames()
    result["wide_choice"] = {
        "screen": app.manager.current,
        "detail": visible_texts(directory.ids.detail)[:1],
    }

    Window.size = (600, 900)
    await frames(3)
    result["narrow"] = {
        "wide": panes.wide,
        "detail_width": panes.detail_side.width,
        "list_width": panes.list_side.width,
        "window": list(Window.size),
    }
    directory.choose(directory.agencies[2])
    detail = app.screen("agency_detail")
    await detail.ready.wait()
    await frames()
    result["narrow_choice"] = {
        "screen": app.manager.current,
        "detail": visible_texts(detail.ids.detail)[:1],
    }
    press_back()
    await frames()
    result["after_back"] = app.manager.current


@scenario
async def back_button(app, accounts):
    await login_as(app, accounts["resident"])
    await open_screen(app, "permit_types")
    await open_screen(app, "permit_type", code="pbg")
    press_back()
    result["first_back"] = app.manager.current
    press_back()
    result["second_back"] = app.manager.current
    stops = []
    original_stop = app.stop
    app.stop = lambda *args: stops.append(1) or original_stop(*args)
    press_back()  # on home: leaves the app
    result["stopped_from_home"] = len(stops)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--api", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--accounts",
        type=json.loads,
        required=True,
        help='{"resident": {"username": ..., "password": ...}, ...}',
    )
    parser.add_argument("--size", type=_size, default=(412, 860))
    args = parser.parse_args()

    async def script(app) -> None:
        await SCENARIOS[args.scenario](app, args.accounts)

    code = run(
        size=args.size, api_url=args.api, language="id", data_dir=args.data_dir, script=script
    )
    print("RESULT " + json.dumps(result, ensure_ascii=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
