"""What every screen has: loading its data in a task, progress, translated errors, redraw on a
language switch, and an event tests and the screenshot mode wait on."""

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivymd.uix.screen import MDScreen

from mobile.core.api import ApiError, Fetched, Offline
from mobile.core.i18n import translator
from shared.errors import ErrorCode

# The session cannot be saved any more: the only way forward is a new login.
_SESSION_OVER = {
    ErrorCode.NOT_AUTHENTICATED,
    ErrorCode.INVALID_TOKEN,
    ErrorCode.TOKEN_EXPIRED,
    ErrorCode.TOKEN_REVOKED,
    ErrorCode.REFRESH_TOKEN_REUSED,
    ErrorCode.ACCOUNT_INACTIVE,
}


def _outdated(error: ApiError | Offline) -> bool:
    """Refused because the record changed since it was shown: reloading is the way forward."""
    return isinstance(error, ApiError) and error.code == ErrorCode.VERSION_CONFLICT


class WargaScreen(MDScreen):
    busy = BooleanProperty(False)
    notice = StringProperty("")  # one line under the top bar: an error, or "offline, stale"
    notice_is_error = BooleanProperty(False)
    notice_action = StringProperty("")  # a button beside the notice (409: "Reload")
    stale_since = NumericProperty(0)  # when the shown data was saved, if it came from the cache

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.params: dict[str, Any] = {}
        self.ready = asyncio.Event()  # set when the screen's data has arrived (or failed to)
        self._error: ApiError | Offline | None = None
        translator.bind(lambda _language: self._redraw())

    @property
    def app(self):
        return App.get_running_app()

    @property
    def last_error(self) -> ApiError | Offline | None:
        """What went wrong in the last `run`, if anything (for errors next to form fields)."""
        return self._error

    def open(self, **params: Any) -> None:
        self.params = params
        self.ready.clear()
        self.app.spawn(self._load())

    def reload(self) -> None:
        """Fetch and draw again with the same parameters (the data changed elsewhere)."""
        self.open(**self.params)

    async def _load(self) -> None:
        try:
            await self.run(self.load())
            self._redraw()
        finally:
            self.ready.set()

    async def load(self) -> None:
        """Fetch what the screen shows; screens without data keep this default."""

    def render(self) -> None:
        """Build the widgets that show the data, in the current language."""

    async def settled(self) -> None:
        """Wait for what the screen loads after its data (images); for the screenshot mode."""

    async def run(self, awaitable: Awaitable) -> Any:
        """Await network work with progress shown; errors become a translated notice."""
        self.busy = True
        self._error = None
        try:
            return await awaitable
        except ApiError as error:
            if error.status == 401 and error.code in _SESSION_OVER and self.app.tokens.session:
                self.app.session_lost()
            self._error = error
            return None
        except Offline as error:
            self._error = error
            return None
        finally:
            self.busy = False
            self._update_notice()

    async def fetch(self, awaitable: Awaitable[Fetched]) -> Any:
        """A GET through `run`; remembers whether the data came stale from the cache."""
        fetched = await self.run(awaitable)
        if fetched is None:
            return None
        self.stale_since = fetched.saved_at if fetched.stale else 0
        self._update_notice()
        return fetched.data

    def describe(self, error: ApiError | Offline) -> str:
        """What went wrong, in the current language, with what the person can do about it."""
        if isinstance(error, Offline):
            return translator.t("common.offline")
        if translator.knows_error(error.code) or not error.title:
            text = translator.error(error.code)
        else:  # a code newer than this app: the server's own title, in the language asked
            text = error.title
        if error.status == 429 and error.retry_after:
            text += " " + translator.t("common.retry_after", wait=translator.age(error.retry_after))
        elif _outdated(error):
            text += " " + translator.t("common.conflict_hint")
        return text

    def notice_pressed(self) -> None:
        """The notice's button: after a conflict, fetch the record as it is now."""
        self.reload()

    def _update_notice(self) -> None:
        error = self._error
        self.notice_action = ""
        if error is not None:
            self.notice, self.notice_is_error = self.describe(error), True
            if _outdated(error):
                self.notice_action = translator.t("common.reload")
        elif self.stale_since:
            age = translator.age(time.time() - self.stale_since)
            saved = translator.timestamp(self.stale_since)
            text = translator.t("common.stale", age=age, time=saved)
            self.notice, self.notice_is_error = text, False
        else:
            self.notice = ""

    def confirm(self, text: str) -> None:
        """A short success message over the bottom of the window (a snackbar)."""
        self.app.confirm(text)

    def _redraw(self) -> None:
        self._update_notice()
        self.render()
