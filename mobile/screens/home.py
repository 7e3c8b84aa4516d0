"""Home: service tiles for residents; for staff, their agency and what they may do in it."""

from dataclasses import dataclass

from kivy.factory import Factory
from kivy.metrics import dp, sp
from kivy.properties import StringProperty
from kivymd.uix.button import MDFlatButton
from kivymd.uix.gridlayout import MDGridLayout
from kivymd.uix.label import MDIcon, MDLabel

from mobile import screens
from mobile.core.complaints import waiting_complaints
from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen
from mobile.widgets import Card
from shared.complaints import COMPLAINT_MACHINE, OPEN_STATUSES
from shared.permits import PERMIT_MACHINE
from shared.roles import Role, belongs_to_agency


@dataclass(frozen=True)
class Tile:
    screen: str  # also the catalogue key: tile.<screen> and tile.<screen>.hint
    icon: str
    roles: tuple[str, ...] = ()  # shown to these roles only; empty: to everyone


# The resident's other services, below "Report a problem" and their open reports, in the order
# they appear; new screens add a tile here. Settings are the top bar's cog, once.
RESIDENT_TILES = [
    Tile("notifications", "bell-outline"),
    Tile("my_complaints", "clipboard-text-clock-outline"),
    Tile("reports_map", "map-marker-multiple-outline"),
    Tile("permit_types", "file-document-outline"),
    Tile("my_permits", "file-clock-outline"),
    Tile("agencies", "office-building-outline"),
    Tile("announcements", "bullhorn-outline"),
    Tile("services", "book-open-outline"),
    Tile("search", "magnify"),
    Tile("outbox", "tray-arrow-up"),
]
OPEN_REQUESTS_SHOWN = 3  # on home; "see all" opens the whole list
STAFF_TILES = [
    Tile("notifications", "bell-outline"),
    Tile("complaint_queue", "inbox-full-outline"),
    Tile("permit_queue", "file-sign"),
    Tile("dashboard", "chart-box-outline", roles=(Role.SUPERVISOR, Role.ADMIN)),
    Tile("agencies", "office-building-outline"),
    Tile("permit_types", "file-document-outline"),
    Tile("announcements", "bullhorn-outline"),
    Tile("search", "magnify"),
    Tile("settings", "cog-outline"),
]


# The tiles whose icons carry a count: the inbox's unread entries, the outbox's waiting items.
BADGED_TILES = {"notifications": "unread", "outbox": "waiting"}
TILE_ICON_SIZE = sp(32)
TILE_MIN_HEIGHT = dp(124)


class TileIcon(MDLabel):
    """A tile's icon: a label in the icon font (MDIcon adds a hidden badge label to each)."""

    icon = StringProperty()


class BadgedTileIcon(MDIcon):
    """A tile's icon with a count as MDIcon's badge: `counted` is "unread" (the inbox) or
    "waiting" (the outbox)."""

    counted = StringProperty()


class ServiceTile(Card):
    icon = StringProperty()
    title = StringProperty()
    hint = StringProperty()
    screen = StringProperty()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        counted = BADGED_TILES.get(self.screen)
        if counted:
            icon = BadgedTileIcon(icon=self.icon, counted=counted)
        else:
            icon = TileIcon(icon=self.icon)
        icon.font_size = TILE_ICON_SIZE  # after init: MDLabel's sets its font style's size
        self.bind(icon=icon.setter("icon"))
        self.add_widget(icon, index=len(self.children))  # above the title and the hint


class TileGrid(MDGridLayout):
    """Tiles of one height, the tallest content's: a two-line title never runs into its hint,
    and no row is ragged."""

    def add_widget(self, widget, *args, **kwargs) -> None:
        widget.fbind("minimum_height", self._even_out)
        super().add_widget(widget, *args, **kwargs)
        self._even_out()

    def _even_out(self, *_args) -> None:
        height = max([TILE_MIN_HEIGHT, *(tile.minimum_height for tile in self.children)])
        for tile in self.children:
            tile.height = height


def actions_for(machine, role: str) -> list[str]:
    """Every action `role` may take in some status, in the machine's order."""
    return [
        action
        for action in machine.actions
        if any(machine.can(action, status, role) for status in machine.statuses)
    ]


