"""Settings for running without a display: SDL's offscreen driver (tests, screenshots, benchmarks).

There, Mesa draws in software (llvmpipe) into an off-screen surface, and two of Kivy's defaults
cost memory for nothing. Both apply only when `SDL_VIDEODRIVER=offscreen`; on a phone or a
desktop window the app keeps Kivy's defaults. This module imports no Kivy until called, so the
benchmark's bare Kivy ceiling can use it too and the two stay comparable.
"""

import os


def active() -> bool:
    return os.environ.get("SDL_VIDEODRIVER") == "offscreen"


def configure() -> None:
    """Call before the window is created (before `kivy.core.window` is imported)."""
    if not active():
        return
    from kivy.config import Config

    # Kivy asks for a 2x multisampled framebuffer, which llvmpipe keeps in RAM: 12 MB of the
    # login screen's peak. Without it only the edges of shapes change (~300 pixels of a phone
    # screenshot); text and icons are textures that multisampling does not touch.
    if not os.environ.get("KCFG_GRAPHICS_MULTISAMPLES"):  # an explicit choice still wins
        Config.set("graphics", "multisamples", "0")


def finish_each_frame(window) -> None:
    """Call once the window exists: make each drawn frame complete before the next one starts.

    An off-screen surface's buffer swap flushes nothing, so llvmpipe keeps queueing every
    frame's drawing (about 2 MB a frame while anything animates, 50 MB more within half a
    second of the login screen) instead of rasterizing and freeing it, as a real display's swap
    would make it do.
    """
    if not active():
        return
    from kivy.graphics.opengl import glFinish

    window.bind(on_flip=lambda *_args: glFinish())
