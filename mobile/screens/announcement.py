"""One announcement: title, who published it and when, its image if it has one, the text."""

from kivy.properties import BooleanProperty

from mobile.screens.announcements import byline, photos_loaded
from mobile.screens.content import ContentScreen


class AnnouncementScreen(ContentScreen):
    has_image = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.announcement: dict | None = None

    async def load(self) -> None:
        self.announcement = await self.fetch(self.app.api.announcement(int(self.params["id"])))

    def render(self) -> None:
        announcement = self.announcement or {}
        ids = self.ids
        ids.headline.text = announcement.get("title", "")
        ids.byline.text = byline(announcement) if announcement else ""
        ids.body.text = announcement.get("body", "")
        self.has_image = bool(announcement.get("image_url"))
        if self.has_image:
            ids.image.url = announcement["image_url"]

    async def settled(self) -> None:
        await photos_loaded(self)
