"""After filing: the tracking number, the deadline and what happens next, then the way on to
the report (or, while offline, the word that it waits in the outbox)."""

from kivy.properties import DictProperty

from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen


class ComplaintSentScreen(WargaScreen):
    """`open(complaint=...)` with the API's answer to the filing, or `complaint=None` when it
    waits in the outbox; `open(id=...)` fetches a filed one (the screenshot mode's way)."""

    complaint = DictProperty()

    async def load(self) -> None:
        if "id" in self.params:
            self.params["complaint"] = await self.fetch(
                self.app.api.complaint(int(self.params["id"]))
            )

    def render(self) -> None:
        self.complaint = self.params.get("complaint") or {}
        complaint, t = self.complaint, translator.t
        ids = self.ids
        if not complaint:
            ids.heading.text = t("complaint_sent.queued_title")
            ids.number.text = ""
            ids.deadline.text = ""
            ids.next_steps.text = t("complaint_sent.queued")
            return
        ids.heading.text = t("complaint_sent.heading")
        ids.number.text = complaint["tracking_number"]
        due = translator.day(complaint["deadline"]["due_date"])
        ids.deadline.text = t("complaint_sent.deadline", date=due)
        agency = translator.pick(complaint["agency"]["name"])
        ids.next_steps.text = t("complaint_sent.next_steps", agency=agency)

    def open_report(self) -> None:
        if self.complaint:
            self.app.show("complaint", replace=True, id=self.complaint["id"])
        else:
            self.app.show("my_complaints", replace=True)
