"""The notification inbox: newest first, a page at a time; tapping an entry marks it read and
opens what it is about. New entries appear at once while the screen is open (live inbox)."""

from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, StringProperty

from mobile.core.i18n import translator
from mobile.screens.complaint import local_time
from mobile.screens.content import ContentScreen
from mobile.widgets import Card

# Where an entry's subject opens: the screen and its parameter.
SUBJECT_SCREENS = {
    "complaint": "complaint",
    "permit": "permit_application",
    "announcement": "announcement",
}


class NotificationRow(Card):
    entry = DictProperty()
    chooser = ObjectProperty()
    unread = BooleanProperty(False)
    when = StringProperty()

    def __init__(self, entry: dict, chooser, **kwargs) -> None:
        super().__init__(entry=entry, chooser=chooser, **kwargs)
        self.unread = entry["read_at"] is None
        self.when = local_time(entry["created_at"])


class NotificationsScreen(ContentScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[dict] = []
        self.next_cursor: str | None = None
        self.app.notifier.bind(on_entry=self._arrived)

    async def load(self) -> None:
        page = await self.fetch(self.app.api.notifications())
        if page is not None:
            self.entries, self.next_cursor = page["items"], page["next_cursor"]

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        for entry in self.entries:
            listing.add_widget(NotificationRow(entry, self.choose))
        self.ids.empty.text = "" if self.entries else translator.t("inbox.empty")
        self.ids.more.opacity = 1 if self.next_cursor else 0
        self.ids.more.disabled = not self.next_cursor

    def more(self) -> None:
        self.app.spawn(self._more())

    async def _more(self) -> None:
        page = await self.fetch(self.app.api.notifications(self.next_cursor))
        if page is not None:
            self.entries += page["items"]
            self.next_cursor = page["next_cursor"]
            self.render()

    def _arrived(self, _notifier, entry: dict) -> None:
        if self._opened and entry["id"] not in {e["id"] for e in self.entries}:
            self.entries.insert(0, entry)
            self.render()

    def choose(self, entry: dict) -> None:
        self.app.spawn(self._open_entry(entry))

    async def _open_entry(self, entry: dict) -> None:
        if entry["read_at"] is None:
            read = await self.run(self.app.api.mark_read(entry["id"]))
            if read is None:
                return
            self._replace(read)
            self.app.notifier.refresh()
        screen = SUBJECT_SCREENS.get(entry["subject_type"])
        if screen and entry["subject_id"]:
            self.app.show(screen, id=entry["subject_id"])

    def mark_all_read(self) -> None:
        self.app.spawn(self._mark_all_read())

    async def _mark_all_read(self) -> None:
        if not self.entries:
            return
        # Only what is shown: an entry arriving meanwhile stays unread.
        marked = await self.run(self.app.api.mark_all_read(up_to_id=self.entries[0]["id"]))
        if marked is not None:
            self.app.notifier.refresh()
            self.reload()

    def _replace(self, entry: dict) -> None:
        self.entries = [entry if e["id"] == entry["id"] else e for e in self.entries]
        self.render()
