"""Language, API server address, and logging out."""

from kivy.properties import StringProperty

from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen


class SettingsScreen(WargaScreen):
    url_message = StringProperty()

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
        self.url_message = translator.t("settings.saved")
