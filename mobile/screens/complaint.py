"""One complaint: status, deadline, photos, public timeline, and the actions the viewer may take.

`ComplaintDetail` is the whole view; it is this screen's body and the right-hand pane of the
officer queue on wide windows. `ComplaintRow` is a complaint's line in "my complaints" and in the
queue. The action buttons come from the shared state machine (`visible_actions`); each action's
inputs are described in `ACTION_FORMS` and drawn by `FormView`.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.button import MDRaisedButton

from mobile.core.api import COMMENT, Upload
from mobile.core.catalogues import CATALOGUES
from mobile.core.complaints import deadline_badge, visible_actions
from mobile.core.i18n import translator
from mobile.forms import FormView, described
from mobile.maps import SpotMap
from mobile.photos import PhotoPicker, RemotePhoto
from mobile.screens.base import WargaScreen
from mobile.widgets import Card
from shared.complaints import MAX_RATING, MIN_RATING
from shared.limits import RATING_COMMENT_MAX_LENGTH, TRACKING_NUMBER_MAX_LENGTH
from shared.roles import Role

# Taking the case comes first: nothing else starts before it.
FIRST_ACTIONS = {"claim", "take_over"}
DESTRUCTIVE_COLOUR = (0.72, 0.11, 0.11, 1)
SECONDARY_COLOUR = (0.88, 0.95, 0.94, 1)  # a light teal, the theme's primary faded
SECONDARY_TEXT = (0.0, 0.35, 0.31, 1)

NOTE = {"code": "note", "label": "complaint.field.note", "type": "textarea"}
REQUIRED_NOTE = {**NOTE, "required": True}


@dataclass(frozen=True)
class ActionForm:
    """What an action asks for; `body` turns the cleaned answers into the API's request body."""

    fields: list[dict] = field(default_factory=list)
    body: Callable[[dict], dict | None] = dict
    photos: bool = False  # staff may attach photos, sent before the action (the "after" photo)


def _comment_body(answers: dict) -> dict:
    return {"text": answers["text"], "public": not answers.get("internal", False)}


ACTION_FORMS = {
    "claim": ActionForm(body=lambda _answers: None),
    "verify": ActionForm([NOTE]),
    "start_work": ActionForm([NOTE]),
    "close": ActionForm([NOTE]),
    "request_info": ActionForm([{**REQUIRED_NOTE, "label": "complaint.field.question"}]),
    "resolve": ActionForm([{**REQUIRED_NOTE, "label": "complaint.field.public_note"}], photos=True),
    "provide_info": ActionForm([{**REQUIRED_NOTE, "label": "complaint.field.answer"}]),
    "reopen": ActionForm([{**REQUIRED_NOTE, "label": "complaint.field.reopen_reason"}]),
    "forward": ActionForm(
        [
            # Choices: the other agencies, filled in when the form is opened.
            {
                "code": "agency",
                "label": "complaint.field.agency",
                "type": "choice",
                "required": True,
            },
            {
                "code": "reason",
                "label": "complaint.field.reason",
                "type": "textarea",
                "required": True,
            },
        ]
    ),
    "reject": ActionForm(
        [
            {
                "code": "reason",
                "label": "complaint.field.reject_reason",
                "type": "choice",
                "required": True,
                "choices": [
                    {"value": reason, "label": f"complaint.reject.{reason}"}
                    for reason in ("spam", "out_of_scope", "other")
                ],
            },
            {**REQUIRED_NOTE, "label": "complaint.field.reason"},
        ]
    ),
    "mark_duplicate": ActionForm(
        [
            {
                "code": "original",
                "label": "complaint.field.original",
                "help": "complaint.field.original_help",
                "type": "text",
                "required": True,
                "validation": {"max_length": TRACKING_NUMBER_MAX_LENGTH},
            },
            NOTE,
        ]
    ),
    "assign": ActionForm(
        [
            {
                "code": "assignee_id",
                "label": "complaint.field.assignee",
                "help": "complaint.field.assignee_help",
                "type": "integer",
                "required": True,
                "validation": {"min_value": 1},
            }
        ]
    ),
    "rate": ActionForm(
        [
            {
                "code": "rating",
                "label": "complaint.field.rating",
                "type": "choice",
                "required": True,
                "choices": [
                    {"value": stars, "label": f"complaint.stars.{stars}"}
                    for stars in range(MIN_RATING, MAX_RATING + 1)
                ],
            },
            {
                "code": "comment",
                "label": "complaint.field.rating_comment",
                "type": "textarea",
                "validation": {"max_length": RATING_COMMENT_MAX_LENGTH},
            },
        ]
    ),
    COMMENT: ActionForm(
        [
            {
                "code": "text",
                "label": "complaint.field.comment",
                "type": "textarea",
                "required": True,
            }
        ],
        body=_comment_body,
    ),
}
# Staff choose between a public reply and an internal note.
STAFF_COMMENT = ActionForm(
    [
        *ACTION_FORMS[COMMENT].fields,
        {"code": "internal", "label": "complaint.field.internal", "type": "boolean"},
    ],
    body=_comment_body,
)


