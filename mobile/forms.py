"""Draws a region pack form (permit application, complaint questions) and collects its answers.

`FormView(fields)` takes the API's form definition: a list of fields with `code`, `label` (both
languages), `type`, `required`, `help`, `choices` and `validation`. It checks answers on the
device with `mobile.core.answers` and shows each problem under its field, including the ones the
server sends back (`show_server_errors`).
"""

from collections.abc import Callable
from functools import partial
from pathlib import Path

from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.textfield import MDTextField

from mobile.core.answers import clean_answers
from mobile.core.api import ApiError, FieldProblem, Offline
from mobile.core.complaints import describe_place
from mobile.core.i18n import Translator, translator

Builder.load_file(str(Path(__file__).with_name("forms.kv")))

_TEXT_TYPES = {"text", "textarea", "number", "integer", "date", "email", "phone", "nik", "password"}


class FieldInput(MDBoxLayout):
    """One field: caption, help, the input itself, and the problem with the answer, if any."""

    field = DictProperty()
    caption = StringProperty()
    help_text = StringProperty()
    error = StringProperty()
    enabled = BooleanProperty(True)

    def __init__(self, field: dict, **kwargs) -> None:
        super().__init__(field=field, **kwargs)
        self.build_input()
        self.relabel()

    def relabel(self) -> None:
        mark = translator.t("common.required") if self.field.get("required") else ""
        self.caption = translator.pick(self.field["label"]) + (f" ({mark})" if mark else "")
        self.help_text = translator.pick(self.field.get("help"))

    def build_input(self) -> None:
        raise NotImplementedError

    def raw(self):
        raise NotImplementedError

    def show(self, value) -> None:
        """Put an answer the API sent (a saved draft) into the input."""
        raise NotImplementedError


class TextFieldInput(FieldInput):
    def build_input(self) -> None:
        kind = self.field["type"]
        self.input = MDTextField(
            multiline=kind == "textarea",
            password=kind == "password",
            write_tab=False,
            input_type="number" if kind in ("number", "integer", "phone", "nik") else "text",
        )
        self.bind(enabled=lambda _w, on: setattr(self.input, "disabled", not on))
        self.ids.control.add_widget(self.input)

    def relabel(self) -> None:
        super().relabel()
        self.input.hint_text = (
            translator.t("form.date_hint") if self.field["type"] == "date" else ""
        )

    def raw(self) -> str:
        return self.input.text

    def show(self, value) -> None:
        # 12.0 from JSON reads back as "12": what the resident typed, not a float's repr.
        is_whole = isinstance(value, float) and value.is_integer()
        self.input.text = "" if value is None else str(int(value) if is_whole else value)


class LocationControl(MDBoxLayout):
    """The chosen place and the button that opens the map (drawn by forms.kv)."""

    field_input = ObjectProperty(None, allownone=True)


class LocationInput(FieldInput):
    """A place, chosen on a map (the `location_picker` screen): the chosen coordinates and a
    button that opens the map. Empty until the resident puts the pin somewhere, so no report
    lands on a default spot nobody chose."""

    latitude = ObjectProperty(None, allownone=True)
    longitude = ObjectProperty(None, allownone=True)
    place_text = StringProperty()
    near: str | None = None  # the named place nearest to the pin, from the region pack

    def build_input(self) -> None:
        self.bind(latitude=self._describe, longitude=self._describe)
        self.ids.control.add_widget(LocationControl(field_input=self))

    def relabel(self) -> None:
        super().relabel()
        self._describe()

    def _describe(self, *_args) -> None:
        if self.latitude is None or self.longitude is None:
            self.place_text = translator.t("form.location_unset")
        else:
            self.place_text = describe_place(self.near, self.latitude, self.longitude)

    def choose_on_map(self) -> None:
        """Open the map at the chosen place (or the picker's own start); come back with it."""
        from kivy.app import App

        start = None if self.latitude is None else (self.latitude, self.longitude)
        App.get_running_app().show("location_picker", start=start, on_chosen=self.choose)

    def choose(self, latitude: float, longitude: float, near: str | None) -> None:
        self.near = near
        self.latitude, self.longitude = latitude, longitude
        self._describe()
        self.error = ""

    def raw(self) -> tuple[str, str]:
        if self.latitude is None or self.longitude is None:
            return "", ""
        return str(self.latitude), str(self.longitude)

    def show(self, value) -> None:
        value = value or {}
        self.near = None
        self.latitude, self.longitude = value.get("latitude"), value.get("longitude")


class OptionRow(MDBoxLayout):
    """A checkbox (or radio button) with its label; tapping the label ticks it too."""

    text = StringProperty()


