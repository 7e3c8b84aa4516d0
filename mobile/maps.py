"""Maps, on kivy-garden's `MapView`: the region's tiles, a pin to choose a location, and the
public reports as markers.

Tiles come from the region pack (`map_tiles`: a city's own tile server or a provider under
contract, with the attribution it requires). Without tiles (a pack without them, the app
started with `map_tiles=False` for tests and screenshots, or a phone offline) the map is a plain
background on which the pin and the markers still move: the coordinates are what matter.
"""

from collections.abc import Callable
from pathlib import Path

from kivy.graphics import Color, Ellipse
from kivy.metrics import dp
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.widget import Widget
from kivy_garden.mapview import MapMarker, MapSource, MapView, MarkerMapLayer

DEFAULT_ZOOM = 15  # a street: for choosing a spot
OVERVIEW_ZOOM = 13  # a district: for the reports around
MARKER_DP = 24
PLAIN_BACKGROUND = (0.93, 0.93, 0.90, 1)
TAP_SLOP_DP = 10  # a touch that moved less than this is a tap, not a pan
# Marker tints by status, as the list badges (mobile/screens/complaint.kv).
STATUS_TINTS = {
    "submitted": (0.25, 0.32, 0.71, 1),
    "verified": (0.0, 0.47, 0.42, 1),
    "in_progress": (0.94, 0.42, 0.0, 1),
    "waiting_reporter": (0.48, 0.12, 0.64, 1),
    "resolved": (0.18, 0.49, 0.2, 1),
    "closed": (0.38, 0.38, 0.38, 1),
}


class PlainSource(MapSource):
    """A map source without tiles: nothing is ever downloaded."""

    def __init__(self, max_zoom: int = 19) -> None:
        super().__init__(url="", cache_key="plain", max_zoom=max_zoom, attribution="")

    def fill_tile(self, tile) -> None:
        """No tile: the map's background shows through."""


def map_source(region: dict | None, cache_dir: Path, *, tiles: bool = True) -> MapSource:
    """The region pack's tile server, or a plain background without one."""
    spec = (region or {}).get("map_tiles")
    if not spec or not tiles:
        return PlainSource()
    cache_dir.mkdir(parents=True, exist_ok=True)
    return MapSource(
        url=spec["url"],
        cache_key="region",
        max_zoom=spec.get("max_zoom", 19),
        attribution=spec["attribution"],
        cache_dir=str(cache_dir),
    )


class WargaMap(MapView):
    """A map of the region: its tiles (or a plain background) and its markers."""

    def __init__(self, source: MapSource, **kwargs) -> None:
        kwargs.setdefault("zoom", DEFAULT_ZOOM)
        super().__init__(map_source=source, cache_dir=source.cache_dir, **kwargs)
        if isinstance(source, PlainSource):
            self.background_color = PLAIN_BACKGROUND
        self.markers = MarkerMapLayer()
        self.add_layer(self.markers)

    def latlon_at(self, x: float, y: float) -> tuple[float, float]:
        """The coordinates under a point given in the map's parent's coordinates (a touch)."""
        place = self.get_latlon_at(x - self.x, y - self.y)
        return round(place.lat, 6), round(place.lon, 6)


class Pin(MapMarker):
    """The location being chosen."""


class LocationMap(WargaMap):
    """A map with a pin: drag the pin, or tap the map to put it there; pan and zoom as usual.

    `latitude` and `longitude` are the pin's; `when_moved(latitude, longitude)` runs after the
    resident moved it.
    """

    latitude = NumericProperty(0)
    longitude = NumericProperty(0)
    when_moved = ObjectProperty(None, allownone=True)

    def __init__(self, source: MapSource, latitude: float, longitude: float, **kwargs) -> None:
        super().__init__(source, lat=latitude, lon=longitude, **kwargs)
        self.pin = Pin(lat=latitude, lon=longitude)
        self.add_marker(self.pin, layer=self.markers)
        self.latitude, self.longitude = latitude, longitude

    def place(self, latitude: float, longitude: float, *, centre: bool = True) -> None:
        """Put the pin at a place (GPS, a saved position) and, with `centre`, show it."""
        self.latitude, self.longitude = latitude, longitude
        self.pin.lat, self.pin.lon = latitude, longitude
        if centre:
            self.center_on(latitude, longitude)
        self.markers.reposition()

    def _moved_to(self, x: float, y: float) -> None:
        self.place(*self.latlon_at(x, y), centre=False)
        if self.when_moved:
            self.when_moved(self.latitude, self.longitude)

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos) or self.disabled:
            return False
        if self.pin.collide_point(*touch.pos):  # dragging the pin, not the map
            touch.grab(self)
            touch.ud[self] = "pin"
            return True
        touch.ud[self] = touch.pos
        return super().on_touch_down(touch)

    def on_touch_move(self, touch):
        if touch.grab_current is self and touch.ud.get(self) == "pin":
            self._moved_to(*touch.pos)
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch):
        start = touch.ud.get(self)
        if touch.grab_current is self and start == "pin":
            touch.ungrab(self)
            self._moved_to(*touch.pos)
            return True
        handled = super().on_touch_up(touch)
        if isinstance(start, tuple) and touch.grab_current is None:
            moved = abs(touch.x - start[0]) + abs(touch.y - start[1])
            if moved < dp(TAP_SLOP_DP):  # a tap: the pin goes there
                self._moved_to(*touch.pos)
        return handled


