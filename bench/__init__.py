"""Benchmarks: each script starts the server, drives it with wrk and prints a table."""