def status_text(status: str) -> str:
    return translator.t(f"status.{status}")


def deadline_text(deadline: dict) -> str:
    """ "Due 04-12-2026", with "overdue", "due soon" or "paused" when it applies."""
    due = date.fromisoformat(deadline["due_date"]).strftime("%d-%m-%Y")
    text = translator.t("complaint.due", date=due)
    badge = deadline_badge(deadline)
    return f"{text} · {translator.t(f'deadline.{badge}')}" if badge else text


def local_time(iso: str) -> str:
    return translator.timestamp(datetime.fromisoformat(iso).timestamp())


class StatusBadge(Label):
    """A status in white on its colour (a plain Label: it sizes itself to its text)."""

    status = StringProperty()


class ComplaintRow(Card):
    """A complaint in a list: title, number, status badge, due date; tapping opens it."""

    complaint = DictProperty()
    chooser = ObjectProperty()
    status = StringProperty()  # a status, or "waiting_to_send" for one still in the outbox
    selected = BooleanProperty(False)  # the one shown beside the list (wide windows)
    badge = StringProperty()
    headline = StringProperty()
    subline = StringProperty()

    def __init__(self, complaint: dict, chooser=None, **kwargs) -> None:
        super().__init__(complaint=complaint, chooser=chooser, **kwargs)
        self.relabel()

    def relabel(self) -> None:
        complaint = self.complaint
        self.headline = complaint["title"]
        if "tracking_number" not in complaint:  # still in the outbox
            self.status = "waiting_to_send"
            self.badge = translator.t("status.waiting_to_send")
            self.subline = translator.t("complaint.queued")
            return
        self.status = complaint["status"]
        self.badge = status_text(self.status)
        self.subline = " · ".join(
            [
                complaint["tracking_number"],
                translator.pick(complaint["category"]["name"]),
                deadline_text(complaint["deadline"]),
            ]
        )


# Actions that end or discard a case: drawn apart (red) and sent only once the person confirmed
# them in a dialog.
DESTRUCTIVE_ACTIONS = {"reject", "mark_duplicate", "close", "withdraw", "revoke"}
# What the confirmation says, where it is more than "this ends the case".
WARNINGS = {"withdraw": "permit_action.withdraw_warning"}


def ask_to_confirm(action: str, then: Callable[[], None]) -> None:
    """A dialog: "Reject?", what it means, Cancel and a red "Yes, Reject" that calls `then`."""
    from kivymd.uix.button import MDFlatButton
    from kivymd.uix.dialog import MDDialog  # on first use: start-up memory

    name = translator.t(f"action.{action}")
    cancel = MDFlatButton(text=translator.t("common.cancel"))
    yes = MDRaisedButton(
        text=translator.t("action.confirm", action=name), md_bg_color=DESTRUCTIVE_COLOUR
    )
    dialog = MDDialog(
        title=translator.t("action.confirm_title", action=name),
        text=translator.t(WARNINGS.get(action, "action.cannot_undo")),
        buttons=[cancel, yes],
        auto_dismiss=False,
    )

    def confirmed(_button) -> None:
        dialog.dismiss()
        then()

    cancel.bind(on_release=lambda _button: dialog.dismiss())
    yes.bind(on_release=confirmed)
    dialog.open()