class SpotMap(WargaMap):
    """A small map that only shows: a place (the pin) and, optionally, reports around it. It
    takes no touches, so the page it sits on scrolls over it."""

    def __init__(self, source: MapSource, **kwargs) -> None:
        kwargs.setdefault("size_hint_y", None)
        kwargs.setdefault("height", dp(180))
        super().__init__(source, **kwargs)
        self.pin = Pin()
        self.add_marker(self.pin, layer=self.markers)
        self.bind(size=self._recentre, pos=self._recentre)

    def show_spot(self, latitude: float, longitude: float, features: list[dict] = ()) -> None:
        self.pin.lat, self.pin.lon = latitude, longitude
        show_reports(self, list(features))
        self._recentre()

    def _recentre(self, *_args) -> None:
        self.center_on(self.pin.lat, self.pin.lon)  # the centre moves with the widget's size

    def on_touch_down(self, touch):
        return False

    def on_touch_move(self, touch):
        return False

    def on_touch_up(self, touch):
        return False


class ReportMarker(ButtonBehavior, Widget):
    """A public report on the map: a dot in its status's colour (as the list badges), with a
    white ring; tapping it calls `chooser(feature)`. Laid out by `MarkerMapLayer` like a
    `MapMarker` (`lat`, `lon`, anchored at its centre)."""

    lat = NumericProperty(0)
    lon = NumericProperty(0)
    anchor_x = NumericProperty(0.5)
    anchor_y = NumericProperty(0.5)
    status = StringProperty()
    feature = ObjectProperty()
    chooser = ObjectProperty(None, allownone=True)
    color = ListProperty([0.38, 0.38, 0.38, 1])
    _layer = None  # set by MarkerMapLayer

    def __init__(self, feature: dict, chooser: Callable[[dict], None] | None = None, **kwargs):
        longitude, latitude = feature["geometry"]["coordinates"]
        status = feature["properties"].get("status", "")
        super().__init__(
            lat=latitude,
            lon=longitude,
            feature=feature,
            chooser=chooser,
            status=status,
            color=STATUS_TINTS.get(status, (0.38, 0.38, 0.38, 1)),
            size_hint=(None, None),
            size=(dp(MARKER_DP), dp(MARKER_DP)),
            **kwargs,
        )
        with self.canvas:
            Color(1, 1, 1, 1)
            self._ring = Ellipse()
            self._tint = Color(*self.color)
            self._dot = Ellipse()
        self.bind(pos=self._draw, size=self._draw)
        self._draw()

    def _draw(self, *_args) -> None:
        ring = dp(3)
        self._ring.pos, self._ring.size = self.pos, self.size
        self._dot.pos = (self.x + ring, self.y + ring)
        self._dot.size = (self.width - 2 * ring, self.height - 2 * ring)

    def on_release(self) -> None:
        if self.chooser:
            self.chooser(self.feature)


def as_feature(complaint: dict) -> dict:
    """A complaint from a list (the nearby check's) shaped as a map feature."""
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [complaint["longitude"], complaint["latitude"]],
        },
        "properties": complaint,
    }


def show_reports(
    view: WargaMap, features: list[dict], chooser: Callable[[dict], None] | None = None
) -> list[ReportMarker]:
    """Replace the map's report markers with `features` (a GeoJSON FeatureCollection's)."""
    for marker in [m for m in view.markers.markers if isinstance(m, ReportMarker)]:
        view.markers.remove_widget(marker)
    markers = [ReportMarker(feature, chooser) for feature in features]
    for marker in markers:
        view.add_marker(marker, layer=view.markers)
    return markers
