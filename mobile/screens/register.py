from functools import partial

from mobile.core.i18n import Translator, translator
from mobile.forms import FormView, described
from mobile.screens.base import WargaScreen
from shared.limits import FULL_NAME_MAX_LENGTH, FULL_NAME_MIN_LENGTH

# The registration form, described like a region pack form so `FormView` draws and checks it.
# `password` is the one client-only type (masked text). Codes are the API's field names.
FIELDS = [
    {
        "code": "full_name",
        "label": "register.full_name",
        "type": "text",
        "required": True,
        "validation": {"min_length": FULL_NAME_MIN_LENGTH, "max_length": FULL_NAME_MAX_LENGTH},
    },
    {"code": "email", "label": "register.email", "type": "email"},
    {"code": "phone", "label": "register.phone", "type": "phone"},
    {"code": "password", "label": "register.password", "type": "password", "required": True},
    {"code": "nik", "label": "register.nik", "type": "nik"},
]


class RegisterScreen(WargaScreen):
    def on_kv_post(self, base_widget) -> None:
        self.form = FormView(described(FIELDS))
        self.ids.form_slot.add_widget(self.form)

    def submit(self) -> None:
        answers = self.form.validate()
        if answers is None:
            return
        if not answers.get("email") and not answers.get("phone"):
            hint = partial(Translator.t, key="register.contact_hint")
            self.form.show_errors({"email": hint, "phone": hint})
            return
        self.app.spawn(self._register(answers))

    async def _register(self, answers: dict) -> None:
        language = translator.language
        account = await self.run(self.app.api.register(**answers, language=language))
        if account is None:
            self.form.show_server_errors(self._error)
            return
        # Registered: log straight in with what was just typed.
        username = answers.get("email") or answers["phone"]
        session = await self.run(self.app.api.login(username, answers["password"]))
        if session is not None:
            self.app.signed_in(session)
