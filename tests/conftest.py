"""Settings every test run shares: a test environment and cheap password hashing."""

import os

os.environ.setdefault("WARGA_ENVIRONMENT", "test")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
