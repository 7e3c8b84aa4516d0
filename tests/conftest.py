"""Settings every test run shares: a test environment and cheap password hashing."""

import os
import tempfile

import pytest

os.environ.setdefault("WARGA_ENVIRONMENT", "test")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
# Write limits far above what any test does, for every app the suite builds or serves (the
# live servers inherit the environment); tests/backend/operations/test_rate_limits.py sets
# low ones on purpose.
for _action in ("REGISTRATION", "FILING", "UPLOADS", "COMMENTS", "SUPPORT"):
    os.environ.setdefault(f"WARGA_RATE_LIMIT_{_action}", "100000/hour")

# Uploaded files and the certificate signing key default to the checkout's var/, and Kivy's
# config and logs to ~/.kivy; each test process (pytest-xdist runs two) keeps its own, so
# workers never share or race on them. The app processes the UI tests start inherit these.
_files = tempfile.mkdtemp(prefix="warga-test-files-")
os.environ.setdefault("KIVY_HOME", os.path.join(_files, "kivy"))
os.environ.setdefault("WARGA_MEDIA_DIR", os.path.join(_files, "media"))
os.environ.setdefault("WARGA_SIGNING_KEY_FILE", os.path.join(_files, "signing-key.pem"))


# The longest tests (the app's end-to-end runs, the API fuzzing: a minute or two each) go first:
# the two workers then take turns on the short ones, instead of one of them finishing a long
# test alone at the end of the run.
LONG_RUNNING = ("tests/mobile/", "tests/backend/operations/test_api_fuzz.py")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_RUNNING))  # stable otherwise
