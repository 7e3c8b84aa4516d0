"""The agency's complaint queue for officers and supervisors: filters, deadline badges, and the
chosen complaint beside the list on wide windows (on a phone it opens as its own screen)."""

from kivy.factory import Factory
from kivy.properties import DictProperty
from kivymd.uix.button import MDFlatButton, MDRaisedButton

from mobile import screens
from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen
from mobile.screens.complaint import ComplaintRow
from shared.complaints import OPEN_STATUSES, ComplaintStatus

screens.ensure_loaded("complaint")  # ComplaintDetail is this screen's right-hand pane

# Each filter: the API's query parameter and its values ("" = no filter, the first button).
FILTERS = {
    "status": [
        "",
        *(s.value for s in ComplaintStatus if s in OPEN_STATUSES),
        ComplaintStatus.RESOLVED.value,
    ],
    "due": ["", "overdue", "due_soon"],
    "assigned": ["", "me", "unassigned"],
}


class ComplaintQueueScreen(WargaScreen):
    filters = DictProperty({name: "" for name in FILTERS})

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.complaints: list[dict] = []

    def on_kv_post(self, base_widget) -> None:
        self.ids.detail.after_action = self._changed

    async def load(self) -> None:
        detail = self.ids.detail
        if not detail.categories:
            categories = await self.fetch(self.app.api.complaint_categories())
            agencies = await self.fetch(self.app.api.agencies())
            detail.categories = {c["code"]: c for c in (categories or {"items": []})["items"]}
            detail.region = await self.fetch(self.app.api.region()) or {}
            detail.agencies = (agencies or {"items": []})["items"]
        await self._fetch_queue()
        shown = detail.complaint["id"] if detail.complaint else None
        listed = {complaint["id"] for complaint in self.complaints}
        if self.ids.panes.wide and self.complaints and shown not in listed:
            await self._show_detail(self.complaints[0])  # a wide window never shows an empty pane

    async def _fetch_queue(self) -> None:
        data = await self.fetch(self.app.api.complaint_queue(**self.filters))
        if data is not None:
            self.complaints = data["items"]

    def render(self) -> None:
        self._render_filters()
        self._render_list()
        self.ids.detail.render()

    def _render_list(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        for complaint in self.complaints:
            listing.add_widget(ComplaintRow(complaint, chooser=self.choose))
        self.ids.empty.text = "" if self.complaints else translator.t("queue.empty")

    async def settled(self) -> None:
        await self.ids.detail.photos_loaded()

    def _render_filters(self) -> None:
        box = self.ids.filters
        box.clear_widgets()
        for name, values in FILTERS.items():
            box.add_widget(Factory.HintText(text=translator.t(f"queue.{name}")))
            row = Factory.ButtonRow()
            box.add_widget(row)
            for value in values:
                chosen = self.filters[name] == value
                button = (MDRaisedButton if chosen else MDFlatButton)(
                    text=translator.t(f"queue.{name}.{value or 'all'}"),
                    on_release=lambda _b, name=name, value=value: self.set_filter(name, value),
                )
                row.add_widget(button)

    def set_filter(self, name: str, value: str) -> None:
        self.filters[name] = value
        self.reload()

    def choose(self, complaint: dict) -> None:
        if self.ids.panes.wide:
            self.app.spawn(self._show_detail(complaint))
        else:
            self.app.show("complaint", id=complaint["id"])

    async def _show_detail(self, complaint: dict) -> None:
        found = await self.fetch(self.app.api.complaint(complaint["id"]))
        if found is not None:
            self.ids.detail.complaint = found

    def _changed(self, _complaint: dict) -> None:
        """After an action the queue's lines change too (status, assignee, or gone)."""
        self.app.spawn(self._refresh_list())

    def notice_pressed(self) -> None:
        """After a conflict: the shown complaint and the list as they are now."""
        shown = self.ids.detail.complaint
        self.reload()
        if shown is not None:
            self.app.spawn(self._show_detail(shown))

    async def _refresh_list(self) -> None:
        await self._fetch_queue()
        self._render_list()
