"""Report a problem: the category's extra questions, what and where, photos, privacy choices.

Before sending, open complaints of the same category nearby are shown: the resident may support
one of them instead of filing the same problem again. Sending queues the complaint and its
photos in the outbox and tries to send them at once; without a connection they wait there.
"""

from pathlib import Path

from kivy.factory import Factory
from kivy.properties import ListProperty
from kivymd.uix.button import MDRaisedButton

from mobile.core.api import ApiError, Offline
from mobile.core.complaints import queue_complaint
from mobile.core.i18n import translator
from mobile.core.outbox import OutboxStatus
from mobile.forms import FormView, described
from mobile.maps import SpotMap, as_feature
from mobile.screens.base import WargaScreen
from shared.limits import (
    COMPLAINT_ADDRESS_MAX_LENGTH,
    COMPLAINT_DESCRIPTION_MAX_LENGTH,
    COMPLAINT_DESCRIPTION_MIN_LENGTH,
    COMPLAINT_TITLE_MAX_LENGTH,
    COMPLAINT_TITLE_MIN_LENGTH,
)

# The questions every complaint has (limits shared with the API's `ComplaintCreate`); codes are
# its names.
FIELDS = [
    {
        "code": "title",
        "label": "complaint_form.what",
        "help": "complaint_form.what_help",
        "type": "text",
        "required": True,
        "validation": {
            "min_length": COMPLAINT_TITLE_MIN_LENGTH,
            "max_length": COMPLAINT_TITLE_MAX_LENGTH,
        },
    },
    {
        "code": "description",
        "label": "complaint_form.description",
        "type": "textarea",
        "required": True,
        "validation": {
            "min_length": COMPLAINT_DESCRIPTION_MIN_LENGTH,
            "max_length": COMPLAINT_DESCRIPTION_MAX_LENGTH,
        },
    },
    {
        "code": "location",
        "label": "complaint_form.location",
        "help": "complaint_form.location_help",
        "type": "coordinates",
        "required": True,
    },
    {
        "code": "address",
        "label": "complaint_form.address",
        "type": "text",
        "validation": {"max_length": COMPLAINT_ADDRESS_MAX_LENGTH},
    },
    {
        "code": "anonymous",
        "label": "complaint_form.anonymous",
        "help": "complaint_form.anonymous_help",
        "type": "boolean",
    },
    {
        "code": "confidential",
        "label": "complaint_form.confidential",
        "help": "complaint_form.confidential_help",
        "type": "boolean",
    },
]
ANSWERS_PREFIX = "answers."  # how the server names problems with the extra questions
# The API takes a complaint's location as two numbers; the form shows it as one input.
LOCATION_PARTS = {"latitude": "location", "longitude": "location"}


