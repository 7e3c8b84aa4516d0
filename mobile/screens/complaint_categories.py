"""What residents can report, who handles it and how fast; tapping one starts a report."""

from kivymd.uix.list import ThreeLineListItem

from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen


class ComplaintCategoriesScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.categories: list[dict] = []

    async def load(self) -> None:
        data = await self.fetch(self.app.api.complaint_categories())
        if data is not None:
            self.categories = data["items"]

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        for category in self.categories:
            agency = translator.pick(category["agency"]["name"])
            listing.add_widget(
                ThreeLineListItem(
                    text=translator.pick(category["name"]),
                    secondary_text=translator.pick(category["description"]),
                    tertiary_text=translator.t(
                        "categories.deadlines",
                        verify=category["verify_working_days"],
                        follow_up=category["follow_up_working_days"],
                    )
                    + " · "
                    + translator.t("categories.handled_by", agency=agency),
                    on_release=lambda _item, code=category["code"]: self.app.show(
                        "complaint_form", category=code
                    ),
                )
            )
