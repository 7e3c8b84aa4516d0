"""Warga's Kivy client for residents (phones) and officers (tablets).

`mobile.core` is the network and storage layer and imports no Kivy; screens sit on top of it.
"""
