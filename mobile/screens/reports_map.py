"""The public map: reports around a place (from the API's GeoJSON layer), each marker tinted by
its status; tapping one shows what it is."""

from kivy.properties import DictProperty

from mobile.core.complaints import region_centre
from mobile.core.i18n import translator
from mobile.maps import OVERVIEW_ZOOM, WargaMap, show_reports
from mobile.screens.base import WargaScreen
from mobile.screens.complaint import status_text


class ReportsMapScreen(WargaScreen):
    """`open()` centres on the city; `open(latitude=..., longitude=...)` on a place."""

    chosen = DictProperty()  # the tapped report's properties

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.map: WargaMap | None = None
        self.features: list[dict] = []

    async def load(self) -> None:
        region = await self.fetch(self.app.api.region())
        if region is None:
            return
        if self.map is None:
            source = self.app.map_source(region)
            self.map = WargaMap(source, zoom=OVERVIEW_ZOOM)
            self.ids.map_slot.add_widget(self.map)
        centre = self.params.get("latitude"), self.params.get("longitude")
        latitude, longitude = centre if None not in centre else region_centre(region)
        self.map.center_on(latitude, longitude)
        box = region["bounding_box"]
        layer = await self.fetch(
            self.app.api.public_map(
                (box["min_lon"], box["min_lat"], box["max_lon"], box["max_lat"])
            )
        )
        self.features = layer["features"] if layer else []
        self.chosen = {}

    def render(self) -> None:
        if self.map is not None:
            show_reports(self.map, self.features, self.choose)
        self.ids.count.text = (
            translator.t("map.count", count=len(self.features))
            if self.features
            else translator.t("map.empty")
        )
        self._render_chosen()

    def choose(self, feature: dict) -> None:
        self.chosen = feature["properties"]
        self._render_chosen()

    def _render_chosen(self) -> None:
        report = self.chosen
        self.ids.chosen_title.text = report.get("title", "")
        self.ids.chosen_line.text = (
            f"{report['tracking_number']} · {status_text(report['status'])}" if report else ""
        )
