"""Screens showing the city's information (announcements, services, search, the inbox): the
server writes it in one language, the app's (`Accept-Language`), so a language switch fetches it
again instead of only redrawing."""

from typing import Any

from mobile.core.i18n import translator
from mobile.screens.base import WargaScreen


class ContentScreen(WargaScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._opened = False
        translator.bind(self._language_changed)

    def open(self, **params: Any) -> None:
        self._opened = True
        super().open(**params)

    def _language_changed(self, _language: str) -> None:
        if self._opened:  # a screen in the history is current again after Back: refresh it too
            self.reload()


def excerpt(text: str, length: int = 160) -> str:
    """The start of a text on one line, cut at a word, for a list line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length].rsplit(" ", 1)[0] + " …"
