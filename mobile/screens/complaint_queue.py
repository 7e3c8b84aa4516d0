"""The agency's complaint queue for officers and supervisors: one bar of filters (the status,
and a sheet for the rest), deadline badges, new complaints arriving live or when the list is
pulled down, and the chosen complaint beside the list on wide windows (highlighted in the list,
its actions in a bar that stays in view; on a phone it opens as its own screen)."""

from kivy.factory import Factory
from kivy.properties import DictProperty, NumericProperty
from kivy.uix.modalview import ModalView

from mobile import screens
from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen
from mobile.screens.complaint import ComplaintRow
from shared.complaints import OPEN_STATUSES, ComplaintStatus

screens.ensure_loaded("complaint")  # ComplaintDetail is this screen's right-hand pane

# Each filter: the API's query parameter and its values ("" = no filter, listed first).
FILTERS = {
    "status": [
        "",
        *(s.value for s in ComplaintStatus if s in OPEN_STATUSES),
        ComplaintStatus.RESOLVED.value,
    ],
    "due": ["", "overdue", "due_soon"],
    "assigned": ["", "me", "unassigned"],
}
# The status is chosen most often: its chip is in the bar; the others wait in the sheet.
SHEET_FILTERS = ("due", "assigned")


class FilterSheet(ModalView):
    """The queue's other filters, over the bottom of the window: each value a chip, the chosen
    one marked; picking one applies it and closes the sheet."""

    def __init__(self, queue: "ComplaintQueueScreen", **kwargs) -> None:
        super().__init__(**kwargs)
        self.queue = queue
        for name in SHEET_FILTERS:
            self.ids.groups.add_widget(Factory.SectionTitle(text=translator.t(f"queue.{name}")))
            choices = Factory.ButtonRow()
            for value in FILTERS[name]:
                chosen = value == queue.filters[name]
                chip = Factory.FilterChip(
                    text=translator.t(f"queue.{name}.{value or 'all'}"),
                    icon="radiobox-marked" if chosen else "radiobox-blank",
                    active=chosen,
                )
                chip.bind(on_release=lambda _chip, name=name, value=value: self.pick(name, value))
                choices.add_widget(chip)
            self.ids.groups.add_widget(choices)

    def pick(self, name: str, value: str) -> None:
        self.dismiss()
        self.queue.set_filter(name, value)


class ComplaintQueueScreen(WargaScreen):
    filters = DictProperty({name: "" for name in FILTERS})
    selected_id = NumericProperty(0)  # the complaint shown beside the list

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.complaints: list[dict] = []
        self._menu = None
        self._asked = 0  # queue fetches started

    def on_kv_post(self, base_widget) -> None:
        detail = self.ids.detail
        detail.after_action = self._changed
        detail.action_bar = self.ids.actions
        detail.bind(complaint=self._shown)
        # New complaints for the agency arrive in the officer's inbox: the list follows live.
        self.app.notifier.bind(on_entry=self._inbox_entry)

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
        # Fetches overlap (an action's refresh, a live entry's, a filter's reload) and their
        # answers may arrive in any order: the list keeps the answer to the latest one asked.
        self._asked += 1
        asked = self._asked
        data = await self.fetch(self.app.api.complaint_queue(**self.filters))
        if data is not None and asked == self._asked:
            self.complaints = data["items"]

    def render(self) -> None:
        self._render_filters()
        self._render_list()
        self.ids.detail.render()

    def _render_list(self) -> None:
        listing = self.ids.listing
        listing.clear_widgets()
        for complaint in self.complaints:
            row = ComplaintRow(complaint, chooser=self.choose)
            row.selected = self.ids.panes.wide and complaint["id"] == self.selected_id
            listing.add_widget(row)
        self.ids.empty.text = "" if self.complaints else translator.t("queue.empty")

    def _shown(self, _detail, complaint: dict | None) -> None:
        self.selected_id = complaint["id"] if complaint else 0
        for row in self.ids.listing.children:
            row.selected = self.ids.panes.wide and row.complaint["id"] == self.selected_id
        self.ids.detail_page.scroll_y = 1  # a new complaint is read from its top

    async def settled(self) -> None:
        await self.ids.detail.photos_loaded()

    # --- filters: one bar; the status chip opens its choices, "More filters" the sheet ---

    def _render_filters(self) -> None:
        value = self.filters["status"]
        chip = self.ids.filter_status
        chosen = translator.t(f"queue.status.{value or 'all'}")
        chip.text = f"{translator.t('queue.status')}: {chosen}"
        chip.active = bool(value)
        more = self.ids.filter_more
        count = sum(1 for name in SHEET_FILTERS if self.filters[name])
        more.text = translator.t("queue.more_filters") + (f" ({count})" if count else "")
        more.active = bool(count)

    def open_status(self) -> None:
        from kivymd.uix.menu import MDDropdownMenu  # on first use: the queue opens without it

        if self._menu is not None:
            self._menu.dismiss()
        items = [
            {
                "text": translator.t(f"queue.status.{value or 'all'}"),
                "viewclass": "OneLineListItem",
                "height": 48,
                "on_release": lambda value=value: self._pick_status(value),
            }
            for value in FILTERS["status"]
        ]
        self._menu = MDDropdownMenu(caller=self.ids.filter_status, items=items, width_mult=4)
        self._menu.open()

    def _pick_status(self, value: str) -> None:
        if self._menu is not None:
            self._menu.dismiss()
            self._menu = None
        self.set_filter("status", value)

    def open_sheet(self) -> None:
        FilterSheet(self).open()

    def set_filter(self, name: str, value: str) -> None:
        self.filters[name] = value
        self.reload()

    # --- the chosen complaint ---

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

    def _inbox_entry(self, _notifier, entry: dict) -> None:
        if entry.get("subject_type") == "complaint" and self.ready.is_set():  # opened before
            self.app.spawn(self._refresh_list())

    def pulled(self) -> None:
        """Pulled down: the list as it is now (new complaints arrive live too, while the inbox
        stream is connected)."""
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
