"""One service as its Standar Pelayanan presents it: requirements, procedure, time limit, fee,
output, how to complain, and the FAQs; a button leads to the permit type or complaint category
behind it."""

from kivy.factory import Factory
from kivymd.uix.button import MDRaisedButton

from mobile.core.i18n import translator
from mobile.screens.content import ContentScreen
from mobile.screens.permit_type import bullets
from shared.roles import Role


class ServiceScreen(ContentScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.service: dict | None = None

    async def load(self) -> None:
        self.service = await self.fetch(self.app.api.service(self.params["code"]))

    def render(self) -> None:
        body = self.ids.body
        body.clear_widgets()
        service = self.service
        if service is None:
            return
        add = body.add_widget
        t = translator.t
        add(Factory.MDLabel(text=service["name"], font_style="H5", adaptive_height=True))
        add(Factory.HintText(text=service["agency"]["name"]))
        add(Factory.BodyText(text=service["description"]))
        link = self._link(service)
        if link is not None:
            add(link)
        procedure = "\n".join(f"{n}. {step}" for n, step in enumerate(service["procedure"], 1))
        sections = [
            ("service.requirements", bullets(service["requirements"])),
            ("service.procedure", procedure or t("common.none")),
            ("service.time_limit", service["time_limit"]),
            ("service.fee", service["fee"]),
            ("service.output", service["output"]),
            ("service.complaints", service["complaints"]),
        ]
        for key, text in sections:
            add(Factory.SectionTitle(text=t(key)))
            add(Factory.BodyText(text=text))
        add(Factory.SectionTitle(text=t("service.faqs")))
        if not service["faqs"]:
            add(Factory.BodyText(text=t("common.none")))
        for faq in service["faqs"]:
            add(Factory.BodyText(text=faq["question"], bold=True))
            add(Factory.BodyText(text=faq["answer"]))

    def _link(self, service: dict) -> MDRaisedButton | None:
        """To the permit type behind the service, or (for residents) to report in its category."""
        if service["permit_type_code"]:
            code = service["permit_type_code"]
            return MDRaisedButton(
                text=translator.t("service.open_permit"),
                on_release=lambda _b: self.app.show("permit_type", code=code),
            )
        session = self.app.tokens.session
        if service["complaint_category_code"] and session and session.role == Role.RESIDENT:
            category = service["complaint_category_code"]
            return MDRaisedButton(
                text=translator.t("service.report"),
                on_release=lambda _b: self.app.show("complaint_form", category=category),
            )
        return None
