"""Warga's API server: one FastAPI application organised by domain."""
