"""Photos: picking the ones to attach (file chooser, or camera and system picker on Android) and
showing a complaint's photos, fetched from the API with the session's token."""

import asyncio
from io import BytesIO
from pathlib import Path

from kivy.app import App
from kivy.core.image import Image as CoreImage
from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.image import Image
from kivy.uix.modalview import ModalView
from kivymd.uix.boxlayout import MDBoxLayout

from mobile import device
from mobile.core.api import ApiError, Offline
from shared.limits import MAX_PHOTOS_PER_SIDE

Builder.load_file(str(Path(__file__).with_name("photos.kv")))

IMAGE_FILTERS = ["*.jpg", "*.jpeg", "*.png", "*.webp", "*.JPG", "*.JPEG", "*.PNG"]


class ChosenPhoto(MDBoxLayout):
    """A thumbnail of a photo to attach, with a button that takes it off the list again."""

    source = StringProperty()
    picker = ObjectProperty()


class FileChooserPopup(ModalView):
    """Kivy's own file chooser, for the desktop (Android uses the system picker)."""

    filters = ListProperty(IMAGE_FILTERS)

    def __init__(self, on_chosen, **kwargs) -> None:
        super().__init__(**kwargs)
        self.on_chosen = on_chosen
        self.ids.chooser.path = str(Path.home())

    def choose(self) -> None:
        chosen = [Path(p) for p in self.ids.chooser.selection]
        self.dismiss()
        if chosen:
            self.on_chosen(chosen)


class PhotoPicker(MDBoxLayout):
    """Up to `limit` photos, shown as thumbnails; `paths` is what will be sent."""

    paths = ListProperty()
    limit = NumericProperty(MAX_PHOTOS_PER_SIDE)

    def on_kv_post(self, base_widget) -> None:
        if not device.ON_ANDROID:  # the desktop has no camera to offer
            self.ids.buttons.remove_widget(self.ids.camera)

    def on_paths(self, *_args) -> None:
        strip = self.ids.strip
        strip.clear_widgets()
        for path in self.paths:
            strip.add_widget(ChosenPhoto(source=str(path), picker=self))

    def add(self, paths: list[Path]) -> None:
        room = int(self.limit) - len(self.paths)
        self.paths = [*self.paths, *(str(p) for p in paths[:room])]

    def remove(self, source: str) -> None:
        self.paths = [p for p in self.paths if p != source]

    def open_chooser(self) -> None:
        if device.ON_ANDROID:
            device.choose_images(self.add)
        else:
            FileChooserPopup(self.add).open()

    def open_camera(self) -> None:
        folder = Path(App.get_running_app().data_dir) / "camera"
        device.take_picture(folder, lambda path: self.add([path]))


class RemotePhoto(ButtonBehavior, Image):
    """A photo from the API (`url` is its path there), loaded in the background; tapping it
    opens `full_url` (the photo itself, not its thumbnail) full screen."""

    url = StringProperty()
    full_url = StringProperty()
    loading: asyncio.Task | None = None

    def on_url(self, *_args) -> None:
        self.loading = App.get_running_app().spawn(_load_into(self, self.url))

    def on_release(self) -> None:
        if self.full_url:
            PhotoViewer(url=self.full_url).open()


async def _load_into(image: Image, url: str) -> None:
    try:
        data = await App.get_running_app().api.get_bytes(url)
    except (ApiError, Offline):
        return  # the space stays empty; the complaint itself says what went wrong
    if url == image.url:
        image.texture = CoreImage(BytesIO(data), ext="jpg").texture


class PhotoViewer(ModalView):
    """One photo over the whole window: pinch (or the mouse wheel) to zoom, drag to look
    around, double-tap to zoom in and back; Close (or Back) returns."""

    url = StringProperty()
    loading: asyncio.Task | None = None

    def on_url(self, *_args) -> None:
        self.loading = App.get_running_app().spawn(_load_into(self, self.url))

    @property
    def texture(self):
        return self.ids.image.texture

    @texture.setter
    def texture(self, texture) -> None:
        self.ids.image.texture = texture

    def zoom(self, factor: float) -> None:
        scatter = self.ids.scatter
        scatter.scale = min(max(scatter.scale * factor, scatter.scale_min), scatter.scale_max)
