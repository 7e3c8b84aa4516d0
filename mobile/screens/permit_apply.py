"""Applying for a permit: the type's form and documents, saved as a draft, then submitted.

Opened from a permit type with `code` to start an application, or with `application_id` to
continue a draft or to answer the reviewer's information request. In the second case only the
fields and documents the reviewer named can change, and sending means resubmitting.

The draft is created on the first save or upload, with an idempotency key chosen when the
screen opened, so a retry after a lost answer never makes a second draft. Without network,
documents chosen are kept, and sending queues the whole submission in the outbox.
"""

import uuid
from pathlib import Path

from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout

from mobile import device
from mobile.core.api import FieldProblem, Offline
from mobile.core.i18n import translator
from mobile.core.permits import (
    ANSWERS,
    DOCUMENTS,
    problems_under,
    queue_submission,
    request_note,
)
from mobile.forms import FormView
from mobile.photos import FileChooserPopup
from mobile.screens.base import WargaScreen
from shared.permits import PermitStatus

DOCUMENT_FILTERS = ["*.pdf", "*.PDF", "*.jpg", "*.jpeg", "*.png", "*.JPG", "*.JPEG", "*.PNG"]


class DocumentSlot(MDBoxLayout):
    """One document kind: its label, the file uploaded for it, buttons to attach one."""

    kind = DictProperty()  # the permit type's document kind
    caption = StringProperty()
    state = StringProperty()
    error = StringProperty()
    enabled = BooleanProperty(True)
    screen = ObjectProperty()

    def on_kv_post(self, base_widget) -> None:
        if not device.ON_ANDROID:  # the desktop has no camera to offer
            self.ids.buttons.remove_widget(self.ids.camera)

    def relabel(self, document: dict | None, pending: Path | None) -> None:
        """Show the uploaded `document`, or the file `pending` to go with the submission."""
        mark = translator.t("common.required" if self.kind["required"] else "common.optional")
        self.caption = f"{translator.pick(self.kind['label'])} ({mark})"
        if pending:
            self.state = translator.t("apply.pending", name=pending.name)
        elif document:
            self.state = translator.t("apply.uploaded", name=document["file_name"])
        else:
            self.state = translator.t("apply.not_uploaded")

    def open_chooser(self) -> None:
        if device.ON_ANDROID:
            device.choose_document(self._chosen)
        else:
            FileChooserPopup(self._chosen, filters=DOCUMENT_FILTERS).open()

    def open_camera(self) -> None:
        folder = Path(self.screen.app.data_dir) / "camera"
        device.take_picture(folder, lambda path: self._chosen([path]))

    def _chosen(self, paths: list[Path]) -> None:
        if paths:
            self.screen.app.spawn(self.screen.attach(self.kind["code"], paths[0]))


class PermitApplyScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.permit_type: dict | None = None
        self.application: dict | None = None
        self.form: FormView | None = None
        self.slots: dict[str, DocumentSlot] = {}
        self._keys: dict[str, str] = {}  # idempotency keys of this visit: create, submit
        self._document_errors: dict = {}
        self.pending: dict[str, Path] = {}  # documents chosen offline, by kind

    @property
    def answering(self) -> bool:
        """The reviewer asked for information: only what they named may change."""
        return bool(self.application) and self.application["status"] == PermitStatus.NEEDS_INFO

    async def load(self) -> None:
        self.permit_type = self.application = self.form = None
        self._keys = {"create": str(uuid.uuid4()), "submit": str(uuid.uuid4())}
        self._document_errors = {}
        self.pending = {}
        code = self.params.get("code")
        if "application_id" in self.params:
            application = await self.fetch(
                self.app.api.permit_application(int(self.params["application_id"]))
            )
            if application is None:
                return
            code = application["permit_type"]["code"]
            self.application = application
        permit_type = await self.fetch(self.app.api.permit_type(code))
        if permit_type is not None:
            self.permit_type = permit_type
            self._build()

    def _build(self) -> None:
        """The inputs, made once per visit so what was typed survives a language switch."""
        self.form = FormView(self.permit_type["form"])
        self.slots = {
            kind["code"]: DocumentSlot(kind=kind, screen=self)
            for kind in self.permit_type["documents"]
        }
        if self.application is None:
            return
        self.form.fill(self.application["answers"])
        if self.answering:
            request = self.application["information_request"]
            for code, widget in self.form.inputs.items():
                widget.enabled = code in request["fields"]
            for code, slot in self.slots.items():
                slot.enabled = code in request["documents"]

    def render(self) -> None:
        for slot_id in ("form_slot", "documents"):
            self.ids[slot_id].clear_widgets()
        if self.permit_type is None:
            return
        t = translator.t
        self.ids.heading.text = translator.pick(self.permit_type["name"])
        application = self.application
        self.ids.number.text = (
            t("apply.number", number=application["registration_number"]) if application else ""
        )
        self.ids.request.text = self._request_text() if self.answering else ""
        self.ids.submit.text = t("action.resubmit" if self.answering else "action.submit")
        self.ids.form_slot.add_widget(self.form)
        documents = {d["kind"]: d for d in application["documents"]} if application else {}
        for code, slot in self.slots.items():
            slot.relabel(documents.get(code), self.pending.get(code))
            problem = self._document_errors.get(code)
            slot.error = problem(translator) if problem else ""
            self.ids.documents.add_widget(slot)

    def _request_text(self) -> str:
        """The reviewer's note, and that only what it asks for can change."""
        return f"{request_note(self.application)}\n{translator.t('apply.only_requested')}"

    # --- saving, uploading, submitting ---

    def save(self) -> None:
        self.app.spawn(self.save_draft())

    def submit(self) -> None:
        self.app.spawn(self.send())

    async def _ensure_draft(self) -> bool:
        if self.application is not None:
            return True
        created = await self.run(
            self.app.api.create_permit_application(
                self.permit_type["code"], {}, idempotency_key=self._keys["create"]
            )
        )
        if created is not None:
            self.application = created
        return created is not None

    def _changes(self, answers: dict) -> dict:
        """What to send: the asked-for answers, or the whole draft (a cleared answer as null)."""
        if self.answering:
            asked = self.application["information_request"]["fields"]
            return {code: answers.get(code) for code in asked}
        saved = self.application["answers"] if self.application else {}
        return {**{code: None for code in saved if code not in answers}, **answers}

    async def save_draft(self) -> None:
        """Check the answers given so far and save them."""
        answers = self.form.validate(partial=True)
        if answers is not None and await self._save(answers):
            self.notice, self.notice_is_error = translator.t("apply.saved"), False

    async def _save(self, answers: dict) -> bool:
        if not await self._ensure_draft():
            return False
        application_id = self.application["id"]
        updated = await self.run(
            self.app.api.update_permit_answers(application_id, self._changes(answers))
        )
        if updated is None:
            self.form.show_errors(described(problems_under(self.last_error, ANSWERS)))
            return False
        self.application = updated
        self.render()
        return True

    async def attach(self, kind: str, path: Path) -> None:
        """Upload a file as the document of `kind`, replacing an earlier one; without network,
        keep it to send with the submission."""
        document = None
        if await self._ensure_draft():
            document = await self.run(
                self.app.api.upload_permit_document(self.application["id"], kind, path)
            )
        self._document_errors.pop(kind, None)
        if document is not None:
            others = [d for d in self.application["documents"] if d["kind"] != kind]
            self.application["documents"] = [*others, document]
            self.pending.pop(kind, None)
        elif isinstance(self.last_error, Offline):
            self.pending[kind] = path
        else:
            error = self.last_error
            self._document_errors[kind] = lambda translator: self.describe(error)
        self.render()

    def _show_missing_documents(self) -> bool:
        """Mark each required document neither uploaded nor chosen; whether there was one."""
        uploaded = {d["kind"] for d in self.application["documents"]} if self.application else set()
        self._document_errors = {
            code: _document_missing
            for code, slot in self.slots.items()
            if slot.enabled
            and slot.kind["required"]
            and code not in uploaded
            and code not in self.pending
        }
        self.render()
        return bool(self._document_errors)

    async def send(self) -> None:
        """Submit (or resubmit); the server's answer names every missing answer and document,
        each shown at its place. Without network, queue it in the outbox."""
        answers = self.form.validate()
        if answers is None:
            self._show_missing_documents()  # the whole picture at once
            return
        action = "resubmit" if self.answering else "submit"
        if not self.pending:  # every document chosen is on the server
            if await self._save(answers):
                key = self._keys["submit"] if action == "submit" else None
                sent = await self.run(
                    self.app.api.permit_action(self.application["id"], action, idempotency_key=key)
                )
                if sent is not None:
                    self._leave_for("permit_application", id=sent["id"])
                    return
            if not isinstance(self.last_error, Offline):
                self._show_problems(self.last_error)
                return
        if self._show_missing_documents():  # nobody can tell this one what is missing later
            return
        queue_submission(
            self.app.outbox,
            permit_type=self.permit_type["code"],
            title=translator.pick(self.permit_type["name"]),
            application=self.application,
            answers=self._changes(answers),
            documents=self.pending,
            action=action,
        )
        self.app.flush_outbox()  # at once, in case the network is back already
        self._leave_for("my_permits")

    def _leave_for(self, name: str, **params) -> None:
        """Done with the form: open `name` in its place, so Back leads where the form began."""
        if self.app.can_go_back:
            self.app.back()
        self.app.show(name, **params)

    def _show_problems(self, error) -> None:
        self.form.show_errors(described(problems_under(error, ANSWERS)))
        self._document_errors = described(problems_under(error, DOCUMENTS))
        self.render()


def _document_missing(translator) -> str:
    return translator.t("apply.document_missing")


def described(problems: dict[str, FieldProblem]) -> dict:
    """Each problem as the server wrote it: the permits API answers in the app's language."""
    return {
        code: lambda translator, p=problem: p.message or translator.error(p.code)
        for code, problem in problems.items()
    }
