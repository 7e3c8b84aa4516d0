"""Widgets every screen shares: the screen scaffold, cards and the two-pane (list + detail)
container."""

import math
from pathlib import Path

from kivy.core.window import Window
from kivy.factory import Factory
from kivy.graphics import BorderImage, Color, InstructionGroup
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivymd.uix.behaviors import RectangularRippleBehavior
from kivymd.uix.boxlayout import MDBoxLayout
from kivymd.uix.scrollview import MDScrollView
from kivymd.uix.toolbar import MDTopAppBar

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))

# Officer mode puts list and detail side by side from this window width up (tablets).
TWO_PANE_MIN_WIDTH_DP = 900


class TopBar(MDTopAppBar):
    """KivyMD's top app bar without the overflow menu it builds for every bar, `use_overflow` or
    not: a dropdown (card, shadow, list) per screen that Warga never opens (~0.6 MB each)."""

    def get_default_overflow_cls(self):
        return super().get_default_overflow_cls() if self.use_overflow else None


def _shadow_alpha(radius: int, blur: int) -> bytes:
    """A nine-patch of a rounded box's blurred shadow: white pixels whose alpha is the shadow,
    `blur + radius` pixels of border around a 2-pixel middle that stretches to the card's size."""
    border = blur + radius
    side = 2 * border + 2
    centre, half = side / 2, radius + 1  # the box: `blur` pixels in from each edge
    sigma = max(blur / 5, 0.5)
    pixels = bytearray()
    for row in range(side):
        for column in range(side):
            qx = abs(column + 0.5 - centre) - (half - radius)
            qy = abs(row + 0.5 - centre) - (half - radius)
            outside = math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - radius
            alpha = 0.5 * math.erfc(outside / (sigma * math.sqrt(2)))
            pixels += bytes((255, 255, 255, round(255 * alpha)))
    return bytes(pixels)


_shadows: dict[tuple[int, int], Texture] = {}


def shadow_texture(radius: int, blur: int) -> Texture:
    """One texture per corner radius and blur, shared by every card that has them."""
    key = (radius, blur)
    if key not in _shadows:
        side = 2 * (blur + radius) + 2
        texture = Texture.create(size=(side, side), colorfmt="rgba")
        pixels = _shadow_alpha(radius, blur)

        def upload(texture: Texture) -> None:
            texture.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")

        upload(texture)
        texture.add_reload_observer(upload)  # the GL context can be lost (Android resumes)
        _shadows[key] = texture
    return _shadows[key]


class Card(RectangularRippleBehavior, ButtonBehavior, MDBoxLayout):
    """A card as Warga uses KivyMD's MDCard (background, rounded corners, ripple, `on_release`,
    a shadow while `elevation` > 0) at a fraction of its memory.

    MDCard draws its shadow with a `BoxShadow`, and each of those renders into its own
    off-screen framebuffer with its own compiled shader, whether the card is raised or not:
    ~0.6 MB per card headless (a home screen has 11 tiles, a list a card per row), and a
    framebuffer per card on a phone's GPU too. Here all cards of one corner radius share one
    small pre-blurred texture, drawn as a nine-patch under the card; MDCard's hover focus, which
    Warga does not use, is left out as well.
    """

    ripple_behavior = BooleanProperty(False)
    elevation = NumericProperty(0)
    shadow_color = ColorProperty([0, 0, 0, 0.6])  # MDCard's default

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shadow_tint = Color(rgba=(0, 0, 0, 0))
        self._shadow = BorderImage(size=(0, 0))
        shadow = InstructionGroup()  # `add` binds the image's texture before drawing it
        shadow.add(self._shadow_tint)
        shadow.add(self._shadow)
        self.canvas.before.insert(0, shadow)  # under the background
        for name in ("pos", "size", "radius", "elevation", "shadow_color"):
            self.fbind(name, self._place_shadow)
        self.fbind("ripple_behavior", self._set_ripple)
        self._set_ripple()
        self._place_shadow()

    def _set_ripple(self, *_args) -> None:
        self._no_ripple_effect = not self.ripple_behavior

    def _place_shadow(self, *_args) -> None:
        if not self.elevation:
            self._shadow_tint.a = 0
            return
        # MDCard's shadow: blurred over `elevation * 10` pixels, the card's corner radius.
        blur = round(self.elevation * 10)
        radius = round(max(self.radius[0], 0))
        border = blur + radius
        self._shadow.texture = shadow_texture(radius, blur)
        self._shadow.border = (border, border, border, border)
        self._shadow.pos = (self.x - blur, self.y - blur)
        self._shadow.size = (self.width + 2 * blur, self.height + 2 * blur)
        self._shadow_tint.rgba = self.shadow_color


class Scaffold(MDBoxLayout):
    """Top bar with title and back arrow, progress while loading, a notice line, then the body.

    Children written under a Scaffold in a screen's kv rule go into the body.
    """

    title = StringProperty()
    actions = ListProperty()  # the top bar's right-hand icons: [[icon, callback], ...]
    # `rebind`: the kv rule reads `root.screen.busy` and `.notice`; without it those bindings
    # are made once, to the None the property starts with, and never drawn.
    screen = ObjectProperty(None, allownone=True, rebind=True)

    def add_widget(self, widget, *args, **kwargs):
        # Kv applies the Scaffold's own rule first; `body` is its last widget, so everything
        # added once it exists comes from the screen's rule.
        body = self.ids.get("body")
        if body is None:
            return super().add_widget(widget, *args, **kwargs)
        return body.add_widget(widget, *args, **kwargs)


class RefreshPage(MDScrollView):
    """A page that fetches its data again when pulled down from its top: a finger that lands
    while the page is at its top and drags down at least `pull` before lifting fires
    `on_refresh` (the screen's busy spinner then shows while it loads)."""

    pull = NumericProperty(dp(80))
    __events__ = ("on_refresh",)

    def on_touch_down(self, touch) -> bool:
        at_top = self.scroll_y >= 1 or self.viewport_size[1] <= self.height
        if self.collide_point(*touch.pos) and at_top and not self.disabled:
            touch.ud[self._pulled_key] = True
        return super().on_touch_down(touch)

    def on_touch_up(self, touch) -> bool:
        handled = super().on_touch_up(touch)
        # Seen once per touch (a scroll view also gets the touches it grabbed back).
        if touch.ud.pop(self._pulled_key, False) and touch.oy - touch.y >= self.pull:
            self.dispatch("on_refresh")
        return handled

    @property
    def _pulled_key(self) -> str:
        return f"pulled-{self.uid}"

    def on_refresh(self) -> None:
        """Fetch the page's data again."""


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
