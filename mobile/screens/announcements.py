"""The city's announcements: pinned ones first, then the newest; a row of agency buttons
narrows the list to one agency."""

from kivy.properties import DictProperty, ObjectProperty, StringProperty
from kivymd.uix.button import MDFlatButton, MDRaisedButton

from mobile import screens
from mobile.core.i18n import translator
from mobile.photos import RemotePhoto
from mobile.screens.complaint import local_time
from mobile.screens.content import ContentScreen, excerpt
from mobile.widgets import Card

screens.ensure_loaded("complaint")  # ButtonRow, the filter buttons' row


def byline(announcement: dict) -> str:
    """ "Pengumuman · DBMSDA · 27-11-2026 09:00" """
    category = translator.t(f"announcement.category.{announcement['category']}")
    return " · ".join(
        (category, announcement["agency"]["name"], local_time(announcement["publish_at"]))
    )


class AnnouncementRow(Card):
    announcement = DictProperty()
    chooser = ObjectProperty()
    byline = StringProperty()
    summary = StringProperty()

    def __init__(self, announcement: dict, chooser, **kwargs) -> None:
        super().__init__(announcement=announcement, chooser=chooser, **kwargs)
        self.byline = byline(announcement)
        self.summary = excerpt(announcement["body"])
        if announcement["thumbnail_url"]:
            self.ids.thumbnail.url = announcement["thumbnail_url"]


class AnnouncementsScreen(ContentScreen):
    agency = StringProperty("")  # the filter: an agency code, or "" for every agency

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.announcements: list[dict] = []
        self.next_cursor: str | None = None
        self.agency_codes: list[str] = []

    async def load(self) -> None:
        if not self.agency_codes:
            agencies = await self.fetch(self.app.api.agencies())
            self.agency_codes = [a["code"] for a in (agencies or {"items": []})["items"]]
        page = await self.fetch(self.app.api.announcements(agency=self.agency or None))
        if page is not None:
            self.announcements, self.next_cursor = page["items"], page["next_cursor"]

    def render(self) -> None:
        self._render_filter()
        listing = self.ids.listing
        listing.clear_widgets()
        for announcement in self.announcements:
            listing.add_widget(AnnouncementRow(announcement, self.choose))
        self.ids.empty.text = "" if self.announcements else translator.t("announcements.empty")
        self.ids.more.opacity = 1 if self.next_cursor else 0
        self.ids.more.disabled = not self.next_cursor

    def _render_filter(self) -> None:
        row = self.ids.filter
        row.clear_widgets()
        for code in ["", *self.agency_codes]:
            button = MDRaisedButton if code == self.agency else MDFlatButton
            row.add_widget(
                button(
                    text=code.upper() or translator.t("announcements.all"),
                    on_release=lambda _b, code=code: self.set_agency(code),
                )
            )

    def set_agency(self, code: str) -> None:
        self.agency = code
        self.reload()

    def more(self) -> None:
        self.app.spawn(self._more())

    async def _more(self) -> None:
        api = self.app.api
        page = await self.fetch(api.announcements(self.agency or None, self.next_cursor))
        if page is not None:
            self.announcements += page["items"]
            self.next_cursor = page["next_cursor"]
            self.render()

    def choose(self, announcement: dict) -> None:
        self.app.show("announcement", id=announcement["id"])

    async def settled(self) -> None:
        await photos_loaded(self.ids.listing)


async def photos_loaded(widget) -> None:
    """Wait for the thumbnails under `widget` (for the screenshot mode)."""
    for photo in widget.walk(restrict=True):
        if isinstance(photo, RemotePhoto) and photo.loading is not None:
            await photo.loading
