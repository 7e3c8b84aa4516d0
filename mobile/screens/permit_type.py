"""One permit type as its service standard presents it, with a preview of its form and, for
residents, the button that starts an application."""

from kivy.factory import Factory
from kivymd.uix.button import MDRaisedButton

from mobile.core.i18n import translator
from mobile.forms import FormView
from mobile.screens.base import WargaScreen
from mobile.screens.permit_types import fee_text
from shared.roles import Role

MEDIA_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def bullets(lines) -> str:
    return "\n".join(f"• {line}" for line in lines) or translator.t("common.none")


class PermitTypeScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.permit_type: dict | None = None
        self.form: FormView | None = None

    async def load(self) -> None:
        if self.permit_type and self.permit_type["code"] != self.params["code"]:
            self.permit_type = self.form = None
        data = await self.fetch(self.app.api.permit_type(self.params["code"]))
        if data is not None:
            self.permit_type = data
            # Preview only: the apply screen draws the same form to collect answers.
            self.form = FormView(data["form"], enabled=False)

    def render(self) -> None:
        body = self.ids.body
        body.clear_widgets()
        permit = self.permit_type
        if permit is None:
            return
        add = body.add_widget
        t = translator.t
        add(
            Factory.MDLabel(
                text=translator.pick(permit["name"]), font_style="H5", adaptive_height=True
            )
        )
        add(Factory.BodyText(text=translator.pick(permit["description"])))
        session = self.app.tokens.session
        if session and session.role == Role.RESIDENT:
            add(
                MDRaisedButton(
                    text=t("apply.start"),
                    on_release=lambda _b: self.app.show("permit_apply", code=permit["code"]),
                )
            )
        add(Factory.SectionTitle(text=t("permit.agency")))
        add(Factory.BodyText(text=translator.pick(permit["agency"]["name"])))
        add(Factory.SectionTitle(text=t("permit.fee")))
        fee = fee_text(permit)
        if permit.get("fee_basis"):
            fee += f" ({translator.pick(permit['fee_basis'])})"
        add(Factory.BodyText(text=fee))
        validity = (
            t("permit.validity", days=permit["validity_days"])
            if permit["validity_days"]
            else t("permit.no_expiry")
        )
        if permit["renewable"]:
            validity += f" · {t('permit.renewable')}"
        add(
            Factory.BodyText(
                text=t("permit.deadline", days=permit["deadline_working_days"]) + "\n" + validity
            )
        )
        add(Factory.SectionTitle(text=t("permit.requirements")))
        add(Factory.BodyText(text=bullets(translator.pick(r) for r in permit["requirements"])))
        add(Factory.SectionTitle(text=t("permit.documents")))
        add(Factory.BodyText(text=bullets(self._document(d) for d in permit["documents"])))
        add(Factory.SectionTitle(text=t("permit.steps")))
        add(
            Factory.BodyText(
                text=bullets(
                    t(
                        "permit.step",
                        name=translator.pick(step["name"]),
                        role=t(f"role.{step['role']}").lower(),
                        days=step["working_days"],
                    )
                    for step in permit["steps"]
                )
            )
        )
        add(Factory.SectionTitle(text=t("permit.output")))
        add(Factory.BodyText(text=translator.pick(permit["output"])))
        if self.form is not None and permit["form"]:
            add(Factory.SectionTitle(text=t("permit.form")))
            if self.form.parent:
                self.form.parent.remove_widget(self.form)
            add(self.form)

    @staticmethod
    def _document(document: dict) -> str:
        types = "/".join(MEDIA_NAMES.get(m, m) for m in document["media_types"])
        limits = translator.t("permit.document_limits", types=types, size=document["max_size_mb"])
        mark = translator.t("common.required" if document["required"] else "common.optional")
        return f"{translator.pick(document['label'])} ({mark}) — {limits}"
