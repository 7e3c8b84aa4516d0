"""One permit application: status, steps, deadline, the reviewer's request, the issued permit,
answers, documents, timeline, and the actions the viewer may take.

`PermitApplicationDetail` is the whole view; it is this screen's body and the right-hand pane of
the officer's permit queue on wide windows. `ApplicationRow` is an application's line in "my
applications" and in the queue. Action inputs are `ActionForm`s drawn by the
complaint screens' `ActionPanel`, so both kinds of case ask for notes the same way.
"""

import asyncio
import webbrowser
from pathlib import Path

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import DictProperty, NumericProperty, ObjectProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.button import MDRaisedButton, MDRectangleFlatIconButton

from mobile import device, screens
from mobile.core.i18n import translator
from mobile.core.permits import (
    certificate_path,
    document_path,
    download_certificate,
    is_editable,
    request_note,
    resident_actions,
    save_download,
    staff_actions,
    verification_code,
)
from mobile.screens.base import WargaScreen
from mobile.screens.complaint import (
    ActionButtons,
    ActionForm,
    ActionPanel,
    StatusBadge,
    local_time,
)
from mobile.widgets import Card
from shared.limits import RECEIPT_NUMBER_MAX_LENGTH
from shared.roles import Role

screens.ensure_loaded("complaint")  # the rules of ActionPanel, StatusBadge and ButtonRow

NOTE = {"code": "note", "label": "permit_action.note", "type": "textarea"}


def _comment_body(answers: dict) -> dict:
    return {"text": answers["text"], "internal": answers.get("internal", False)}


# What each action asks for; `request_info` gets its choices from the permit type when opened.
ACTION_FORMS = {
    "claim": ActionForm(body=lambda _answers: None),
    "approve": ActionForm([NOTE]),
    "request_info": ActionForm(
        [
            {"code": "fields", "label": "permit_action.fields", "type": "multichoice"},
            {"code": "documents", "label": "permit_action.documents", "type": "multichoice"},
            {**NOTE, "required": True, "label": "permit_action.request_note"},
        ]
    ),
    "reject": ActionForm(
        [
            {
                "code": "reasons",
                "label": "permit_action.reasons",
                "type": "textarea",
                "required": True,
            }
        ]
    ),
    "record_payment": ActionForm(
        [
            {
                "code": "receipt_number",
                "label": "permit_action.receipt",
                "type": "text",
                "required": True,
                "validation": {"max_length": RECEIPT_NUMBER_MAX_LENGTH},
            },
            {
                "code": "amount",
                "label": "permit_action.amount",
                "type": "integer",
                "required": True,
                "validation": {"min_value": 1},
            },
            {"code": "paid_on", "label": "permit_action.paid_on", "type": "date", "required": True},
        ]
    ),
    "assign": ActionForm(
        [
            {
                "code": "assignee_id",
                "label": "permit_action.assignee",
                "help": "permit_action.assignee_help",
                "type": "integer",
                "required": True,
                "validation": {"min_value": 1},
            }
        ]
    ),
    "revoke": ActionForm(
        [
            {
                "code": "reason",
                "label": "permit_action.revoke_reason",
                "type": "textarea",
                "required": True,
            }
        ]
    ),
    "withdraw": ActionForm(body=lambda _answers: None),  # confirmed in a dialog: it ends the case
    "take_over": ActionForm(body=lambda _answers: None),
    "comment": ActionForm(
        [{"code": "text", "label": "permit_action.comment", "type": "textarea", "required": True}],
        body=_comment_body,
    ),
}
# Staff choose between a message to the applicant and an internal note.
STAFF_COMMENT = ActionForm(
    [
        *ACTION_FORMS["comment"].fields,
        {"code": "internal", "label": "permit_action.internal", "type": "boolean"},
    ],
    body=_comment_body,
)


def status_text(status: str) -> str:
    return translator.t(f"permit_status.{status}")


def deadline_flag(summary: dict) -> str | None:
    """`overdue` or `due_soon` while the application is under review, else None."""
    if summary["current_step"] is None:  # not (or no longer) under review: no clock to watch
        return None
    return next((flag for flag in ("overdue", "due_soon") if summary[flag]), None)


def due_text(summary: dict) -> str:
    """The due date while under review, with "overdue" or "due soon" when it applies."""
    if summary["current_step"] is None or not summary["due_on"]:
        return ""
    text = translator.t("application.due", date=translator.day(summary["due_on"]))
    flag = deadline_flag(summary)
    return f"{text} · {translator.t(f'deadline.{flag}')}" if flag else text