class ActionPanel(MDBoxLayout):
    """The inputs of the action being taken, with Send (red, named after the action, for one
    that ends the case) and Cancel."""

    action = StringProperty()
    destructive = BooleanProperty(False)

    def __init__(self, action: str, form: ActionForm, detail: "ActionButtons", **kwargs):
        super().__init__(action=action, destructive=action in DESTRUCTIVE_ACTIONS, **kwargs)
        self.form_spec = form
        self.detail = detail
        self.form = FormView(described(form.fields))
        self.ids.form_slot.add_widget(self.form)
        self.photos: PhotoPicker | None = None
        self.upload_key = uuid4().hex  # the photos are added once, however often Send is pressed
        if form.photos:
            self.photos = PhotoPicker()
            self.ids.form_slot.add_widget(
                Factory.HintText(text=translator.t("complaint.after_photo"))
            )
            self.ids.form_slot.add_widget(self.photos)

    def send(self) -> None:
        answers = self.form.validate()
        if answers is not None:
            self.detail.send(self.action, self.form_spec.body(answers))


class BarPanel(ScrollView):
    """The open action's inputs in the bar under the page: as tall as they need, up to half the
    window (a long form scrolls inside, the page above keeps some room)."""

    content_height = NumericProperty(0)

    def __init__(self, panel: ActionPanel, **kwargs) -> None:
        super().__init__(**kwargs)
        if panel.parent is not None:  # the bar was drawn again: the panel moves along
            panel.parent.remove_widget(panel)
        self.add_widget(panel)
        panel.bind(height=self.setter("content_height"))
        self.content_height = panel.height


class ActionButtons:
    """For a detail view: a button per action the caller may take, and the open action's panel.

    The view provides `available_actions()`, `form_for(action)`, `take(action, body)`,
    `render()`, `panel` and the catalogue key of the section title, `actions_title`.
    """

    actions_title = "complaint.actions"

    # Where the buttons go: a bar outside the scrolled detail, so the main action is always in
    # view (the screens set it); None puts them at the end of the detail.
    action_bar = None

    def _render_actions(self) -> None:
        bar = self.action_bar or self
        if self.action_bar is not None:
            self.action_bar.clear_widgets()
        actions = self.available_actions()
        if not actions:
            return
        if self.action_bar is None:
            bar.add_widget(Factory.SectionTitle(text=translator.t(self.actions_title)))
        if self.panel is not None:
            bar.add_widget(BarPanel(self.panel) if self.action_bar is not None else self.panel)
        buttons = Factory.ButtonRow()
        # The first action is the main one (claiming first: nothing else starts before it);
        # destructive ones come last, in red.
        ordered = sorted(actions, key=lambda a: (a in DESTRUCTIVE_ACTIONS) - (a in FIRST_ACTIONS))
        for index, action in enumerate(ordered):
            button = MDRaisedButton(
                text=translator.t(f"action.{action}"),
                on_release=lambda _b, action=action: self.start(action),
            )
            if action in DESTRUCTIVE_ACTIONS:
                button.md_bg_color = DESTRUCTIVE_COLOUR
            elif index > 0:  # secondary: quieter than the main action
                button.md_bg_color = SECONDARY_COLOUR
                button.theme_text_color = "Custom"
                button.text_color = SECONDARY_TEXT
            buttons.add_widget(button)
        bar.add_widget(buttons)

    def start(self, action: str) -> None:
        """Show the inputs `action` needs; an action without any is sent at once (after the
        confirmation, for one that ends the case)."""
        form = self.form_for(action)
        if not form.fields:
            self.send(action, form.body({}))
            return
        self.panel = ActionPanel(action, form, self)
        self.prepare(self.panel)
        self.render()

    def prepare(self, panel: ActionPanel) -> None:
        """Fill in what the view knows already of a new panel's inputs."""

    def send(self, action: str, body: dict | None) -> None:
        def take() -> None:
            App.get_running_app().spawn(self.take(action, body))

        if action in DESTRUCTIVE_ACTIONS:
            ask_to_confirm(action, take)
        else:
            take()

    def cancel(self) -> None:
        self.panel = None
        self.render()


