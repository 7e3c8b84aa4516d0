"""The phone's own features (GPS, camera, the system file picker), through plyer on Android.

Each asks for its runtime permission at the moment it is used. On the desktop `ON_ANDROID` is
false, nothing here imports plyer or the `android` module, and screens offer the typed-in
fallbacks instead (coordinates, Kivy's file chooser).
"""

from collections.abc import Callable
from pathlib import Path

from kivy.clock import mainthread
from kivy.utils import platform

ON_ANDROID = platform == "android"


def _with_permission(permission: str, then: Callable[[], None]) -> None:
    """Run `then` once Android granted `permission` (asking the user if needed)."""
    from android.permissions import check_permission, request_permissions

    full_name = f"android.permission.{permission}"
    if check_permission(full_name):
        then()
        return

    def answered(_permissions, grants) -> None:
        if all(grants):
            mainthread(then)()

    request_permissions([full_name], answered)


def locate(on_fix: Callable[[float, float], None]) -> None:
    """Call `on_fix(latitude, longitude)` with the first GPS fix, then stop listening."""
    from plyer import gps

    def fixed(**location) -> None:
        gps.stop()
        mainthread(on_fix)(location["lat"], location["lon"])

    def start() -> None:
        gps.configure(on_location=fixed)
        gps.start(minTime=1000, minDistance=0)

    _with_permission("ACCESS_FINE_LOCATION", start)


def take_picture(folder: Path, on_taken: Callable[[Path], None]) -> None:
    """Open the camera; `on_taken(path)` gets the photo saved under `folder`."""
    from plyer import camera

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"camera-{len(list(folder.iterdir()))}.jpg"

    def done(path: str) -> bool:
        if Path(path).exists():
            mainthread(on_taken)(Path(path))
        return False  # keep the file: the outbox copies it when the complaint is queued

    _with_permission("CAMERA", lambda: camera.take_picture(str(target), done))


def choose_images(on_chosen: Callable[[list[Path]], None]) -> None:
    """The system's picker for images (several at once)."""
    from plyer import filechooser

    def chosen(paths) -> None:
        # A picture the picker cannot map to a file (a cloud-only one, say) comes back as None.
        mainthread(on_chosen)([Path(p) for p in paths or [] if p])

    # plyer's Android picker takes a named kind ("image" = image/*), not patterns.
    filechooser.open_file(filters=["image"], multiple=True, on_selection=chosen)


def choose_document(on_chosen: Callable[[list[Path]], None]) -> None:
    """The system's picker for one document: a PDF or a photo."""
    from plyer import filechooser

    filechooser.open_file(
        filters=[["PDF", "*.pdf"], ["Images", "*.jpg", "*.jpeg", "*.png"]],
        multiple=False,
        on_selection=lambda paths: mainthread(on_chosen)([Path(p) for p in paths or []]),
    )
