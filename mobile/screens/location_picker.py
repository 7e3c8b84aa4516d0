"""Choosing a place on the map: a pin to drag (or a tap to put it), the phone's GPS where there
is one, and the region's boundary checked before the place is taken."""

from collections.abc import Callable

from kivy.properties import StringProperty

from mobile import device
from mobile.core.complaints import (
    describe_place,
    inside_region,
    nearest_place,
    region_centre,
)
from mobile.core.i18n import translator
from mobile.maps import LocationMap
from mobile.screens.base import WargaScreen

LAST_LOCATION = "last_location"  # the preference: where the last chosen pin was


class LocationPickerScreen(WargaScreen):
    """`open(start=(latitude, longitude) or None, on_chosen=callback)`; without `start` the pin
    begins at the last place chosen on this phone, else at the city's centre. The callback
    gets the latitude, the longitude and the name of the nearest named place (or None)."""

    place_text = StringProperty()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.map: LocationMap | None = None
        self.region: dict | None = None
        self.on_chosen: Callable[[float, float], None] | None = None

    def on_kv_post(self, base_widget) -> None:
        if not device.ON_ANDROID:  # no GPS on the desktop: the map alone
            self.ids.gps.parent.remove_widget(self.ids.gps)

    async def load(self) -> None:
        self.on_chosen = self.params.get("on_chosen")
        region = await self.fetch(self.app.api.region())
        if region is None:
            return
        self.region = region
        start = self.params.get("start") or self.app.preference(LAST_LOCATION)
        latitude, longitude = start or region_centre(region)
        if self.map is None:
            source = self.app.map_source(region)
            self.map = LocationMap(source, latitude, longitude, when_moved=self._moved)
            self.ids.map_slot.add_widget(self.map)
        self.map.place(latitude, longitude)
        self._moved(latitude, longitude)

    def _moved(self, latitude: float, longitude: float) -> None:
        near = nearest_place(self.region, latitude, longitude)
        self.place_text = describe_place(near, latitude, longitude)
        self.notice = ""

    def use_gps(self) -> None:
        def fix(latitude: float, longitude: float) -> None:
            self.map.place(round(latitude, 6), round(longitude, 6))
            self._moved(self.map.latitude, self.map.longitude)

        device.locate(fix)

    def use(self) -> None:
        """Take the pin's place, if it is inside the region; back to the form."""
        if self.map is None or self.region is None:
            return
        latitude, longitude = self.map.latitude, self.map.longitude
        if not inside_region(self.region, latitude, longitude):
            self.notice, self.notice_is_error = translator.t("picker.outside"), True
            return
        self.app.save_preference(LAST_LOCATION, [latitude, longitude])
        if self.on_chosen:
            self.on_chosen(latitude, longitude, nearest_place(self.region, latitude, longitude))
        self.app.back()
