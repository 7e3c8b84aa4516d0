"""Language, logging out (with a word about what still waits in the outbox), and the API
server's address in an advanced section."""

from contextlib import suppress

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from mobile.core.i18n import translator
from mobile.core.outbox import OutboxStatus
from mobile.screens.base import WargaScreen


class SettingsScreen(WargaScreen):
    url_message = StringProperty()
    advanced = BooleanProperty(False)  # the API address, folded away from residents
    dialog = ObjectProperty(None, allownone=True)  # the "unsent items" question, while open

    def open(self, **params) -> None:
        self.ids.api_url.text = self.app.api.base_url
        self.url_message = ""
        super().open(**params)

    def save_url(self) -> None:
        url = self.ids.api_url.text.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            self.url_message = translator.t("settings.bad_url")
            return
        self.app.set_api_url(url)
        self.url_message = ""
        self.confirm(translator.t("settings.saved"))

    # --- logging out ---

    def _unsent(self) -> list:
        return self.app.outbox.items(OutboxStatus.WAITING)

    def log_out(self) -> None:
        """Log out at once, or first ask what to do with the account's unsent items."""
        unsent = self._unsent()
        if not unsent:
            self.app.sign_out()
            return
        from kivymd.uix.boxlayout import MDBoxLayout
        from kivymd.uix.button import MDFlatButton, MDRaisedButton
        from kivymd.uix.dialog import MDDialog

        choices = MDBoxLayout(orientation="vertical", adaptive_height=True, spacing="8dp")
        for key, style, then in (
            ("settings.unsent_keep", MDRaisedButton, self._keep),
            ("settings.unsent_send", MDRaisedButton, self._send_then_leave),
            ("settings.unsent_discard", MDFlatButton, self._discard),
            ("common.cancel", MDFlatButton, self._close_dialog),
        ):
            choice = style(text=translator.t(key), size_hint_x=1)
            choice.bind(on_release=lambda _b, then=then: then())
            choices.add_widget(choice)
        self.dialog = MDDialog(
            title=translator.t("settings.unsent_title", count=len(unsent)),
            text=translator.t("settings.unsent_text"),
            type="custom",
            content_cls=choices,
            auto_dismiss=False,
        )
        self.dialog.open()

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.dismiss()
            self.dialog = None

    def _keep(self) -> None:
        self._close_dialog()
        self.app.sign_out()

    def _discard(self) -> None:
        self._close_dialog()
        for item in self._unsent():
            with suppress(KeyError):  # gone already, with the item it depended on
                self.app.outbox.discard(item.id)
        self.app.sign_out()

    def _send_then_leave(self) -> None:
        self._close_dialog()
        self.app.spawn(self._send_and_sign_out())

    async def _send_and_sign_out(self) -> None:
        result = await self.run(self.app.outbox.flush(self.app.api))
        if result is not None and not result.waiting:
            self.app.sign_out()
        elif result is not None:
            self.notice = translator.t("settings.unsent_still", count=result.waiting)
            self.notice_is_error = True