class ComplaintDetail(ActionButtons, MDBoxLayout):
    """A complaint as its reporter or the agency's staff see it (the API's `ComplaintDetail`)."""

    complaint = ObjectProperty(None, allownone=True)
    categories = DictProperty()  # code -> category, to name the extra questions and answers
    agencies = ListProperty()  # the forward action's choices
    region = DictProperty()  # for the map's tiles
    # Called with the complaint after an action changed it.
    after_action = ObjectProperty()
    action_bar = ObjectProperty(None, allownone=True)  # see ActionButtons

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.panel: ActionPanel | None = None
        self.photos: list[RemotePhoto] = []
        self.spot: SpotMap | None = None

    async def photos_loaded(self) -> None:
        await asyncio.gather(*(photo.loading for photo in self.photos if photo.loading))

    @property
    def role(self) -> str:
        session = App.get_running_app().tokens.session
        return session.role if session else Role.RESIDENT

    def on_complaint(self, *_args) -> None:
        self.panel = None
        self.render()

    def render(self) -> None:
        self.clear_widgets()
        self.photos = []
        complaint = self.complaint
        if complaint is None:
            self.add_widget(Factory.HintText(text=translator.t("complaint.pick")))
            return
        t = translator.t
        add = self.add_widget
        add(Factory.MDLabel(text=complaint["title"], font_style="H6", adaptive_height=True))
        add(Factory.HintText(text=complaint["tracking_number"]))
        add(StatusBadge(status=complaint["status"], text=status_text(complaint["status"])))
        add(Factory.BodyText(text=deadline_text(complaint["deadline"])))
        category = self.categories.get(complaint["category"]["code"], {})
        add(Factory.SectionTitle(text=t("complaint.category")))
        add(
            Factory.BodyText(
                text=translator.pick(complaint["category"]["name"])
                + " · "
                + translator.pick(complaint["agency"]["name"])
            )
        )
        add(Factory.SectionTitle(text=t("complaint.description")))
        add(Factory.BodyText(text=complaint["description"]))
        add(Factory.SectionTitle(text=t("complaint.location")))
        place = f"{complaint['latitude']:.5f}, {complaint['longitude']:.5f}"
        add(Factory.BodyText(text="\n".join(filter(None, [complaint["address"], place]))))
        add(self._spot(complaint))
        answers = self._answers(category.get("questions") or [])
        if answers:
            add(Factory.SectionTitle(text=t("complaint.answers")))
            add(Factory.BodyText(text=answers))
        self._render_facts()
        reporters = [p for p in complaint["photos"] if not p["from_staff"]]
        agencys = [p for p in complaint["photos"] if p["from_staff"]]  # e.g. after the repair
        for key, photos in (("complaint.photos", reporters), ("complaint.staff_photos", agencys)):
            if not photos:
                continue
            add(Factory.SectionTitle(text=t(key, count=len(photos))))
            strip = Factory.PhotoStrip()
            for photo in photos:
                strip.add_widget(RemotePhoto(url=photo["thumbnail_url"], full_url=photo["url"]))
            add(strip)
            self.photos += strip.children
        add(Factory.SectionTitle(text=t("complaint.timeline")))
        add(Factory.BodyText(text="\n\n".join(map(self._event, complaint["timeline"]))))
        self._render_actions()

    def _spot(self, complaint: dict) -> SpotMap:
        """The complaint's place on a small map (one map per view, moved to each complaint)."""
        if self.spot is None:
            self.spot = SpotMap(App.get_running_app().map_source(self.region or None))
        self.spot.show_spot(complaint["latitude"], complaint["longitude"])
        return self.spot

    def _answers(self, questions: list[dict]) -> str:
        lines = []
        for question in questions:
            value = self.complaint["answers"].get(question["code"])
            if value is None:
                continue
            labels = {c["value"]: translator.pick(c["label"]) for c in question["choices"]}
            if isinstance(value, bool):
                shown = translator.t("common.yes" if value else "common.no")
            elif isinstance(value, list):
                shown = ", ".join(labels.get(v, str(v)) for v in value)
            else:
                shown = labels.get(value, str(value))
            lines.append(f"{translator.pick(question['label'])}: {shown}")
        return "\n".join(lines)

    def _render_facts(self) -> None:
        complaint, t = self.complaint, translator.t
        facts = []
        if complaint["anonymous"]:
            facts.append(t("complaint.is_anonymous"))
        if complaint["confidential"]:
            facts.append(t("complaint.is_confidential"))
        if complaint["reporter"] and self.role != Role.RESIDENT:
            facts.append(t("complaint.reporter", name=complaint["reporter"]["full_name"]))
        assignee = complaint["assignee"]
        facts.append(
            t("complaint.assignee", name=assignee["full_name"])
            if assignee
            else t("complaint.unassigned")
        )
        if complaint["duplicate_of"]:
            facts.append(t("complaint.duplicate_of", number=complaint["duplicate_of"]))
        if complaint["supporter_count"]:
            facts.append(t("complaint.supporters", count=complaint["supporter_count"]))
        if complaint["rating"]:
            rating = t("complaint.rated", stars=complaint["rating"])
            facts.append(f"{rating} {complaint['rating_comment'] or ''}".strip())
        if complaint["reopen_until"]:
            facts.append(t("complaint.reopen_until", time=local_time(complaint["reopen_until"])))
        self.add_widget(Factory.HintText(text="\n".join(facts)))

    @staticmethod
    def _event(event: dict) -> str:
        action = event["action"]
        key = f"event.{action}" if f"event.{action}" in CATALOGUES["id"] else f"action.{action}"
        line = f"{local_time(event['created_at'])} · {translator.t(key)}"
        if event["to_status"] and event["to_status"] != event["from_status"]:
            line += f" » {status_text(event['to_status'])}"
        if event["actor_name"]:
            line += f" ({event['actor_name']})"
        if not event["public"]:
            line += f" · {translator.t('complaint.not_public')}"
        if event["note"]:
            line += f"\n{event['note']}"
        return line

    def available_actions(self) -> list[str]:
        complaint = self.complaint
        actions = visible_actions(complaint["status"], self.role)
        if complaint["rating"]:
            actions = [a for a in actions if a != "rate"]  # rated once, for good
        return [a for a in actions if a in ACTION_FORMS]

    def form_for(self, action: str) -> ActionForm:
        form = ACTION_FORMS[action]
        if action == COMMENT and self.role != Role.RESIDENT:
            return STAFF_COMMENT
        if action == "forward":
            own = self.complaint["agency"]["code"]
            choices = [
                {"value": a["code"], "label": a["name"]} for a in self.agencies if a["code"] != own
            ]
            return ActionForm([{**form.fields[0], "choices": choices}, *form.fields[1:]])
        return form

    async def take(self, action: str, body: dict | None) -> None:
        app = App.get_running_app()
        screen = app.manager.current_screen  # shows progress and the error notice
        complaint = self.complaint
        panel = self.panel
        if panel is not None and panel.photos is not None and panel.photos.paths:
            uploaded = await screen.run(
                app.api.send(
                    "POST",
                    f"/complaints/{complaint['id']}/photos",
                    body=None,
                    uploads=[Upload(Path(path)) for path in panel.photos.paths],
                    idempotency_key=panel.upload_key,
                )
            )
            if uploaded is None:
                return  # the notice says why; the action waits for another try
            # Adding photos is an event: the action goes with the version it made.
            complaint = (await screen.fetch(app.api.complaint(complaint["id"]))) or complaint
        updated = await screen.run(
            app.api.complaint_action(complaint["id"], action, body, version=complaint["version"])
        )
        if updated is not None:
            self.complaint = updated
            self.after_action(updated)
            screen.confirm(translator.t("action.done", action=translator.t(f"action.{action}")))
            return
        if self.panel is not None:
            self.panel.form.show_server_errors(screen.last_error)
        # A 409 (someone else acted first) leaves the notice's "Reload" to the officer.


class ComplaintScreen(WargaScreen):
    def on_kv_post(self, base_widget) -> None:
        self.ids.detail.after_action = lambda _complaint: None

    async def load(self) -> None:
        detail = self.ids.detail
        if detail.complaint and detail.complaint["id"] != int(self.params["id"]):
            detail.complaint = None
        categories = await self.fetch(self.app.api.complaint_categories())
        if categories is not None:
            detail.categories = {c["code"]: c for c in categories["items"]}
        detail.region = await self.fetch(self.app.api.region()) or {}
        if self.app.tokens.session and self.app.tokens.session.role != Role.RESIDENT:
            agencies = await self.fetch(self.app.api.agencies())
            detail.agencies = agencies["items"] if agencies else []
        detail.complaint = await self.fetch(self.app.api.complaint(int(self.params["id"])))

    def render(self) -> None:
        self.ids.detail.render()

    async def settled(self) -> None:
        await self.ids.detail.photos_loaded()
