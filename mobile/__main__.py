"""`python -m mobile`: start the Warga app (or render one screen to a PNG and exit)."""

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

from mobile.core.i18n import LANGUAGES

# Before anything imports Kivy: our command-line options are not Kivy's.
os.environ.setdefault("KIVY_NO_ARGS", "1")


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"([0-9]+)x([0-9]+)", text)
    if not match:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 1280x800")
    return int(match[1]), int(match[2])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mobile", description=__doc__)
    parser.add_argument(
        "--api", help="API base URL (default: the saved one, else http://127.0.0.1:8000)"
    )
    parser.add_argument(
        "--lang", choices=LANGUAGES, help="language (default: the saved one, else id)"
    )
    parser.add_argument("--size", type=_size, help="window size in pixels, e.g. 412x860")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="where tokens, cache and outbox live (default: the app's user_data_dir)",
    )
    parser.add_argument(
        "--no-map-tiles",
        action="store_true",
        help="draw maps on a plain background, fetching no tiles (always so in screenshot mode)",
    )
    shot = parser.add_argument_group("screenshot mode")
    shot.add_argument("--screenshot", metavar="SCREEN", help="render this screen and exit")
    shot.add_argument(
        "--as",
        dest="role",
        default="resident",
        choices=("resident", "officer", "supervisor", "admin"),
        help="demo account to log in as (default: resident)",
    )
    shot.add_argument(
        "--agency",
        default="dpmptsp",
        help="demo agency of the officer or supervisor (default: dpmptsp)",
    )
    shot.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="screen parameter, e.g. code=pbg for permit_type",
    )
    shot.add_argument("--out", type=Path, default=Path("screenshot.png"), help="PNG to write")
    return parser.parse_args(argv)


def run(*, size: tuple[int, int] | None = None, **options) -> int:
    """Start the app with `mobile.app.AppOptions(**options)`; return its exit code."""
    from mobile import headless

    # Both must be set before Kivy creates the window, i.e. before mobile.app is imported.
    headless.configure()
    if size:
        from kivy.config import Config

        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
    from kivy.core.window import Window

    from mobile.app import AppOptions, WargaApp

    headless.finish_each_frame(Window)
    app = WargaApp(AppOptions(**options))

    async def run_app() -> None:
        await app.async_run(async_lib="asyncio")
        await app.api.aclose()

    asyncio.run(run_app())
    return app.exit_code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    script = None
    if args.screenshot:
        from mobile.screenshot import screenshot_script

        params = dict(item.split("=", 1) for item in args.param)
        script = screenshot_script(args.screenshot, args.role, args.agency, params, args.out)
    return run(
        size=args.size,
        api_url=args.api,
        language=args.lang,
        data_dir=args.data_dir,
        script=script,
        # Pictures that do not depend on a tile server being reachable.
        map_tiles=not (args.no_map_tiles or args.screenshot),
    )


if __name__ == "__main__":
    sys.exit(main())