class ChoicesInput(FieldInput):
    """`choice` as radio buttons, `multichoice` and `boolean` as checkboxes."""

    def build_input(self) -> None:
        kind = self.field["type"]
        group = f"choice-{id(self)}" if kind == "choice" else None
        self.rows: list[tuple[OptionRow, str | None, dict | None]] = []
        options = self.field.get("choices") or [{"value": None, "label": None}]
        for option in options:
            row = OptionRow()
            row.ids.box.group = group
            self.bind(enabled=lambda _w, on, box=row.ids.box: setattr(box, "disabled", not on))
            self.rows.append((row, option["value"], option["label"]))
            self.ids.control.add_widget(row)

    def relabel(self) -> None:
        super().relabel()
        for row, _value, label in self.rows:
            row.text = translator.pick(label) if label else translator.t("common.yes")

    def raw(self):
        ticked = [value for row, value, _label in self.rows if row.ids.box.active]
        if self.field["type"] == "boolean":
            return bool(ticked)
        if self.field["type"] == "choice":
            return ticked[0] if ticked else None
        return ticked

    def show(self, value) -> None:
        if self.field["type"] == "boolean":
            chosen = [None] if value else []
        else:
            chosen = value if isinstance(value, list) else [value]
        for row, option, _label in self.rows:
            row.ids.box.active = option in chosen


def described(fields: list[dict]) -> list[dict]:
    """The app's own forms, written with catalogue keys for `label`, `help` and choice labels
    (or texts already in every language), as the API describes a region pack form, so
    `FormView` draws them."""

    def both(text: str | dict | None) -> dict | None:
        return translator.both(text) if isinstance(text, str) else text

    return [
        {
            **field,
            "label": both(field["label"]),
            "help": both(field.get("help")),
            "choices": [
                {**choice, "label": both(choice["label"])} for choice in field.get("choices", [])
            ],
        }
        for field in fields
    ]


def field_input(field: dict) -> FieldInput:
    if field["type"] in _TEXT_TYPES:
        return TextFieldInput(field)
    if field["type"] == "coordinates":
        return LocationInput(field)
    return ChoicesInput(field)


class FormView(MDBoxLayout):
    """The whole form; `enabled=False` shows it as a preview that cannot be filled in."""

    enabled = BooleanProperty(True)

    def __init__(self, fields: list[dict], **kwargs) -> None:
        super().__init__(orientation="vertical", adaptive_height=True, spacing=dp(8), **kwargs)
        self.fields = fields
        self._errors: dict[str, Callable[[Translator], str]] = {}
        self.inputs = {field["code"]: field_input(field) for field in fields}
        for widget in self.inputs.values():
            self.bind(enabled=widget.setter("enabled"))
            self.add_widget(widget)
        translator.bind(self._relabel)

    def _relabel(self, _language: str) -> None:
        for widget in self.inputs.values():
            widget.relabel()
        self._show_errors()

    def raw_answers(self) -> dict:
        return {code: widget.raw() for code, widget in self.inputs.items()}

    def fill(self, answers: dict) -> None:
        """Show saved answers (by field code) in their inputs."""
        for code, value in answers.items():
            if code in self.inputs:
                self.inputs[code].show(value)

    def validate(self, *, partial: bool = False) -> dict | None:
        """The cleaned answers if all are acceptable; otherwise show every problem, return None.

        `partial` accepts unanswered required fields, as a draft saved for later does.
        """
        answers, problems = clean_answers(self.fields, self.raw_answers())
        if partial:
            problems = {code: p for code, p in problems.items() if p.key != "required"}
        self.show_errors({code: problem.text for code, problem in problems.items()})
        return None if problems else answers

    def show_errors(self, errors: dict[str, Callable[[Translator], str]]) -> None:
        """Show a problem under each named field (and clear the others).

        Each problem is a function of the translator, so it is redrawn on a language switch.
        """
        self._errors = errors
        self._show_errors()

    def _show_errors(self) -> None:
        for code, widget in self.inputs.items():
            describe = self._errors.get(code)
            widget.error = describe(translator) if describe else ""

    def show_server_errors(
        self, error: ApiError | Offline | None, prefix: str = "", aliases: dict | None = None
    ) -> None:
        """Put a problem's per-field errors (named `{prefix}{code}`) under their fields.

        A location's problem may name one of its parts (`lokasi.latitude`); `aliases` names
        the input for the server's other names (a complaint's `latitude` is its `location`).
        """
        found = {}
        for name, problem in (error.field_errors() if isinstance(error, ApiError) else {}).items():
            code = name.removeprefix(prefix)
            code = (aliases or {}).get(code, code.split(".")[0])
            if code in self.inputs and code not in found:
                found[code] = partial(_server_message, problem)
        self.show_errors(found)


def _server_message(problem: FieldProblem, translator: Translator) -> str:
    return translator.field_error(problem.code, problem.message)
