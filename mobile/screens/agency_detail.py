"""One agency: description, address, opening hours and contacts. `AgencyDetail` is also the
right-hand pane of the agency directory on wide windows."""

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.button import MDRectangleFlatIconButton
from kivymd.uix.list import OneLineListItem

from mobile.core.i18n import translator
from mobile.screens.content import ContentScreen

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CONTACTS = ("phone", "whatsapp", "email", "website")


def opening_hours(hours: dict) -> str:
    lines = []
    for day in WEEKDAYS:
        periods = hours.get(day) or []
        # The API sends "08:00:00"; minutes are precise enough for opening hours.
        times = ", ".join(f"{p['opens'][:5]}–{p['closes'][:5]}" for p in periods)
        lines.append(f"{translator.t(f'weekday.{day}')}: {times or translator.t('agency.closed')}")
    return "\n".join(lines)


def contact_url(kind: str, value: str) -> str:
    """The link that opens a contact in the phone's own app: dialer, WhatsApp, mail, browser."""
    digits = "".join(char for char in value if char.isdigit())
    if kind == "phone":
        return f"tel:{'+' if value.strip().startswith('+') else ''}{digits}"
    if kind == "whatsapp":  # wa.me takes the international number without "+"
        return f"https://wa.me/{'62' + digits[1:] if digits.startswith('0') else digits}"
    if kind == "email":
        return f"mailto:{value.strip()}"
    return value.strip()


class ContactButton(MDRectangleFlatIconButton):
    """A contact as a button (48 dp tall) that opens it."""

    kind = StringProperty()
    value = StringProperty()
    url = StringProperty()

    def on_release(self) -> None:
        App.get_running_app().open_url(self.url)


class AgencyDetail(MDBoxLayout):
    agency = ObjectProperty(None, allownone=True)

    def on_agency(self, *_args) -> None:
        self.render()

    def render(self) -> None:
        self.clear_widgets()
        agency = self.agency
        if agency is None:
            self.add_widget(Factory.HintText(text=translator.t("agencies.pick")))
            return
        add = self.add_widget
        add(
            Factory.MDLabel(
                text=translator.pick(agency["name"]), font_style="H6", adaptive_height=True
            )
        )
        add(Factory.BodyText(text=translator.pick(agency["description"])))
        add(Factory.SectionTitle(text=translator.t("agency.address")))
        add(Factory.BodyText(text=agency["address"]))
        add(Factory.SectionTitle(text=translator.t("agency.hours")))
        add(Factory.BodyText(text=opening_hours(agency["opening_hours"])))
        contacts = [(k, agency["contacts"][k]) for k in CONTACTS if agency["contacts"].get(k)]
        if contacts:
            add(Factory.SectionTitle(text=translator.t("agency.contacts")))
            for kind, value in contacts:  # each opens the dialer, WhatsApp, mail or the browser
                add(ContactButton(kind=kind, value=value, url=contact_url(kind, value)))


class AgencyDetailScreen(ContentScreen):
    """The agency, the services it provides, and (signed in) following its announcements."""

    following = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.services: list[dict] = []

    async def load(self) -> None:
        code = self.params["code"]
        self.ids.detail.agency = await self.fetch(self.app.api.agency(code))
        entry = await self.fetch(self.app.api.directory_entry(code))
        self.services = entry["services"] if entry else []
        if self.app.tokens.session:
            followed = await self.fetch(self.app.api.followed_agencies())
            self.following = code in {a["code"] for a in (followed or {"items": []})["items"]}

    def render(self) -> None:
        self.ids.detail.render()
        box = self.ids.services
        box.clear_widgets()
        if self.services:
            box.add_widget(Factory.SectionTitle(text=translator.t("agency.services")))
        for service in self.services:
            box.add_widget(
                OneLineListItem(
                    text=service["name"],
                    on_release=lambda _i, code=service["code"]: self.app.show("service", code=code),
                )
            )

    def toggle_follow(self) -> None:
        self.app.spawn(self._follow(not self.following))

    async def _follow(self, following: bool) -> None:
        await self.run(self.app.api.follow(self.params["code"], following))
        if self.last_error is None:
            self.following = following
