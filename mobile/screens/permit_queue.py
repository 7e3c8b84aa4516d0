"""The permit applications waiting on the officer's (or supervisor's) step, by due date, with
due-soon and overdue badges, and below them the agency's approved applications waiting for the
fee to be recorded. The chosen one shows beside the lists on wide windows (on a phone it opens
as its own screen)."""

from kivy.factory import Factory

from mobile import screens
from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen
from mobile.screens.permit_application import ApplicationRow, load_into
from shared.permits import PermitStatus

screens.ensure_loaded("permit_application")  # PermitApplicationDetail is the right-hand pane


class PermitQueueScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.applications: list[dict] = []
        self.awaiting_payment: list[dict] = []

    def on_kv_post(self, base_widget) -> None:
        self.ids.detail.on_changed = self._changed
        self.ids.detail.bind(application=self._shown)
        self._shown_id: int | None = None

    def _shown(self, _detail, application: dict | None) -> None:
        shown_id = application["id"] if application else None
        if shown_id != self._shown_id:  # another application is read from its top
            self.ids.detail_page.scroll_y = 1
        self._shown_id = shown_id

    async def load(self) -> None:
        api = self.app.api
        queue = await self.fetch(api.permit_queue())
        billed = await self.fetch(api.permit_applications(PermitStatus.AWAITING_PAYMENT))
        if queue is None or billed is None:
            return
        self.applications, self.awaiting_payment = queue["items"], billed["items"]
        detail = self.ids.detail
        first = (self.applications or self.awaiting_payment or [None])[0]
        if self.ids.panes.wide and detail.application is None and first:
            await load_into(self, detail, first["id"])  # a wide window never shows an empty pane

    def render(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        for application in self.applications:
            listing.add_widget(ApplicationRow(application, chooser=self.choose))
        self.ids.empty.text = "" if self.applications else translator.t("permit_queue.empty")
        if self.awaiting_payment:
            listing.add_widget(Factory.SectionTitle(text=translator.t("permit_queue.payment")))
        for application in self.awaiting_payment:
            listing.add_widget(ApplicationRow(application, chooser=self.choose))
        self.ids.detail.render()

    def choose(self, application: dict) -> None:
        if self.ids.panes.wide:
            self.app.spawn(load_into(self, self.ids.detail, application["id"]))
        else:
            self.app.show("permit_application", id=application["id"])

    def _changed(self, _application: dict) -> None:
        """After an action the lists change too: a finished step leaves the queue."""
        self.app.spawn(self._load())