class ComplaintFormScreen(WargaScreen):
    nearby = ListProperty()  # likely duplicates found before sending; sending waits on a choice

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.category: dict | None = None
        self.questions = FormView([])  # the category's extra questions
        self.pending: dict | None = None  # the complaint held back while nearby ones are shown
        self.region: dict | None = None  # for the map's tiles
        self.spot: SpotMap | None = None  # the nearby reports on a map

    def on_kv_post(self, base_widget) -> None:
        self.form = FormView(described(FIELDS))
        self.ids.form_slot.add_widget(self.form)

    def open(self, **params) -> None:
        self.ids.page.scroll_y = 1  # a form starts at its top
        super().open(**params)

    async def load(self) -> None:
        code = self.params["category"]
        if self.category is None or self.category["code"] != code:
            categories = await self.fetch(self.app.api.complaint_categories())
            found = [c for c in (categories or {"items": []})["items"] if c["code"] == code]
            self.category = found[0] if found else None
            self.questions = FormView((self.category or {}).get("questions") or [])
            self.clear()
        self.region = self.region or await self.fetch(self.app.api.region())

    def clear(self) -> None:
        """Empty every answer (a new category, or the last complaint was queued)."""
        for form in (self.form, self.questions):
            form.fill(dict.fromkeys(form.inputs))
            form.show_errors({})
        self.ids.photos.paths = []
        self.nearby, self.pending = [], None

    def render(self) -> None:
        category = self.category
        self.ids.category.text = translator.pick(category["name"]) if category else ""
        self.ids.category_help.text = translator.pick(category["description"]) if category else ""
        slot = self.ids.questions_slot
        slot.clear_widgets()
        if self.questions.fields:
            slot.add_widget(Factory.SectionTitle(text=translator.t("complaint_form.questions")))
            slot.add_widget(self.questions)
        self._render_nearby()

    # --- sending ---

    def submit(self) -> None:
        general = self.form.validate()
        answers = self.questions.validate()
        if general is None or answers is None or self.category is None:
            return
        location = general.pop("location")
        self.pending = {
            "category": self.category["code"],
            **general,
            **location,
            "anonymous": general.get("anonymous", False),
            "confidential": general.get("confidential", False),
            "answers": answers,
        }
        self.app.spawn(self._check_nearby())

    async def _check_nearby(self) -> None:
        complaint = self.pending
        try:
            found = await self.app.api.nearby_complaints(
                complaint["category"], complaint["latitude"], complaint["longitude"]
            )
        except (ApiError, Offline):
            found = {"items": []}  # only a courtesy: the server still takes the complaint
        self.nearby = found["items"]
        if self.nearby:
            self.render()  # the resident decides: support one, or send anyway
        else:
            await self.send()

    def _render_nearby(self) -> None:
        box = self.ids.nearby
        box.clear_widgets()
        if not self.nearby:
            return
        add = box.add_widget
        add(Factory.SectionTitle(text=translator.t("complaint_form.nearby")))
        add(Factory.HintText(text=translator.t("complaint_form.nearby_help")))
        add(self._nearby_map())
        for other in self.nearby:
            distance = translator.t("complaint_form.distance", metres=round(other["distance_m"]))
            add(Factory.BodyText(text=f"{other['title']} ({other['tracking_number']})", bold=True))
            add(Factory.HintText(text=f"{distance} · {other['description']}"))
            if other["yours"] or other["supported"]:  # nothing to add: say why
                mark = "complaint_form.yours" if other["yours"] else "complaint_form.already"
                add(Factory.HintText(text=translator.t(mark)))
                continue
            add(
                MDRaisedButton(
                    text=translator.t("complaint_form.support"),
                    on_release=lambda _b, other=other: self.app.spawn(self.support(other)),
                )
            )
        add(
            MDRaisedButton(
                text=translator.t("complaint_form.send_anyway"),
                on_release=lambda _b: self.app.spawn(self.send()),
            )
        )

    def _nearby_map(self) -> SpotMap:
        """Where the resident's pin is and the open reports around it."""
        if self.spot is None:
            self.spot = SpotMap(self.app.map_source(self.region))
        pending = self.pending
        features = [as_feature(other) for other in self.nearby]
        self.spot.show_spot(pending["latitude"], pending["longitude"], features)
        return self.spot

    async def support(self, other: dict) -> None:
        """ "Me too" on the existing complaint instead of filing this one."""
        if await self.run(self.app.api.support_complaint(other["id"])) is not None:
            self.clear()
            self.render()
            number = other["tracking_number"]
            self.confirm(translator.t("complaint_form.supported", number=number))

    async def send(self) -> None:
        photos = [Path(p) for p in self.ids.photos.paths]
        item = queue_complaint(self.app.outbox, self.pending, photos)
        self.nearby = []
        await self.run(self.app.outbox.flush(self.app.api))
        self.app.count_waiting()
        item = self.app.outbox.get(item.id)
        if item.status is OutboxStatus.FAILED:  # refused: show why, next to the fields
            error = ApiError.from_problem(item.problem)
            self.app.outbox.discard(item.id)
            self.form.show_server_errors(error, aliases=LOCATION_PARTS)
            self.questions.show_server_errors(error, prefix=ANSWERS_PREFIX)
            self.notice, self.notice_is_error = self.describe(error), True
            self.render()
            return
        sent = item.response if item.status is OutboxStatus.SENT else None
        self.clear()
        self.render()
        # The confirmation takes the form's place: Back does not return to a sent form.
        self.app.show("complaint_sent", replace=True, complaint=sent)
