"""The agency directory: a list, and beside it the chosen agency on wide windows."""

from kivymd.uix.list import TwoLineListItem

from mobile import screens
from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen

screens.ensure_loaded("agency_detail")  # AgencyDetail is this screen's right-hand pane


class AgenciesScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.agencies: list[dict] = []

    async def load(self) -> None:
        data = await self.fetch(self.app.api.agencies())
        if data is not None:
            self.agencies = data["items"]
            detail = self.ids.detail
            if self.agencies and detail.agency is None:
                detail.agency = self.agencies[0]  # a wide window never shows an empty pane

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        for agency in self.agencies:
            listing.add_widget(
                TwoLineListItem(
                    text=translator.pick(agency["name"]),
                    secondary_text=agency["address"],
                    on_release=lambda _item, agency=agency: self.choose(agency),
                )
            )
        self.ids.detail.render()

    def choose(self, agency: dict) -> None:
        if self.ids.panes.wide:
            self.ids.detail.agency = agency
        else:
            self.app.show("agency_detail", code=agency["code"])
