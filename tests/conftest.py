"""Settings every test run shares: a test environment and cheap password hashing."""

import os

os.environ.setdefault("WARGA_ENVIRONMENT", "test")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
# Write limits far above what any test does, for every app the suite builds or serves (the
# live servers inherit the environment); tests/backend/operations/test_rate_limits.py sets
# low ones on purpose.
for _action in ("REGISTRATION", "FILING", "UPLOADS", "COMMENTS", "SUPPORT"):
    os.environ.setdefault(f"WARGA_RATE_LIMIT_{_action}", "100000/hour")