def answer_text(field: dict, value) -> str:
    labels = {c["value"]: translator.pick(c["label"]) for c in field.get("choices") or []}
    if isinstance(value, bool):
        return translator.t("common.yes" if value else "common.no")
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    if isinstance(value, dict):  # coordinates
        return f"{value['latitude']}, {value['longitude']}"
    return labels.get(value, str(value))


class ApplicationRow(Card):
    """An application in a list: permit type, number, status and deadline badges, step and due
    date."""

    application = DictProperty()
    chooser = ObjectProperty(None, allownone=True)  # called with the application when tapped
    headline = StringProperty()
    badge = StringProperty()
    subline = StringProperty()

    def __init__(self, application: dict, chooser=None, **kwargs) -> None:
        super().__init__(application=application, chooser=chooser, **kwargs)
        if "registration_number" not in application:  # still in the outbox: only its title
            self.headline = application["title"]
            self.badge = translator.t("status.waiting_to_send")
            self.subline = translator.t("my_permits.queued")
            return
        self.headline = translator.pick(application["permit_type"]["name"])
        self.badge = status_text(application["status"])
        flag = deadline_flag(application)
        if flag:
            self.ids.badges.add_widget(
                StatusBadge(status=flag, text=translator.t(f"deadline.{flag}"))
            )
        step = application["current_step"]
        parts = [
            application["registration_number"],
            translator.pick(step["name"]) if step else "",
            due_text(application),
        ]
        self.subline = " · ".join(filter(None, parts))


