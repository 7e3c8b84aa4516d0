"""Translation layer: every visible string comes from here, in Bahasa Indonesia or English.

Texts live in `mobile.core.catalogues`; texts that come with the data (the region pack's names,
descriptions, labels) arrive in both languages and are picked with `pick()`. Observers run when
the language changes, so open screens redraw at once.
"""

from collections.abc import Callable
from datetime import date, datetime

from mobile.core.catalogues import CATALOGUES
from shared.errors import ErrorCode, message

LANGUAGES = tuple(CATALOGUES)  # ("id", "en"): Bahasa Indonesia first, the default

Observer = Callable[[str], None]


class Translator:
    def __init__(self, language: str = LANGUAGES[0]) -> None:
        self._check(language)
        self.language = language
        self._observers: list[Observer] = []

    @staticmethod
    def _check(language: str) -> None:
        if language not in CATALOGUES:
            raise ValueError(f"unsupported language {language!r}, expected one of {LANGUAGES}")

    def set_language(self, language: str) -> None:
        self._check(language)
        if language == self.language:
            return
        self.language = language
        for observer in list(self._observers):
            observer(language)

    def bind(self, observer: Observer) -> None:
        self._observers.append(observer)

    def unbind(self, observer: Observer) -> None:
        self._observers.remove(observer)

    def t(self, key: str, **params: object) -> str:
        """The text for `key` in the current language, with `{placeholders}` filled in."""
        text = CATALOGUES[self.language][key]
        return text.format(**params) if params else text

    def both(self, key: str) -> dict[str, str]:
        """A catalogue text in every language, shaped like the API's texts (for `FormView`)."""
        return {language: CATALOGUES[language][key] for language in LANGUAGES}

    def pick(self, texts: dict[str, str] | None) -> str:
        """One language out of a `{"id": ..., "en": ...}` text from the API."""
        if not texts:
            return ""
        return texts.get(self.language) or texts.get(LANGUAGES[0], "")

    def error(self, code: str) -> str:
        """A stable API error code as a sentence the user can read."""
        try:
            return message(ErrorCode(code), self.language)
        except ValueError:
            return self.t("error.unexpected")

    @staticmethod
    def knows_error(code: str) -> bool:
        return code in ErrorCode.__members__.values()

    def field_error(self, code: str, server_message: str) -> str:
        """A per-field problem: the server writes field messages in English only."""
        if self.language == "en" and server_message:
            return server_message
        return self.error(code)

    def money(self, rupiah: int) -> str:
        return "Rp " + f"{rupiah:,}".replace(",", ".")

    def timestamp(self, seconds: float) -> str:
        return datetime.fromtimestamp(seconds).strftime("%d-%m-%Y %H:%M")

    def age(self, seconds: float) -> str:
        """A duration as people say it: "45 detik", "3 menit", "2 jam", "4 hari"."""
        seconds = max(0, round(seconds))
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size:
                return self.t(f"common.{unit}s", count=seconds // size)
        return self.t("common.seconds", count=seconds)

    def day(self, iso_date: str | None) -> str:
        """A date from the API ("2026-12-04") as people write it here: 04-12-2026."""
        return date.fromisoformat(iso_date).strftime("%d-%m-%Y") if iso_date else ""


translator = Translator()
