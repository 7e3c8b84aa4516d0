"""The resident's complaints: those still waiting in the outbox first, then the server's list
with status and due date."""

from mobile import screens
from mobile.core.complaints import waiting_complaints
from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen
from mobile.screens.complaint import ComplaintRow

screens.ensure_loaded("complaint")  # the kv rules that draw ComplaintRow


class MyComplaintsScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.complaints: list[dict] = []

    async def load(self) -> None:
        data = await self.fetch(self.app.api.my_complaints())
        if data is not None:
            self.complaints = data["items"]

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        waiting = [item.body for item in waiting_complaints(self.app.outbox)]
        for complaint in waiting:
            listing.add_widget(ComplaintRow(complaint))
        for complaint in self.complaints:
            listing.add_widget(ComplaintRow(complaint, chooser=self.choose))
        empty = not (waiting or self.complaints)
        self.ids.empty.text = translator.t("my_complaints.empty") if empty else ""

    def choose(self, complaint: dict) -> None:
        self.app.show("complaint", id=complaint["id"])
