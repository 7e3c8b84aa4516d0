"""The Kivy application: navigation, the asyncio task runner, and the shared core objects.

Network work runs as asyncio tasks on the same loop as Kivy (`App.async_run`), so a task that
awaits httpx never blocks drawing, and its results update widgets from the loop's own thread.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivymd.app import MDApp

from mobile import screens, widgets  # noqa: F401  (widgets registers the shared kv rules)
from mobile.core.api import ApiClient
from mobile.core.cache import ResponseCache
from mobile.core.i18n import translator
from mobile.core.outbox import Outbox, OutboxStatus
from mobile.core.tokens import Session, TokenStore
from mobile.notifier import Notifier

DEFAULT_API = "http://127.0.0.1:8000"
OUTBOX_RETRY_SECONDS = 30
KEY_BACK = 27  # Escape on the desktop, the Back button on Android
OUTBOX_VIEWS = ("outbox", "my_complaints", "my_permits")  # they show what waits to be sent

logger = logging.getLogger("warga.app")
# Kivy's logger shows every record; httpx and httpcore would log each connection step.
for _noisy in ("httpx", "httpcore"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


@dataclass(frozen=True)
class AppOptions:
    api_url: str | None = None
    language: str | None = None
    data_dir: Path | None = None
    map_tiles: bool = True  # False: maps on a plain background, nothing downloaded
    # Run after start-up with the app as argument (screenshot mode, test drivers).
    script: Callable[["WargaApp"], Awaitable[None]] | None = None


class WargaApp(MDApp):
    lang = StringProperty(translator.language)  # kv rules read it, so they redraw on a switch
    can_go_back = BooleanProperty(False)
    session_active = BooleanProperty(False)
    outbox_waiting = NumericProperty(0)  # the signed-in account's unsent items (home's badge)

    def __init__(self, options: AppOptions | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = "Warga"
        self.options = options or AppOptions()
        self.exit_code = 0
        self._history: list[str] = []
        self._tasks: set[asyncio.Task] = set()
        self.notifier = Notifier()  # the unread count; kv rules read app.notifier.unread
        self._map_sources: dict = {}

    # --- start-up ---

    def build(self) -> ScreenManager:
        self.theme_cls.primary_palette = "Teal"
        self.theme_cls.accent_palette = "Amber"
        self.data_dir = self.options.data_dir or Path(self.user_data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        saved = self._load_preferences()
        translator.set_language(self.options.language or saved.get("language", "id"))
        self.lang = translator.language
        translator.bind(self._on_language)
        self.tokens = TokenStore(self.data_dir)
        self.api = ApiClient(
            self.options.api_url or saved.get("api_url", DEFAULT_API),
            tokens=self.tokens,
            cache=ResponseCache(self.data_dir / "cache"),
            language=translator.language,
        )
        self.outbox = Outbox(self.data_dir / "outbox")
        if self.tokens.session is not None:
            self.outbox.account = self.tokens.session.account
            self.outbox.adopt()
        self.manager = ScreenManager(transition=NoTransition())
        Window.bind(on_keyboard=self._on_keyboard)
        Window.softinput_mode = "below_target"  # the on-screen keyboard never hides the field
        self.session_active = self.tokens.session is not None
        self.show("home" if self.session_active else "login", root=True)
        return self.manager

    def on_start(self) -> None:
        Clock.schedule_interval(lambda _dt: self.flush_outbox(), OUTBOX_RETRY_SECONDS)
        self.flush_outbox()
        if self.options.script:
            self.spawn(self._run_script(self.options.script))

    async def _run_script(self, script: Callable[["WargaApp"], Awaitable[None]]) -> None:
        try:
            await script(self)
        except Exception:
            logger.exception("script failed")
            self.exit_code = 1
        finally:
            self.stop()

    def on_stop(self) -> None:
        self.notifier.stop()
        for task in self._tasks:
            task.cancel()
        self.outbox.close()

    # --- preferences (language, server) ---

    @property
    def _preferences_file(self) -> Path:
        return self.data_dir / "preferences.json"

    def _load_preferences(self) -> dict:
        try:
            return json.loads(self._preferences_file.read_text())
        except (OSError, ValueError):
            return {}

    def preference(self, key: str, default=None):
        return self._load_preferences().get(key, default)

    def map_source(self, region: dict | None):
        """The maps' tile source for `region`, one for the whole app (it holds the tile cache);
        plain when the app was started without tiles (tests, screenshots)."""
        from mobile.maps import map_source

        key = repr((region or {}).get("map_tiles"))
        if key not in self._map_sources:
            tiles = self.options.map_tiles
            self._map_sources[key] = map_source(region, self.data_dir / "tiles", tiles=tiles)
        return self._map_sources[key]

    def save_preference(self, key: str, value) -> None:
        preferences = self._load_preferences()
        preferences[key] = value
        self._preferences_file.write_text(json.dumps(preferences))

    def set_language(self, language: str) -> None:
        translator.set_language(language)
        self.save_preference("language", language)

    def _on_language(self, language: str) -> None:
        self.lang = language
        self.api.language = language  # problem titles from the server follow the app

    def set_api_url(self, url: str) -> None:
        old = self.api
        self.api = ApiClient(url, tokens=self.tokens, cache=old.cache, language=old.language)
        self.spawn(old.aclose())
        self.save_preference("api_url", url)
        if self.session_active:
            self.notifier.start(self.api)

    def confirm(self, text: str) -> None:
        """Say that something worked, briefly, over the bottom of the window (a snackbar)."""
        from kivymd.uix.label import MDLabel
        from kivymd.uix.snackbar import MDSnackbar  # only when first needed: start-up memory

        MDSnackbar(
            MDLabel(text=text, theme_text_color="Custom", text_color=(1, 1, 1, 1)),
            y=dp(24),
            pos_hint={"center_x": 0.5},
            size_hint_x=0.94,
        ).open()

    def open_url(self, url: str) -> None:
        """Hand a link to the phone (python-for-android's webbrowser sends an Android intent:
        tel: opens the dialer, mailto: the mail app, https://wa.me/ WhatsApp)."""
        import webbrowser

        webbrowser.open(url)

    def tr(self, key: str, _language: str | None = None, **params: object) -> str:
        """For kv rules: `app.tr("key", app.lang)` names `app.lang` so the rule re-runs."""
        return translator.t(key, **params)

    # --- tasks ---

    def spawn(self, coroutine: Coroutine) -> asyncio.Task:
        """Run `coroutine` on the app's loop; keep a reference so it is not collected midway."""
        task = asyncio.get_event_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task failed", exc_info=task.exception())

    def count_waiting(self) -> None:
        self.outbox_waiting = len(self.outbox.items(OutboxStatus.WAITING))

    def flush_outbox(self) -> None:
        self.count_waiting()
        if self.tokens.session and self.outbox_waiting:
            self.spawn(self._flush())

    async def _flush(self) -> None:
        result = await self.outbox.flush(self.api)  # what cannot be sent stays for the next retry
        self.count_waiting()
        for name in OUTBOX_VIEWS:
            if result.sent and name in self.manager.screen_names:
                self.manager.get_screen(name).reload()

    # --- navigation ---

    def screen(self, name: str):
        if name not in self.manager.screen_names:
            self.manager.add_widget(screens.create(name))
        return self.manager.get_screen(name)

    def show(self, name: str, *, root: bool = False, replace: bool = False, **params) -> None:
        """Open a screen; `root` starts a new history (after login, logout); `replace` takes
        the current screen's place, so Back skips it (a form already sent)."""
        screen = self.screen(name)
        if root:
            self._history.clear()
        elif self.manager.current and self.manager.current != name and not replace:
            self._history.append(self.manager.current)
        self.can_go_back = bool(self._history)
        self.manager.current = name
        screen.open(**params)

    def back(self) -> bool:
        """Go to the previous screen; from the first one, leave the app."""
        if not self._history:
            self.stop()
            return True
        self.manager.current = self._history.pop()
        self.can_go_back = bool(self._history)
        return True

    def _on_keyboard(self, _window, key: int, *_args) -> bool:
        return self.back() if key == KEY_BACK else False

    # --- session ---

    def on_session_active(self, _app, active: bool) -> None:
        """While signed in, the live inbox keeps the unread badge current."""
        if active:
            self.notifier.start(self.api)
        else:
            self.notifier.reset()

    def signed_in(self, session: Session) -> None:
        self.outbox.account = session.account  # their own waiting items, no one else's
        self.session_active = True
        self.show("home", root=True)
        self.flush_outbox()

    def sign_out(self) -> None:
        """Log out; what waits in the outbox stays, for when this account signs in again."""
        self._signed_out()
        self.spawn(self.api.logout())

    def session_lost(self) -> None:
        """The server refused the session (revoked, reused, expired refresh): log in again."""
        self._signed_out()
        self.api.forget_session()

    def _signed_out(self) -> None:
        self.session_active = False
        self.outbox.account = ""
        self.count_waiting()
        self.show("login", root=True)
