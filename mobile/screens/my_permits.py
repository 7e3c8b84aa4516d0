"""The resident's permit applications: those still waiting in the outbox first, then the
server's, newest first, with status, current step and due date."""

from mobile import screens
from mobile.core.i18n import translator
from mobile.core.permits import waiting_submissions
from mobile.screens.base import WargaScreen
from mobile.screens.permit_application import ApplicationRow

screens.ensure_loaded("permit_application")  # the kv rules that draw ApplicationRow


class MyPermitsScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.applications: list[dict] = []

    async def load(self) -> None:
        data = await self.fetch(self.app.api.permit_applications())
        if data is not None:
            self.applications = data["items"]

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        waiting = waiting_submissions(self.app.outbox)
        for item in waiting:
            listing.add_widget(ApplicationRow({"title": item.title, "status": "waiting_to_send"}))
        for application in self.applications:
            listing.add_widget(ApplicationRow(application, chooser=self.choose))
        empty = not (waiting or self.applications)
        self.ids.empty.text = translator.t("my_permits.empty") if empty else ""

    def choose(self, application: dict) -> None:
        self.app.show("permit_application", id=application["id"])
