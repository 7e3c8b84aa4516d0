"""Runs the real app with one scripted scenario and prints what the user would have seen.

Kivy's App can run only once per process, so every UI test starts this file in a subprocess:

    python tests/mobile/ui_driver.py SCENARIO --api URL --data-dir DIR [--size WxH]
        [--param KEY=VALUE ...]

The last line of output is `RESULT <json>`. Scenarios drive the app as a user would (typing
into fields, pressing buttons and the Back key) and read back widget texts; `--param` gives
them values from the test (a complaint's id, a photo to attach).
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from mobile.__main__ import _size, run  # noqa: E402
from tests.mobile.helpers import EVENT_ANSWERS, scans  # noqa: E402

KEY_BACK = 27
SCENARIOS = {}
result: dict = {}
params: dict[str, str] = {}


def scenario(function):
    SCENARIOS[function.__name__] = function
    return function


async def until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {predicate.__doc__ or predicate}")
        await asyncio.sleep(0.02)


async def within(predicate, timeout: float = 5.0) -> bool:
    """Whether `predicate` comes true within `timeout` seconds."""
    try:
        await until(predicate, timeout)
    except TimeoutError:
        return False
    return True


async def frames(count: int = 2) -> None:
    from mobile.screenshot import next_frames

    await next_frames(count)


def visible_texts(widget) -> list[str]:
    """Every non-empty label text under `widget`, in the order Kivy walks the tree."""
    from kivy.uix.label import Label

    return [w.text for w in widget.walk(restrict=True) if isinstance(w, Label) and w.text]


def drawn_right(widget) -> float:
    """Where a widget's drawing ends on the right, in window pixels: a clipping ancestor (a
    StencilView such as a ScrollView) cuts it off at its own right edge."""
    from kivy.uix.stencilview import StencilView

    right = widget.to_window(widget.right, 0)[0]
    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, StencilView):
            right = min(right, node.to_window(node.right, 0)[0])
        node = node.parent
    return right


def is_drawn(widget) -> bool:
    """Whether a person could see `widget`: it and every parent up to the window are opaque and
    take room (a screen not shown has no window above it)."""
    from kivy.core.window import Window

    node = widget
    while node is not Window:
        if node is None or node.opacity == 0 or node.width <= 0 or node.height <= 0:
            return False
        node = node.parent
    return True


def drawn_texts(widget) -> list[str]:
    """The label texts under `widget` a person would see: `visible_texts` minus hidden ones."""
    from kivy.uix.label import Label

    return [
        w.text
        for w in widget.walk(restrict=True)
        if isinstance(w, Label) and w.text and is_drawn(w)
    ]


def overlay_texts() -> list[str]:
    """What is drawn over the screens: dialogs and snackbars (the window's other children)."""
    from kivy.core.window import Window

    return [text for child in Window.children[:-1] for text in drawn_texts(child)]


def overlay_button(text: str):
    from kivy.core.window import Window
    from kivymd.uix.button import MDFlatButton, MDRaisedButton, MDRectangleFlatIconButton

    return next(
        w
        for child in Window.children[:-1]
        for w in child.walk(restrict=True)
        if isinstance(w, MDFlatButton | MDRaisedButton | MDRectangleFlatIconButton)
        and w.text == text
    )


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


def scaffold(screen):
    from mobile.widgets import Scaffold

    return next(w for w in screen.walk(restrict=True) if isinstance(w, Scaffold))


@scenario
async def wrong_password(app, accounts):
    """A wrong password: the spinner shows while the server checks, then the reason is drawn."""
    login = app.screen("login")
    login.ids.username.text = accounts["resident"]["username"]
    login.ids.password.text = "not-the-password"
    press(login.ids.submit)
    await until(lambda: login.busy)
    spinner = scaffold(login).ids.spinner
    result["busy_drawn"] = is_drawn(spinner) and spinner.active
    await until(lambda: not login.busy)
    await frames()
    result["screen"] = app.manager.current
    result["drawn"] = drawn_texts(login)
    result["spinner_after"] = is_drawn(spinner)


@scenario
async def locked_out(app, accounts):
    """Too many wrong passwords for one account: the login screen says how long to wait."""
    from contextlib import suppress

    from mobile.core.api import ApiError

    name = params["username"]
    for _attempt in range(int(params["attempts"])):
        with suppress(ApiError):
            await app.api.login(name, "wrong-wrong-wrong")
    login = app.screen("login")
    login.ids.username.text = name
    login.ids.password.text = "wrong-wrong-wrong"
    press(login.ids.submit)
    await until(lambda: login.notice)
    await frames()
    result["drawn"] = drawn_texts(login)


@scenario
async def offline_banner(app, accounts):
    """Seen online, then the network goes: the same screen shows its saved data under a banner
    that says how old it is."""
    await login_as(app, accounts["resident"])
    await open_screen(app, "complaint_categories")
    result["online"] = drawn_texts(app.screen("complaint_categories"))
    app.set_api_url(params["offline_api"])
    press_back()
    categories = await open_screen(app, "complaint_categories")
    result["offline"] = drawn_texts(categories)


@scenario
async def conflict_reload(app, accounts):
    """An officer acts on a complaint another session changed a moment ago: the refusal says so
    and offers to reload, which shows the complaint as it is now."""
    from mobile.core.api import ApiClient
    from mobile.core.tokens import TokenStore
    from tests.mobile.helpers import file_pothole

    async def client(name: str, account: dict) -> ApiClient:
        api = ApiClient(app.api.base_url, tokens=TokenStore(app.data_dir / name))
        await api.login(account["username"], account["password"])
        return api

    resident = await client("resident", accounts["resident"])
    filed = await file_pothole(resident)
    await login_as(app, accounts["road_officer"])
    screen = await open_screen(app, "complaint", id=filed["id"])
    detail = screen.ids.detail
    other = await client("other", accounts["road_officer"])
    await other.complaint_action(filed["id"], "claim", None, version=filed["version"])
    for api in (resident, other):
        await api.aclose()
    detail.start("claim")
    await until(lambda: screen.notice_is_error)
    await frames()
    result["refused"] = drawn_texts(screen)
    press(scaffold(screen).ids.notice_button)
    await until(lambda: detail.complaint and detail.complaint["assignee"])
    await frames()
    result["reloaded"] = drawn_texts(screen)


@scenario
async def resident_home(app, accounts):
    """Home after filing one report online and one while offline."""
    from kivymd.uix.label import MDIcon

    from mobile.core.complaints import queue_complaint
    from tests.mobile.helpers import POTHOLE, file_pothole

    await login_as(app, accounts["resident"])
    filed = await file_pothole(app.api)
    # Waiting to be sent (the outbox is tried every 30 s: not during this scenario).
    queue_complaint(
        app.outbox,
        {**POTHOLE, "category": "sampah", "title": "Sampah menumpuk di Jl. Melati", "answers": {}},
    )
    home = app.screen("home")
    home.reload()
    await home.ready.wait()
    await frames()
    found = queue_rows(home)
    result["filed"] = filed["title"]
    result["drawn"] = drawn_texts(home)
    result["open"] = [{"title": r.headline, "badge": r.badge} for r in found if is_drawn(r)]
    result["lines"] = [r.subline for r in found]
    result["report_area"] = home.ids.report.width * home.ids.report.height
    tiles = list(reversed(home.ids.tiles.children))
    result["tiles"] = [t.title for t in tiles]
    result["tile_areas"] = [t.width * t.height for t in tiles]
    [outbox] = [t for t in tiles if t.screen == "outbox"]
    [icon] = [w for w in outbox.walk(restrict=True) if isinstance(w, MDIcon)]
    result["outbox_badge"] = icon.badge_icon


@scenario
async def switch_language(app, accounts):
    await login_as(app, accounts["resident"])
    home = app.screen("home")
    result["before"] = visible_texts(home)
    settings = await open_screen(app, "settings")
    result["chosen_before"] = [settings.ids.lang_id.icon, settings.ids.lang_en.icon]
    settings.ids.lang_en.dispatch("on_release")
    await frames()
    result["settings"] = visible_texts(settings)
    result["chosen_after"] = [settings.ids.lang_id.icon, settings.ids.lang_en.icon]
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
    from kivy.metrics import dp

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
    from mobile.screens.agency_detail import ContactButton

    result["contacts"] = [
        {"text": b.text, "url": b.url, "tall_enough": b.height >= dp(48), "drawn": is_drawn(b)}
        for b in directory.ids.detail.walk(restrict=True)
        if isinstance(b, ContactButton)
    ]
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


# --- complaints ---


def press(button) -> None:
    button.dispatch("on_release")


def fill_complaint(form_screen, *, title: str, latitude: float, answers: dict) -> None:
    """Type a complaint into the form as a resident would; `answers` to the extra questions."""
    form = form_screen.form
    form.inputs["title"].input.text = title
    form.inputs["description"].input.text = "Lubang sedalam 20 cm di lajur kiri, dekat halte."
    form.inputs["location"].show({"latitude": latitude, "longitude": 106.7163})
    form.inputs["address"].input.text = "Jl. Pahlawan No. 12"
    for code, value in answers.items():
        form_screen.questions.inputs[code].show(value)
    form_screen.ids.photos.add([Path(params["photo"])])


def queue_rows(screen) -> list:
    """The complaint lines of a list, top to bottom."""
    from mobile.screens.complaint import ComplaintRow

    return [w for w in screen.walk(restrict=True) if isinstance(w, ComplaintRow)]


def rows(screen) -> list[dict]:
    return [{"title": r.headline, "badge": r.badge, "line": r.subline} for r in queue_rows(screen)]


def detail_buttons(detail) -> list[str]:
    """The action buttons of a detail view, in its bar below the page if it has one."""
    from kivymd.uix.button import MDRaisedButton

    bar = getattr(detail, "action_bar", None) or detail
    return [w.text for w in bar.walk(restrict=True) if isinstance(w, MDRaisedButton)]


def bar_seen(bar) -> dict:
    """Whether a detail's action bar is drawn, whole, inside the window, and its buttons."""
    from kivy.core.window import Window
    from kivymd.uix.button import MDRaisedButton

    bottom = bar.to_window(bar.x, bar.y)[1]
    return {
        "drawn": is_drawn(bar),
        "on_screen": bottom >= 0 and bottom + bar.height <= Window.height,
        "buttons": [w.text for w in bar.walk(restrict=True) if isinstance(w, MDRaisedButton)],
    }


async def file_through_the_form(
    app, title: str, category: str, latitude: float, answers: dict, *, then_mine: bool = True
):
    """File through the form; the confirmation's texts go to `result`; then "my complaints"."""
    categories = await open_screen(app, "complaint_categories")
    codes = [c["code"] for c in categories.categories]
    items = list(reversed(categories.ids.listing.children))
    press(items[codes.index(category)])  # tap the category: its form opens
    form_screen = app.screen("complaint_form")
    await until(lambda: app.manager.current == "complaint_form")
    await form_screen.ready.wait()
    await frames()
    fill_complaint(form_screen, title=title, latitude=latitude, answers=answers)
    press(form_screen.ids.submit)
    await until(lambda: app.manager.current == "complaint_sent", timeout=20)
    sent = app.screen("complaint_sent")
    await sent.ready.wait()
    await frames()
    result["confirmation"] = drawn_texts(sent)
    return await open_screen(app, "my_complaints") if then_mine else sent


@scenario
async def confirmation_flow(app, accounts):
    """Filing ends on a confirmation (number, deadline, next steps) that leads to the report;
    Back then skips the sent form, and the form opens clean and at its top next time."""
    await login_as(app, accounts["resident"])
    answers = {"ukuran_lubang": "kecil"}
    form_screen = app.screen("complaint_form")
    sent = await file_through_the_form(
        app, params["title"], "jalan-rusak", -6.2921, answers, then_mine=False
    )
    press(sent.ids.open_report)
    report = app.screen("complaint")
    await until(lambda: app.manager.current == "complaint")
    await report.ready.wait()
    await frames()
    result["report"] = drawn_texts(report)[:6]
    press_back()
    await frames()
    result["after_back"] = app.manager.current
    await open_screen(app, "complaint_form", category="jalan-rusak")
    result["form_again"] = {
        "title": form_screen.form.inputs["title"].raw(),
        "photos": len(form_screen.ids.photos.paths),
        "scroll_y": form_screen.ids.page.scroll_y,
    }


def touch(
    x: float, y: float, *, to: tuple[float, float] | None = None, double: bool = False
) -> None:
    """A finger on the window at (x, y), dragged `to` a point if given, then lifted;
    `double` makes it the second tap of a double tap."""
    from kivy.tests.common import UnitTestTouch

    finger = UnitTestTouch(x, y)
    finger.is_double_tap = double
    finger.touch_down()
    if to is not None:
        for step in range(1, 5):  # a drag arrives as several moves
            finger.touch_move(x + (to[0] - x) * step / 4, y + (to[1] - y) * step / 4)
    finger.touch_up()


@scenario
async def map_picker(app, accounts):
    """The location is chosen on a map: the pin starts at the city's centre, is dragged, and a
    place outside the city is refused before anything is sent."""
    await login_as(app, accounts["resident"])
    form_screen = await open_screen(app, "complaint_form", category="jalan-rusak")
    location = form_screen.form.inputs["location"]
    result["form_before"] = drawn_texts(location)
    press(location.ids.control.children[0].ids.choose)
    picker = app.screen("location_picker")
    await until(lambda: app.manager.current == "location_picker")
    await picker.ready.wait()
    await frames(3)
    result["picker"] = drawn_texts(picker)
    pin = picker.map.pin
    touch(pin.center_x, pin.y + 4, to=(pin.center_x + 120, pin.y + 4 - 90))
    await frames()
    result["dragged"] = picker.place_text
    result["pin_follows"] = [round(picker.map.pin.lat, 6), round(picker.map.pin.lon, 6)] == [
        picker.map.latitude,
        picker.map.longitude,
    ]
    press(picker.ids.use)
    await until(lambda: app.manager.current == "complaint_form")
    await frames()
    result["form_after"] = drawn_texts(location)

    press(location.ids.control.children[0].ids.choose)
    await until(lambda: app.manager.current == "location_picker")
    await picker.ready.wait()
    await frames()
    result["reopened_at"] = picker.place_text
    picker.map.place(-8.65, 115.21)  # as a GPS fix in Bali would
    press(picker.ids.use)
    await frames()
    result["outside"] = {"screen": app.manager.current, "drawn": drawn_texts(picker)}


@scenario
async def public_map(app, accounts):
    """The public map shows reports as markers; tapping one says what it is."""
    await login_as(app, accounts["resident"])
    screen = await open_screen(
        app, "reports_map", latitude=float(params["latitude"]), longitude=float(params["longitude"])
    )
    await frames(3)
    result["drawn"] = drawn_texts(screen)
    [marker] = [
        m
        for m in screen.map.markers.markers
        if m.feature["properties"]["tracking_number"] == params["number"]
    ]
    result["marker_drawn"] = is_drawn(marker)
    result["tint"] = list(marker.color)
    touch(marker.center_x, marker.center_y)
    await frames()
    result["chosen"] = drawn_texts(screen)
    app.set_language("en")  # drawn again, markers and all
    await until(lambda: screen.ready.is_set())
    await frames()
    result["english"] = drawn_texts(screen)
    result["markers_after"] = len(screen.map.markers.markers)
    result["markers_before"] = len(screen.features)


@scenario
async def refused_outside(app, accounts):
    """Filed at a spot outside the city: the server's refusal is drawn under the location."""
    await login_as(app, accounts["resident"])
    form_screen = await open_screen(app, "complaint_form", category="jalan-rusak")
    form = form_screen.form
    form.inputs["title"].input.text = "Jalan rusak di Denpasar"
    form.inputs["description"].input.text = "Lubang besar di tengah jalan, dekat pasar."
    form.inputs["location"].show({"latitude": -8.65, "longitude": 115.21})
    form_screen.questions.inputs["ukuran_lubang"].show("kecil")
    press(form_screen.ids.submit)
    await until(lambda: form_screen.notice_is_error, timeout=20)
    await frames()
    result["screen"] = app.manager.current
    result["location"] = drawn_texts(form.inputs["location"])
    result["outbox"] = len(app.outbox.items())


@scenario
async def file_complaint(app, accounts):
    """A resident reports a pothole with a photo and finds it in "my complaints"."""
    await login_as(app, accounts["resident"])
    answers = {"ukuran_lubang": "besar", "membahayakan": True}
    mine = await file_through_the_form(
        app, params["title"], "jalan-rusak", float(params["latitude"]), answers
    )
    result["mine"] = rows(mine)
    [sent] = [item for item in app.outbox.items() if item.kind == "complaint"]
    result["complaint_id"] = sent.response["id"]
    mine.choose(sent.response)
    detail = app.screen("complaint")
    await detail.ready.wait()
    await until(lambda: detail.ids.detail.complaint and detail.ids.detail.complaint["photos"])
    await frames()
    result["detail"] = visible_texts(detail.ids.detail)
    result["buttons"] = detail_buttons(detail.ids.detail)
    spot = detail.ids.detail.spot
    result["spot"] = {"drawn": is_drawn(spot), "pin": [spot.pin.lat, spot.pin.lon]}

    # Tapping a photo opens it full screen, where it zooms; Back closes it.
    from kivy.core.window import Window

    from mobile.photos import PhotoViewer

    press(detail.ids.detail.photos[0])
    await until(lambda: any(isinstance(w, PhotoViewer) for w in Window.children))
    [viewer] = [w for w in Window.children if isinstance(w, PhotoViewer)]
    await viewer.loading
    await frames(3)
    scatter = viewer.ids.scatter
    touch(scatter.center_x, scatter.center_y)
    touch(scatter.center_x, scatter.center_y, double=True)
    await frames(3)
    result["viewer"] = {
        "full_screen": list(viewer.size) == list(Window.size) and is_drawn(viewer.ids.image),
        "photo_size": list(viewer.ids.image.texture.size),
        "zoomed": scatter.scale > 1,
    }
    press_back()
    await until(lambda: not any(isinstance(w, PhotoViewer) for w in Window.children))
    result["after_viewer"] = app.manager.current


@scenario
async def neighbour_supports(app, accounts):
    """Another resident reports the same pothole: the app shows the open one nearby, and the
    resident supports it instead of filing a second report."""
    await login_as(app, accounts["neighbour"])
    form_screen = await open_screen(app, "complaint_form", category="jalan-rusak")
    title, answers = (
        "Jalan berlubang dekat halte",
        {"ukuran_lubang": "sedang", "membahayakan": True},
    )
    latitude = float(params["latitude"]) + 0.0003  # some 30 m away
    fill_complaint(form_screen, title=title, latitude=latitude, answers=answers)
    press(form_screen.ids.submit)
    await until(lambda: form_screen.nearby)
    await frames()
    result["nearby"] = visible_texts(form_screen.ids.nearby)
    result["submit_disabled"] = form_screen.ids.submit.disabled
    spot = form_screen.spot
    result["nearby_map"] = {
        "drawn": is_drawn(spot),
        "pin": [spot.pin.lat, spot.pin.lon],
        "markers": [m.feature["properties"]["tracking_number"] for m in spot.markers.markers[1:]],
    }
    [support] = [
        w for w in form_screen.ids.nearby.children if getattr(w, "text", "") == "Dukung laporan ini"
    ]
    press(support)
    await until(lambda: any(text.startswith("Terima kasih") for text in overlay_texts()))
    result["snackbar"] = overlay_texts()  # a success: said briefly, over the bottom
    result["outbox"] = len(app.outbox.items())
    # Reporting it once more: the app now says the resident already supports it.
    fill_complaint(form_screen, title=title, latitude=latitude, answers=answers)
    press(form_screen.ids.submit)
    await until(lambda: form_screen.nearby)
    await frames()
    result["nearby_again"] = visible_texts(form_screen.ids.nearby)


@scenario
async def officer_resolves(app, accounts):
    """An officer on a wide window finds the complaint in the queue, claims, verifies, resolves."""

    complaint_id = int(params["complaint"])
    await login_as(app, accounts["road_officer"])
    queue = await open_screen(app, "complaint_queue")
    detail = queue.ids.detail
    result["wide"] = queue.ids.panes.wide
    result["queue"] = rows(queue)
    [row] = [row for row in queue_rows(queue) if row.complaint["id"] == complaint_id]
    press(row)
    await until(lambda: detail.complaint and detail.complaint["id"] == complaint_id)
    await frames()
    result["screen"] = app.manager.current
    result["buttons_new"] = detail_buttons(detail)

    async def act(action: str, photos=(), **answers) -> None:
        version = detail.complaint["version"]
        detail.start(action)
        await frames()
        if detail.panel is not None:  # the action asks for something (a note may stay empty)
            for code, value in answers.items():
                detail.panel.form.inputs[code].show(value)
            if photos:
                detail.panel.photos.add(photos)
            press(detail.panel.ids.send)
        await until(lambda: detail.complaint["version"] > version)
        await frames()

    await act("claim")
    await until(lambda: "Tersimpan: Ambil untuk ditangani" in overlay_texts())
    result["assignee"] = detail.complaint["assignee"]["full_name"]
    result["facts"] = "\n".join(visible_texts(detail))
    queue.set_filter("assigned", "me")
    await queue.ready.wait()
    result["assigned_to_me"] = [row.complaint["id"] for row in queue_rows(queue)]
    await act("verify")
    detail.start("resolve")
    await frames()
    press(detail.panel.ids.send)  # the public note is required
    await frames()
    result["missing_note"] = detail.panel.form.inputs["note"].error
    # With the "after" photo, sent before the resolution.
    await act("resolve", photos=[Path(params["photo"])], note="Lubang sudah ditambal dengan aspal.")
    result["status"] = detail.complaint["status"]
    result["buttons_resolved"] = detail_buttons(detail)
    await until(lambda: complaint_id not in [row.complaint["id"] for row in queue_rows(queue)])
    result["queue_after"] = rows(queue)


@scenario
async def officer_tablet(app, accounts):
    """The queue on a 1280x800 tablet: how many complaints fit, which one is chosen, where its
    actions are; a complaint filed meanwhile arrives by itself, or when the list is pulled
    down; rejecting asks first."""
    from kivy.metrics import dp

    from mobile.core.api import ApiClient
    from mobile.core.tokens import TokenStore
    from tests.mobile.helpers import POTHOLE

    resident = ApiClient(app.api.base_url, tokens=TokenStore(app.data_dir / "resident"))
    await resident.login(accounts["resident"]["username"], accounts["resident"]["password"])

    async def file(title: str) -> dict:
        body = {**POTHOLE, "title": title}
        return await resident.send("POST", "/complaints", body=body, idempotency_key=uuid4().hex)

    titles = [f"Lubang nomor {number} di Jl. Kenanga" for number in range(1, 10)]
    await asyncio.gather(*map(file, titles))  # nine at once: the list needs more than it shows
    await login_as(app, accounts["road_officer"])
    queue = await open_screen(app, "complaint_queue")
    await until(lambda: queue.ids.detail.complaint is not None)
    await until(lambda: app.notifier.live.connected.is_set())
    await frames(3)
    page = queue.ids.list_page
    page_bottom = page.to_window(page.x, page.y)[1]
    page_top = page.to_window(page.x, page.top)[1]
    rows_drawn = queue_rows(queue)

    def inside(row) -> bool:
        bottom = row.to_window(row.x, row.y)[1]
        return bottom >= page_bottom and bottom + row.height <= page_top

    result["fully_visible"] = sum(1 for row in rows_drawn if inside(row))
    result["filters_height"] = queue.ids.filters.height
    result["filters"] = drawn_texts(queue.ids.filters)
    pane = queue.ids.list_page.parent  # the list's pane, beside the detail
    pane_right = pane.to_window(pane.right, 0)[0]
    result["filters_beyond_pane"] = [
        chip.text for chip in queue.ids.filters.children if drawn_right(chip) > pane_right + 1
    ]
    shown = queue.ids.detail.complaint["id"]
    result["selected"] = [row.complaint["id"] == shown for row in rows_drawn if row.selected]
    bar = queue.ids.actions
    result["bar"] = bar_seen(bar)

    arriving = await file("Lubang baru saat antrean terbuka")
    await until(lambda: arriving["id"] in [c["id"] for c in queue.complaints], timeout=15)
    await frames()
    result["arrived"] = arriving["title"] in [r.headline for r in queue_rows(queue)]

    # The stream is down (a network hiccup): what is filed now shows once the list is pulled.
    app.notifier.stop()
    pulled = await file("Lubang yang muncul setelah ditarik")
    await asyncio.sleep(0.3)

    def listed() -> bool:
        return pulled["title"] in [r.headline for r in queue_rows(queue)]

    result["before_pull"] = listed()
    x, y = page.to_window(page.center_x, page.top - dp(16))
    touch(x, y, to=(x, y - dp(160)))
    result["after_pull"] = await within(listed, timeout=10)
    await resident.aclose()

    # Rejecting: the reason first, then a dialog asks; cancelled, nothing is sent.
    detail = queue.ids.detail
    detail.start("reject")
    await frames()
    detail.panel.form.fill({"reason": "spam", "note": "Iklan, bukan pengaduan."})
    result["reject_panel"] = drawn_texts(bar)
    press(detail.panel.ids.send)
    await until(lambda: "Ya, Tolak" in overlay_texts())
    result["reject_dialog"] = overlay_texts()
    press(overlay_button("Batal"))
    await until(lambda: not overlay_texts())
    await asyncio.sleep(0.3)  # long enough for a request to come back, had one been sent
    result["after_cancel"] = detail.complaint["status"]
    press(detail.panel.ids.send)
    await until(lambda: "Ya, Tolak" in overlay_texts())
    # "Yes" rejects the complaint in the pane at that moment (a reload may have moved it), and
    # an error shown before is not the answer: wait for the reject's own outcome.
    rejected, notice_before = detail.complaint["id"], queue.notice
    press(overlay_button("Ya, Tolak"))
    await until(
        lambda: (
            detail.complaint["status"] != "submitted"
            or (queue.notice_is_error and queue.notice != notice_before)
        )
    )
    await until(lambda: not queue.busy)
    found = await app.api.complaint(rejected)
    result["after_yes"] = found.data["status"]
    # Said if it went wrong: what the pane showed and any error the screen gave.
    result["after_yes_seen"] = {"pane": detail.complaint["status"], "notice": queue.notice}

    # The other filters are in a sheet: "Overdue" leaves none of these new complaints.
    from kivy.core.window import Window

    from mobile.screens.complaint_queue import FilterSheet

    def sheet():
        return next((w for w in Window.children if isinstance(w, FilterSheet)), None)

    press(queue.ids.filter_more)
    await until(lambda: sheet() and "Tutup" in drawn_texts(sheet()))
    await frames(3)
    result["sheet"] = drawn_texts(sheet())
    press(overlay_button("Terlambat"))
    await until(lambda: sheet() is None and not queue_rows(queue))
    await frames()
    result["overdue"] = {"rows": len(queue_rows(queue)), "drawn": drawn_texts(queue.ids.list_page)}
    result["filters_after"] = drawn_texts(queue.ids.filters)


@scenario
async def resident_rates(app, accounts):
    """The resident sees the resolution and rates it, then switches the app to English."""
    await login_as(app, accounts["resident"])
    screen = await open_screen(app, "complaint", id=params["complaint"])
    detail = screen.ids.detail
    result["buttons"] = detail_buttons(detail)
    detail.start("rate")
    await frames()
    detail.panel.form.inputs["rating"].show(5)
    detail.panel.form.inputs["comment"].show("Cepat dan rapi, terima kasih.")
    press(detail.panel.ids.send)
    await until(lambda: detail.complaint["rating"])
    await frames()
    result["rating"] = detail.complaint["rating"]
    result["texts"] = visible_texts(screen)
    result["buttons_after"] = detail_buttons(detail)
    app.set_language("en")
    await frames()
    result["texts_en"] = visible_texts(screen)


@scenario
async def file_offline(app, accounts):
    """Signed in, then the connection goes: the complaint waits in the outbox."""
    await login_as(app, accounts["resident"])
    await open_screen(app, "complaint_categories")  # browsed while online: now in the cache
    app.set_api_url(params["offline_api"])
    answers = {"jenis_lokasi": "pinggir-jalan"}
    mine = await file_through_the_form(
        app, params["title"], "sampah", float(params["latitude"]), answers
    )
    result["mine"] = rows(mine)
    result["waiting"] = [(item.kind, item.title) for item in app.outbox.items()]


@scenario
async def outbox_accounts(app, accounts):
    """Siti files offline and logs out keeping it; Budi signs in on the same phone and neither
    sends nor sees it; Siti signs in again and it is sent as hers."""
    from mobile.core.complaints import queue_complaint
    from mobile.core.outbox import OutboxStatus
    from tests.mobile.helpers import POTHOLE

    online = app.api.base_url
    await login_as(app, accounts["resident"])
    app.set_api_url(params["offline_api"])
    queue_complaint(app.outbox, {**POTHOLE, "title": params["title"]})
    settings = await open_screen(app, "settings")
    press(settings.ids.logout)
    await until(lambda: "Batal" in overlay_texts())  # the dialog fades in
    result["question"] = overlay_texts()
    press(overlay_button("Batal"))
    await until(lambda: not overlay_texts())
    result["after_cancel"] = {"screen": app.manager.current, "overlay": overlay_texts()}
    press(settings.ids.logout)
    await until(lambda: "Batal" in overlay_texts())
    press(overlay_button("Simpan, kirim saat saya masuk lagi"))
    await until(lambda: app.manager.current == "login")
    app.set_api_url(online)

    await login_as(app, accounts["neighbour"])
    result["budi_sent"] = (await app.outbox.flush(app.api)).sent
    outbox = await open_screen(app, "outbox")
    result["budi_outbox"] = drawn_texts(outbox)
    mine = await open_screen(app, "my_complaints")
    result["budi_mine"] = [row["title"] for row in rows(mine)]
    settings = await open_screen(app, "settings")
    press(settings.ids.logout)  # nothing of Budi's waits: no question
    await frames()
    result["budi_logout"] = {"screen": app.manager.current, "overlay": overlay_texts()}

    await login_as(app, accounts["resident"])
    await until(lambda: not app.outbox.items(OutboxStatus.WAITING), timeout=20)
    result["siti_outbox"] = [[item.status.value, item.problem] for item in app.outbox.items()]
    mine = await open_screen(app, "my_complaints")
    # The list may have been drawn from a load that raced the outbox's own reload after the
    # send; what this scenario is about is whose report it is, so look again, as a person
    # would, before reading the rows.
    if not await within(lambda: params["title"] in [row["title"] for row in rows(mine)]):
        mine = await open_screen(app, "my_complaints")
    result["siti_mine"] = rows(mine)
    result["siti_mine_error"] = repr(mine.last_error)


@scenario
async def send_waiting(app, accounts):
    """Started again with the server back: what waited is sent, and shows in "my complaints"."""
    from mobile.core.outbox import OutboxStatus

    await until(lambda: not app.outbox.items(OutboxStatus.WAITING), timeout=20)
    result["statuses"] = [item.status.value for item in app.outbox.items()]
    mine = await open_screen(app, "my_complaints")
    result["mine"] = rows(mine)
    result["again"] = (await app.outbox.flush(app.api)).sent


# --- permits ---


def application_rows(screen) -> list[dict]:
    from mobile.screens.permit_application import ApplicationRow

    found = [w for w in screen.walk(restrict=True) if isinstance(w, ApplicationRow)]
    return [
        {"id": r.application.get("id"), "title": r.headline, "badge": r.badge, "line": r.subline}
        for r in found
    ]


def button(widget, text: str):
    from kivy.app import App
    from kivymd.uix.button import MDRaisedButton

    places = [widget, getattr(widget, "action_bar", None)]  # a detail's own bar, if it has one
    found = [
        w
        for place in places
        if place is not None
        for w in place.walk(restrict=True)
        if isinstance(w, MDRaisedButton) and w.text == text
    ]
    notice = App.get_running_app().manager.current_screen.notice
    assert len(found) == 1, f"{text!r} among {detail_buttons(widget)}, notice {notice!r}"
    return found[0]


async def open_application(app, screen, application_id: int):
    """Tap an application's line in a list; return the detail that shows it."""
    from mobile.screens.permit_application import ApplicationRow

    [row] = [
        w
        for w in screen.walk(restrict=True)
        if isinstance(w, ApplicationRow) and w.application["id"] == application_id
    ]
    press(row)
    if app.manager.current == "permit_application":
        await app.screen("permit_application").ready.wait()
        detail = app.screen("permit_application").ids.detail
    else:  # the queue's own right-hand pane
        detail = screen.ids.detail
    await until(lambda: detail.application and detail.application["id"] == application_id)
    await frames()
    return detail


async def take_action(detail, action: str, **typed) -> None:
    """Press an action's button, type its inputs, send; wait for the answer."""
    from kivy.app import App

    screen = App.get_running_app().manager.current_screen
    before = detail.application
    press(button(detail, translated(f"action.{action}")))
    if detail.panel is not None:
        detail.panel.form.fill(typed)
        press(detail.panel.ids.send)
    await until(lambda: detail.application is not before or screen.notice_is_error)
    await frames()


async def attach_every_document(app, apply) -> None:
    """A photo for each kind that takes one, a PDF for the others."""
    files = scans(app.data_dir / "scans")
    for code, slot in apply.slots.items():
        scan = files["photo" if "image/jpeg" in slot.kind["media_types"] else "pdf"]
        await apply.attach(code, scan)


def translated(key: str) -> str:
    from mobile.core.i18n import translator

    return translator.t(key)


@scenario
async def permit_apply(app, accounts):
    """From the permit type: submit empty, save a draft, submit without documents, attach, send."""
    await login_as(app, accounts["resident"])
    permit_type = await open_screen(app, "permit_type", code=params["permit_type"])
    press(button(permit_type, "Ajukan"))
    apply = app.screen("permit_apply")
    await apply.ready.wait()
    await frames()
    form = apply.form
    result["fields"] = [form.inputs[code].field["type"] for code in form.inputs]

    press(apply.ids.submit)  # nothing filled in: checked on the device
    await until(lambda: any(slot.error for slot in apply.slots.values()))
    result["empty"] = {
        "fields": {code: w.error for code, w in form.inputs.items() if w.error},
        "documents": {code: s.error for code, s in apply.slots.items() if s.error},
    }

    form.fill(EVENT_ANSWERS)
    press(apply.ids.save)
    await until(lambda: apply.application and not apply.busy)
    result["saved"] = {"notice": apply.notice, "number": apply.ids.number.text}

    press(apply.ids.submit)  # every answer given, no document: the server names each one
    await until(lambda: apply.notice_is_error)
    await frames()
    result["incomplete"] = {
        "notice": apply.notice,
        "fields": {code: w.error for code, w in form.inputs.items() if w.error},
        "documents": {code: s.error for code, s in apply.slots.items() if s.error},
    }

    await attach_every_document(app, apply)
    await frames()
    result["attached"] = {code: s.state for code, s in apply.slots.items()}

    press(apply.ids.submit)
    await until(lambda: app.manager.current == "permit_application", timeout=20)
    shown = app.screen("permit_application")
    await shown.ready.wait()
    await frames()
    result["application_id"] = shown.ids.detail.application["id"]
    result["detail"] = visible_texts(shown.ids.detail)
    result["buttons"] = detail_buttons(shown.ids.detail)
    press_back()
    result["after_back"] = app.manager.current


@scenario
async def permit_apply_offline(app, accounts):
    """Signed in earlier, now without network: the permit type comes from the cache, the files
    chosen are kept, and submitting queues the application in the outbox."""
    permit_type = await open_screen(app, "permit_type", code=params["permit_type"])
    result["notice"] = permit_type.notice
    press(button(permit_type, "Ajukan"))
    apply = app.screen("permit_apply")
    await apply.ready.wait()
    await frames()
    apply.form.fill(EVENT_ANSWERS)
    await attach_every_document(app, apply)
    result["documents"] = {code: s.state for code, s in apply.slots.items()}
    press(apply.ids.submit)
    await until(lambda: app.manager.current == "my_permits")
    mine = app.screen("my_permits")
    await mine.ready.wait()
    await frames()
    result["mine"] = application_rows(mine)
    result["outbox"] = [item.kind for item in app.outbox.items()]


@scenario
async def permit_answer_request(app, accounts):
    """The reviewer asked for one answer and one document: change just those, resubmit."""
    application_id = int(params["application"])
    await login_as(app, accounts["resident"])
    mine = await open_screen(app, "my_permits")
    result["mine"] = application_rows(mine)
    detail = await open_application(app, mine, application_id)
    result["detail"] = visible_texts(detail)
    press(button(detail, translated("action.withdraw")))  # a dialog asks first: cancel
    await until(lambda: "Batal" in overlay_texts())
    result["withdraw"] = overlay_texts()
    press(overlay_button("Batal"))
    await until(lambda: not overlay_texts())

    press(button(detail, "Lengkapi permohonan"))
    apply = app.screen("permit_apply")
    await until(lambda: app.manager.current == "permit_apply")
    await apply.ready.wait()
    await frames()
    result["editable"] = [code for code, w in apply.form.inputs.items() if w.enabled]
    result["documents_editable"] = [code for code, s in apply.slots.items() if s.enabled]
    result["request"] = apply.ids.request.text
    result["submit_label"] = apply.ids.submit.text

    apply.form.inputs["perkiraan_peserta"].input.text = "250"
    await apply.attach("proposal", scans(app.data_dir / "scans")["pdf"])
    press(apply.ids.submit)
    await until(lambda: app.manager.current == "permit_application", timeout=20)
    shown = app.screen("permit_application")
    await shown.ready.wait()
    await frames()
    result["after"] = visible_texts(shown.ids.detail)


@scenario
async def permit_officer_approves(app, accounts):
    """The officer on a wide window approves the first step, claims the second, approves it."""
    application_id = int(params["application"])
    await login_as(app, accounts["event_officer"])
    queue = await open_screen(app, "permit_queue")
    result["wide"] = queue.ids.panes.wide
    result["queue"] = application_rows(queue)
    detail = await open_application(app, queue, application_id)
    result["screen"] = app.manager.current
    result["detail"] = visible_texts(detail)
    result["buttons"] = detail_buttons(detail)
    result["bar"] = bar_seen(queue.ids.actions)
    press(button(detail, translated("action.request_info")))  # look at its inputs, then cancel
    asked = detail.panel.form.inputs
    result["request_choices"] = {
        code: [row.text for row, _value, _label in asked[code].rows]
        for code in ("fields", "documents")
    }
    detail.cancel()

    await take_action(detail, "approve", note="Berkas lengkap dan sesuai.")
    result["second_step"] = detail.application["current_step"]["code"]
    result["second_buttons"] = detail_buttons(detail)
    await take_action(detail, "claim")
    await take_action(detail, "approve")
    result["last_step"] = detail.application["current_step"]
    result["notice"] = queue.notice
    # The lists are fetched again after the action: wait for the step to leave the queue.
    await until(lambda: application_id not in [a["id"] for a in queue.applications])
    await frames()
    result["queue_after"] = application_rows(queue)


@scenario
async def permit_take_over(app, accounts):
    """A supervisor opens an application whose step an officer holds (as from the inbox): the
    bar offers to take the step over, not to claim it; then the step's decisions are theirs,
    and rejecting asks in a dialog."""
    application_id = int(params["application"])
    await login_as(app, accounts["event_supervisor"])
    screen = await open_screen(app, "permit_application", id=application_id)
    detail = screen.ids.detail
    result["bar"] = bar_seen(screen.ids.actions)
    result["buttons"] = detail_buttons(detail)
    press(button(detail, translated("action.take_over")))
    await until(lambda: detail.application["assignee_id"] == detail.user_id)
    await frames()
    result["notice"] = screen.notice
    result["after"] = detail_buttons(detail)
    result["timeline"] = visible_texts(detail)[-1]
    press(button(detail, translated("action.reject")))
    detail.panel.form.fill({"reasons": "Lokasi acara tidak sesuai peruntukan."})
    press(detail.panel.ids.send)
    await until(lambda: "Batal" in overlay_texts())
    result["reject_dialog"] = overlay_texts()


def title_gap(page, detail) -> float:
    """How far below the top of the scrolled `page` the detail's first text starts, in dp:
    negative when it is scrolled out of sight, large when a blank band is above it."""
    from kivy.metrics import dp
    from kivy.uix.label import Label

    first = next(w for w in detail.walk(restrict=True) if isinstance(w, Label) and w.text)
    page_top = page.to_window(0, page.top)[1]
    return (page_top - first.to_window(0, first.top)[1]) / dp(1)


@scenario
async def permit_queue_switch(app, accounts):
    """Read one application down to its end, then choose another beside the list: it shows
    from its top."""
    await login_as(app, accounts["event_officer"])
    queue = await open_screen(app, "permit_queue")
    page = queue.ids.detail_page
    detail = await open_application(app, queue, int(params["first"]))
    page.scroll_y = 0
    await frames()
    result["scrolled"] = title_gap(page, detail)
    detail = await open_application(app, queue, int(params["second"]))
    result["switched"] = title_gap(page, detail)
    result["title"] = drawn_texts(detail)[0]


@scenario
async def photo_chooser(app, accounts):
    """The desktop's file chooser over the complaint form: the corners of the chooser, as
    drawn (pixels of a screenshot)."""
    from kivy.core.window import Window
    from PIL import Image

    from mobile.photos import FileChooserPopup
    from mobile.screenshot import save_png

    await login_as(app, accounts["resident"])
    form_screen = await open_screen(app, "complaint_form", category="jalan-rusak")
    form_screen.ids.photos.open_chooser()
    await until(lambda: any(isinstance(w, FileChooserPopup) for w in Window.children))
    [popup] = [w for w in Window.children if isinstance(w, FileChooserPopup)]
    await asyncio.sleep(0.3)  # the popup's opening animation
    chooser = popup.ids.chooser
    image = Image.open(await save_png(app.data_dir / "chooser.png")).convert("RGB")
    left, bottom = chooser.to_window(chooser.x, chooser.y)
    right, top = chooser.to_window(chooser.right, chooser.top)
    corners = [(left + 4, bottom + 4), (right - 4, bottom + 4), (left + 4, top - 4)]
    corners.append((right - 4, top - 4))
    # Window coordinates count from the bottom, the image's rows from the top.
    result["corners"] = [image.getpixel((int(x), image.height - 1 - int(y))) for x, y in corners]


@scenario
async def permit_issued(app, accounts):
    """The resident finds the permit issued, with its verification code, and saves the PDF."""
    application_id = int(params["application"])
    await login_as(app, accounts["resident"])
    mine = await open_screen(app, "my_permits")
    result["mine"] = application_rows(mine)
    detail = await open_application(app, mine, application_id)
    result["detail"] = visible_texts(detail)
    await detail.download_certificate()
    await frames()
    result["certificate"] = str(detail.certificate)
    result["after_download"] = visible_texts(detail)


@scenario
async def permit_certificate_preparing(app, accounts):
    """The resident downloads a certificate the server is still preparing."""
    application_id = int(params["application"])
    await login_as(app, accounts["resident"])
    mine = await open_screen(app, "my_permits")
    detail = await open_application(app, mine, application_id)
    await detail.download_certificate()  # asks, waits the Retry-After, asks once more
    await frames()
    result["detail"] = visible_texts(detail)
    result["saved"] = detail.certificate is not None


@scenario
async def permit_officer_records_payment(app, accounts):
    """An approved billboard permit waits for its fee: a wrong amount is refused at its field,
    the right one issues the permit."""
    from datetime import date

    application_id = int(params["application"])
    await login_as(app, accounts["officer"])
    queue = await open_screen(app, "permit_queue")
    result["lists"] = visible_texts(queue.ids.listing)
    detail = await open_application(app, queue, application_id)
    result["buttons"] = detail_buttons(detail)
    press(button(detail, translated("action.record_payment")))
    form = detail.panel.form
    result["prefilled"] = form.inputs["amount"].raw()
    form.fill({"receipt_number": "KW-2026-0117", "paid_on": date.today().isoformat()})
    form.inputs["amount"].input.text = "150000"
    press(detail.panel.ids.send)
    await until(lambda: queue.notice_is_error and form.inputs["amount"].error)
    result["wrong_amount"] = form.inputs["amount"].error
    form.fill({"amount": 1500000})
    press(detail.panel.ids.send)
    await until(lambda: detail.application["status"] == "issued")
    await frames()
    result["issued"] = visible_texts(detail)


# --- inbox, information, Life Room ---


def inbox_badges(app) -> dict:
    """The unread badge on home's inbox tile and the bell's icon in the top bar."""
    from kivymd.uix.label import MDIcon
    from kivymd.uix.toolbar import MDTopAppBar

    home = app.screen("home")
    [tile] = [t for t in home.ids.tiles.children if t.screen == "notifications"]
    [icon] = [w for w in tile.walk(restrict=True) if isinstance(w, MDIcon)]
    [bar] = [w for w in home.walk(restrict=True) if isinstance(w, MDTopAppBar)]
    return {"tile": icon.badge_icon, "bell": bar.right_action_items[-1][0]}


def notification_rows(screen) -> list[dict]:
    from mobile.screens.notifications import NotificationRow

    found = [w for w in screen.walk(restrict=True) if isinstance(w, NotificationRow)]
    return [{"title": r.entry["title"], "unread": r.unread, "row": r} for r in found]


@scenario
async def inbox_live(app, accounts):
    """Home is open while an officer verifies the resident's complaint through the API: the badge
    goes up at once; the inbox shows the entry, and opening it marks it read."""
    from mobile.core.api import ApiClient
    from mobile.core.tokens import TokenStore
    from tests.mobile.helpers import claim_and_verify

    await login_as(app, {"username": params["username"], "password": params["password"]})
    await until(lambda: app.notifier.live.connected.is_set())
    await frames()
    result["before"] = inbox_badges(app)

    officer = ApiClient(app.api.base_url, tokens=TokenStore(app.data_dir / "officer"))
    road_officer = accounts["road_officer"]
    await officer.login(road_officer["username"], road_officer["password"])
    await claim_and_verify(officer, int(params["complaint"]))
    await officer.aclose()
    await until(lambda: app.notifier.unread == 1)
    await frames()
    result["after"] = inbox_badges(app)
    result["screen_meanwhile"] = app.manager.current

    inbox = await open_screen(app, "notifications")
    rows = notification_rows(inbox)
    result["inbox"] = [{k: v for k, v in r.items() if k != "row"} for r in rows]
    press(rows[0]["row"])
    await until(lambda: app.manager.current == "complaint")
    complaint = app.screen("complaint")
    await complaint.ready.wait()
    await until(lambda: app.notifier.unread == 0)
    await frames()
    result["opened"] = complaint.ids.detail.complaint["id"]
    result["read"] = inbox_badges(app)
    press_back()
    await frames()
    result["inbox_after"] = [r["unread"] for r in notification_rows(inbox)]


@scenario
async def information_languages(app, accounts):
    """Announcements, search and an agency in Indonesian, then in English; following an agency;
    then a supervisor's Life Room."""
    from kivymd.uix.list import OneLineListItem, TwoLineListItem

    from mobile.screens.announcements import AnnouncementRow

    await login_as(app, accounts["resident"])
    listing = await open_screen(app, "announcements")

    def announcement_rows() -> list[dict]:
        rows = [w for w in listing.walk(restrict=True) if isinstance(w, AnnouncementRow)]
        return [{"title": r.announcement["title"], "byline": r.byline, "row": r} for r in rows]

    rows = announcement_rows()
    result["announcements_id"] = [{"title": r["title"], "byline": r["byline"]} for r in rows]
    [mine] = [r for r in rows if r["row"].announcement["id"] == int(params["announcement"])]
    press(mine["row"])
    detail = app.screen("announcement")
    await until(lambda: app.manager.current == "announcement")
    await detail.ready.wait()
    await frames()
    result["detail_id"] = visible_texts(detail)

    search = await open_screen(app, "search")
    search.ids.query.text = params["query"]
    press(search.ids.submit)
    await until(lambda: search.hits is not None)
    await frames()
    result["search_id"] = visible_texts(search.ids.results)

    app.set_language("en")  # every opened information screen fetches again, in English
    await until(lambda: all(s.ready.is_set() for s in (search, listing, detail)))
    await frames()
    result["search_en"] = visible_texts(search.ids.results)
    [hit] = [
        w
        for w in search.ids.results.children
        if isinstance(w, TwoLineListItem) and w.text == params["title_en"]
    ]
    press(hit)
    await until(lambda: app.manager.current == "announcement")
    await detail.ready.wait()
    await frames()
    result["detail_en"] = visible_texts(detail)
    result["announcements_en"] = [r["title"] for r in announcement_rows()]

    agency = await open_screen(app, "agency_detail", code=params["agency"])
    result["follow_before"] = agency.ids.follow.text
    press(agency.ids.follow)
    await until(lambda: agency.following)
    await frames()
    result["follow_after"] = agency.ids.follow.text
    result["agency_services"] = [
        w.text for w in agency.ids.services.walk(restrict=True) if isinstance(w, OneLineListItem)
    ]

    app.sign_out()
    await until(lambda: app.tokens.session is None)
    await login_as(app, accounts["road_supervisor"])
    dashboard = await open_screen(app, "dashboard")
    result["home_tiles"] = [t.title for t in reversed(app.screen("home").ids.tiles.children)]
    result["dashboard"] = visible_texts(dashboard.ids.body)


def hint_and_text_boxes(field) -> dict:
    """Where an MDTextField draws its floating label (the hint) and its first line of text, as
    (bottom, top) in the field's coordinates, read from the rectangles on its canvas."""
    from kivy.graphics import Rectangle

    hint_texture = field._hint_text_label.texture
    [hint] = [
        instruction
        for instruction in field.canvas.before.children + field.canvas.after.children
        if isinstance(instruction, Rectangle) and instruction.texture is hint_texture
    ]
    line = field._lines_rects[0]
    return {
        "hint": [hint.pos[1], hint.pos[1] + hint.size[1]],
        "text": [line.pos[1], line.pos[1] + line.size[1]],
    }


@scenario
async def floating_labels(app, accounts):
    """Log in through the form (the name typed stays in its field), switch language, log out:
    the name field holds text under a hint that changed language while it was not shown."""
    login = app.screen("login")
    username = login.ids.username
    username.text = accounts["resident"]["username"]
    login.ids.password.text = accounts["resident"]["password"]
    await asyncio.sleep(0.5)  # the hint floats up over 0.2 s
    await frames()
    result["typed"] = hint_and_text_boxes(username)
    login.ids.submit.dispatch("on_release")
    await until(lambda: app.manager.current == "home")
    await open_screen(app, "settings")
    app.set_language("en")
    await frames()
    app.sign_out()
    await until(lambda: app.manager.current == "login")
    await asyncio.sleep(0.5)
    await frames()
    result.update(logged_out=hint_and_text_boxes(username), hint=username.hint_text)


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
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    params.update(item.split("=", 1) for item in args.param)

    async def script(app) -> None:
        await SCENARIOS[args.scenario](app, args.accounts)

    code = run(
        size=args.size,
        api_url=args.api,
        language="id",
        data_dir=args.data_dir,
        script=script,
        map_tiles=False,  # maps on a plain background: nothing fetched from a tile server
    )
    print("RESULT " + json.dumps(result, ensure_ascii=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
