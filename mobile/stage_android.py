"""Stage the source tree buildozer packages: `main.py` plus the `mobile` and `shared` packages.

Buildozer copies one directory (`source.dir`) into the APK and starts its `main.py`. The app
imports itself as the `mobile` package and needs `shared/` beside it, which lives outside
`mobile/`, so neither "source.dir = ." nor include patterns can express the layout. This script
builds it under var/android/src, which `mobile/buildozer.spec` points at:

    .venv/bin/python -m mobile.stage_android && cd mobile && buildozer android debug
"""

import argparse
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TARGET = REPO_ROOT / "var" / "android" / "src"
PACKAGES = ("mobile", "shared")
# Desktop-only parts of the app: the screenshot mode imports the backend's demo accounts,
# and this script is part of the build, not of the app.
LEFT_OUT = ("screenshot.py", "stage_android.py", "buildozer.spec", "__pycache__")

MAIN = '''"""Android entry point, written by mobile/stage_android.py."""

from mobile.__main__ import main

main([])
'''


def stage(target: Path = DEFAULT_TARGET) -> Path:
    if target.exists():
        shutil.rmtree(target)
    for package in PACKAGES:
        shutil.copytree(
            REPO_ROOT / package, target / package, ignore=shutil.ignore_patterns(*LEFT_OUT)
        )
    (target / "main.py").write_text(MAIN)
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET)
    print(stage(parser.parse_args().target))
