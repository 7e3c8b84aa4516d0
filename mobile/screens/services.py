"""The service catalogue: every public service, under the agency that provides it."""

from kivy.factory import Factory
from kivymd.uix.list import TwoLineListItem

from mobile.core.i18n import translator
from mobile.screens.content import ContentScreen


class ServicesScreen(ContentScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.services: list[dict] = []

    async def load(self) -> None:
        data = await self.fetch(self.app.api.services())
        if data is not None:
            self.services = data["items"]

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        by_agency: dict[str, list[dict]] = {}
        for service in self.services:
            by_agency.setdefault(service["agency"]["name"], []).append(service)
        for agency, services in by_agency.items():
            listing.add_widget(Factory.SectionTitle(text=agency))
            for service in services:
                listing.add_widget(
                    TwoLineListItem(
                        text=service["name"],
                        secondary_text=translator.t(
                            "service.summary", time=service["time_limit"], fee=service["fee"]
                        ),
                        on_release=lambda _item, code=service["code"]: self.app.show(
                            "service", code=code
                        ),
                    )
                )