class HomeScreen(WargaScreen):
    title_key = StringProperty("home.title")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.me: dict | None = None
        self.agency: dict | None = None
        self.categories: list[dict] = []
        self.permit_types: list[dict] = []
        self.open_complaints: list[dict] = []

    @property
    def role(self) -> str:
        session = self.app.tokens.session
        return session.role if session else Role.RESIDENT

    def on_pre_enter(self, *_args) -> None:
        self.app.count_waiting()  # back from a form: the outbox badge is current

    async def load(self) -> None:
        self.me = await self.fetch(self.app.api.me())
        session = self.app.tokens.session
        if self.role == Role.RESIDENT:
            mine = await self.fetch(self.app.api.my_complaints())
            statuses = {s.value for s in OPEN_STATUSES}
            self.open_complaints = [
                c for c in (mine or {"items": []})["items"] if c["status"] in statuses
            ]
        if session and belongs_to_agency(session.role) and session.agency_code:
            code = session.agency_code
            self.agency = await self.fetch(self.app.api.agency(code))
            categories = await self.fetch(self.app.api.complaint_categories()) or {"items": []}
            permit_types = await self.fetch(self.app.api.permit_types()) or {"items": []}
            self.categories = [c for c in categories["items"] if c["agency"]["code"] == code]
            self.permit_types = [p for p in permit_types["items"] if p["agency"]["code"] == code]

    def render(self) -> None:
        self.app.count_waiting()
        staff = self.role != Role.RESIDENT
        self.title_key = "home.staff_title" if staff else "home.title"
        name = self.me["full_name"] if self.me else ""
        self.ids.greeting.text = translator.t("home.greeting", name=name) if name else ""
        self.ids.role.text = translator.t(
            "home.signed_in_as", role=translator.t(f"role.{self.role}")
        )
        tiles = self.ids.tiles
        tiles.clear_widgets()
        for tile in STAFF_TILES if staff else RESIDENT_TILES:
            if tile.roles and self.role not in tile.roles:
                continue
            tiles.add_widget(
                ServiceTile(
                    icon=tile.icon,
                    screen=tile.screen,
                    title=translator.t(f"tile.{tile.screen}"),
                    hint=translator.t(f"tile.{tile.screen}.hint"),
                )
            )
        self._render_staff_panel(staff)
        self._render_open_requests(staff)

    def _render_open_requests(self, staff: bool) -> None:
        """The resident's reports still in progress, most urgent deadline first."""
        complaint_row = screens.ensure_loaded("complaint").ComplaintRow
        box = self.ids.open_requests
        box.clear_widgets()
        self.ids.resident_top.opacity = 0 if staff else 1
        self.ids.resident_top.disabled = staff
        if staff:
            return
        waiting = [item.body for item in waiting_complaints(self.app.outbox)]
        shown = sorted(self.open_complaints, key=lambda c: c["deadline"]["due_date"])
        rows = [complaint_row(c) for c in waiting]
        rows += [complaint_row(c, chooser=self._open_complaint) for c in shown]
        for row in rows[:OPEN_REQUESTS_SHOWN]:
            box.add_widget(row)
        if not rows:
            box.add_widget(Factory.HintText(text=translator.t("home.no_open_requests")))
        elif len(rows) > OPEN_REQUESTS_SHOWN:
            box.add_widget(
                MDFlatButton(
                    text=translator.t("home.see_all"),
                    on_release=lambda _b: self.app.show("my_complaints"),
                )
            )

    def _open_complaint(self, complaint: dict) -> None:
        self.app.show("complaint", id=complaint["id"])

    def _render_staff_panel(self, staff: bool) -> None:
        panel = self.ids.staff
        panel.clear_widgets()
        if not staff:
            return
        add = panel.add_widget
        if self.role == Role.ADMIN:
            add(Factory.BodyText(text=translator.t("home.admin_note")))
            return
        if self.agency:
            add(Factory.SectionTitle(text=translator.t("home.your_agency")))
            add(Factory.BodyText(text=translator.pick(self.agency["name"]), bold=True))
            add(Factory.BodyText(text=self.agency["address"]))
        for key, items in (
            ("home.categories_routed", self.categories),
            ("home.permit_types_handled", self.permit_types),
        ):
            add(Factory.SectionTitle(text=translator.t(key, count=len(items))))
            names = [translator.pick(item["name"]) for item in items]
            add(
                Factory.BodyText(
                    text="\n".join(f"• {n}" for n in names) or translator.t("common.none")
                )
            )
        for key, machine in (
            ("home.complaint_actions", COMPLAINT_MACHINE),
            ("home.permit_actions", PERMIT_MACHINE),
        ):
            add(Factory.SectionTitle(text=translator.t(key)))
            actions = [translator.t(f"action.{a}") for a in actions_for(machine, self.role)]
            add(Factory.BodyText(text=", ".join(actions)))
