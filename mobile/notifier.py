"""The unread count behind the bell in the top bar and the inbox tile on home, kept current by
the live inbox (`mobile.core.live`) while someone is signed in."""

from contextlib import suppress

from kivy.app import App
from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import NumericProperty

from mobile.core.api import ApiClient, ApiError, Offline
from mobile.core.live import LiveInbox


def bell_icon(unread: int) -> str:
    return "bell-badge-outline" if unread else "bell-outline"


def count_icon(unread: int) -> str:
    """The badge on the inbox tile: the count up to 9, then "9+"; none at zero."""
    if not unread:
        return ""
    return "numeric-9-plus" if unread > 9 else f"numeric-{unread}"


class Notifier(EventDispatcher):
    unread = NumericProperty(0)
    __events__ = ("on_entry",)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.live: LiveInbox | None = None

    def start(self, api: ApiClient) -> None:
        """Follow `api`'s session: count what is unread, then listen for new entries."""
        self.stop()
        self.live = LiveInbox(api)
        # The stream's task runs on the asyncio loop; widgets change on Kivy's clock only.
        self.live.subscribe(lambda entry: Clock.schedule_once(lambda _dt: self._arrived(entry)))
        self.live.start()
        self.refresh()

    def stop(self) -> None:
        """Listen no more (the app closes); the badges keep their count."""
        if self.live is not None:
            self.live.stop()
            self.live = None

    def reset(self) -> None:
        """Signed out: stop listening and clear the badges."""
        self.stop()
        self.unread = 0

    def refresh(self) -> None:
        """Ask the server for the count (after an entry arrived or was read)."""
        if self.live is not None:
            App.get_running_app().spawn(self._count(self.live.api))

    async def _count(self, api: ApiClient) -> None:
        # Offline, the badge keeps its last count; the live inbox reconnects by itself.
        with suppress(ApiError, Offline):
            unread = await api.unread_count()
            if self.live is not None and self.live.api is api:  # not signed out meanwhile
                self.unread = unread

    def _arrived(self, entry: dict) -> None:
        self.refresh()
        self.dispatch("on_entry", entry)

    def on_entry(self, entry: dict) -> None:
        """A new entry arrived (the inbox, if open, shows it at once)."""
