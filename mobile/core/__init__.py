"""The app's network and storage core: API client, tokens, offline outbox, cache, translations.

Nothing here imports Kivy, so it runs (and is tested) without a display.
"""
