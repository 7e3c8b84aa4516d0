"""The permit catalogue: every permit the city issues, with its agency and fee."""

from kivymd.uix.list import ThreeLineListItem

from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen


def fee_text(permit_type: dict) -> str:
    fee = permit_type["fee"]
    return translator.money(fee) if fee else translator.t("permits.fee_free")


class PermitTypesScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.permit_types: list[dict] = []

    async def load(self) -> None:
        data = await self.fetch(self.app.api.permit_types())
        if data is not None:
            self.permit_types = data["items"]

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        for permit_type in self.permit_types:
            days = translator.t("permit.deadline", days=permit_type["deadline_working_days"])
            listing.add_widget(
                ThreeLineListItem(
                    text=translator.pick(permit_type["name"]),
                    secondary_text=translator.pick(permit_type["agency"]["name"]),
                    tertiary_text=f"{fee_text(permit_type)} · {days}",
                    on_release=lambda _item, code=permit_type["code"]: self.app.show(
                        "permit_type", code=code
                    ),
                )
            )
