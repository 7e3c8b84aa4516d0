"""The Android build inputs: the staged source tree and the hand-written requirement list."""

import configparser
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mobile.stage_android import stage

SPEC = Path(__file__).resolve().parents[2] / "mobile" / "buildozer.spec"
# Python-for-android's interpreter (its python3 recipe), for evaluating dependency markers.
ANDROID_PYTHON = {
    "python_version": "3.11",
    "python_full_version": "3.11.5",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "extra": "",
}
# What the app imports directly; everything these need must be listed too.
# kivy-garden.mapview imports requests for its tiles without declaring it.
DIRECT = ["kivymd", "httpx", "kivy-garden.mapview", "requests"]
# Kivy comes from python-for-android's own recipe, which leaves its desktop extras out
# (docutils, pygments, requests, kivy-garden); only its filetype dependency is needed.
KIVY_RECIPE = {"kivy"}


def spec() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(SPEC)
    return parser


def listed_requirements() -> set[str]:
    names = spec()["app"]["requirements"].replace("\n", "").split(",")
    return {canonicalize_name(Requirement(name.strip()).name) for name in names if name.strip()}


def closure(names: list[str], *, provided: set[str]) -> set[str]:
    """`names` and everything they need on Android, except what `provided` brings along."""
    found: set[str] = set()
    pending = list(names)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found or name in provided:
            continue
        found.add(name)
        for text in requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(ANDROID_PYTHON):
                pending.append(requirement.name)
    return found


def test_every_runtime_dependency_is_listed_for_python_for_android():
    needed = closure(DIRECT, provided=KIVY_RECIPE) | closure(["filetype"], provided=set())
    assert needed - listed_requirements() == set()
    assert "kivy" in listed_requirements()
    assert {"python3", "sqlite3", "openssl", "tzdata"} <= listed_requirements()


def test_spec_asks_for_the_permissions_and_packages_the_kv_files():
    app = spec()["app"]
    permissions = {p.strip() for p in app["android.permissions"].split(",")}
    assert permissions == {"INTERNET", "CAMERA", "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION"}
    assert "kv" in app["source.include_exts"].split(",")
    assert (SPEC.parent / app["source.dir"]).resolve().parts[-3:] == ("var", "android", "src")


def test_staged_tree_runs_on_its_own(tmp_path):
    target = stage(tmp_path / "src")

    assert (target / "main.py").exists()
    assert (target / "mobile" / "screens" / "home.kv").exists()
    assert (target / "shared" / "complaints.py").exists()
    assert not (target / "mobile" / "screenshot.py").exists()  # desktop-only, needs backend
    # Importable from the staged copy alone, as on the phone (Kivy not imported: no window).
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import mobile.core.outbox, mobile.core.api, shared.complaints;"
        "assert mobile.core.api.__file__.startswith(sys.argv[1]), mobile.core.api.__file__"
    )
    subprocess.run([sys.executable, "-c", check, str(target)], check=True, cwd=tmp_path)
