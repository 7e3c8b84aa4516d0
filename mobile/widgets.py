"""Widgets every screen shares: the screen scaffold and the two-pane (list + detail) container."""

from pathlib import Path

from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.toolbar import MDTopAppBar

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))

# Officer mode puts list and detail side by side from this window width up (tablets).
TWO_PANE_MIN_WIDTH_DP = 900


class TopBar(MDTopAppBar):
    """KivyMD's top app bar without the overflow menu it builds for every bar, `use_overflow` or
    not: a dropdown (card, shadow, list) per screen that Warga never opens (~0.6 MB each)."""

    def get_default_overflow_cls(self):
        return super().get_default_overflow_cls() if self.use_overflow else None


class Scaffold(MDBoxLayout):
    """Top bar with title and back arrow, progress while loading, a notice line, then the body.

    Children written under a Scaffold in a screen's kv rule go into the body.
    """

    title = StringProperty()
    actions = ListProperty()  # the top bar's right-hand icons: [[icon, callback], ...]
    screen = ObjectProperty(None, allownone=True)

    def add_widget(self, widget, *args, **kwargs):
        # Kv applies the Scaffold's own rule first; `body` is its last widget, so everything
        # added once it exists comes from the screen's rule.
        body = self.ids.get("body")
        if body is None:
            return super().add_widget(widget, *args, **kwargs)
        return body.add_widget(widget, *args, **kwargs)


class TwoPane(MDBoxLayout):
    """The first child is the list, the second the detail; the detail shows only when the window
    is at least `TWO_PANE_MIN_WIDTH_DP` wide, otherwise the list takes the whole width."""

    wide = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.list_side = MDBoxLayout(orientation="vertical")
        self.divider = Factory.PaneDivider()
        self.detail_side = MDBoxLayout(orientation="vertical")
        for part in (self.list_side, self.divider, self.detail_side):
            super().add_widget(part)
        self.bind(wide=self._arrange)
        Window.bind(width=self._measure)
        self._measure(Window, Window.width)
        self._arrange()

    def add_widget(self, widget, *args, **kwargs):
        side = self.detail_side if self.list_side.children else self.list_side
        return side.add_widget(widget, *args, **kwargs)

    def _measure(self, _window, width: float) -> None:
        self.wide = width >= dp(TWO_PANE_MIN_WIDTH_DP)

    def _arrange(self, *_args) -> None:
        self.list_side.size_hint_x = 0.4 if self.wide else 1
        self.divider.width = dp(1) if self.wide else 0
        self.detail_side.size_hint_x = 0.6 if self.wide else None
        self.detail_side.width = 0
        self.detail_side.opacity = 1 if self.wide else 0
        self.detail_side.disabled = not self.wide