class PermitApplicationDetail(ActionButtons, MDBoxLayout):
    """An application as its applicant or the agency's staff see it (the API's detail)."""

    actions_title = "application.actions"
    application = ObjectProperty(None, allownone=True)
    permit_type = DictProperty()  # the application's type: labels of fields and documents
    user_id = NumericProperty(0)  # the viewer's account: no "claim" for what they hold
    # Called with the application after an action changed it (the queue refreshes its lists).
    on_changed = ObjectProperty(None, allownone=True)
    action_bar = ObjectProperty(None, allownone=True)  # see ActionButtons

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.panel: ActionPanel | None = None
        self.certificate: Path | None = None  # the downloaded PDF of the permit shown
        self.certificate_preparing = False  # the server said it is still making the PDF

    @property
    def app(self):
        return App.get_running_app()

    @property
    def role(self) -> str:
        session = self.app.tokens.session
        return session.role if session else Role.RESIDENT

    def on_application(self, *_args) -> None:
        self.panel = None
        permit = self.application and self.application["permit"]
        saved = certificate_path(self.app.data_dir, permit) if permit else None
        self.certificate = saved if saved and saved.exists() else None
        self.certificate_preparing = False
        self.render()

    def render(self) -> None:
        self.clear_widgets()
        application = self.application
        if application is None:
            self.add_widget(Factory.HintText(text=translator.t("application.pick")))
            return
        t, add = translator.t, self.add_widget
        add(
            Factory.MDLabel(
                text=translator.pick(application["permit_type"]["name"]),
                font_style="H6",
                adaptive_height=True,
            )
        )
        add(Factory.HintText(text=self._subtitle()))
        add(StatusBadge(status=application["status"], text=status_text(application["status"])))
        add(Factory.BodyText(text=self._progress()))
        if application["information_request"] and self.role == Role.RESIDENT:
            self._render_request()
        if is_editable(application) and self.role == Role.RESIDENT:
            add(
                MDRaisedButton(
                    text=t("application.edit"),
                    on_release=lambda _b: self.app.show(
                        "permit_apply", application_id=application["id"]
                    ),
                )
            )
        self._render_actions()  # in the bar under the page, always in view
        if application["permit"]:
            self._render_permit()
        if application["payment"]:
            self._render_payment()
        add(Factory.SectionTitle(text=t("application.steps")))
        add(Factory.BodyText(text="\n".join(map(self._step, application["steps"]))))
        add(Factory.SectionTitle(text=t("application.answers")))
        add(Factory.BodyText(text=self._answers() or t("common.none")))
        add(Factory.SectionTitle(text=t("permit.documents")))
        self._render_documents()
        add(Factory.SectionTitle(text=t("application.timeline")))
        add(Factory.BodyText(text="\n\n".join(map(self._event, application["timeline"]))))

    def _subtitle(self) -> str:
        application = self.application
        parts = [application["registration_number"]]
        if self.role != Role.RESIDENT:
            parts.append(translator.t("application.applicant", name=application["applicant_name"]))
        if application["renewal_of"]:
            parts.append(translator.t("application.renews", number=application["renewal_of"]))
        return " · ".join(parts)

    def _progress(self) -> str:
        application, lines = self.application, []
        step = application["current_step"]
        if step:
            lines.append(translator.t("application.step", name=translator.pick(step["name"])))
        due = due_text(application)
        if due:
            lines.append(due)
        deadline = application["deadline"]
        if deadline["paused"]:
            lines.append(translator.t("application.paused"))
        elif deadline["paused_working_days"]:
            days = deadline["paused_working_days"]
            lines.append(translator.t("application.paused_days", days=days))
        return "\n".join(lines)

    def _labels(self, key: str) -> dict[str, str]:
        """Field or document labels of the permit type, by code."""
        return {item["code"]: translator.pick(item["label"]) for item in self.permit_type[key]}

    def _render_request(self) -> None:
        request = self.application["information_request"]
        fields, documents = self._labels("form"), self._labels("documents")
        lines = [request_note(self.application)]
        lines += [f"• {fields.get(code, code)}" for code in request["fields"]]
        lines += [f"• {documents.get(code, code)}" for code in request["documents"]]
        self.add_widget(Factory.SectionTitle(text=translator.t("application.request")))
        self.add_widget(Factory.BodyText(text="\n".join(lines)))

    def _render_permit(self) -> None:
        permit, t = self.application["permit"], translator.t
        until = translator.day(permit["valid_until"]) if permit["valid_until"] else None
        lines = [
            t("application.permit_number", number=permit["permit_number"]),
            t("application.valid_from", date=translator.day(permit["valid_from"])),
            t("application.valid_until", date=until) if until else t("permit.no_expiry"),
            t("application.verification_code", code=verification_code(permit)),
            permit["verification_url"],
        ]
        if permit["revoked_at"]:
            lines.append(t("application.revoked", reason=permit["revocation_reason"]))
        self.add_widget(Factory.SectionTitle(text=t("application.permit")))
        self.add_widget(Factory.BodyText(text="\n".join(lines)))
        buttons = Factory.ButtonRow()
        buttons.add_widget(
            MDRectangleFlatIconButton(
                icon="file-download-outline",
                text=t("application.certificate"),
                on_release=lambda _b: self.app.spawn(self.download_certificate()),
            )
        )
        if self.certificate or device.ON_ANDROID:
            buttons.add_widget(
                MDRectangleFlatIconButton(
                    icon="file-pdf-box",
                    text=t("application.open_certificate"),
                    on_release=lambda _b: self.app.spawn(self.open_certificate()),
                )
            )
        self.add_widget(buttons)
        if self.certificate_preparing:
            self.add_widget(Factory.HintText(text=t("application.certificate_preparing")))
        elif self.certificate:
            self.add_widget(Factory.HintText(text=t("application.saved", path=self.certificate)))

    async def download_certificate(self) -> None:
        """Save the certificate PDF under the app's data directory. One the server is still
        preparing is asked for once more after the wait it names, with the reason shown."""
        screen = self.app.manager.current_screen
        application = self.application

        async def preparing(seconds: float) -> None:
            self.certificate_preparing = True
            self.render()
            await asyncio.sleep(seconds)

        pdf = await screen.run(
            download_certificate(self.app.api, application["id"], waiting=preparing)
        )
        if self.application is not application:  # another application was opened meanwhile
            return
        self.certificate_preparing = pdf is None and screen.last_error is None
        if pdf is not None:
            path = certificate_path(self.app.data_dir, application["permit"])
            self.certificate = save_download(path, pdf)
        self.render()

    async def open_certificate(self) -> None:
        """In the system's viewer: the saved file on a desktop; on Android, whose viewers cannot
        read the app's private files, a short-lived link the browser downloads from."""
        if self.certificate and not device.ON_ANDROID:
            webbrowser.open(self.certificate.as_uri())
            return
        screen = self.app.manager.current_screen
        url = await screen.run(self.app.api.permit_certificate_link(self.application["id"]))
        if url is not None:
            webbrowser.open(url)

    def _render_payment(self) -> None:
        payment, t = self.application["payment"], translator.t
        lines = [
            t("application.fee", amount=translator.money(payment["amount"])),
            t("application.payment_reference", reference=payment["reference"]),
        ]
        if payment["receipt_number"]:
            lines.append(
                t(
                    "application.paid",
                    receipt=payment["receipt_number"],
                    date=translator.day(payment["paid_on"]),
                )
            )
        self.add_widget(Factory.SectionTitle(text=t("application.payment")))
        self.add_widget(Factory.BodyText(text="\n".join(lines)))

    @staticmethod
    def _step(step: dict) -> str:
        role = translator.t(f"role.{step['role']}").lower()
        state = translator.t(f"step_state.{step['state']}")
        return f"• {translator.pick(step['name'])} ({role}): {state}"

    def _answers(self) -> str:
        answers = self.application["answers"]
        return "\n".join(
            f"{translator.pick(field['label'])}: {answer_text(field, answers[field['code']])}"
            for field in self.permit_type.get("form", [])
            if answers.get(field["code"]) is not None
        )

    def _render_documents(self) -> None:
        """Each document as a button that fetches it and opens it (on the desktop)."""
        documents = self.application["documents"]
        if not documents:
            self.add_widget(Factory.BodyText(text=translator.t("common.none")))
        buttons = Factory.ButtonRow()
        for document in documents:
            size = document["size_bytes"] // 1024 or 1
            buttons.add_widget(
                MDRectangleFlatIconButton(
                    icon="file-eye-outline",
                    text=f"{translator.pick(document['label'])}: {document['file_name']} "
                    f"({size} KB)",
                    on_release=lambda _b, d=document: self.app.spawn(self.open_document(d)),
                )
            )
        self.add_widget(buttons)

    async def open_document(self, document: dict) -> None:
        """Fetch a document into the app's data directory and open it where a viewer exists."""
        screen = self.app.manager.current_screen
        application_id = self.application["id"]
        data = await screen.run(self.app.api.permit_document(application_id, document["id"]))
        if data is None:
            return
        path = save_download(document_path(self.app.data_dir, application_id, document), data)
        if device.ON_ANDROID:  # no viewer to hand a private file to: say where it is
            screen.notice = translator.t("application.saved", path=path)
            screen.notice_is_error = False
        else:
            webbrowser.open(path.as_uri())

    @staticmethod
    def _event(event: dict) -> str:
        action = translator.t(f"action.{event['action']}")
        line = f"{local_time(event['created_at'])} · {action}"
        if event["to_status"] != event["from_status"]:
            line += f" » {status_text(event['to_status'])}"  # Roboto has no arrow glyph
        if event["actor_name"]:
            line += f" ({event['actor_name']})"
        if not event["public"]:
            line += f" · {translator.t('application.internal')}"
        if event["note"]:
            line += f"\n{event['note']}"
        return line

    # --- actions ---

    def available_actions(self) -> list[str]:
        if self.role == Role.RESIDENT:
            # Resubmitting happens in the form, after editing what was asked.
            return [a for a in resident_actions(self.application) if a != "resubmit"]
        return staff_actions(self.application, self.role, self.user_id)

    def form_for(self, action: str) -> ActionForm:
        form = ACTION_FORMS[action]
        if action == "comment" and self.role != Role.RESIDENT:
            return STAFF_COMMENT
        if action == "request_info":
            fields, documents, note = form.fields
            return ActionForm(
                [
                    {**fields, "choices": self._choices("form")},
                    {**documents, "choices": self._choices("documents")},
                    note,
                ]
            )
        return form

    def _choices(self, key: str) -> list[dict]:
        return [{"value": item["code"], "label": item["label"]} for item in self.permit_type[key]]

    def prepare(self, panel: ActionPanel) -> None:
        if panel.action == "record_payment":
            panel.form.fill({"amount": self.application["payment"]["amount"]})

    async def take(self, action: str, body: dict | None) -> None:
        screen = self.app.manager.current_screen  # shows progress and the error notice
        api, application_id = self.app.api, self.application["id"]
        if action == "comment":  # answered with the new event: read the application again
            posted = await screen.run(api.permit_comment(application_id, **body))
            updated = await screen.fetch(api.permit_application(application_id)) if posted else None
        else:
            version = self.application.get("version")
            updated = await screen.run(
                api.permit_action(application_id, action, body, version=version)
            )
        if updated is None:
            if self.panel is not None:
                self.panel.form.show_server_errors(screen.last_error)
            return
        self.application = updated
        if self.on_changed:
            self.on_changed(updated)


class PermitApplicationScreen(WargaScreen):
    async def load(self) -> None:
        await load_into(self, self.ids.detail, int(self.params["id"]))

    def render(self) -> None:
        self.ids.detail.render()


async def load_into(screen: WargaScreen, detail: PermitApplicationDetail, application_id: int):
    """Fetch an application, its permit type and the viewer into `detail`, with `screen`'s
    progress and error notice."""
    api = screen.app.api
    me = await screen.fetch(api.me())
    application = await screen.fetch(api.permit_application(application_id))
    if me is None or application is None:
        return
    permit_type = await screen.fetch(api.permit_type(application["permit_type"]["code"]))
    shown = detail.application
    if shown and shown["id"] == application_id and shown["version"] > application["version"]:
        return  # an action answered while this was on its way: what it shows is newer
    if permit_type is not None:
        detail.user_id = me["id"]
        detail.permit_type = permit_type
        detail.application = application
